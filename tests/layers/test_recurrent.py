"""SimpleRNN, LSTM, GRU: Keras 3 numerics, gradients, configs, saving, devices, training."""
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor, ops
from kerasish.layers.core import Dense
from kerasish.layers.recurrent import GRU, LSTM, SimpleRNN, GRUCell, LSTMCell
from kerasish.utils import check_grad

R = np.random.default_rng(11)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def _np(keras, t):
    return keras.ops.convert_to_numpy(t)


def check_rnn_grad(layer, x, initial_state=None):
    """check_layer_grad for a recurrent layer: its weights live on `layer.cell`.

    Checks d(out)/d(input), d/d(kernel, recurrent_kernel, bias) and d/d(initial states) in float64;
    with return_state every output (sequence/last and states) enters the checked sum.
    """
    layer(x)
    cell = layer.cell
    names = list(cell._weights)
    originals = {n: cell._weights[n] for n in names}
    states = list(initial_state or [])

    def fn(xt, *rest):
        ws, ss = rest[:len(names)], rest[len(names):]
        for n, w in zip(names, ws):
            cell._weights[n] = w
            object.__setattr__(cell, n, w)
        try:
            out = layer(xt, initial_state=list(ss) if ss else None)
        finally:
            for n, w in originals.items():
                cell._weights[n] = w
                object.__setattr__(cell, n, w)
        if isinstance(out, tuple):
            out = ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in out], axis=1)
        return out

    return check_grad(fn, x, *[originals[n] for n in names], *states)


GRAD_CASES = {
    "simple": lambda: SimpleRNN(3, dtype="float64"),
    "simple_seq_back_state": lambda: SimpleRNN(3, return_sequences=True, return_state=True, go_backwards=True,
                                               dtype="float64"),
    "simple_generic_selu": lambda: SimpleRNN(3, activation="selu", return_sequences=True, dtype="float64"),
    "lstm": lambda: LSTM(3, dtype="float64"),
    "lstm_seq_state": lambda: LSTM(3, return_sequences=True, return_state=True, dtype="float64"),
    "lstm_back_hard_relu": lambda: LSTM(3, activation="relu", recurrent_activation="hard_sigmoid",
                                        go_backwards=True, return_state=True, dtype="float64"),
    "lstm_generic": lambda: LSTM(2, activation="softsign", recurrent_activation="silu", return_sequences=True,
                                 dtype="float64"),
    "gru": lambda: GRU(3, return_sequences=True, dtype="float64"),
    "gru_back_state": lambda: GRU(3, go_backwards=True, return_state=True, dtype="float64"),
    "gru_v1": lambda: GRU(3, reset_after=False, return_sequences=True, return_state=True, dtype="float64"),
    "gru_v1_back_generic": lambda: GRU(2, reset_after=False, go_backwards=True, activation="elu",
                                       recurrent_activation="softsign", dtype="float64"),
    "gru_no_bias": lambda: GRU(3, use_bias=False, return_sequences=True, dtype="float64"),
}


@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_gradients_float64(case):
    K.utils.set_random_seed(1)
    layer = GRAD_CASES[case]()
    x = Tensor(R.standard_normal((2, 4, 3)), dtype="float64")
    layer(x)
    for w in layer.weights:  # non-zero biases so every term of the gradient is exercised
        w.data[...] += R.uniform(-0.3, 0.3, w.shape)
    assert check_rnn_grad(layer, x) < 1e-6


@pytest.mark.parametrize("make", [lambda: LSTM(3, return_sequences=True, dtype="float64"),
                                  lambda: GRU(3, go_backwards=True, dtype="float64"),
                                  lambda: GRU(3, reset_after=False, dtype="float64"),
                                  lambda: SimpleRNN(3, dtype="float64")])
def test_gradients_reach_initial_states(make):
    layer = make()
    x = Tensor(R.standard_normal((2, 3, 2)), dtype="float64")
    states = [R.standard_normal((2, 3)) for _ in layer.cell.state_size]
    assert check_rnn_grad(layer, x, initial_state=states) < 1e-6


KERAS_CASES = [
    ("SimpleRNN", {}), ("SimpleRNN", {"return_sequences": True, "go_backwards": True, "activation": "relu"}),
    ("LSTM", {}), ("LSTM", {"return_sequences": True, "return_state": True, "go_backwards": True}),
    ("LSTM", {"unit_forget_bias": False, "activation": "elu", "recurrent_activation": "hard_sigmoid"}),
    ("GRU", {}), ("GRU", {"return_sequences": True, "return_state": True, "go_backwards": True}),
    ("GRU", {"reset_after": False, "return_sequences": True}), ("GRU", {"use_bias": False}),
]


