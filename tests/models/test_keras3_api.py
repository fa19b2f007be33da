"""DESIGN §6: the Keras 3 layer and model API that user scripts rely on, item by item."""
import json

import numpy as np
import pytest

import kerasish
from kerasish.layers.base import Layer


class Scale(Layer):
    """A custom layer in Keras 3 style: build() + add_weight(), one trainable, one not."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", trainable=True,
                                    name="gain")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, x):
        return x * self.gain * self.init

    def get_config(self):
        return {**super().get_config(), "init": self.init}


def _data(n=32, d=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype("float32")
    return x, (x @ rng.standard_normal((d, 1))).astype("float32")


# --- top-level names ------------------------------------------------------------------------------
def test_top_level_sequential_input_model():
    inputs = kerasish.Input(shape=(4,))
    outputs = kerasish.Dense(2)(inputs)
    functional = kerasish.Model(inputs, outputs)
    seq = kerasish.Sequential([kerasish.Input(shape=(4,)), kerasish.Dense(2)])
    assert isinstance(functional, kerasish.Model) and isinstance(seq, kerasish.Model)
    assert kerasish.Model is kerasish.models.Model and kerasish.Sequential is kerasish.models.Sequential
    assert functional(np.zeros((3, 4))).shape == (3, 2) and seq(np.zeros((3, 4))).shape == (3, 2)


# --- build + add_weight custom layers ---------------------------------------------------------------
def test_custom_build_layer_inside_sequential_and_functional():
    seq = kerasish.Sequential([kerasish.Input(shape=(3,)), Scale(2.0, name="scale")])
    assert seq.get_layer("scale").built
    np.testing.assert_allclose(seq(np.ones((2, 3))).numpy(), 2 * np.ones((2, 3)))

    inputs = kerasish.Input(shape=(3,))
    scale = Scale(3.0)
    model = kerasish.Model(inputs, kerasish.Dense(1)(scale(inputs)))
    assert scale.gain.shape == (3,) and scale.count.shape == ()
    assert len(model.trainable_weights) == 3 and len(model.non_trainable_weights) == 1

    lazy = kerasish.Sequential([Scale()])      # built at the first call
    assert not lazy.get_layer(index=0).built
    lazy(np.ones((2, 5)))
    assert lazy.get_layer(index=0).gain.shape == (5,)


# --- weights lists --------------------------------------------------------------------------------
def test_weights_trainable_and_non_trainable_lists():
    model = kerasish.Sequential([kerasish.Input(shape=(3,)), kerasish.Dense(4), kerasish.BatchNormalization(),
                                 Scale()])
    dense, bn, scale = model.layers
    ids = lambda ws: [id(w) for w in ws]  # noqa: E731
    assert ids(model.trainable_weights) == ids([dense.kernel, dense.bias, bn.gamma, bn.beta, scale.gain])
    assert ids(model.non_trainable_weights) == ids([bn.moving_mean, bn.moving_variance, scale.count])
    assert ids(model.weights) == ids(model.trainable_weights + model.non_trainable_weights)
    assert all(isinstance(w, kerasish.Tensor) for w in model.weights)


# --- settable trainable --------------------------------------------------------------------------
def test_trainable_is_settable_and_moves_weights_between_lists():
    model = kerasish.Sequential([kerasish.Input(shape=(3,)), kerasish.Dense(4), kerasish.Dense(1)])
    first = model.layers[0]
    first.trainable = False
    assert first.trainable is False and len(first.trainable_weights) == 0
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    model.trainable = False
    assert model.trainable_weights == [] and all(not layer.trainable for layer in model.layers)
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_frozen_layer_is_not_changed_by_fit_and_unfrozen_layer_trains_after_recompile():
    x, y = _data()
    model = kerasish.Sequential([kerasish.Input(shape=(4,)), kerasish.Dense(8, name="base"),
                                 kerasish.Dense(1, name="head")])
    base, head = model.get_layer("base"), model.get_layer("head")
    base.trainable = False
    model.compile(optimizer=kerasish.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    frozen = [w.numpy().copy() for w in base.weights]
    head_before = head.kernel.numpy().copy()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    for w, before in zip(base.weights, frozen):
        np.testing.assert_array_equal(w.numpy(), before)
    assert not np.array_equal(head.kernel.numpy(), head_before)

    # Keras's transfer-learning recipe: unfreeze, compile again, fit.
    base.trainable = True
    model.compile(optimizer=kerasish.SGD(learning_rate=0.05), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not np.array_equal(base.kernel.numpy(), frozen[0])


def test_freezing_after_fit_stops_updates_even_with_momentum():
    x, y = _data()
    model = kerasish.Sequential([kerasish.Input(shape=(4,)), kerasish.Dense(8, name="base"),
                                 kerasish.Dense(1)])
    model.compile(optimizer=kerasish.SGD(learning_rate=0.05, momentum=0.9), loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)      # builds momentum for every weight
    base = model.get_layer("base")
    base.trainable = False
    before = base.kernel.numpy().copy()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    np.testing.assert_array_equal(base.kernel.numpy(), before)


# --- first-layer shape hints -----------------------------------------------------------------------
@pytest.mark.parametrize("hint", [{"input_shape": (4,)}, {"input_dim": 4}])
def test_input_shape_or_input_dim_on_first_layer(hint):
    model = kerasish.Sequential([kerasish.Dense(3, **hint), kerasish.Dense(2)])
    assert model.built and model.layers[0].kernel.shape == (4, 3)
    assert model.inputs[0].shape == (None, 4) and model.outputs[0].shape == (None, 2)
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2
    assert len(model.layers) == 2


# --- Sequential() then add() -------------------------------------------------------------------
def test_empty_sequential_then_add():
    model = kerasish.Sequential()
    model.add(kerasish.Input(shape=(6,)))
    model.add(kerasish.Dense(4, activation="relu"))
    model.add(Scale())
    model.add(kerasish.Dense(1))
    assert [type(layer).__name__ for layer in model.layers] == ["Dense", "Scale", "Dense"]
    assert model.output_shape == (None, 1)
    model.compile(optimizer="adam", loss="mse")
    x = np.random.default_rng(0).standard_normal((16, 6)).astype("float32")
    history = model.fit(x, x[:, :1], epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# --- get_layer -----------------------------------------------------------------------------------
def test_get_layer_by_name_or_index_keyword_and_positional():
    inputs = kerasish.Input(shape=(4,), name="pixels")
    hidden = kerasish.Dense(3, name="hidden")(inputs)
    model = kerasish.Model(inputs, kerasish.Dense(2, name="out")(hidden))
    assert model.get_layer("hidden") is model.get_layer(name="hidden") is model.get_layer(index=1)
    assert model.get_layer(index=0).name == "pixels"          # functional: the InputLayer first
    assert model.get_layer(None, -1).name == "out"
    with pytest.raises(ValueError, match="hidden"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="exactly one"):
        model.get_layer()


# --- symbolic inputs/outputs, layer.input/output, feature extractor --------------------------------
def test_inputs_outputs_and_layer_input_output():
    inputs = kerasish.Input(shape=(4,), name="x")
    dense = kerasish.Dense(3, name="hidden")
    hidden = dense(inputs)
    outputs = kerasish.Dense(2, name="out")(hidden)
    model = kerasish.Model(inputs=inputs, outputs=outputs)
    assert model.inputs == [inputs] and model.outputs == [outputs]
    assert model.input is inputs and model.output is outputs
    assert dense.input is inputs and dense.output is hidden
    assert model.get_layer("x").output is inputs


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_feature_extractor_from_inputs_and_a_layer_output(kind):
    if kind == "functional":
        inputs = kerasish.Input(shape=(6,))
        x = kerasish.Dense(5, activation="relu", name="x")(inputs)
        m = kerasish.Model(inputs, kerasish.Dense(2)(x))
    else:
        m = kerasish.Sequential([kerasish.Input(shape=(6,)), kerasish.Dense(5, activation="relu", name="x"),
                                 kerasish.Dense(2)])
    extractor = kerasish.Model(inputs=m.inputs, outputs=m.get_layer("x").output)
    data = np.random.default_rng(1).standard_normal((3, 6)).astype("float32")
    layer = m.get_layer("x")
    expected = np.maximum(data @ layer.kernel.numpy() + layer.bias.numpy(), 0)
    np.testing.assert_allclose(extractor.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)
    assert extractor.get_layer("x") is layer                  # shares the weights
    assert m.predict(data, verbose=0).shape == (3, 2)         # the original still works


def test_feature_extractor_from_a_sequential_built_by_calling():
    m = kerasish.Sequential([kerasish.Dense(5, name="x"), kerasish.Dense(2)])
    m(np.zeros((2, 6), dtype="float32"))
    extractor = kerasish.Model(inputs=m.inputs, outputs=m.get_layer("x").output)
    assert extractor(np.ones((4, 6))).shape == (4, 5)


# --- get_config / from_config --------------------------------------------------------------------
def test_layer_get_config_from_config():
    dense = kerasish.Dense(3, activation="relu", use_bias=False, name="d")
    config = json.loads(json.dumps(dense.get_config()))
    clone = kerasish.Dense.from_config(config)
    assert clone.name == "d" and clone.get_config() == dense.get_config()
    scale = Scale(2.5, name="s")
    assert Scale.from_config(scale.get_config()).init == 2.5


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_model_get_config_from_config_predicts_the_same(kind):
    if kind == "sequential":
        model = kerasish.Sequential([kerasish.Input(shape=(4,)), kerasish.Dense(3, activation="tanh"),
                                     Scale(2.0), kerasish.Dense(1)])
    else:
        inputs = kerasish.Input(shape=(4,))
        model = kerasish.Model(inputs, kerasish.Dense(1)(Scale(2.0)(kerasish.Dense(3)(inputs))))
    config = json.loads(json.dumps(model.get_config()))
    with kerasish.saving.custom_object_scope({"Scale": Scale}):
        clone = type(model).from_config(config)
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(2).standard_normal((5, 4)).astype("float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    assert [type(layer).__name__ for layer in clone.layers] == [type(layer).__name__ for layer in model.layers]
    clone2 = kerasish.Model.from_config(config, custom_objects={"Scale": Scale}) if kind == "functional" \
        else kerasish.Sequential.from_config(config, custom_objects={"Scale": Scale})
    assert len(clone2.weights) == len(model.weights)
