"""Functional API: Input, symbolic calls, Model(inputs, outputs), merge layers, config."""
import json

import numpy as np
import pytest

from kerasish.layers.base import Layer
from kerasish.layers.core import Dense
from kerasish.layers.input import Input, InputLayer, KerasTensor
from kerasish.layers.merge import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract,
                                   add, concatenate)
from kerasish.models.functional import Functional
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.tensor import Tensor
from kerasish.utils import check_grad


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


# --- Input and symbolic tensors --------------------------------------------------------------
def test_input_is_a_symbolic_tensor():
    x = Input(shape=(28, 28, 1), name="img")
    assert isinstance(x, KerasTensor)
    assert x.shape == (None, 28, 28, 1) and x.dtype == "float32" and x.ndim == 4
    layer, node_index, tensor_index = x._keras_history
    assert isinstance(layer, InputLayer) and layer.name == "img" and (node_index, tensor_index) == (0, 0)
    assert Input(shape=(3,), batch_size=8, dtype="int32").shape == (8, 3)
    assert Input(batch_shape=(4, 2)).shape == (4, 2)
    assert Input(shape=5).shape == (None, 5)


def test_input_errors():
    with pytest.raises(ValueError, match="shape"):
        Input()
    with pytest.raises(ValueError, match="non-negative"):
        Input(shape=(-1, 3))
    with pytest.raises(TypeError, match="tuple of ints"):
        Input(shape="abc")
    with pytest.raises(TypeError, match="symbolic"):
        np.asarray(Input(shape=(2,)))


def test_layer_call_on_symbolic_tensor_records_a_node():
    x = Input(shape=(6,))
    dense = Dense(4, name="d")
    y = dense(x)
    assert isinstance(y, KerasTensor) and y.shape == (None, 4)
    assert y._keras_history == (dense, 0, 0)
    assert dense.input is x and dense.output is y
    assert dense.built and dense.kernel.shape == (6, 4)
    z = dense(Input(shape=(6,)))
    assert z._keras_history.node_index == 1 and dense.output is y  # layer.output = first node's


def test_unknown_non_batch_sizes_stay_unknown():
    class Total(Layer):
        def forward(self, x):
            return x.sum(axis=1)

    seq = Input(shape=(None, 8))
    out = Dense(3)(seq)
    assert out.shape == (None, None, 3)
    assert Total()(out).shape == (None, 3)


def test_symbolic_shape_errors_name_the_layer():
    x = Input(shape=(6,))
    dense = Dense(4, name="d4")
    dense(x)
    with pytest.raises(ValueError, match=r"d4.*\(None, 5\)"):
        dense(Input(shape=(5,)))


def test_keras_tensor_operators_make_merge_layers():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b], [a + b, a - b, a * b])
    xa, xb = _rand(2, 3), _rand(2, 3, seed=1)
    s, d, p = model([xa, xb])
    np.testing.assert_allclose(s.numpy(), xa + xb, rtol=1e-6)
    np.testing.assert_allclose(d.numpy(), xa - xb, rtol=1e-6)
    np.testing.assert_allclose(p.numpy(), xa * xb, rtol=1e-6)
    with pytest.raises(TypeError, match="Lambda"):
        a + np.ones(3)  # numbers work (TensorOp layers); arrays need a Lambda


# --- models -----------------------------------------------------------------------------------
def _two_input_shared():
    a, b = Input(shape=(5,), name="a"), Input(shape=(5,), name="b")
    shared = Dense(3, name="shared")
    out = Dense(1, name="head")(Concatenate()([shared(a), shared(b)]))
    return Model([a, b], out), shared


def test_model_returns_functional_with_input_layers_first():
    model, shared = _two_input_shared()
    assert isinstance(model, Functional) and isinstance(model, Model)
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "concatenate", "head"]
    assert [type(layer).__name__ for layer in model.layers[:2]] == ["InputLayer", "InputLayer"]
    assert [t.shape for t in model.inputs] == [(None, 5), (None, 5)]
    assert model.outputs[0].shape == (None, 1)
    assert list(model.state_dict()) == ["shared.kernel", "shared.bias", "head.kernel", "head.bias"]
    assert model.input_names == ["a", "b"] and model.output_names == ["head"]


