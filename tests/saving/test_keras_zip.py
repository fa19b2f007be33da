"""Keras 3's native '.keras' zip format: kerasish round trips (training continues exactly),
a Keras-written file, Keras loading kerasish's file, and damaged / crafted archives."""
import json
import os
import pathlib
import zipfile

import numpy as np
import pytest

from kerasish.callbacks.model_checkpoint import ModelCheckpoint
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.layers.merge import Concatenate
from kerasish.layers.normalization import BatchNormalization
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model, save_model
from kerasish.utils.random import set_random_seed

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def _sequential(optimizer="adam"):
    set_random_seed(0)
    model = Sequential([Input(shape=(5,)), Dense(8, activation="relu"), BatchNormalization(),
                        Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _functional():
    set_random_seed(0)
    inputs = Input(shape=(5,))
    hidden = Dense(6, activation="relu")(inputs)
    return Model(inputs, Dense(2)(Concatenate()([hidden, inputs])), name="func")


@pytest.mark.parametrize("optimizer", ["adam", "sgd"])
def test_fit_continues_exactly_after_keras_zip_round_trip(tmp_path, optimizer):
    x, y = _data()
    ref = _sequential(optimizer)
    ref.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    model = _sequential(optimizer)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert {"metadata.json", "config.json", "model.weights.h5"} <= set(zf.namelist())
        config = json.loads(zf.read("config.json"))
    assert config["class_name"] == "Sequential" and config["compile_config"]["loss"] == \
        "sparse_categorical_crossentropy"
    loaded = load_model(tmp_path / "m.keras")
    assert type(loaded.optimizer) is type(ref.optimizer) and loaded.optimizer.iterations == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(ref.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_functional_uncompiled_round_trip(tmp_path):
    model = _functional()
    x = np.random.default_rng(1).normal(size=(4, 5)).astype("float32")
    save_model(model, str(tmp_path / "f.keras"))
    loaded = load_model(str(tmp_path / "f.keras"))
    assert loaded.name == "func" and getattr(loaded, "optimizer", None) is None
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(FileExistsError):
        save_model(model, tmp_path / "f.keras", overwrite=False)


def test_model_checkpoint_writes_keras_files(tmp_path):
    x, y = _data()
    model = _sequential()
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ckpt-{epoch}.keras"))])
    loaded = load_model(tmp_path / "ckpt-2.keras")
    assert loaded.optimizer.iterations == 6
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_keras_written_file_predicts_like_keras():
    io = np.load(FIXTURES / "cnn_keras_io.npz")
    model = load_model(FIXTURES / "cnn_full.keras")
    assert model.optimizer.iterations == 8  # Keras's optimizer state is resumed
    assert [type(l).__name__ for l in model.layers] == ["Conv2D", "BatchNormalization", "MaxPooling2D",
                                                         "Flatten", "Dense"]
    assert type(model.optimizer).__name__ == "Adam"
    model.eval()
    np.testing.assert_allclose(model(io["x"]).numpy(), io["y"], atol=1e-5)
    uncompiled = load_model(FIXTURES / "cnn_full.keras", compile=False)
    np.testing.assert_allclose(uncompiled.predict(io["x"], verbose=0), io["y"], atol=1e-5)


# keras's torch backend calls np.array(torch_tensor); torch's __array__ lacks numpy 2's `copy`
# (also in pyproject's filterwarnings; the mark keeps it quiet under `-W default` too).
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning:keras")
def test_keras_loads_kerasish_keras_file(tmp_path):
    pytest.importorskip("torch")
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except Exception:  # noqa: BLE001 - keras absent or unusable on this machine
        pytest.skip("keras is not importable")
    if keras.backend.backend() != "torch":
        pytest.skip("keras runs another backend")
    x = np.random.default_rng(2).normal(size=(4, 5)).astype("float32")
    for name, model in (("s", _sequential()), ("f", _functional())):
        model.save(tmp_path / f"{name}.keras")
        theirs = keras.saving.load_model(tmp_path / f"{name}.keras", compile=False)
        np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), model.predict(x, verbose=0),
                                   atol=1e-5)


def _zip(path, entries):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)


def test_damaged_and_crafted_files_are_refused(tmp_path):
    good = tmp_path / "good.keras"
    _sequential().save(good)
    with zipfile.ZipFile(good) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(OSError, match="bad.keras.*not a zip"):
        load_model(bad)
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises((OSError, ValueError), match="bad.keras"):
        load_model(bad)
    _zip(bad, dict(entries, **{"../evil.json": b"{}"}))
    with pytest.raises(ValueError, match="unsafe entry name"):
        load_model(bad)
    _zip(bad, {k: v for k, v in entries.items() if k != "model.weights.h5"})
    with pytest.raises(ValueError, match="no 'model.weights.h5'"):
        load_model(bad)
    _zip(bad, dict(entries, **{"config.json": b"{not json"}))
    with pytest.raises(ValueError, match="'config.json' is not valid JSON"):
        load_model(bad)
    _zip(bad, dict(entries, **{"model.weights.h5": b"garbage"}))
    with pytest.raises(OSError, match="bad.keras.*model.weights.h5"):
        load_model(bad)
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.keras")


def test_failed_save_keeps_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "m.keras"
    _sequential().save(path)
    before = path.read_bytes()
    from kerasish.saving import keras3_weights

    def broken(f, model):
        raise RuntimeError("disk full")
    monkeypatch.setattr(keras3_weights, "write_weights", broken)
    with pytest.raises(RuntimeError):
        _sequential().save(path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["m.keras"]