@pytest.mark.parametrize("name,kwargs", KERAS_CASES)
def test_matches_keras(name, kwargs):
    keras = _keras()
    x = R.standard_normal((3, 7, 4)).astype("float32")
    theirs = getattr(keras.layers, name)(5, **kwargs)
    theirs(x)
    ours = {"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}[name](5, **kwargs)
    ours(x)
    assert [tuple(w.shape) for w in theirs.weights] == [w.shape for w in ours.weights]
    weights = [_np(keras, w) + R.uniform(-0.2, 0.2, tuple(w.shape)).astype("float32") for w in theirs.weights]
    theirs.set_weights(weights)
    ours.set_weights(weights)
    want, got = theirs(x), ours(x)
    want, got = (want, got) if isinstance(got, tuple) else ((want,), (got,))
    assert len(want) == len(got)
    for a, b in zip(want, got):
        assert b.dtype == np.float32
        np.testing.assert_allclose(b.numpy(), _np(keras, a), atol=1e-5)


def test_default_initializers_and_unit_forget_bias():
    layer = LSTM(4)
    layer(np.zeros((1, 2, 3), np.float32))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    u = layer.cell.recurrent_kernel.numpy()  # (4, 16): orthogonal rows, as Keras's Orthogonal
    np.testing.assert_allclose(u @ u.T, np.eye(4), atol=1e-5)
    gru = GRU(2)
    gru(np.zeros((1, 2, 3), np.float32))
    assert gru.cell.bias.shape == (2, 6) and GRU(2, reset_after=False)(np.zeros((1, 2, 3))).shape == (1, 2)
    assert [w.name for w in layer.weights] == ["kernel", "recurrent_kernel", "bias"]


def test_shapes_states_and_compute_output_shape():
    x = R.standard_normal((2, 5, 3)).astype("float32")
    for layer, n_states in ((SimpleRNN(4, return_sequences=True, return_state=True), 1),
                            (LSTM(4, return_sequences=True, return_state=True), 2),
                            (GRU(4, return_state=True), 1)):
        out = layer(x)
        assert isinstance(out, tuple) and len(out) == 1 + n_states
        assert tuple(o.shape for o in out) == layer.compute_output_shape(x.shape)
        assert all(s.shape == (2, 4) for s in out[1:])
        if layer.return_sequences:  # the last state is the last output
            np.testing.assert_allclose(out[0].numpy()[:, -1], out[1].numpy())
    assert LSTM(4).compute_output_shape((None, None, 3)) == (None, 4)


def test_go_backwards_equals_reversed_input_and_initial_state_is_used():
    x = R.standard_normal((2, 5, 3)).astype("float32")
    fwd, back = GRU(4, return_sequences=True), GRU(4, return_sequences=True, go_backwards=True)
    fwd(x), back(x)
    back.set_weights(fwd.get_weights())
    np.testing.assert_allclose(back(x).numpy(), fwd(x[:, ::-1].copy()).numpy(), atol=1e-6)
    lstm = LSTM(4)
    h0 = [np.ones((2, 4), np.float32), np.full((2, 4), 2.0, np.float32)]
    assert not np.allclose(lstm(x, initial_state=h0).numpy(), lstm(x).numpy())
    with pytest.raises(ValueError, match="expects 2 initial state"):
        lstm(x, initial_state=h0[:1])
    with pytest.raises(ValueError, match=r"initial states must have shape \(batch, units\)"):
        lstm(x, initial_state=[np.ones((2, 3)), np.ones((2, 3))])


def test_cells_step_like_the_layer():
    x = R.standard_normal((2, 1, 3)).astype("float32")
    layer = LSTM(4, return_state=True)
    out, h, c = layer(x)
    cell = LSTMCell(4)
    cell(x[:, 0], [np.zeros((2, 4), np.float32)] * 2)
    cell.set_weights(layer.get_weights())
    step, states = cell(x[:, 0], [np.zeros((2, 4), np.float32)] * 2)
    np.testing.assert_allclose(step.numpy(), out.numpy(), atol=1e-6)
    np.testing.assert_allclose(states[1].numpy(), c.numpy(), atol=1e-6)
    assert GRUCell(3).state_size == [3]


def test_bad_inputs_and_options_raise_clear_errors():
    layer = LSTM(4)
    with pytest.raises(ValueError, match=r"Layer 'lstm.*' \(LSTM\) expected input of shape \(batch, time, features\)"):
        layer(np.zeros((2, 3)))
    layer(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"expected input of shape \(None, None, 3\), got shape \(2, 5, 4\)"):
        layer(np.zeros((2, 5, 4)))
    with pytest.raises(ValueError, match="needs at least one time step"):
        layer(np.zeros((2, 0, 3)))
    with pytest.raises(ValueError, match="stateful=True is not supported"):
        GRU(3, stateful=True)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        SimpleRNN(0)
    with pytest.raises(ValueError, match="dropout must be a number in"):
        LSTM(3, dropout=1.5)
    with pytest.raises(ValueError, match="Unknown activation"):
        GRU(3, activation="nope")
    with pytest.raises(ValueError, match="kernel_constraint is not supported"):
        GRU(3, kernel_constraint="non_neg")
    rec = GRU(3, recurrent_dropout=0.2)
    with pytest.raises(NotImplementedError, match="recurrent_dropout > 0 is not implemented"):
        rec(np.zeros((2, 4, 3)), training=True)
    assert rec(np.zeros((2, 4, 3)), training=False).shape == (2, 3)  # inference ignores it


def test_input_dropout_in_training_only():
    K.utils.set_random_seed(0)
    layer = LSTM(4, dropout=0.5)
    x = np.ones((64, 3, 2), np.float32)
    a, b = layer(x, training=False).numpy(), layer(x, training=False).numpy()
    np.testing.assert_array_equal(a, b)
    t = layer(x, training=True).numpy()
    assert not np.allclose(t, a)


@pytest.mark.parametrize("make", [lambda: SimpleRNN(3, return_sequences=True, go_backwards=True, name="r"),
                                  lambda: LSTM(3, unit_forget_bias=False, dropout=0.25, kernel_regularizer="l2",
                                               recurrent_activation="hard_sigmoid", name="r"),
                                  lambda: GRU(3, reset_after=False, return_state=True, use_bias=False, name="r")])
def test_config_round_trip(make):
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == layer.get_config() and clone.name == "r"
    layer(np.zeros((1, 2, 4), np.float32))
    clone(np.zeros((1, 2, 4), np.float32))
    assert [w.shape for w in clone.weights] == [w.shape for w in layer.weights]


def test_config_keys_match_keras():
    keras = _keras()
    for name in ("SimpleRNN", "LSTM", "GRU"):
        want = set(getattr(keras.layers, name)(3).get_config())
        got = set({"SimpleRNN": SimpleRNN, "LSTM": LSTM, "GRU": GRU}[name](3).get_config())
        assert want - got == set(), name


def _model():
    from kerasish.models.sequential import Sequential
    from kerasish.layers.input import Input
    from kerasish.layers.wrappers import Bidirectional
    return Sequential([Input((5, 3)), LSTM(4, return_sequences=True), Bidirectional(GRU(2)), Dense(1)])


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_model_save_and_load_round_trip(tmp_path, suffix):
    from kerasish.saving.model_io import load_model
    model = _model()
    x = R.standard_normal((2, 5, 3)).astype("float32")
    want = model(x).numpy()
    model.save(str(tmp_path / f"m{suffix}"))
    loaded = load_model(str(tmp_path / f"m{suffix}"))
    np.testing.assert_allclose(loaded(x).numpy(), want, atol=1e-6)
    assert loaded.count_params() == model.count_params()


def test_keras_weight_files_load_by_order_and_param_counts_match(tmp_path):
    keras = _keras()
    theirs = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True),
                               keras.layers.Bidirectional(keras.layers.GRU(2)), keras.layers.Dense(1)])
    ours = _model()
    assert ours.count_params() == theirs.count_params()
    x = R.standard_normal((2, 5, 3)).astype("float32")
    for suffix in (".weights.h5", ".h5"):
        path = str(tmp_path / f"k{suffix}")
        (theirs.save_weights if suffix == ".weights.h5" else theirs.save)(path)
        ours.load_weights(path)
        np.testing.assert_allclose(ours(x).numpy(), _np(keras, theirs(x)), atol=1e-5)
    ours.save_weights(str(tmp_path / "ours.weights.h5"))
    fresh = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, return_sequences=True),
                              keras.layers.Bidirectional(keras.layers.GRU(2)), keras.layers.Dense(1)])
    fresh.load_weights(str(tmp_path / "ours.weights.h5"))
    np.testing.assert_allclose(_np(keras, fresh(x)), ours(x).numpy(), atol=1e-5)


