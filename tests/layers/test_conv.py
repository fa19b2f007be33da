"""Conv2D layer: both constructor styles, shapes, errors, config, gradients, training."""
import json

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.layers.conv import Conv2D
from kerasish.ops import conv as conv_ops
from kerasish.regularizers import L2
from layer_grad import check_layer_grad

R = np.random.default_rng(7)


def roundtrip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


def test_seed_style_builds_weights_at_once():
    image_tensor = Tensor(R.standard_normal((2, 8, 8, 3)), dtype=np.float32)
    conv = Conv2D(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)
    assert conv.built and conv.kernel.shape == (3, 3, 3, 16) and conv.bias.shape == (16,)
    assert [w.name for w in conv.weights] == ["kernel", "bias"] and conv.count_params() == 3 * 3 * 3 * 16 + 16
    conv_out = conv(image_tensor)
    assert conv_out.shape == (2, 8, 8, 16) and conv_out.dtype == np.float32
    assert conv.name == "conv2d" and Conv2D(4, 1).name == "conv2d_1"


def test_keras_style_is_lazy_and_applies_activation():
    conv = Conv2D(32, (3, 3), activation="relu", padding="same")
    assert not conv.built and conv.kernel is None
    y = conv(R.standard_normal((2, 9, 7, 5)))
    assert conv.kernel.shape == (3, 3, 5, 32) and y.shape == (2, 9, 7, 32)
    assert y.numpy().min() >= 0 and (y.numpy() > 0).any()
    conv2 = Conv2D(filters=32, kernel_size=3, strides=2, input_shape=(28, 28, 1))
    assert conv2(np.zeros((4, 28, 28, 1), np.float32)).shape == (4, 13, 13, 32)
    assert conv2.compute_output_shape((None, 28, 28, 1)) == (None, 13, 13, 32)
    assert Conv2D(8, 3, padding="same", strides=2).compute_output_shape((None, 7, None, 2)) == (None, 4, None, 8)


def test_layer_matches_the_op_and_other_activations():
    x = R.standard_normal((2, 6, 6, 3)).astype(np.float32)
    conv = Conv2D(4, 3, activation="tanh", padding="same", dilation_rate=(1, 2), bias_initializer="ones")
    y = conv(x).numpy()
    ref = conv_ops.conv2d(x, conv.kernel.numpy(), conv.bias.numpy(), padding="same", dilation_rate=(1, 2))
    np.testing.assert_allclose(y, np.tanh(ref.numpy()), rtol=1e-5, atol=1e-6)


def test_stride_aliases_and_conflicts():
    assert Conv2D(4, 3, stride=2).strides == (2, 2) == Conv2D(4, 3, strides=(2, 2), stride=2).strides
    with pytest.raises(ValueError, match="both strides=1 and stride=2"):
        Conv2D(4, 3, strides=1, stride=2)
    with pytest.raises(ValueError, match="both filters=4 and out_channels=8"):
        Conv2D(4, 3, out_channels=8)
    with pytest.raises(TypeError, match="needs filters"):
        Conv2D(kernel_size=3)
    with pytest.raises(ValueError, match="kernel_size must be an int or a pair"):
        Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match="padding must be"):
        Conv2D(4, 3, padding="causal")
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        Conv2D(4, 3, groups=2)


def test_bad_inputs_name_the_layer_and_the_expected_layout():
    conv = Conv2D(8, 3)
    with pytest.raises(ValueError, match=r"Layer 'conv2d' \(Conv2D\) expected 4-D input \(batch, height, width, "
                                         r"channels\) for data_format='channels_last', got shape \(28, 28, 1\)"):
        conv(np.zeros((28, 28, 1)))
    conv(np.zeros((1, 8, 8, 3)))
    with pytest.raises(ValueError, match=r"expected 3 input channels on axis 3 .* got shape \(1, 8, 8, 4\)"):
        conv(np.zeros((1, 8, 8, 4)))
    seed = Conv2D(in_channels=1, out_channels=2, kernel_size=3, data_format="channels_first")
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\) for data_format='channels_first'"):
        seed(np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match=r"expected 1 input channel on axis 1"):
        seed(np.zeros((1, 3, 8, 8)))
    with pytest.raises(ValueError, match="too small"):
        Conv2D(2, 5)(np.zeros((1, 3, 3, 1)))