def test_shared_layer_gets_gradients_from_both_branches():
    model, shared = _two_input_shared()
    xa, xb = _rand(4, 5), _rand(4, 5, seed=1)
    out = model([xa, xb])
    assert out.shape == (4, 1)
    out.sum().backward()
    # Reference: the kernel's gradient is the sum of the two branches' contributions.
    head_w = model.get_layer("head").kernel.numpy()
    g_a = xa.T @ np.tile(head_w[:3, 0], (4, 1))
    g_b = xb.T @ np.tile(head_w[3:, 0], (4, 1))
    np.testing.assert_allclose(shared.kernel.grad, g_a + g_b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(shared.bias.grad, 4 * (head_w[:3, 0] + head_w[3:, 0]), rtol=1e-5)


def test_functional_gradient_check_float64():
    a, b = Input(shape=(3,), dtype="float64"), Input(shape=(3,), dtype="float64")
    shared = Dense(2, activation="tanh", dtype="float64")
    out = Dense(1, dtype="float64")(Add(dtype="float64")([shared(a), shared(b)]))
    model = Model([a, b], out)
    assert check_grad(lambda x, y: model([x, y]), _rand(3, 3).astype(np.float64),
                      _rand(3, 3, seed=1).astype(np.float64)) < 1e-6


def test_multi_output_list_and_dict():
    x = Input(shape=(4,))
    h = Dense(6, activation="relu")(x)
    cls, reg = Dense(3, name="cls")(h), Dense(1, name="reg")(h)
    as_list = Model(x, [cls, reg])
    y1, y2 = as_list(_rand(2, 4))
    assert (y1.shape, y2.shape) == ((2, 3), (2, 1))
    assert as_list.output_names == ["cls", "reg"]
    as_dict = Model(inputs=x, outputs={"c": cls, "r": reg})
    out = as_dict(_rand(2, 4))
    assert set(out) == {"c", "r"} and out["r"].shape == (2, 1)
    assert as_dict.output_names == ["c", "r"]
    (out["c"].sum() + out["r"].sum()).backward()
    assert all(np.abs(p.grad).sum() > 0 for p in as_dict.parameters)


def test_inputs_as_tuple_and_dict_by_name():
    model, _ = _two_input_shared()
    xa, xb = _rand(2, 5), _rand(2, 5, seed=1)
    ref = model([xa, xb]).numpy()
    np.testing.assert_allclose(model((xa, xb)).numpy(), ref)
    np.testing.assert_allclose(model({"b": xb, "a": xa}).numpy(), ref)
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model({"a": xa})


def test_dict_inputs_model():
    a, b = Input(shape=(2,)), Input(shape=(3,))
    model = Model({"left": a, "right": b}, Concatenate()([a, b]))
    out = model({"right": np.ones((1, 3)), "left": np.zeros((1, 2))})
    np.testing.assert_allclose(out.numpy(), [[0, 0, 1, 1, 1]])


def test_wrong_number_of_inputs_names_expected_and_given():
    model, _ = _two_input_shared()
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*received 3"):
        model([_rand(2, 5)] * 3)
    with pytest.raises(ValueError, match=r"expects 2 inputs.*received 1"):
        model(_rand(2, 5))


def test_wrong_input_shape_is_named():
    model, _ = _two_input_shared()
    with pytest.raises(ValueError, match=r"Input 'a'.*\(None, 5\).*\(2, 4\)"):
        model([_rand(2, 4), _rand(2, 5)])


def test_one_axis_rank_leniency_and_input_dtype_cast():
    x = Input(shape=(1,))
    model = Model(x, Dense(2)(x))
    assert model(np.arange(4.0)).shape == (4, 2)
    flat = Input(shape=())
    assert Model(flat, flat)(np.ones((3, 1))).shape == (3,)
    assert model(np.ones((2, 1), np.float64)).dtype == np.float32


def test_feature_extractor_shares_layers():
    x = Input(shape=(4,))
    h = Dense(8, activation="relu", name="hidden")(x)
    out = Dense(2, name="out")(h)
    model = Model(x, out)
    features = Model(inputs=model.inputs, outputs=model.get_layer("hidden").output)
    data = _rand(3, 4)
    hidden = model.get_layer("hidden")
    expected = np.maximum(data @ hidden.kernel.numpy() + hidden.bias.numpy(), 0)
    np.testing.assert_allclose(features(data).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert features.get_layer("hidden") is hidden
    assert [layer.name for layer in features.layers] == [model.layers[0].name, "hidden"]


def test_graph_disconnected_and_bad_arguments():
    a, b = Input(shape=(2,), name="a"), Input(shape=(2,), name="b")
    out = Add()([a, b])
    with pytest.raises(ValueError, match=r"Graph disconnected.*'b'"):
        Model(a, out)
    with pytest.raises(TypeError, match="symbolic"):
        Model(a, np.zeros(2))
    with pytest.raises(ValueError, match="twice"):
        Model([a, a], out)


def test_duplicate_layer_names_are_refused():
    x = Input(shape=(2,))
    y = Dense(2, name="same")(Dense(2, name="same")(x))
    with pytest.raises(ValueError, match="unique"):
        Model(x, y)


def test_nested_models_as_layers():
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2, name="inner_dense")(inner_in), name="inner")
    x = Input(shape=(3,))
    y = Dense(1, name="top")(inner(x))
    outer = Model(x, y)
    assert [layer.name for layer in outer.layers][1:] == ["inner", "top"]
    assert list(outer.state_dict()) == ["inner.inner_dense.kernel", "inner.inner_dense.bias",
                                        "top.kernel", "top.bias"]
    data = _rand(2, 3)
    ref = (inner(data).numpy() @ outer.get_layer("top").kernel.numpy() + outer.get_layer("top").bias.numpy())
    np.testing.assert_allclose(outer(data).numpy(), ref, rtol=1e-5, atol=1e-6)
    # a Sequential inside a functional graph
    seq = Sequential([Dense(4), Dense(2)])
    z = seq(Input(shape=(3,)))
    assert z.shape == (None, 2)


