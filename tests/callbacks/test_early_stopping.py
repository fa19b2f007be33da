"""EarlyStopping: patience, restore of the best epoch's weights, monitor checks, reuse."""
import numpy as np
import pytest
from cb_helpers import Script, WeightLog, data, same_weights, tiny_model

from kerasish.callbacks import EarlyStopping
from kerasish.callbacks.monitor import Monitor


def test_stops_after_patience_and_restores_the_best_epoch():
    x, y = data()
    model = tiny_model()
    log = WeightLog()
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=10, validation_split=0.25, verbose=0,
                        callbacks=[Script("val_loss", [3, 1, 2, 4, 5, 6, 7, 8, 9, 10]), log, stop])
    assert history.epoch == [0, 1, 2, 3]          # best at 1; epochs 2 and 3 do not improve
    assert stop.stopped_epoch == 3 and stop.best == 1 and stop.best_epoch == 1
    assert same_weights(model.get_weights(), log.weights[1])
    assert not same_weights(log.weights[3], log.weights[1])


def test_restores_best_weights_even_without_stopping_early():
    x, y = data()
    model = tiny_model()
    log = WeightLog()
    stop = EarlyStopping(monitor="loss", patience=50, restore_best_weights=True)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Script("loss", [5, 2, 3, 4]), log, stop])
    assert stop.stopped_epoch == 0
    assert same_weights(model.get_weights(), log.weights[1])


def test_mode_min_delta_baseline_and_start_from_epoch():
    x, y = data()
    model = tiny_model()
    stop = EarlyStopping(monitor="accuracy", patience=1, min_delta=0.05)
    assert stop.mode == "max"
    h = model.fit(x, y, epochs=6, verbose=0, callbacks=[Script("accuracy", [0.5, 0.52, 0.53, 0.9, 0.91, 0.92]), stop])
    assert h.epoch == [0, 1]   # +0.02 is not an improvement with min_delta=0.05
    stop = EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    h = model.fit(x, y, epochs=6, verbose=0, callbacks=[Script("loss", [0.9, 0.8, 0.7, 0.6, 0.4, 0.3]), stop])
    assert h.epoch == [0, 1]   # improves, but never beats the baseline within 2 epochs
    stop = EarlyStopping(monitor="loss", patience=2, baseline=0.5)
    h = model.fit(x, y, epochs=6, verbose=0, callbacks=[Script("loss", [0.9, 0.4, 0.45, 0.5, 0.3, 0.2]), stop])
    assert h.epoch == [0, 1, 2, 3]
    stop = EarlyStopping(monitor="loss", patience=0, start_from_epoch=3)
    h = model.fit(x, y, epochs=6, verbose=0, callbacks=[Script("loss", [1, 2, 3, 4, 5, 6]), stop])
    assert h.epoch == [0, 1, 2, 3, 4]


def test_state_resets_between_fits():
    x, y = data()
    model = tiny_model()
    stop = EarlyStopping(monitor="loss", patience=1)
    model.fit(x, y, epochs=5, verbose=0, callbacks=[Script("loss", [1, 2, 3, 4, 5]), stop])
    assert stop.stopped_epoch == 1
    h = model.fit(x, y, epochs=3, verbose=0, callbacks=[Script("loss", [9, 8, 7]), stop])
    assert h.epoch == [0, 1, 2] and stop.best == 7


def test_val_monitor_without_validation_data_fails_at_train_begin():
    x, y = data()
    model = tiny_model()
    seen = []
    with pytest.raises(ValueError, match="monitors 'val_loss', but fit\\(\\) got no validation data"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[EarlyStopping(), Script("loss", seen)])


def test_missing_key_fails_at_first_epoch_end_listing_keys():
    x, y = data()
    model = tiny_model()
    with pytest.raises(ValueError, match=r"'val_acuracy'.*Available keys: \['accuracy', 'loss', 'val_accuracy'"):
        model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=[EarlyStopping(monitor="val_acuracy")])


def test_acc_alias():
    x, y = data()
    model = tiny_model()
    stop = EarlyStopping(monitor="val_acc", patience=5)
    model.fit(x, y, epochs=2, validation_split=0.25, verbose=0, callbacks=[stop])
    assert stop.mode == "max" and stop.best is not None


def test_skips_epochs_without_validation_when_validation_freq_is_above_one():
    x, y = data()
    model = tiny_model()
    stop = EarlyStopping(patience=5)
    model.fit(x, y, epochs=4, validation_split=0.25, validation_freq=2, verbose=0, callbacks=[stop])
    assert stop.best is not None


def test_monitor_rules():
    assert Monitor("val_auc").mode == "max" and Monitor("val_loss").mode == "min"
    assert Monitor("out_accuracy").mode == "max" and Monitor("mae").mode == "min"
    m = Monitor("loss", "min", min_delta=-0.1)
    assert m.min_delta == 0.1 and m.is_better(0.5, None) and m.is_better(0.5, 0.7) and not m.is_better(0.65, 0.7)
    assert np.isinf(m.initial())
    with pytest.raises(ValueError, match="mode must be"):
        Monitor("loss", "lowest")
    with pytest.raises(ValueError, match="patience"):
        EarlyStopping(patience=-1)
