"""RNN(cell): equals the fused layers, matches Keras 3 for stacked cells, custom cells, grads, saving."""
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor, ops
from kerasish.layers.base import Layer
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.layers.recurrent import GRU, LSTM, GRUCell, LSTMCell, SimpleRNNCell
from kerasish.layers.rnn import RNN, StackedRNNCells
from kerasish.models.sequential import Sequential
from kerasish.utils import check_grad

from layer_grad import check_layer_grad

R = np.random.default_rng(5)
X = R.standard_normal((2, 5, 3)).astype("float32")


class MinimalRNNCell(Layer):
    """The Keras guide's minimal cell: output = x @ kernel + h @ recurrent_kernel."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), "glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight((self.units, self.units), "orthogonal", name="recurrent_kernel")
        self.built = True

    def call(self, inputs, states):
        out = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return out, [out]

    def get_config(self):
        return dict(super().get_config(), units=self.units)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


@pytest.mark.parametrize("kwargs", [dict(), dict(return_sequences=True, return_state=True),
                                    dict(go_backwards=True, return_state=True)])
def test_rnn_over_lstm_cell_equals_lstm(kwargs):
    ours, ref = RNN(LSTMCell(4), **kwargs), LSTM(4, **kwargs)
    ours(X), ref(X)
    assert [w.shape for w in ours.weights] == [w.shape for w in ref.weights]
    ours.set_weights(ref.get_weights())
    a, b = ours(X), ref(X)
    a, b = (a, b) if isinstance(a, tuple) else ((a,), (b,))
    assert len(a) == len(b)
    for u, v in zip(a, b):
        np.testing.assert_allclose(u.numpy(), v.numpy(), atol=1e-6)


def test_initial_state_and_go_backwards_match_gru():
    h0 = R.standard_normal((2, 3)).astype("float32")
    ours, ref = RNN(GRUCell(3), go_backwards=True, return_sequences=True), GRU(3, go_backwards=True,
                                                                               return_sequences=True)
    ours(X), ref(X)
    ours.set_weights(ref.get_weights())
    np.testing.assert_allclose(ours(X, initial_state=[h0]).numpy(), ref(X, initial_state=[h0]).numpy(), atol=1e-6)


@pytest.mark.parametrize("go_backwards", [False, True])
def test_stacked_cells_match_keras(go_backwards):
    keras = _keras()
    theirs = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.GRUCell(2)], return_sequences=True,
                              return_state=True, go_backwards=go_backwards)
    ours = RNN([LSTMCell(4), GRUCell(2)], return_sequences=True, return_state=True, go_backwards=go_backwards)
    want = theirs(X)
    ours(X)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.count_params() == theirs.count_params()
    ours.set_weights(theirs.get_weights())
    got = ours(X)
    flat = lambda t: [t] if not isinstance(t, (list, tuple)) else [y for s in t for y in flat(s)]
    want, got = flat(want), flat(got)
    assert len(want) == len(got) == 4
    for w, g in zip(want, got):
        np.testing.assert_allclose(g.numpy(), keras.ops.convert_to_numpy(w), atol=1e-5)


def test_minimal_custom_cell_trains_with_fit_and_returns_state():
    K.utils.set_random_seed(0)
    layer = RNN(MinimalRNNCell(4), return_state=True)
    out, h = layer(X)
    np.testing.assert_allclose(out.numpy(), h.numpy())
    model = Sequential([Input((5, 3)), RNN(MinimalRNNCell(4)), Dense(1)])
    model.compile(optimizer=K.optimizers.Adam(0.05), loss="mse")
    y = X.sum(axis=(1, 2))[:, None]
    xs, ys = np.repeat(X, 16, axis=0), np.repeat(y, 16, axis=0)
    hist = model.fit(xs, ys, epochs=20, batch_size=8, verbose=0).history["loss"]
    assert hist[-1] < 0.5 * hist[0]


def _check_rnn_weights_grad(layer, x):
    layer(x)
    cells = layer.cell.cells if isinstance(layer.cell, StackedRNNCells) else [layer.cell]
    slots = [(c, n) for c in cells for n in c._weights]
    originals = [c._weights[n] for c, n in slots]

    def put(ws):
        for (c, n), w in zip(slots, ws):
            c._weights[n] = w
            object.__setattr__(c, n, w)

    def fn(xt, *ws):
        put(ws)
        try:
            out = layer(xt)
        finally:
            put(originals)
        return out

    return check_grad(fn, x, *originals)


@pytest.mark.parametrize("make", [lambda: RNN(SimpleRNNCell(3, dtype="float64"), dtype="float64"),
                                  lambda: RNN(MinimalRNNCell(2, dtype="float64"), go_backwards=True,
                                              return_sequences=True, dtype="float64"),
                                  lambda: RNN([SimpleRNNCell(3, dtype="float64"), MinimalRNNCell(2, dtype="float64")],
                                              return_sequences=True, dtype="float64")])
def test_gradients_float64(make):
    x = Tensor(R.standard_normal((2, 4, 3)), dtype="float64", requires_grad=True)
    check_layer_grad(make(), x, names=[])
    _check_rnn_weights_grad(make(), x)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_config_and_save_round_trip(tmp_path, suffix):
    from kerasish.saving.model_io import load_model
    layer = RNN([LSTMCell(4), GRUCell(2)], go_backwards=True)
    clone = RNN.from_config(layer.get_config())
    assert isinstance(clone.cell, StackedRNNCells) and clone.go_backwards
    assert [type(c) for c in clone.cell.cells] == [LSTMCell, GRUCell]
    model = Sequential([Input((5, 3)), RNN(LSTMCell(4), return_sequences=True), layer, Dense(1)])
    want = model(X).numpy()
    model.save(str(tmp_path / f"m{suffix}"))
    loaded = load_model(str(tmp_path / f"m{suffix}"))
    np.testing.assert_allclose(loaded(X).numpy(), want, atol=1e-6)
    assert loaded.count_params() == model.count_params() == 128 + 144 + 48 + 3  # as Keras


def test_runs_forward_backward_and_fit_on_fake_device():
    from fake_device import FakeArray
    results = {}
    for device in ("cpu", "fake"):
        K.utils.set_random_seed(0)
        layer = RNN([LSTMCell(3), MinimalRNNCell(2)], return_sequences=True, dtype="float64", device=device)
        x = Tensor(R.standard_normal((2, 4, 3)) if device == "cpu" else results["x"], dtype="float64",
                   device=device, requires_grad=True)
        results.setdefault("x", x.numpy())
        y = layer(x)
        (y * y).sum().backward()
        results[device] = (y, x.grad)
    y, g = results["fake"]
    assert isinstance(y.data, FakeArray) and isinstance(g, FakeArray)
    np.testing.assert_allclose(y.numpy(), results["cpu"][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(g), results["cpu"][1], rtol=1e-9, atol=1e-12)
    model = Sequential([RNN(MinimalRNNCell(3)), Dense(1)], device="fake")
    model.compile(optimizer="adam", loss="mse")
    assert len(model.fit(X, np.ones((2, 1), np.float32), epochs=2, verbose=0).history["loss"]) == 2


def test_bad_input_errors():
    with pytest.raises(ValueError, match="state_size"):
        RNN(Dense(3))
    with pytest.raises(ValueError, match="stateful"):
        RNN(LSTMCell(2), stateful=True)
    with pytest.raises(ValueError, match=r"RNN.*\(batch, time, features\)"):
        RNN(LSTMCell(2))(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="expects 2 initial state"):
        RNN(LSTMCell(2))(X, initial_state=[np.zeros((2, 2), "float32")])
    with pytest.raises(ValueError, match="initial state 0 must have shape"):
        RNN(GRUCell(2))(X, initial_state=[np.zeros((2, 5), "float32")])
    with pytest.raises(NotImplementedError, match="mask"):
        RNN(LSTMCell(2))(X, mask=Tensor(np.ones((2, 5), bool)))
