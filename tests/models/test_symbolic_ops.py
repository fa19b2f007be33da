"""Math and slicing on symbolic tensors (TensorOp layers), layer.input_shape/output_shape, to_json."""
import json

import numpy as np
import pytest

from kerasish import ops
from kerasish.layers.core import Dense, Lambda
from kerasish.layers.input import Input
from kerasish.layers.merge import Add
from kerasish.layers.symbolic_ops import TensorOp
from kerasish.models.functional import Functional
from kerasish.saving.json_io import model_from_json
from kerasish.saving.model_io import load_model
from kerasish.tensor import Tensor
from kerasish.utils import check_grad, set_random_seed


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def _exprs(a, b):
    """name -> (symbolic expression, the same on numpy arrays)."""
    return {
        "mul": (a * 2, lambda x, y: x * 2),
        "rsub": (2 - a, lambda x, y: 2 - x),
        "div": (a / (b * b + 1.0), lambda x, y: x / (y * y + 1)),
        "neg": (-a, lambda x, y: -x),
        "pow": (a ** 2, lambda x, y: x ** 2),
        "slice": (a[:, :2], lambda x, y: x[:, :2]),
        "ellipsis": (a[..., 0], lambda x, y: x[..., 0]),
        "newaxis": (a[:, None, 1:4:2], lambda x, y: x[:, None, 1:4:2]),
        "concat": (ops.concatenate([a, b], axis=-1), lambda x, y: np.concatenate([x, y], -1)),
        "mean": (ops.mean(a, axis=1), lambda x, y: x.mean(1)),
        "sum": (ops.sum(a, axis=-1, keepdims=True), lambda x, y: x.sum(-1, keepdims=True)),
        "exp": (ops.exp(a), np.exp),
        "log": (ops.log(b * b + 1.0), lambda x, y: np.log(y * y + 1)),
        "tanh": (ops.tanh(a), lambda x, y: np.tanh(x)),
        "sigmoid": (ops.sigmoid(a), lambda x, y: 1 / (1 + np.exp(-x))),
        "relu": (ops.relu(a), lambda x, y: np.maximum(x, 0)),
        "softmax": (ops.softmax(a), lambda x, y: np.exp(x) / np.exp(x).sum(-1, keepdims=True)),
    }


_SHAPES = {"mul": (None, 4), "rsub": (None, 4), "div": (None, 4), "neg": (None, 4), "pow": (None, 4),
           "slice": (None, 2), "ellipsis": (None,), "newaxis": (None, 1, 2), "concat": (None, 8),
           "mean": (None,), "sum": (None, 1), "exp": (None, 4), "log": (None, 4), "tanh": (None, 4),
           "sigmoid": (None, 4), "relu": (None, 4), "softmax": (None, 4)}


@pytest.mark.parametrize("name", sorted(_SHAPES))
def test_op_shape_and_value_match_eager(name):
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    out, numpy_fn = _exprs(a, b)[name]
    assert out.shape == _SHAPES[name]
    layer = out._keras_history.layer
    assert isinstance(layer, TensorOp) and layer.output_shape == _SHAPES[name]
    x, y = _rand(5, 4), _rand(5, 4, seed=1)
    got = Functional([a, b], out)([x, y]).numpy()
    np.testing.assert_allclose(got, numpy_fn(x, y), rtol=1e-5, atol=1e-6)


def test_two_symbolic_tensors_still_use_merge_layers():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    assert isinstance((a + b)._keras_history.layer, Add)
    assert isinstance((a / b)._keras_history.layer, TensorOp)


def test_numpy_scalar_and_dtype_follow_the_input():
    a = Input(shape=(3,), dtype="float64")
    out = np.float64(2) * a
    assert isinstance(out._keras_history.layer, TensorOp) and out.dtype == "float64"
    assert Functional(a, out)(np.ones((2, 3))).dtype == np.float64


def test_bad_operands_raise_clear_errors():
    a = Input(shape=(3,))
    with pytest.raises(TypeError, match="Lambda"):
        a * np.ones(3)
    with pytest.raises(TypeError, match="Lambda"):
        a[[0, 1]]
    with pytest.raises(ValueError, match="unknown op 'eval'"):
        TensorOp("eval")


