"""Conv2DTranspose: Keras numbers and shapes, gradients, config, saving, fake device, errors."""
import itertools
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.layers.conv_transpose import Conv2DTranspose
from kerasish.layers.core import Dense, Flatten
from kerasish.ops.conv_transpose import conv2d_transpose, conv_transpose_output_shape
from layer_grad import check_layer_grad

R = np.random.default_rng(11)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def _random_bias(layer):
    weights = layer.get_weights()
    if len(weights) == 2:
        weights[1] = R.standard_normal(weights[1].shape).astype("float32")
        layer.set_weights(weights)
    return weights


def test_matches_keras_over_strides_padding_and_output_padding():
    keras = _keras()
    worst = 0.0
    cases = [(k, s, p, op) for k, s, p, op in itertools.product((1, 2, 3), (2, 3), ("valid", "same"),
                                                                 (None, 0, 1, 2)) if op is None or op < s]
    cases += [(3, 1, "same", None), (2, 1, "valid", 0), (3, 1, "same", None, 2), (2, 1, "valid", None, 2)]
    for case in cases:
        k, s, p, op, d = (*case, 1)[:5]
        x = R.standard_normal((2, 3, 4, 3)).astype("float32")
        s2 = max(s - 1, 1)
        theirs = keras.layers.Conv2DTranspose(4, (k, k + 1 if d == 1 else k), strides=(s, s2), padding=p,
                                              output_padding=None if op is None else (op, min(op, s2 - 1)),
                                              dilation_rate=d)
        theirs(x)
        if 0 in theirs.compute_output_shape(x.shape):
            continue
        weights = _random_bias(theirs)
        expected = keras.ops.convert_to_numpy(theirs(x))
        ours = Conv2DTranspose(**{k_: v for k_, v in theirs.get_config().items()
                                  if k_ not in ("name", "dtype", "trainable")})
        ours(x)
        ours.set_weights(weights)
        y = ours(x).numpy()
        assert y.shape == expected.shape == ours.compute_output_shape(x.shape), case
        assert ours.count_params() == theirs.count_params()
        worst = max(worst, float(np.abs(y - expected).max()))
    print(f"conv2d_transpose max abs diff vs Keras: {worst:.2e} over {len(cases)} configs")
    assert worst < 1e-5


def test_channels_first_and_activation_match_keras():
    keras = _keras()
    x = R.standard_normal((2, 3, 5, 4)).astype("float32")
    theirs = keras.layers.Conv2DTranspose(2, 3, strides=2, padding="same", data_format="channels_first",
                                          activation="relu")
    theirs(x)
    weights = _random_bias(theirs)
    ours = Conv2DTranspose(2, 3, strides=2, padding="same", data_format="channels_first", activation="relu")
    ours(x)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), atol=1e-5)
    assert ours.kernel.shape == (3, 3, 2, 3)


