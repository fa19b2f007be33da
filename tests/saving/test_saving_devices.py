"""Saving and loading models whose weights live on a device ('fake' is the CuPy-like test
device of tests/fake_device.py; 'cuda' is added when CuPy sees a GPU)."""
import numpy as np
import pytest

from conftest import available_devices
from kerasish import backend
from kerasish.callbacks.backup_and_restore import BackupAndRestore
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.layers.normalization import BatchNormalization
from kerasish.losses.classes import SparseCategoricalCrossentropy
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model, save_model
from kerasish.saving.weights_io import load_weights, save_weights

DEVICES = [d for d in available_devices() if d != "cpu"]


def _model(device, seed):
    model = Sequential([Input(shape=(4,)), Dense(5, activation="relu"), BatchNormalization(), Dense(2)],
                       device=device)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.uniform(0.5, 1.5, size=w.shape).astype("float32") for w in model.weights])
    return model


def _host(model):
    return [backend.to_numpy(w.data) for w in model.weights]


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("fname", ["w.h5", "w.weights.h5"])
def test_weights_between_devices(tmp_path, device, fname):
    src = _model(device, 1)
    save_weights(src, tmp_path / fname)
    for target in (_model(device, 2), _model("cpu", 3)):
        load_weights(target, tmp_path / fname)
        assert all(backend.device_of(w.data) == target.device for w in target.weights)
        for a, b in zip(_host(src), _host(target)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("device", DEVICES)
def test_whole_model_and_backup_on_device(tmp_path, device):
    x = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = _model(device, 1)
    model.compile(optimizer="adam", loss=SparseCategoricalCrossentropy(from_logits=True))
    model.fit(x, y, epochs=2, batch_size=8, verbose=0,
              callbacks=[BackupAndRestore(tmp_path / "b", save_freq=3, delete_checkpoint=False)])
    assert (tmp_path / "b" / "backup.h5").exists()
    save_model(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    for a, b in zip(_host(model), _host(loaded)):
        np.testing.assert_array_equal(a, b)
    assert loaded.optimizer.iterations == model.optimizer.iterations
