"""A research user extending kerasish: custom stateful layers, training flags, mixed precision."""
import numpy as np
import pytest

import kerasish as K
from kerasish.layers.base import Layer
from kerasish.layers.core import Dense


class _Counting(Layer):
    """Counts training calls in a non-trainable weight updated with `assign` inside `call`."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 2), name="w")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, x, training=None):
        if training:
            self.count.assign(self.count + 1)
        return x @ self.w


@pytest.fixture
def _float32_policy():
    yield
    K.mixed_precision.set_global_policy("float32")


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 2)).astype("float32")


def test_training_flag_reaches_inner_layers_call_in_fit_and_model_calls():
    x, y = _data()
    inp = K.Input(shape=(3,))
    layer = _Counting()
    model = K.Model(inp, layer(inp))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert float(layer.count.numpy()) == 8.0  # 4 batches x 2 epochs, each with training=True
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    model(x, training=False)
    assert float(layer.count.numpy()) == 8.0
    model(x, training=True)
    assert float(layer.count.numpy()) == 9.0


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # loss scaling probes overflow
def test_state_assigned_in_call_is_kept_under_mixed_precision(tmp_path, _float32_policy):
    K.mixed_precision.set_global_policy("mixed_float16")
    x, y = _data()
    inp = K.Input(shape=(3,))
    layer = _Counting()
    model = K.Model(inp, Dense(2, dtype="float32")(layer(inp)))
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert str(layer.compute_dtype) == "float16" and layer.count.dtype == np.float32
    assert float(layer.count.numpy()) == 4.0
    layer(x, training=True)
    assert float(layer.count.numpy()) == 5.0


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_mixed_precision_compiled_model_saves_and_loads(tmp_path, _float32_policy):
    K.mixed_precision.set_global_policy("mixed_float16")
    x, y = _data()
    model = K.Sequential([K.Input(shape=(3,)), Dense(4, activation="relu"), Dense(2, dtype="float32")])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = K.load_model(tmp_path / name)
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
        loaded.fit(x, y, batch_size=8, epochs=1, verbose=0)


def test_check_grad_on_a_float32_model_says_why_it_fails_and_float64_passes():
    x = np.random.default_rng(0).normal(size=(4, 3))
    model = K.Sequential([Dense(8, activation="tanh"), Dense(1)])
    with pytest.raises(AssertionError, match="dtype='float64'"):
        K.utils.check_grad(lambda t: model(t) ** 2, x)
    model64 = K.Sequential([Dense(8, activation="tanh", dtype="float64"), Dense(1, dtype="float64")])
    assert K.utils.check_grad(lambda t: model64(t) ** 2, x) < 1e-6