def test_training_mode_propagates_and_recorded_training_is_kept():
    seen = []

    class Probe(Layer):
        def forward(self, x, training=None):
            seen.append(training if training is not None else self.training)
            return x

    x = Input(shape=(2,))
    model = Model(x, Probe()(x))
    seen.clear()
    model(np.ones((1, 2)), training=True)
    model(np.ones((1, 2)), training=False)
    model.eval()
    model(np.ones((1, 2)))
    assert seen == [True, False, False]
    forced = Probe()
    model2 = Model(x, forced(x, training=True))
    seen.clear()
    model2.eval()
    model2(np.ones((1, 2)))
    assert seen == [True]


def test_symbolic_build_leaves_batchnorm_statistics_alone():
    class Counter(Layer):
        calls_in_training = 0

        def forward(self, x):
            if self.training:
                Counter.calls_in_training += 1
            return x

    Counter()(Input(shape=(2,)))
    assert Counter.calls_in_training == 0


def test_intermediate_values_are_released_but_outputs_kept():
    x = Input(shape=(2,))
    h = Dense(2)(x)
    out = Dense(2)(Dense(2)(h))
    model = Model(x, [h, out])
    h_val, out_val = model(np.ones((1, 2)))
    assert h_val.shape == out_val.shape == (1, 2)


