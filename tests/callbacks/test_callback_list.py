"""Callback base, CallbackList (fan-out, defaults, logs dicts), History and the progress bar."""
import pytest
from cb_helpers import data, tiny_model

from kerasish.callbacks import Callback, CallbackList, History, LambdaCallback, ProgbarLogger
from kerasish.callbacks.callback_list import _overrides
from kerasish.callbacks.progbar import format_logs, resolve_verbose


def test_callback_base_hooks_are_noops_and_legacy_aliases_fire():
    seen = []

    class Legacy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(batch)

    cb = Legacy()
    cb.set_model("m")
    cb.set_params({"epochs": 1})
    assert cb.model == "m" and cb.params == {"epochs": 1}
    for hook in ("on_train_begin", "on_test_end", "on_predict_begin"):
        getattr(Callback(), hook)({})
    cbl = CallbackList([cb])
    cbl.on_train_batch_end(3)
    assert seen == [3] and _overrides(cb, "on_train_batch_end") and not _overrides(cb, "on_epoch_end")


def test_callback_list_adds_defaults_last_and_reuses_given_ones():
    user = LambdaCallback(on_epoch_end=lambda e, logs: None)
    cbl = CallbackList([user], add_history=True, add_progbar=True, model="m", epochs=2, steps=3, verbose=1)
    assert cbl.callbacks[0] is user
    assert isinstance(cbl.callbacks[1], History) and isinstance(cbl.callbacks[2], ProgbarLogger)
    assert all(cb.model == "m" and cb.params == {"epochs": 2, "steps": 3, "verbose": 1} for cb in cbl)
    history = History()
    cbl = CallbackList([history], add_history=True)
    assert cbl.history is history and len(cbl) == 1
    with pytest.raises(TypeError, match="Callback instances"):
        CallbackList([lambda: None])


def test_logs_are_always_dicts():
    got = []

    class Grab(Callback):
        def on_epoch_end(self, epoch, logs=None):
            got.append(logs)

        def on_test_batch_begin(self, batch, logs=None):
            got.append(logs)

        def on_train_end(self, logs=None):
            got.append(logs)

    cbl = CallbackList([Grab()])
    cbl.on_epoch_end(0)
    cbl.on_test_batch_begin(0, None)
    cbl.on_train_end()
    assert got == [{}, {}, {}]


def test_history_records_epochs_and_is_reset_per_fit():
    x, y = data()
    model = tiny_model()
    h1 = model.fit(x, y, epochs=2, verbose=0)
    assert h1.epoch == [0, 1] and len(h1.history["loss"]) == 2
    history = History()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[history])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[history])
    assert history.epoch == [0, 1] and len(history.history["accuracy"]) == 2
    assert model.history is history


def test_history_plot(tmp_path):
    x, y = data()
    history = tiny_model().fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install matplotlib"):
            history.plot()
        return
    fig = history.plot(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 0 and len(fig.axes) == 2
    with pytest.raises(ValueError, match="unknown keys"):
        history.plot(keys=["nope"])


def test_verbose_resolution():
    assert resolve_verbose(0) == 0 and resolve_verbose(2) == 2
    assert resolve_verbose("auto") == 2  # pytest's captured stdout is not a terminal
    with pytest.raises(ValueError, match="verbose"):
        resolve_verbose("loud")


def test_format_logs():
    assert format_logs({"loss": 0.5, "accuracy": 1, "lr": 1e-5, "junk": "x"}) == \
        "loss: 0.5000 - accuracy: 1.0000 - lr: 1.0000e-05"


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = data()
    model = tiny_model()
    model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=2)
    lines = [l for l in capsys.readouterr().out.splitlines() if l.strip()]
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3 - 3/3 - ") and "loss: " in lines[0] and "val_accuracy: " in lines[0]
    model.evaluate(x, y, verbose=2)
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("Evaluate - 2/2") and "accuracy" in out[0]


def test_verbose_0_is_silent_and_auto_is_line_mode(capsys):
    x, y = data()
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=2)  # 'auto' and not a terminal -> one line per epoch
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_verbose_1_draws_a_tqdm_bar_per_epoch(capsys):
    x, y = data()
    model = tiny_model()
    model.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "3/3" in out and "val_loss" in out
    model.predict(x, verbose=1)
    assert "Predict" in capsys.readouterr().out


def test_progbar_closes_when_training_raises(capsys):
    x, y = data()
    model = tiny_model()

    def boom(batch, logs):
        raise RuntimeError("boom")

    bar = ProgbarLogger()
    with pytest.raises(RuntimeError, match="boom"):
        model.fit(x, y, epochs=1, verbose=1, callbacks=[bar, LambdaCallback(on_train_batch_end=boom)])
    assert bar._bar is None
