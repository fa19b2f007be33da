"""CSVLogger, TerminateOnNaN and LambdaCallback."""
import csv

import numpy as np
import pytest
from cb_helpers import data, tiny_model

from kerasish.callbacks import CSVLogger, LambdaCallback, TerminateOnNaN


def read_rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_csv_logger_writes_a_row_per_epoch(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    history = tiny_model().fit(x, y, epochs=3, validation_split=0.25, verbose=0, callbacks=[CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert float(rows[3][2]) == pytest.approx(history.history["loss"][2])


def test_csv_logger_append_and_separator(tmp_path):
    x, y = data()
    path = tmp_path / "log.tsv"
    model = tiny_model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator="\t", append=True)])
    rows = read_rows(path, "\t")
    assert rows[0] == ["epoch", "accuracy", "loss"] and len(rows) == 4
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator="\t")])
    assert len(read_rows(path, "\t")) == 2


def test_csv_logger_fills_missing_validation_with_na(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    tiny_model().fit(x, y, epochs=2, validation_split=0.25, validation_freq=2, verbose=0, callbacks=[CSVLogger(path)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][3:] == ["NA", "NA"] and rows[2][3] != "NA"


def test_terminate_on_nan_stops_at_the_first_bad_batch(capsys):
    x, y = data()
    x[3, 0] = np.nan
    seen = []
    history = tiny_model().fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0, callbacks=[
        TerminateOnNaN(), LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(b))])
    assert seen == [0] and history.epoch == [0] and np.isnan(history.history["loss"][0])
    assert "Invalid loss" in capsys.readouterr().out


def test_lambda_callback_hooks_and_errors():
    x, y = data()
    events = []
    cb = LambdaCallback(on_train_begin=lambda logs: events.append("begin"),
                        on_epoch_end=lambda e, logs: events.append(("epoch", e, round(logs["loss"], 3) > 0)),
                        on_batch_end=lambda b, logs: events.append("batch"),
                        on_test_end=lambda logs: events.append("test"))
    tiny_model().fit(x, y, epochs=2, batch_size=32, validation_split=0.5, verbose=0, callbacks=[cb])
    assert events == ["begin", "batch", "test", ("epoch", 0, True), "batch", "test", ("epoch", 1, True)]
    with pytest.raises(TypeError, match="unknown hooks"):
        LambdaCallback(on_epoch_finish=print)
    with pytest.raises(TypeError, match="must be callable"):
        LambdaCallback(on_epoch_end=3)