def test_forward_backward_and_fit_on_the_fake_device():
    from fake_device import FakeArray
    from kerasish.models.sequential import Sequential
    results = {}
    for device in ("cpu", "fake"):
        K.utils.set_random_seed(0)
        layer = GRU(3, return_sequences=True, dtype="float64", device=device)
        lstm = LSTM(2, go_backwards=True, dtype="float64", device=device)
        x = Tensor(np.random.default_rng(1).standard_normal((2, 4, 3)), dtype="float64", device=device,
                   requires_grad=True)
        y = lstm(layer(x))
        (y * y).sum().backward()
        results[device] = (y, x.grad, [w.grad for w in layer.weights + lstm.weights])
    y, g, wg = results["fake"]
    assert isinstance(y.data, FakeArray) and isinstance(g, FakeArray)
    np.testing.assert_allclose(y.numpy(), results["cpu"][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(g), results["cpu"][1], rtol=1e-9, atol=1e-12)
    for a, b in zip(wg, results["cpu"][2]):
        np.testing.assert_allclose(K.backend.to_numpy(a), b, rtol=1e-9, atol=1e-12)
    model = Sequential([LSTM(3), Dense(1)], device="fake")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(np.zeros((8, 4, 2), np.float32), np.ones((8, 1), np.float32), epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_learns_the_sign_of_a_sequence_sum(cls):
    from kerasish.models.sequential import Sequential
    K.utils.set_random_seed(0)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 10, 1)).astype("float32")
    y = (x.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    model = Sequential([cls(8), Dense(1, activation="sigmoid")])
    model.compile(optimizer=K.optimizers.Adam(0.02), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    xt = rng.standard_normal((256, 10, 1)).astype("float32")
    yt = (xt.sum(axis=(1, 2)) > 0).astype("float32")[:, None]
    acc = ((model.predict(xt, verbose=0) > 0.5) == yt).mean()
    assert acc > 0.9