def test_channels_first_equals_transposed_channels_last():
    x = R.standard_normal((2, 7, 6, 3)).astype(np.float32)
    last = Conv2D(5, (3, 2), strides=(2, 1), padding="same")
    first = Conv2D(5, (3, 2), strides=(2, 1), padding="same", data_format="channels_first")
    last(x)
    first(x.transpose(0, 3, 1, 2))
    first.set_weights(last.get_weights())
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy(), last(x).numpy().transpose(0, 3, 1, 2),
                               rtol=1e-5, atol=1e-6)


def test_config_roundtrip():
    conv = Conv2D(6, (3, 2), strides=2, padding=((1, 0), (2, 1)), dilation_rate=1, activation="relu",
                  use_bias=False, kernel_initializer="he_normal", kernel_regularizer=L2(0.01),
                  data_format="channels_first", name="c1")
    clone = roundtrip(conv)
    assert clone.padding == ((1, 0), (2, 1)) and clone.use_bias is False and clone.name == "c1"
    seed = Conv2D(in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=1)
    clone = roundtrip(seed)
    x = R.standard_normal((1, 5, 5, 3)).astype(np.float32)
    clone(x)
    clone.set_weights(seed.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), seed(x).numpy())


def test_no_bias_regularizer_initializer_and_dtype():
    conv = Conv2D(3, 2, use_bias=False, kernel_regularizer="l2", initialization="ones", dtype="float64")
    y = conv(np.ones((1, 3, 3, 2)))
    assert conv.bias is None and [w.name for w in conv.weights] == ["kernel"]
    assert y.dtype == np.float64 and np.allclose(y.numpy(), 8.0)
    assert len(conv.losses) == 1 and conv.losses[0].item() > 0
    assert Conv2D(2, 3)(np.zeros((1, 4, 4, 1), dtype=np.uint8)).dtype == np.float32


@pytest.mark.parametrize("kwargs", [
    dict(strides=2, padding="same"),
    dict(dilation_rate=2, activation="relu"),
    dict(kernel_size=1),
    dict(padding="valid", strides=(1, 2)),
    dict(data_format="channels_first", padding="same", strides=2, activation="relu"),
])
def test_layer_gradients(kwargs):
    kwargs = dict(dict(kernel_size=3), **kwargs)
    conv = Conv2D(3, dtype="float64", bias_initializer="random_normal", **kwargs)
    shape = (2, 2, 7, 6) if kwargs.get("data_format") == "channels_first" else (2, 7, 6, 2)
    x = Tensor(R.standard_normal(shape) + 0.05, dtype="float64")  # keep relu away from its kink
    check_layer_grad(conv, x)


def test_runs_on_the_fake_device():
    from fake_device import FakeArray
    conv = Conv2D(in_channels=2, out_channels=3, kernel_size=3, padding="same", device="fake")
    y = conv(Tensor(R.standard_normal((2, 5, 5, 2)), device="fake"))
    assert isinstance(y.data, FakeArray) and y.shape == (2, 5, 5, 3)
    y.sum().backward()
    assert isinstance(conv.kernel.grad, FakeArray)


def test_a_small_convnet_learns():
    from kerasish.layers.core import Dense, Flatten
    from kerasish.layers.pooling import MaxPool2D
    from kerasish.ops import softmax_cross_entropy
    from kerasish.optimizers import Adam
    x = R.standard_normal((32, 8, 8, 1)).astype(np.float32)
    y = (x[:, :4].sum(axis=(1, 2, 3)) > x[:, 4:].sum(axis=(1, 2, 3))).astype(np.int64)  # top vs bottom half
    layers = [Conv2D(in_channels=1, out_channels=4, kernel_size=3, padding=1), MaxPool2D(kernel_size=2, stride=2),
              Flatten(), Dense(64, 2)]
    params = [p for layer in layers for p in layer.parameters]
    opt = Adam(params, lr=0.01)

    def loss_value():
        h = Tensor(x)
        for layer in layers:
            h = layer(h)
        return softmax_cross_entropy(h, y).mean()
    first = loss_value().item()
    for _ in range(30):
        opt.zero_grad()
        loss = loss_value()
        loss.backward()
        opt.step()
    assert loss_value().item() < 0.5 * first
