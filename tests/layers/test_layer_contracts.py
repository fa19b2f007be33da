"""Contracts every layer of kerasish.layers keeps (DESIGN §4, §6, §10).

One table of layers drives four checks: forward AND backward on the CuPy-like 'fake'
device match the CPU; `compute_output_shape` matches the real output; `get_config()` is
JSON and rebuilds an equal layer; and every layer takes `dtype=` and `device=`.
"""
import json

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.activations import ELU, Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from kerasish.layers.base import Layer
from kerasish.layers.conv import Conv2D
from kerasish.layers.core import Dense, Dropout, Flatten, Lambda, Reshape
from kerasish.layers.embedding import Embedding
from kerasish.layers.normalization import BatchNormalization, LayerNormalization
from kerasish.layers.padding import ZeroPadding2D
from kerasish.layers.pooling import (AveragePooling2D, GlobalAveragePooling2D, GlobalMaxPooling2D, MaxPool2D,
                                     MaxPooling2D)

R = np.random.default_rng(3)

# name -> (factory taking **common kwargs, input shape); inputs are float64 normals
LAYERS = {
    "dense": (lambda **kw: Dense(3, activation="tanh", **kw), (2, 4)),
    "dense_seed_3d": (lambda **kw: Dense(4, 3, **kw), (2, 5, 4)),
    "conv_same_cf": (lambda **kw: Conv2D(3, 3, padding="same", data_format="channels_first", **kw), (2, 2, 5, 5)),
    "conv_relu_s2": (lambda **kw: Conv2D(3, (3, 2), strides=2, activation="relu", **kw), (2, 7, 7, 2)),
    "conv_seed_dilated": (lambda **kw: Conv2D(in_channels=1, out_channels=2, kernel_size=3, stride=1, padding=1,
                                              dilation_rate=2, **kw), (2, 7, 7, 1)),
    "maxpool_same": (lambda **kw: MaxPool2D(3, strides=2, padding="same", **kw), (2, 7, 7, 2)),
    "maxpool_cf_int": (lambda **kw: MaxPooling2D(kernel_size=3, stride=1, padding=1, data_format="channels_first",
                                                 **kw), (2, 2, 5, 5)),
    "avgpool_same": (lambda **kw: AveragePooling2D(3, strides=2, padding="same", **kw), (2, 7, 7, 2)),
    "avgpool_cf": (lambda **kw: AveragePooling2D((2, 3), data_format="channels_first", **kw), (2, 2, 6, 6)),
    "global_avg": (lambda **kw: GlobalAveragePooling2D(**kw), (2, 3, 3, 2)),
    "global_max_cf": (lambda **kw: GlobalMaxPooling2D(data_format="channels_first", keepdims=True, **kw),
                      (2, 2, 3, 3)),
    "zero_padding": (lambda **kw: ZeroPadding2D(((1, 0), (2, 1)), **kw), (2, 3, 3, 2)),
    "flatten_cf": (lambda **kw: Flatten(data_format="channels_first", **kw), (2, 2, 3, 3)),
    "reshape": (lambda **kw: Reshape((3, -1), **kw), (2, 6)),
    "dropout": (lambda **kw: Dropout(0.5, **kw), (4, 6)),
    "dropout_seeded": (lambda **kw: Dropout(0.5, noise_shape=(None, 1), seed=1, **kw), (4, 6)),
    "batch_norm": (lambda **kw: BatchNormalization(axis=1, momentum=0.9, **kw), (4, 3, 2, 2)),
    "layer_norm": (lambda **kw: LayerNormalization(axis=[1, 2], **kw), (4, 3, 2)),
    "activation_gelu": (lambda **kw: Activation("gelu", **kw), (2, 3)),
    "relu_options": (lambda **kw: ReLU(max_value=1.0, negative_slope=0.1, threshold=0.2, **kw), (2, 3)),
    "leaky_relu": (lambda **kw: LeakyReLU(negative_slope=0.2, **kw), (2, 3)),
    "elu": (lambda **kw: ELU(0.5, **kw), (2, 3)),
    "softmax": (lambda **kw: Softmax(axis=0, **kw), (2, 3)),
    "tanh": (lambda **kw: Tanh(**kw), (2, 3)),
    "sigmoid": (lambda **kw: Sigmoid(**kw), (2, 3)),
}


