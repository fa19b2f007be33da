"""User-acceptance scenarios: tf.keras 2.x scripts and checkpoint-reliant workflows ported to kerasish."""
import warnings

import numpy as np
import pytest

import kerasish
from kerasish.callbacks import CSVLogger, LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau
from kerasish.data import Sequence
from kerasish.layers.core import Dense
from kerasish.models import Sequential, load_model


def _data(n=60, d=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype("float32"), rng.integers(0, classes, n)


def _model(metric="acc", optimizer="sgd"):
    model = Sequential([Dense(8, activation="relu", input_shape=(6,)), Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy", metrics=[metric])
    return model


class _Batches(Sequence):
    """A Keras 2 `utils.Sequence` that counts its on_epoch_end calls."""

    def __init__(self, x, y, batch_size=20):
        self.x, self.y, self.batch_size, self.ends = x, y, batch_size, 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.ends += 1


def test_validation_and_evaluate_sequences_get_on_epoch_end():
    """Keras 2 calls a validation Sequence's on_epoch_end after each validation pass (and evaluate's)."""
    x, y = _data()
    train, val = _Batches(x[:40], y[:40]), _Batches(x[40:], y[40:], 10)
    model = _model()
    model.fit(train, validation_data=val, validation_steps=2, epochs=3, verbose=0)
    assert (train.ends, val.ends) == (3, 3)
    model.evaluate(val, verbose=0)
    assert val.ends == 4


def test_keras2_generator_methods_and_loader_arguments():
    x, y = _data()
    model = _model()
    seq = _Batches(x, y)
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(seq, steps_per_epoch=3, epochs=2, verbose=0, workers=4,
                                      use_multiprocessing=True, validation_data=_Batches(x, y))
    assert history.epoch == [0, 1] and "val_acc" in history.history
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        loss, acc = model.evaluate_generator(seq, steps=3)
    assert [loss, acc] == pytest.approx(model.evaluate(x, y, verbose=0))
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        assert model.predict_generator(seq).shape == (60, 3)
    model.fit(seq, epochs=1, verbose=0, workers=2, use_multiprocessing=False, max_queue_size=4)
    model.evaluate(seq, verbose=0, workers=2)
    model.predict(x, verbose=0, workers=2)


def test_history_reads_keras2_spellings_lr_and_acc():
    """Keras 2 logs 'lr' (Keras 3: 'learning_rate'); old scripts read history['acc'] after metrics=['accuracy']."""
    x, y = _data()
    model = _model(metric="accuracy")
    h = model.fit(x, y, epochs=2, verbose=0, validation_split=0.2,
                  callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert h.history["lr"] == pytest.approx([0.005, 0.0025])
    assert h.history["val_acc"] == h.history["val_accuracy"] and h.history.get("acc") == h.history["accuracy"]
    assert "lr" not in h.history and sorted(h.history) == ["accuracy", "learning_rate", "loss",
                                                           "val_accuracy", "val_loss"]
    with pytest.raises(KeyError):
        h.history["val_auc"]


def test_reduce_lr_on_plateau_at_min_lr_does_not_reduce_again(capsys):
    """0.1 * 0.1 is 0.010000000000000002: at min_lr=0.01 it must not 'reduce' (and print) each epoch."""
    x, y = _data()
    model = _model(optimizer=kerasish.optimizers.SGD(0.1))
    model.fit(x, y, epochs=4, verbose=0, callbacks=[ReduceLROnPlateau("loss", patience=0, min_delta=10,
                                                                      min_lr=0.01, verbose=1)])
    out = capsys.readouterr().out
    assert out.count("reducing learning rate") == 1
    assert model.optimizer.learning_rate == pytest.approx(0.01)


def test_model_checkpoint_keras2_period_and_acc_template(tmp_path):
    x, y = _data()
    model = _model(metric="accuracy")
    with pytest.warns(DeprecationWarning, match="period"):
        every2 = ModelCheckpoint(str(tmp_path / "p-{epoch}.h5"), period=2, save_weights_only=True)
    best = ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_acc:.2f}.hdf5"), monitor="val_acc",
                           save_best_only=True)
    model.fit(x, y, epochs=4, verbose=0, validation_split=0.2, callbacks=[every2, best])
    names = sorted(p.name for p in tmp_path.iterdir())
    assert [n for n in names if n.startswith("p-")] == ["p-2.h5", "p-4.h5"]
    assert names[-1].startswith("w.") and load_model(tmp_path / names[-1]).count_params() == model.count_params()
    with pytest.raises(ValueError, match="period"):
        ModelCheckpoint(str(tmp_path / "x.h5"), period=0)


def test_save_format_h5_whatever_the_name_and_tf_refused(tmp_path):
    """Keras 2: `model.save('my_model', save_format='h5')`, `save_weights('w', save_format='h5')`."""
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "my_model", save_format="h5")
    restored = load_model(tmp_path / "my_model")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    model.save_weights(tmp_path / "ckpt", save_format="h5")
    fresh = _model()
    fresh.load_weights(tmp_path / "ckpt")
    np.testing.assert_array_equal(fresh.get_weights()[0], model.get_weights()[0])
    model.save(tmp_path / "m.h5", save_format="keras")
    assert load_model(tmp_path / "m.h5").count_params() == model.count_params()
    with pytest.raises(ValueError, match="SavedModel"):
        model.save(tmp_path / "saved", save_format="tf")
    with pytest.raises(ValueError, match="SavedModel"):
        model.save_weights(tmp_path / "w", save_format="tf")
    with pytest.raises(ValueError, match="save_format"):
        model.save(tmp_path / "m2.h5", save_format="pickle")


def test_csv_logger_append_across_two_fits_with_initial_epoch(tmp_path):
    x, y = _data()
    model = _model()
    path = tmp_path / "log.csv"
    model.fit(x, y, epochs=2, verbose=0, validation_split=0.2, callbacks=[CSVLogger(path, append=True)])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0, validation_split=0.2,
              callbacks=[CSVLogger(path, append=True)])
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,acc,loss,val_acc,val_loss"
    assert [line.split(",")[0] for line in lines[1:]] == ["0", "1", "2", "3"]


def test_legacy_generator_methods_warn_only_once_per_call():
    x, y = _data()
    model = _model()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.evaluate_generator(_Batches(x, y))
    assert sum(issubclass(w.category, DeprecationWarning) for w in caught) == 1


@pytest.mark.parametrize("suffix", [".h5", ".keras"])
def test_layers_frozen_after_compile_then_saved_still_load(tmp_path, suffix):
    """Freezing after compile leaves an optimizer state for more parameters than the loaded model trains:
    as in Keras, the model loads with its weights and a fresh optimizer state (a warning says so)."""
    x, y = _data()
    model = _model(optimizer="adam")
    model.fit(x, y, epochs=1, verbose=0)
    model.layers[0].trainable = False
    model.save(tmp_path / ("m" + suffix))
    with pytest.warns(UserWarning, match="fresh Adam state"):
        restored = load_model(tmp_path / ("m" + suffix))
    assert len(restored.trainable_weights) == 2 and restored.optimizer.iterations == 0
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    restored.fit(x, y, epochs=1, verbose=0)