# --- merge layers -------------------------------------------------------------------------------
MERGES = [
    (Add, lambda a, b, c: a + b + c),
    (Multiply, lambda a, b, c: a * b * c),
    (Average, lambda a, b, c: (a + b + c) / 3),
    (Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
    (Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
]


@pytest.mark.parametrize("cls,ref", MERGES, ids=[c.__name__ for c, _ in MERGES])
def test_elementwise_merge_values_shapes_and_gradients(cls, ref):
    xs = [_rand(4, 3, seed=s).astype(np.float64) for s in range(3)]
    layer = cls(dtype="float64")
    np.testing.assert_allclose(layer([Tensor(x) for x in xs]).numpy(), ref(*xs), rtol=1e-12)
    assert check_grad(lambda a, b, c: layer([a, b, c]), *xs) < 1e-6
    sym = cls()([Input(shape=(3,)) for _ in range(3)])
    assert sym.shape == (None, 3)


def test_subtract_values_gradients_and_arity():
    xs = [_rand(2, 3, seed=s).astype(np.float64) for s in range(2)]
    layer = Subtract(dtype="float64")
    np.testing.assert_allclose(layer([Tensor(x) for x in xs]).numpy(), xs[0] - xs[1])
    assert check_grad(lambda a, b: layer([a, b]), *xs) < 1e-6
    with pytest.raises(ValueError, match="exactly 2 inputs, got 3"):
        Subtract()([Tensor(xs[0])] * 3)


def test_merge_broadcasts_and_names_bad_shapes():
    out = Add()([Input(shape=(4, 3)), Input(shape=(1, 3))])
    assert out.shape == (None, 4, 3)
    with pytest.raises(ValueError, match=r"add_1.*incompatible shapes.*\(2, 3\).*\(2, 4\)"):
        Add()([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))])
    with pytest.raises(TypeError, match="list of tensors"):
        Add()(Tensor(np.ones((2, 3))))


def test_concatenate_values_shapes_gradients_and_errors():
    xs = [_rand(2, 3, seed=0).astype(np.float64), _rand(2, 5, seed=1).astype(np.float64)]
    layer = Concatenate(dtype="float64")
    np.testing.assert_allclose(layer([Tensor(x) for x in xs]).numpy(), np.concatenate(xs, axis=-1))
    assert check_grad(lambda a, b: layer([a, b]), *xs) < 1e-6
    assert Concatenate()([Input(shape=(3,)), Input(shape=(5,))]).shape == (None, 8)
    assert Concatenate(axis=1)([Input(shape=(2, 4)), Input(shape=(3, 4))]).shape == (None, 5, 4)
    with pytest.raises(ValueError, match=r"match except on the concat axis.*\(2, 4, 3\)"):
        Concatenate(axis=-1)([Tensor(np.ones((2, 4, 3))), Tensor(np.ones((2, 5, 3)))])
    with pytest.raises(ValueError, match="out of range"):
        Concatenate(axis=3)([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3)))])
    assert Concatenate(axis=1).get_config()["axis"] == 1


def test_lowercase_functional_forms():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    assert add([a, b]).shape == (None, 2)
    assert concatenate([a, b]).shape == (None, 4)


# --- config ------------------------------------------------------------------------------------
def test_get_config_from_config_round_trip_same_predictions():
    a, b = Input(shape=(5,), name="a"), Input(shape=(5,), name="b")
    shared = Dense(3, activation="relu", name="shared")
    h = Concatenate()([shared(a), shared(b)])
    out1, out2 = Dense(2, name="o1")(h), Dense(1, name="o2")(Add()([shared(a), shared(b)]))
    model = Model([a, b], [out1, out2], name="two_in")
    config = json.loads(json.dumps(model.get_config()))
    clone = Model.from_config(config)
    assert isinstance(clone, Functional) and clone.name == "two_in"
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    xa, xb = _rand(3, 5), _rand(3, 5, seed=1)
    for got, want in zip(clone([xa, xb]), model([xa, xb])):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    clone.load_state_dict(model.state_dict())  # same names too


def test_config_round_trip_with_nested_model_and_custom_layer():
    class Scale(Layer):
        def __init__(self, factor=2.0, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor

        def forward(self, x):
            return x * self.factor

        def get_config(self):
            return {**super().get_config(), "factor": self.factor}

    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Scale(3.0)(Dense(2)(inner_in)), name="inner")
    x = Input(shape=(3,))
    model = Model(x, Dense(1)(inner(x)))
    with pytest.raises(ValueError, match="Scale"):
        Model.from_config(model.get_config())
    clone = Functional.from_config(json.loads(json.dumps(model.get_config())), custom_objects={"Scale": Scale})
    clone.set_weights(model.get_weights())
    data = _rand(2, 3)
    np.testing.assert_allclose(clone(data).numpy(), model(data).numpy(), rtol=1e-6)