def _run(make, shape, device):
    K.utils.set_random_seed(0)
    layer = make(device=device, dtype="float64")
    x = Tensor(np.random.default_rng(1).standard_normal(shape), dtype="float64", device=device,
               requires_grad=True)
    y = layer(x)
    (y * y).sum().backward()
    return layer, y, x


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_forward_and_backward_on_the_fake_device_match_the_cpu(name):
    from fake_device import FakeArray
    make, shape = LAYERS[name]
    cpu, y_cpu, x_cpu = _run(make, shape, "cpu")
    fake, y_fake, x_fake = _run(make, shape, "fake")
    assert isinstance(y_fake.data, FakeArray) and isinstance(x_fake.grad, FakeArray)
    np.testing.assert_allclose(y_fake.numpy(), y_cpu.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(K.backend.to_numpy(x_fake.grad), x_cpu.grad, rtol=1e-10, atol=1e-12)
    for w_cpu, w_fake in zip(cpu.weights, fake.weights):
        assert isinstance(w_fake.data, FakeArray)
        np.testing.assert_allclose(w_fake.numpy(), w_cpu.numpy(), rtol=1e-10, atol=1e-12)
        if w_cpu.requires_grad:
            np.testing.assert_allclose(K.backend.to_numpy(w_fake.grad), w_cpu.grad, rtol=1e-10, atol=1e-12)


def test_embedding_forward_and_backward_on_the_fake_device():
    layer = Embedding(5, 2, device="fake")
    out = layer(Tensor(np.array([[1, 4], [1, 0]]), device="fake"))
    out.sum().backward()
    np.testing.assert_array_equal(K.backend.to_numpy(layer.embeddings.grad)[:, 0], [1, 2, 0, 0, 1])


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_compute_output_shape_matches_the_output(name):
    make, shape = LAYERS[name]
    layer = make()
    out = layer(R.standard_normal(shape))
    assert layer.compute_output_shape(shape) == out.shape
    assert layer.compute_output_shape((None, *shape[1:]))[1:] == out.shape[1:]


def test_compute_output_shape_of_embedding_and_flatten_with_unknown_sizes():
    assert Embedding(10, 4).compute_output_shape((None, 7)) == (None, 7, 4)
    assert Flatten().compute_output_shape((None, 3, None)) == (None, None)
    assert Flatten().compute_output_shape((None, 3, 4)) == (None, 12)
    assert Reshape((-1, 2)).compute_output_shape((None, 6)) == (None, 3, 2)
    assert Dense(5).compute_output_shape((None, 2, 3)) == (None, 2, 5)


def _json_roundtrip(layer):
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config()
    return clone


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_config_is_json_and_rebuilds_an_equal_layer(name):
    make, shape = LAYERS[name]
    layer = make(dtype="float64", trainable=False, name=f"my_{name}")
    clone = _json_roundtrip(layer)
    assert clone.name == f"my_{name}" and np.dtype(clone.dtype) == np.float64 and not clone.trainable


def test_numpy_scalars_in_arguments_give_json_configs():
    layers = [Dropout(np.float32(0.25), noise_shape=(None, np.int64(1)), seed=np.int64(3)),
              Softmax(axis=np.int64(1)), ReLU(max_value=np.float32(6), negative_slope=np.float64(0.5),
                                              threshold=np.int32(1)),
              LeakyReLU(np.float32(0.5)), ELU(np.float32(0.5)), Reshape((np.int64(2), -1)),
              Conv2D(np.int64(4), np.int64(3), strides=np.int64(2), padding=np.int64(1)),
              MaxPool2D(np.int64(2)), BatchNormalization(axis=np.int64(1), momentum=np.float32(0.5))]
    for layer in layers:
        clone = _json_roundtrip(layer)
        assert clone.get_config() == layer.get_config()
    assert layers[0].rate == 0.25 and layers[0].seed == 3


def test_seed_style_dense_config_keeps_its_input_size():
    dense = Dense(3, 4, initialization="xavier")
    clone = _json_roundtrip(dense)
    assert clone.built and clone.kernel.shape == (3, 4)
    assert "input_size" not in Dense(4).get_config()


def test_seed_style_conv2d_config_keeps_its_input_channels():
    conv = Conv2D(in_channels=3, out_channels=4, kernel_size=3, stride=1, padding=1)
    clone = _json_roundtrip(conv)
    assert clone.built and clone.kernel.shape == (3, 3, 3, 4)
    clone.set_weights(conv.get_weights())
    x = R.standard_normal((1, 5, 5, 3))
    np.testing.assert_allclose(clone(x).numpy(), conv(x).numpy())
    assert "in_channels" not in Conv2D(4, 3).get_config()  # Keras style stays Keras's config


def test_seed_style_conv_model_saves_and_loads(tmp_path):
    model = K.Sequential([Conv2D(in_channels=1, out_channels=2, kernel_size=3), Flatten(), Dense(8, 2)])
    model.compile(optimizer="sgd", loss="mse")
    x = R.standard_normal((3, 4, 4, 1)).astype(np.float32)
    expected = model.predict(x, verbose=0)
    model.save(str(tmp_path / "m.h5"))
    loaded = K.load_model(str(tmp_path / "m.h5"))
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_size_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"Layer 'pool' \(MaxPooling2D\).*\(2, 2\).*\(3, 3\)"):
        MaxPool2D(3, name="pool")(np.zeros((1, 2, 2, 1)))
    with pytest.raises(ValueError, match=r"Layer 'c' \(Conv2D\).*\(2, 2\).*\(5, 5\)"):
        Conv2D(2, 5, name="c")(np.zeros((1, 2, 2, 1)))
    with pytest.raises(ValueError, match=r"Layer 'avg' \(AveragePooling2D\).*at most half the pool size"):
        AveragePooling2D(2, padding=2, name="avg")(np.zeros((1, 4, 4, 1)))


