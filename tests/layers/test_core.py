"""Dense, Flatten, Reshape, Dropout, Lambda."""
import json
import math

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.layers.core import Dense, Dropout, Flatten, Lambda, Reshape
from kerasish.regularizers import L1, L2
from kerasish.utils import check_grad, set_random_seed
from layer_grad import check_layer_grad

R = np.random.default_rng(1)


def roundtrip(layer):
    config = layer.get_config()
    json.dumps(config)  # JSON-friendly
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


# --- Dense --------------------------------------------------------------------------------
def test_dense_seed_example():
    input_tensor = Tensor(R.standard_normal((4, 128)), dtype=np.float32)
    dense = Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)
    assert dense.built and dense.kernel.shape == (128, 10) and dense.bias.shape == (10,)
    assert np.abs(dense.kernel.numpy()).max() <= math.sqrt(6 / 138)
    output = dense(input_tensor)
    assert output.shape == (4, 10) and output.dtype == np.float32
    np.testing.assert_allclose(output.numpy(), input_tensor.numpy() @ dense.kernel.numpy() + dense.bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert dense.count_params() == 1290
    assert [w.name for w in dense.weights] == ["kernel", "bias"]
    assert list(dense.state_dict()) == ["kernel", "bias"]


@pytest.mark.parametrize("make, in_dim, units", [
    (lambda: Dense(10, activation="softmax"), None, 10),
    (lambda: Dense(units=10, input_shape=(784,)), None, 10),
    (lambda: Dense(64, input_dim=20), None, 64),
    (lambda: Dense(64, "relu"), None, 64),
    (lambda: Dense(input_size=5, output_size=3), 5, 3),
    (lambda: Dense(5, output_size=3), 5, 3),
], ids=["activation", "input_shape", "input_dim", "positional_activation", "seed_keywords", "mixed"])
def test_dense_constructor_styles(make, in_dim, units):
    layer = make()
    assert layer.units == units
    assert layer.built == (in_dim is not None)
    x = Tensor(R.standard_normal((2, in_dim or (layer._input_shape_hint or (7,))[0])))
    assert layer(x).shape == (2, units)
    assert layer.kernel.shape == (x.shape[1], units)


def test_dense_keras_style_builds_lazily_with_activation():
    layer = Dense(10, activation="softmax")
    assert not layer.built and layer.kernel is None
    out = layer(R.standard_normal((3, 6)))
    np.testing.assert_allclose(out.numpy().sum(-1), 1.0, rtol=1e-6)
    assert layer.kernel.shape == (6, 10)


def test_dense_input_shape_error_names_layer_and_both_shapes():
    layer = Dense(784, 10)
    with pytest.raises(ValueError, match=r"'dense'.*784.*\(32, 100\)"):
        layer(Tensor(np.zeros((32, 100))))


@pytest.mark.parametrize("kwargs, match", [
    ({}, "needs `units`"),
    ({"units": 0}, "positive integer"),
    ({"units": 4, "activation": "nope"}, "Unknown activation 'nope'.*relu"),
    ({"units": 4, "kernel_initializer": "nope"}, "Unknown initializer 'nope'.*glorot_uniform"),
    ({"units": 4, "kernel_regularizer": "nope"}, "Unknown regularizer 'nope'.*l2"),
    ({"units": 4, "kernel_constraint": "max_norm"}, "not supported"),
])
def test_dense_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Dense(**kwargs)


@pytest.mark.parametrize("activation, use_bias", [(None, True), ("tanh", True), ("relu", False)])
def test_dense_grad_inputs_and_weights(activation, use_bias):
    layer = Dense(3, activation=activation, use_bias=use_bias, dtype="float64")
    x = R.standard_normal((4, 5)) + 0.1
    check_layer_grad(layer, Tensor(x, dtype="float64"))


def test_dense_on_nd_inputs():
    layer = Dense(3, dtype="float64", bias_initializer="ones")
    x = R.standard_normal((2, 4, 5))
    out = layer(x)
    assert out.shape == (2, 4, 3)
    np.testing.assert_allclose(out.numpy(), x @ layer.kernel.numpy() + 1.0)
    check_layer_grad(layer, Tensor(x, dtype="float64"))


def test_dense_dtype_device_and_integer_inputs():
    layer = Dense(2, 3, dtype="float64")
    assert layer.kernel.dtype == np.float64 and layer.kernel.device == "cpu"
    out = layer(np.array([[1, 2]]))
    assert out.dtype == np.float64
    fake = Dense(2, 3, device="fake")
    x = Tensor(np.ones((4, 2)), device="fake")
    y = fake(x)
    assert y.device == "fake"
    y.sum().backward()
    assert fake.kernel.grad.shape == (2, 3)


def test_dense_regularizers_in_losses():
    layer = Dense(4, 3, kernel_regularizer=L2(0.1), bias_regularizer=L1(0.2),
                  bias_initializer="ones", activity_regularizer="l2")
    k = layer.kernel.numpy()
    assert len(layer.losses) == 2
    np.testing.assert_allclose(layer.losses[0].item(), 0.1 * (k ** 2).sum(), rtol=1e-6)
    np.testing.assert_allclose(layer.losses[1].item(), 0.2 * 3, rtol=1e-6)
    out = layer(R.standard_normal((2, 4)))
    assert len(layer.losses) == 3
    np.testing.assert_allclose(layer.losses[2].item(), 0.01 * (out.numpy() ** 2).sum(), rtol=1e-5)
    layer.losses[0].backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.2 * k, rtol=1e-6)


