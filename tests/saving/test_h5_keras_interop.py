"""Whole-model '.h5' files kerasish writes load in Keras 3 (same predictions, compiled, resuming
with kerasish's optimizer state), and kerasish still reads the '.h5' files it wrote before."""
import os
import pathlib
import warnings

import h5py
import numpy as np
import pytest

from kerasish.layers import Sigmoid
from kerasish.layers.conv import Conv2D
from kerasish.layers.core import Dense, Dropout, Flatten, Reshape
from kerasish.layers.embedding import Embedding
from kerasish.layers.input import Input
from kerasish.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from kerasish.layers.normalization import BatchNormalization, LayerNormalization
from kerasish.layers.pooling import AveragePooling2D, MaxPooling2D
from kerasish.models.functional import Functional
from kerasish.models.sequential import Sequential
from kerasish.optimizers.adam import Adam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.sgd import SGD
from kerasish.saving.model_io import load_model
from kerasish.utils.random import set_random_seed

V1 = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "kerasish_v1"


def _weights(model):
    return [np.asarray(w) for layer in model.layers for w in layer.get_weights()]


def _cnn():
    model = Sequential([Input((8, 8, 2)), Conv2D(3, 3, activation="relu", padding="same"), BatchNormalization(),
                        MaxPooling2D(), Conv2D(2, 2), AveragePooling2D(), Flatten(),
                        Dropout(0.0), Dense(4, activation="softmax")])  # rate 0: train steps compare exactly
    model.compile(optimizer=Adam(1e-2), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(6, 8, 8, 2)).astype("float32"), rng.integers(0, 4, size=6)


def _merges():
    a_in, b_in = Input((6,)), Input((6,))
    a, b = Dense(6, activation="tanh")(a_in), Dense(6)(b_in)
    merged = [Add()([a, b]), Subtract()([a, b]), Multiply()([a, b]), Average()([a, b]),
              Maximum()([a, b]), Minimum()([a, b])]
    x = LayerNormalization()(Concatenate()(merged))
    x = Reshape((6, 6))(x)
    model = Functional([a_in, b_in], Dense(2)(Flatten()(x)))
    model.compile(optimizer=SGD(0.05, momentum=0.9), loss="mse", metrics=["mae"])
    rng = np.random.default_rng(1)
    x = [rng.normal(size=(6, 6)).astype("float32") for _ in range(2)]
    return model, x, rng.normal(size=(6, 2)).astype("float32")


def _embedding():
    model = Sequential([Embedding(20, 4), Flatten(), Dense(3)])
    model.build((None, 5))
    model.compile(optimizer=RMSprop(1e-2, momentum=0.5), loss="mse")
    rng = np.random.default_rng(2)
    return model, rng.integers(0, 20, size=(6, 5)), rng.normal(size=(6, 3)).astype("float32")


MODELS = {"cnn": _cnn, "merges": _merges, "embedding": _embedding}


def _trained(name, steps=3):
    set_random_seed(4)
    model, x, y = MODELS[name]()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return model, x, y


@pytest.mark.parametrize("name", ["cnn", "branches"])
def test_files_written_before_keras_interop_still_load(name):
    with h5py.File(V1 / f"{name}.h5") as f:  # the first layout: kerasish's classes, no format mark
        assert "kerasish.layers" in f.attrs["model_config"] and "kerasish_config_format" not in f.attrs
    ref = np.load(V1 / f"{name}.npz")
    model = load_model(V1 / f"{name}.h5")
    np.testing.assert_allclose(model.predict(ref["x"], verbose=0), ref["y"], atol=1e-6)
    model.train_on_batch(ref["tx"], ref["ty"])  # the optimizer state resumes too
    ours = _weights(model)
    assert len(ours) == len(ref.files) - 4
    for i, w in enumerate(ours):
        np.testing.assert_allclose(w, ref[f"w{i}"], atol=1e-5)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_kerasish_round_trip(tmp_path, name):
    model, x, y = _trained(name)
    model.save(tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert f.attrs["kerasish_config_format"] == "keras3"
        assert "optimizer_weights" in f
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6)
    model.train_on_batch(x, y)
    loaded.train_on_batch(x, y)
    for a, b in zip(_weights(loaded), _weights(model)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_uncompiled_and_untrained_models_save(tmp_path):
    set_random_seed(0)
    model = Sequential([Dense(3, activation="relu"), Dense(2)])
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    model.predict(x, verbose=0)  # built, no Input
    model.save(tmp_path / "plain.h5")
    np.testing.assert_allclose(load_model(tmp_path / "plain.h5").predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)
    model.compile(optimizer="adam", loss="mse")  # compiled, no step yet: no optimizer variables
    model.save(tmp_path / "fresh.h5")
    assert load_model(tmp_path / "fresh.h5").optimizer.iterations == 0


def test_kerasish_only_layers_save_and_load_in_kerasish(tmp_path):
    inp = Input((3,))
    out = Sigmoid()(Dense(2)(inp) * 2.0)
    model = Functional(inp, out)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.save(tmp_path / "own.h5")
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(load_model(tmp_path / "own.h5").predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-6)


def _keras():
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception:  # noqa: BLE001 - keras absent or unusable on this machine
        pytest.skip("keras is not importable")
    if keras.backend.backend() != "torch":
        pytest.skip("keras runs another backend")
    return keras


# keras's torch backend calls np.array(torch_tensor); torch's __array__ lacks numpy 2's `copy`.
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning:keras")
@pytest.mark.parametrize("name", sorted(MODELS))
def test_keras_loads_compiles_and_trains(tmp_path, name):
    keras = _keras()
    model, x, y = _trained(name)
    model.save(tmp_path / "m.h5")
    theirs = keras.models.load_model(tmp_path / "m.h5")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0), atol=1e-5)
    assert type(theirs.optimizer).__name__ == type(model.optimizer).__name__
    np.testing.assert_allclose(theirs.evaluate(x, y, verbose=0), model.evaluate(x, y, verbose=0), atol=1e-5)
    # Keras trains a '.h5' it loads only without optimizer state (its legacy loader otherwise builds
    # the optimizer for no variables); then one step from the same weights with the saved compile
    # settings moves both the same way.
    model.save(tmp_path / "no_opt.h5", include_optimizer=False)
    theirs = keras.models.load_model(tmp_path / "no_opt.h5")
    ours = load_model(tmp_path / "no_opt.h5")
    assert ours.optimizer.iterations == 0
    ours_loss = float(np.ravel(ours.train_on_batch(x, y))[0])
    theirs_loss = float(np.ravel(theirs.train_on_batch(x, y))[0])
    assert abs(ours_loss - theirs_loss) < 1e-5 * max(1.0, abs(ours_loss))
    keras_weights = [np.asarray(w) for layer in theirs.layers for w in layer.get_weights()]
    assert len(keras_weights) == len(_weights(ours))
    for a, b in zip(keras_weights, _weights(ours)):
        np.testing.assert_allclose(a, b, atol=1e-5)