def test_dropout_accepts_numpy_rates_and_rejects_bad_ones():
    assert Dropout(np.float32(0.5)).rate == 0.5
    for bad in (1.0, -0.1, "0.5", True):
        with pytest.raises(ValueError, match="rate must be a number in"):
            Dropout(bad)


# --- DESIGN §10: Conv2D / pooling keywords -----------------------------------------------------
def test_conv_and_pooling_accept_seed_and_keras_keywords_alike():
    x = R.standard_normal((2, 7, 6, 3))
    keras = Conv2D(4, 3, strides=2, padding="same", kernel_initializer="ones", use_bias=False)
    seed = Conv2D(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding="same",
                  initialization="ones", use_bias=False)
    np.testing.assert_allclose(keras(x).numpy(), seed(x).numpy(), rtol=1e-6)
    for cls in (MaxPool2D, AveragePooling2D):
        a, b = cls(pool_size=3, strides=2, padding="same")(x), cls(kernel_size=3, stride=2, padding="same")(x)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        assert a.shape == (2, 4, 3, 3)
    # padding: int, pair, 'valid' (the default), 'same'
    assert Conv2D(1, 3, padding=1)(x).shape == (2, 7, 6, 1)
    assert Conv2D(1, 3, padding=(0, 1))(x).shape == (2, 5, 6, 1)
    assert Conv2D(1, 3)(x).shape == Conv2D(1, 3, padding="valid")(x).shape == (2, 5, 4, 1)


