"""Optimizer state in '.keras' files: Keras-written state loads into kerasish (one more step
matches Keras's), malformed state leaves a fresh optimizer with a warning, and kerasish writes
Keras's 'optimizer/vars' layout so Keras resumes with kerasish's state."""
import io
import os
import pathlib
import warnings
import zipfile

import h5py
import numpy as np
import pytest

from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.models.sequential import Sequential
from kerasish.optimizers.adam import Adam
from kerasish.saving import keras_optimizer_state
from kerasish.saving.model_io import load_model
from kerasish.utils.random import set_random_seed

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"
OPTIMIZERS = {"adam": "Adam", "sgd": "SGD", "sgd_nesterov": "SGD", "rmsprop": "RMSprop", "adamw": "AdamW",
              "adagrad": "Adagrad", "adamax": "Adamax", "nadam": "Nadam", "adadelta": "Adadelta"}


def _layer_weights(model):
    return [w for layer in model.layers for w in layer.get_weights()]


def _max_diff(ours, step):
    assert len(step.files) == len(ours) + 2
    return max(float(np.max(np.abs(a - step[f"w{i}"]))) for i, a in enumerate(ours))


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_keras_optimizer_state_continues_like_keras(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = load_model(FIXTURES / f"opt_{name}.keras")
    opt = model.optimizer
    assert type(opt).__name__ == OPTIMIZERS[name] and opt.iterations == 6
    assert all(s is not None for s in opt._slots) or not opt._slot_names()
    step = np.load(FIXTURES / f"opt_{name}_step.npz")
    model.train_on_batch(step["x"], step["y"])
    assert _max_diff(_layer_weights(model), step) < 1e-5


def _rewrite_weights(src, dst, edit):
    """Copies the '.keras' zip `src` to `dst`, with `edit(h5py_file)` applied to model.weights.h5."""
    with zipfile.ZipFile(src) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    buf = io.BytesIO(entries["model.weights.h5"])
    with h5py.File(buf, "a") as f:
        edit(f)
    entries["model.weights.h5"] = buf.getvalue()
    with zipfile.ZipFile(dst, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


def _wrong_shape(f):
    del f["optimizer/vars/3"]
    f["optimizer/vars"].create_dataset("3", data=np.zeros((2, 2), "float32"))


def _one_missing(f):
    del f["optimizer/vars/13"]


def _float_iterations(f):
    del f["optimizer/vars/0"]
    f["optimizer/vars"].create_dataset("0", data=np.float32(6))


@pytest.mark.parametrize("edit, why", [(_wrong_shape, r"variable 3 .*expected float \(3, 3, 3, 4\)"),
                                       (_one_missing, "13 optimizer variables.*has 14"),
                                       (_float_iterations, "iterations.*expected a scalar integer")])
def test_malformed_keras_state_leaves_a_fresh_optimizer(tmp_path, edit, why):
    bad = tmp_path / "bad.keras"
    _rewrite_weights(FIXTURES / "opt_adam.keras", bad, edit)
    with pytest.warns(UserWarning, match="optimizer state.*written by Keras.*not loaded: .*" + why):
        model = load_model(bad)
    opt = model.optimizer
    assert opt.iterations == 0 and all(s is None for s in opt._slots)
    good = load_model(FIXTURES / "opt_adam.keras")
    for a, b in zip(model.get_weights(), good.get_weights()):  # the weights still load
        np.testing.assert_array_equal(a, b)


def test_unsupported_options_and_other_layouts_are_refused():
    model = load_model(FIXTURES / "opt_adam.keras")
    with zipfile.ZipFile(FIXTURES / "opt_adam.keras") as zf, \
            h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        group = f["optimizer/vars"]
        with pytest.raises(ValueError, match="use_ema"):
            keras_optimizer_state.read_state(group, model.optimizer, model.trainable_weights,
                                             {"config": {"use_ema": True}})
        sgd = load_model(FIXTURES / "opt_sgd.keras").optimizer
        with pytest.raises(ValueError, match="has 14 optimizer variables, a SGD for 4 trainable weights has 6"):
            keras_optimizer_state.read_state(group, sgd, sgd.params)  # Adam's state, SGD's layout


def _trained_mlp(optimizer):
    set_random_seed(3)
    model = Sequential([Input(shape=(5,)), Dense(6, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=(16, 5)).astype("float32"), rng.integers(0, 3, size=16)
    return model, x, y


def test_kerasish_writes_keras_optimizer_layout(tmp_path):
    model, x, y = _trained_mlp(Adam(lr=0.01))
    model.save(tmp_path / "fresh.keras")
    with zipfile.ZipFile(tmp_path / "fresh.keras") as zf, \
            h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        assert "optimizer" not in f  # no state before the first step
    for _ in range(3):
        model.train_on_batch(x, y)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf, \
            h5py.File(io.BytesIO(zf.read("model.weights.h5")), "r") as f:
        group = f["optimizer/vars"]
        assert len(group) == 2 + 2 * 4 and int(group["0"][()]) == 3
        np.testing.assert_array_equal(group["3"][()], model.optimizer._slots[0]["v"])  # iter, lr, m0, v0
        state = keras_optimizer_state.read_state(group, model.optimizer, model.trainable_weights)
    assert state["iterations"] == 3 and sorted(state["slots"]) == [0, 1, 2, 3]
    loaded = load_model(tmp_path / "m.keras")  # kerasish's own state file still wins
    assert loaded.optimizer.iterations == 3


# keras's torch backend calls np.array(torch_tensor); torch's __array__ lacks numpy 2's `copy`.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning:keras")
@pytest.mark.parametrize("name", ["adam", "sgd", "nadam"])
def test_keras_resumes_with_kerasish_state(tmp_path, name):
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception:  # noqa: BLE001 - keras absent or unusable on this machine
        pytest.skip("keras is not importable")
    if keras.backend.backend() != "torch":
        pytest.skip("keras runs another backend")
    model = load_model(FIXTURES / f"opt_{name}.keras")
    step = np.load(FIXTURES / f"opt_{name}_step.npz")
    model.train_on_batch(step["x"], step["y"])
    model.save(tmp_path / "m.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no 'skipping optimizer variables' warning
        theirs = keras.saving.load_model(tmp_path / "m.keras")
    assert int(theirs.optimizer.iterations) == 7
    theirs.train_on_batch(step["x"], step["y"])
    model.train_on_batch(step["x"], step["y"])
    diff = max(float(np.max(np.abs(np.asarray(a) - b)))
               for a, b in zip(theirs.get_weights(), _layer_weights(model)))
    assert diff < 1e-5
