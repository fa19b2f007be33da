"""ModelCheckpoint: templates, save_best_only, save_freq, weights vs whole model."""
import os

import pytest
from cb_helpers import Script, WeightLog, data, same_weights, tiny_model

from kerasish.callbacks import ModelCheckpoint


def patched(model):
    saved = []
    model.save_weights = lambda path, **kw: saved.append(("weights", path))
    model.save = lambda path, **kw: saved.append(("model", path))
    return saved


def test_every_epoch_with_templates(tmp_path):
    x, y = data()
    model = tiny_model()
    saved = patched(model)
    path = str(tmp_path / "ckpt" / "w.{epoch:02d}-{val_loss:.2f}.weights.h5")
    model.fit(x, y, epochs=3, validation_split=0.25, verbose=0,
              callbacks=[Script("val_loss", [0.5, 0.25, 0.125]), ModelCheckpoint(path, save_weights_only=True)])
    assert saved == [("weights", str(tmp_path / "ckpt" / n)) for n in
                     ("w.01-0.50.weights.h5", "w.02-0.25.weights.h5", "w.03-0.12.weights.h5")]
    assert (tmp_path / "ckpt").is_dir()


def test_save_best_only_keeps_the_best_and_whole_model_by_default(tmp_path):
    x, y = data()
    model = tiny_model()
    saved = patched(model)
    ckpt = ModelCheckpoint(str(tmp_path / "best.h5"), monitor="val_loss", save_best_only=True)
    model.fit(x, y, epochs=5, validation_split=0.25, verbose=0,
              callbacks=[Script("val_loss", [3, 2, 2.5, 1, 4]), ckpt])
    assert [kind for kind, _ in saved] == ["model"] * 3 and ckpt.best == 1
    # best persists across fits: a worse value does not overwrite the file
    model.fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[Script("val_loss", [1.5]), ckpt])
    assert len(saved) == 3


def test_real_weights_file_holds_the_best_epoch(tmp_path):
    x, y = data()
    model = tiny_model()
    log = WeightLog()
    path = tmp_path / "best.weights.h5"
    model.fit(x, y, epochs=4, verbose=0, callbacks=[
        Script("loss", [3, 1, 2, 5]), log,
        ModelCheckpoint(str(path), monitor="loss", save_best_only=True, save_weights_only=True)])
    fresh = tiny_model()
    fresh(x[:1])
    fresh.load_weights(str(path))
    assert same_weights(fresh.get_weights(), log.weights[1])


def test_save_freq_in_batches(tmp_path):
    x, y = data(64)
    model = tiny_model()
    saved = patched(model)
    model.fit(x, y, epochs=2, batch_size=16, verbose=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "w.{epoch}-{batch}.h5"), save_freq=3, save_weights_only=True)])
    assert [os.path.basename(p) for _, p in saved] == ["w.1-3.h5", "w.2-2.h5"]


def test_errors(tmp_path):
    x, y = data()
    model = tiny_model()
    patched(model)
    with pytest.raises(ValueError, match=r"uses \{val_acc\}.*available keys"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "{val_acc}.h5"))])
    with pytest.raises(ValueError, match="no validation data"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ModelCheckpoint(str(tmp_path / "a.h5"), save_best_only=True)])
    with pytest.raises(ValueError, match="save_freq='epoch'"):
        model.fit(x, y, epochs=1, validation_split=0.25, verbose=0,
                  callbacks=[ModelCheckpoint(str(tmp_path / "a.h5"), save_best_only=True, save_freq=2)])
    with pytest.raises(ValueError, match="save_freq"):
        ModelCheckpoint("a.h5", save_freq="batch")