def test_real_tensors_unaffected_by_dispatch():
    x = Tensor(_rand(2, 3))
    np.testing.assert_allclose(ops.mean(x, axis=1).numpy(), x.numpy().mean(1), rtol=1e-6)
    np.testing.assert_allclose(ops.concatenate((t for t in [x, x]), axis=0).numpy(),
                               np.concatenate([x.numpy()] * 2))


def _model(dtype=None):
    a = Input(shape=(6,), dtype=dtype)
    h = Dense(8, activation="tanh", dtype=dtype)(a)
    mixed = ops.concatenate([h[:, :4] * 0.5, ops.sigmoid(h[..., 4:]) ** 2], axis=-1)
    mixed = -mixed + 1.0 - ops.exp(ops.tanh(h)) / (ops.relu(h) + 2.0)
    feat = ops.log(ops.sum(ops.softmax(mixed) + 1.0, axis=-1, keepdims=True)) + ops.mean(mixed, axis=1)[:, None]
    out = Dense(1, dtype=dtype)(ops.concatenate([mixed, feat], axis=-1))
    return Functional(a, out)


def test_model_trains_with_fit():
    set_random_seed(0)
    model = _model()
    x = _rand(64, 6)
    y = (x[:, :1] - 0.5 * x[:, 1:2]).astype(np.float32)
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.7 * losses[0]


def test_gradient_check_float64():
    set_random_seed(1)
    model = _model("float64")
    assert check_grad(lambda x: model(x), _rand(3, 6).astype(np.float64)) < 1e-6


def test_config_json_and_save_round_trips(tmp_path):
    set_random_seed(2)
    model = _model()
    x = _rand(5, 6)
    expected = model(x).numpy()

    clone = Functional.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone(x).numpy(), expected)
    assert [type(l).__name__ for l in clone.layers] == [type(l).__name__ for l in model.layers]

    text = model.to_json()
    again = model_from_json(text)
    again.set_weights(model.get_weights())
    np.testing.assert_array_equal(again(x).numpy(), expected)
    assert again.to_json() == text

    for name in ("m.h5",):
        model.save(tmp_path / name)
        np.testing.assert_array_equal(load_model(tmp_path / name)(x).numpy(), expected)


def test_model_from_json_rejects_bad_input():
    with pytest.raises(ValueError, match="not valid JSON"):
        model_from_json("{not json")
    with pytest.raises(ValueError, match="serialized model"):
        model_from_json("[1, 2]")
    with pytest.raises(TypeError, match="JSON string"):
        model_from_json({"class_name": "Functional"})
    bad = json.dumps({"class_name": "TensorOp", "config": {"op": "system"}, "backend": "kerasish"})
    with pytest.raises(ValueError, match="unknown op"):
        model_from_json(bad)
    lam = Input(shape=(2,))
    text = Functional(lam, Lambda(_negative)(lam)).to_json()
    with pytest.raises(ValueError, match="custom_objects"):
        model_from_json(text)
    assert model_from_json(text, custom_objects={"_negative": _negative}) is not None


def _negative(x):
    return -x


def test_input_shape_and_output_shape():
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    dense = Dense(3)
    out = dense(a)
    assert (dense.input_shape, dense.output_shape) == ((None, 4), (None, 3))
    assert a._keras_history.layer.output_shape == (None, 4)
    add = Add()
    add([a, b])
    assert add.input_shape == [(None, 4), (None, 4)]
    model = Functional([a, b], [out, out * 2])
    assert model.input_shape == [(None, 4), (None, 4)] and model.output_shape == [(None, 3), (None, 3)]
    dense(Input(shape=(4,)))  # a second call with the same shapes keeps one answer
    assert dense.output_shape == (None, 3)
    shared = Dense(2)
    shared(Input(shape=(3,)))
    with pytest.raises(AttributeError, match="different shapes"):
        shared(Input(shape=(5, 3)))
        shared.input_shape
    with pytest.raises(AttributeError, match="no output yet"):
        Dense(2).output_shape