def test_same_padding_puts_the_extra_row_and_column_bottom_right_in_layers():
    # a 4x4 image of 1..16, a 2x2 all-ones kernel: the last row/column sums only real pixels and zeros
    x = np.arange(1.0, 17.0).reshape(1, 4, 4, 1)
    conv = Conv2D(1, 2, padding="same", kernel_initializer="ones", use_bias=False, dtype="float64")
    out = conv(x).numpy()[0, :, :, 0]
    assert out[0, 0] == 1 + 2 + 5 + 6 and out[3, 3] == 16 and out[3, 0] == 13 + 14
    pooled = MaxPool2D(2, strides=1, padding="same")(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(pooled[3], [14, 15, 16, 16])
    avg = AveragePooling2D(2, strides=1, padding="same", dtype="float64")(x).numpy()[0, :, :, 0]
    assert avg[3, 3] == 16 and avg[0, 0] == (1 + 2 + 5 + 6) / 4


@pytest.mark.parametrize("cls", [Conv2D, MaxPool2D, AveragePooling2D, GlobalMaxPooling2D, ZeroPadding2D])
def test_channels_first_equals_transposed_channels_last(cls):
    args = {Conv2D: (2, 3), MaxPool2D: (2,), AveragePooling2D: (2,)}.get(cls, ())
    x = R.standard_normal((2, 6, 5, 3))
    last = cls(*args, dtype="float64")
    first = cls(*args, dtype="float64", data_format="channels_first")
    y_last = last(x)
    if last.weights:
        first(x.transpose(0, 3, 1, 2))
        first.set_weights(last.get_weights())
    y_first = first(x.transpose(0, 3, 1, 2)).numpy()
    expected = y_last.numpy() if y_last.ndim == 2 else y_last.numpy().transpose(0, 3, 1, 2)
    np.testing.assert_allclose(y_first, expected, rtol=1e-12)


# --- DESIGN §6: a custom layer with build(input_shape) + add_weight --------------------------
class Scale(Layer):
    """y = x * w + b, with a non-trainable call counter: Keras 3's custom-layer shape."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=True, name="w")
        self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros", trainable=True, name="b")
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, x):
        self.calls.data += 1
        return x * self.w + self.b


def test_custom_layer_with_build_and_add_weight_trains_in_a_model():
    layer = Scale()
    model = K.Sequential([K.Input(shape=(3,)), layer, Dense(1)])
    assert layer.built and [w.name for w in layer.weights] == ["w", "b", "calls"]
    assert layer.trainable_weights == [layer.w, layer.b] and layer.non_trainable_weights == [layer.calls]
    assert layer.count_params() == 7
    x = R.standard_normal((32, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model.compile(optimizer=K.SGD(learning_rate=0.05), loss="mse")
    before = layer.get_weights()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    after = layer.get_weights()
    assert not np.allclose(before[0], after[0]) and after[2] > before[2]
    assert layer.w.device == "cpu" and layer.w.dtype == np.float32


# --- training mode: Dropout and BatchNormalization in fit / evaluate / predict -----------------
class _Spy(Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return x


def test_fit_trains_and_evaluate_predict_infer_with_dropout_and_batch_norm():
    x = R.normal(3.0, 2.0, (64, 4)).astype(np.float32)
    y = (x.sum(axis=1) > 12).astype(np.int64)
    spy, dropout, bn = _Spy(), Dropout(0.5), BatchNormalization()
    model = K.Sequential([K.Input(shape=(4,)), dropout, bn, spy, Dense(2)])
    model.compile(optimizer="sgd", loss=K.SparseCategoricalCrossentropy(from_logits=True))
    spy.modes.clear()  # building the model ran one inference-mode call
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert spy.modes and all(spy.modes)
    moving = bn.moving_mean.numpy().copy()
    assert np.all(moving > 0)  # fit updated the moving statistics towards the data's mean of 3
    spy.modes.clear()
    model.evaluate(x, y, verbose=0)
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert spy.modes and not any(spy.modes)
    np.testing.assert_array_equal(first, second)  # no dropout, moving statistics: deterministic
    np.testing.assert_array_equal(bn.moving_mean.numpy(), moving)
    # the inference output is what the layers give in eval mode, and fit restored training mode
    assert model.training and dropout.training and bn.training
    np.testing.assert_allclose(model.eval()(x).numpy(), first, rtol=1e-6)