def test_keras_weight_file_loads_by_order(tmp_path):
    keras = _keras()
    theirs = keras.Sequential([keras.Input((5, 5, 2)), keras.layers.Conv2DTranspose(3, 3, strides=2),
                               keras.layers.Conv2DTranspose(2, 2, padding="same", use_bias=False),
                               keras.layers.Flatten(), keras.layers.Dense(2)])
    theirs.save_weights(str(tmp_path / "t.weights.h5"))
    ours = K.Sequential([K.Input(shape=(5, 5, 2)), Conv2DTranspose(3, 3, strides=2),
                         Conv2DTranspose(2, 2, padding="same", use_bias=False), Flatten(), Dense(2)])
    ours.load_weights(str(tmp_path / "t.weights.h5"))
    x = R.standard_normal((3, 5, 5, 2)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    assert ours.count_params() == theirs.count_params()


@pytest.mark.parametrize("kwargs", [
    dict(strides=2, padding="same"),
    dict(strides=(2, 3), padding="valid", output_padding=(1, 2)),
    dict(strides=3, padding="same", output_padding=0, kernel_size=2),
    dict(dilation_rate=2, activation="tanh"),
    dict(data_format="channels_first", strides=2, padding="same", output_padding=1),
])
def test_layer_gradients(kwargs):
    kwargs = dict(dict(kernel_size=3), **kwargs)
    layer = Conv2DTranspose(3, dtype="float64", bias_initializer="random_normal", **kwargs)
    shape = (2, 2, 3, 4) if kwargs.get("data_format") == "channels_first" else (2, 3, 4, 2)
    check_layer_grad(layer, Tensor(R.standard_normal(shape), dtype="float64"))


def test_functional_op_and_output_shapes():
    x = np.ones((1, 2, 2, 1))
    y = conv2d_transpose(x, np.ones((2, 2, 1, 1)), strides=2).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, np.ones((4, 4)))  # stride = kernel: each pixel fills its own patch
    y = conv2d_transpose(x, np.ones((3, 3, 1, 1))).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(y, [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2], [1, 2, 2, 1]])
    assert conv_transpose_output_shape((None, 7, None, 3), 8, 3, 2, "same") == (None, 14, None, 8)
    assert Conv2DTranspose(4, 3, strides=2).compute_output_shape((None, 5, 6, 2)) == (None, 11, 13, 4)
    assert Conv2DTranspose(4, 1, strides=3).compute_output_shape((None, 5, 6, 2)) == (None, 15, 18, 4)


def test_errors_name_the_layer_and_what_was_expected():
    with pytest.raises(ValueError, match=r"Conv2DTranspose 'up': output_padding must be .* smaller than strides"):
        Conv2DTranspose(2, 3, strides=2, output_padding=2, name="up")
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'causal'"):
        Conv2DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="strides > 1 cannot be combined with dilation_rate > 1"):
        Conv2DTranspose(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="filters must be a positive int"):
        Conv2DTranspose(0, 3)
    layer = Conv2DTranspose(2, 3, name="ct")
    with pytest.raises(ValueError, match=r"Layer 'ct' \(Conv2DTranspose\) expected 4-D input"):
        layer(np.zeros((4, 4, 1)))
    layer(np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match=r"expected 1 input channel on axis 3"):
        layer(np.zeros((1, 4, 4, 2)))
    with pytest.raises(ValueError, match=r"Layer 'e' \(Conv2DTranspose\).*empty output"):
        Conv2DTranspose(1, 2, padding="same", output_padding=0, name="e")(np.zeros((1, 1, 3, 1)))


def test_config_roundtrip_and_model_saving(tmp_path):
    layer = Conv2DTranspose(np.int64(3), (3, 2), strides=(2, 1), padding="same", output_padding=(1, 0),
                            activation="relu", use_bias=False, kernel_regularizer="l2", name="up")
    config = json.loads(json.dumps(layer.get_config()))
    assert Conv2DTranspose.from_config(config).get_config() == layer.get_config()
    model = K.Sequential([K.Input(shape=(4, 4, 2)), Conv2DTranspose(3, 3, strides=2, padding="same"),
                          Flatten(), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = R.standard_normal((3, 4, 4, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    for name in ("m.keras", "m.h5"):
        model.save(str(tmp_path / name))
        loaded = K.load_model(str(tmp_path / name))
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_fake_device_forward_backward_and_fit():
    from fake_device import FakeArray
    layer = Conv2DTranspose(2, 3, strides=2, padding="same", device="fake", dtype="float64")
    x = R.standard_normal((2, 3, 3, 2))
    y = layer(Tensor(x, device="fake", dtype="float64"))
    y.sum().backward()
    assert isinstance(y.data, FakeArray) and isinstance(layer.kernel.grad, FakeArray)
    cpu = Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64")
    cpu(x)
    cpu.set_weights(layer.get_weights())
    cpu(x).sum().backward()
    np.testing.assert_allclose(K.backend.to_numpy(layer.kernel.grad), cpu.kernel.grad, rtol=1e-10)
    model = K.Sequential([Conv2DTranspose(2, 2, strides=2), Flatten(), Dense(1)], device="fake")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(R.standard_normal((8, 3, 3, 1)).astype("float32"), np.ones((8, 1), "float32"),
                        epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