def test_dense_config_roundtrip():
    layer = Dense(8, activation="relu", kernel_initializer="he_normal", kernel_regularizer=L2(1e-3),
                  use_bias=False, name="fc")
    clone = roundtrip(layer)
    assert clone.name == "fc" and clone.activation is layer.activation and not clone.use_bias
    seed_style = Dense(128, 10, initialization="xavier", dtype=np.float32)
    clone = roundtrip(seed_style)
    assert clone.units == 10 and clone(np.zeros((1, 128))).shape == (1, 10)


def test_dense_reads_keras_configs():
    keras_init = {"module": "keras.initializers", "class_name": "GlorotUniform",
                  "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}
    layer = Dense(units=5, activation="linear", kernel_initializer=keras_init,
                  bias_initializer={"class_name": "Zeros", "config": {}}, quantization_config=None)
    assert layer(np.zeros((1, 2))).shape == (1, 5)


# --- Flatten, Reshape -----------------------------------------------------------------------------
def test_flatten_seed_example_and_layouts():
    pooled = Tensor(R.standard_normal((2, 3, 4, 5)))
    flatten = Flatten()
    flat = flatten(pooled)
    assert flat.shape == (2, 60)
    np.testing.assert_array_equal(flat.numpy(), pooled.numpy().reshape(2, 60))
    cf = Flatten(data_format="channels_first")(pooled)
    np.testing.assert_array_equal(cf.numpy(), pooled.numpy().transpose(0, 2, 3, 1).reshape(2, 60))
    assert Flatten()(np.arange(3.0)).shape == (3, 1)
    with pytest.raises(ValueError, match="data_format"):
        Flatten(data_format="nchw")
    check_grad(Flatten(data_format="channels_first", dtype="float64"), R.standard_normal((2, 2, 3)))
    roundtrip(Flatten(data_format="channels_first"))


def test_reshape():
    x = R.standard_normal((3, 8))
    assert Reshape((2, 4))(x).shape == (3, 2, 4)
    assert Reshape((-1, 2))(x).shape == (3, 4, 2)
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(8,\)"):
        Reshape((3, 3))(x)
    with pytest.raises(ValueError, match="at most one -1"):
        Reshape((-1, -1))
    check_grad(lambda t: Reshape((4, 2), dtype="float64")(t) * 2, x)
    assert roundtrip(Reshape((2, -1))).target_shape == (2, -1)


# --- Dropout ------------------------------------------------------------------------------
def test_dropout_identity_in_eval_mode():
    x = Tensor(R.standard_normal((50, 40)))
    layer = Dropout(0.5)
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.train()
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x.numpy())
    assert Dropout(0.0)(x) is x


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_inverted_in_training_mode(rate):
    x = Tensor(np.ones((400, 250)), requires_grad=True)
    out = Dropout(rate)(x)
    y = out.numpy()
    kept = y != 0
    assert abs(1 - kept.mean() - rate) < 0.01                      # zeros fraction ~ rate
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)  # scale 1/(1-rate)
    assert abs(y.mean() - 1.0) < 0.03                               # mean preserved
    out.sum().backward()
    np.testing.assert_allclose(x.grad, y)                           # gradient uses the same mask


def test_dropout_grad_noise_shape_and_seed():
    def fn(t):
        set_random_seed(3)  # the same mask at every evaluation
        return Dropout(0.4, dtype="float64")(t)
    check_grad(fn, R.standard_normal((6, 5)))
    x = Tensor(np.ones((8, 3, 3, 4)))
    y = Dropout(0.5, noise_shape=(None, 1, 1, 4))(x).numpy()
    assert (y == y[:, :1, :1, :]).all()  # one decision per (sample, channel)
    a = Dropout(0.5, seed=7)(x).numpy()
    b = Dropout(0.5, seed=7)(x).numpy()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.5, noise_shape=(1, 2))(x)


def test_dropout_validation_config_and_device():
    for rate in (-0.1, 1.0, "half"):
        with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
            Dropout(rate)
    assert roundtrip(Dropout(0.3, noise_shape=(None, 1), seed=2)).noise_shape == (None, 1)
    out = Dropout(0.5, device="fake")(Tensor(np.ones((4, 4)), device="fake"))
    assert out.device == "fake"


# --- Lambda -------------------------------------------------------------------------------
def double(x, factor=2.0):
    return x * factor


def test_lambda():
    layer = Lambda(double, arguments={"factor": 3.0}, dtype="float64")
    np.testing.assert_allclose(layer(np.ones(2)).numpy(), [3.0, 3.0])
    check_grad(lambda t: layer(t), R.standard_normal(3))
    config = layer.get_config()
    assert config["function"] == "double"
    with pytest.raises(ValueError, match="custom_objects"):
        Lambda.from_config(config)
    clone = Lambda.from_config(config, custom_objects={"double": double})
    np.testing.assert_allclose(clone(np.ones(1)).numpy(), [3.0])
    with pytest.raises(TypeError, match="callable"):
        Lambda(3)


def test_dense_seed_sizes_with_keras_keywords():
    from kerasish.layers.core import Dense
    layer = Dense(784, 512, activation="relu", use_bias=False)
    assert layer.kernel.shape == (784, 512) and layer.bias is None
    assert Dense(64, "relu").units == 64
    import pytest
    with pytest.raises(TypeError, match="multiple values for argument 'activation'"):
        Dense(10, "relu", activation="tanh")
