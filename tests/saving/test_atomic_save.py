"""An exception in the middle of a save leaves the previous file byte-identical and loadable."""
import os

import h5py
import numpy as np
import pytest

from kerasish.saving.atomic import atomic_write
from kerasish.saving.weights_io import load_weights, save_weights
from tests.saving._toy import ToyNet, built, state


@pytest.mark.parametrize("name", ["w.h5", "w.weights.h5"])
def test_failed_save_keeps_previous_file(tmp_path, monkeypatch, name):
    path = tmp_path / name
    old = built(ToyNet(name="net"), 1)
    save_weights(old, path)
    before = path.read_bytes()
    real = h5py.Group.create_dataset
    calls = []

    def flaky(self, *args, **kwargs):
        calls.append(args[0])
        if len(calls) == 3:             # after some arrays are already written
            raise RuntimeError("disk on fire")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", flaky)
    with pytest.raises(RuntimeError, match="disk on fire"):
        save_weights(built(ToyNet(name="net"), 2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == [name]          # no temporary file left behind
    fresh = built(ToyNet(name="net"), 3)
    load_weights(fresh, path)
    for k, v in state(old).items():
        np.testing.assert_array_equal(v, state(fresh)[k])


def test_atomic_write_replaces_and_cleans(tmp_path):
    target = tmp_path / "sub" / "f.bin"
    with atomic_write(target) as tmp:
        assert os.path.dirname(tmp) == str(tmp_path / "sub")
        with open(tmp, "wb") as f:
            f.write(b"one")
    assert target.read_bytes() == b"one"
    with pytest.raises(KeyError):
        with atomic_write(target) as tmp:
            with open(tmp, "wb") as f:
                f.write(b"two")
            raise KeyError("boom")
    assert target.read_bytes() == b"one" and os.listdir(target.parent) == ["f.bin"]
    with pytest.raises(FileExistsError):
        with atomic_write(target, overwrite=False):
            pass
    with pytest.raises(IsADirectoryError):
        with atomic_write(tmp_path):
            pass


def test_permissions_like_a_normal_file(tmp_path):
    target = tmp_path / "w.h5"
    save_weights(built(ToyNet()), target)
    (tmp_path / "plain").write_bytes(b"")
    assert (target.stat().st_mode & 0o777) == ((tmp_path / "plain").stat().st_mode & 0o777)


@pytest.mark.parametrize("fail_at", [1, 4, -1])
@pytest.mark.parametrize("error", [RuntimeError, KeyboardInterrupt])
def test_interrupted_whole_model_save_keeps_previous_file(tmp_path, monkeypatch, fail_at, error):
    from kerasish.layers.core import Dense
    from kerasish.layers.input import Input
    from kerasish.models.sequential import Sequential
    from kerasish.saving.model_io import load_model
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 1), "float32")
    model = Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(x, y, verbose=0)
    path = tmp_path / "m.h5"
    model.save(path)
    before = path.read_bytes()
    model.fit(x, y, verbose=0)
    real = h5py.Group.create_dataset
    total = []
    monkeypatch.setattr(h5py.Group, "create_dataset", lambda self, *a, **k: total.append(1) or real(self, *a, **k))
    model.save(tmp_path / "count.h5")
    calls = []
    stop = fail_at if fail_at > 0 else len(total)       # -1: the very last array (optimizer state)

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == stop:
            raise error("interrupted")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(h5py.Group, "create_dataset", flaky)
    with pytest.raises(error):
        model.save(path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["count.h5", "m.h5"]
    assert load_model(path).optimizer.iterations == 1
