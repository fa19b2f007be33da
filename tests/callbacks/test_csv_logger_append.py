"""CSVLogger(append=True) onto a file whose header has other columns than the new run's logs."""
import csv

import pytest
from cb_helpers import data, tiny_model

from kerasish.callbacks.csv_logger import CSVLogger


def read_rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def run(path, epochs_logs, **kwargs):
    """Drive a CSVLogger through one training run without a model."""
    logger = CSVLogger(path, **kwargs)
    logger.on_train_begin()
    for epoch, logs in epochs_logs:
        logger.on_epoch_end(epoch, dict(logs))
    logger.on_train_end()


def test_append_with_same_columns_keeps_one_header(tmp_path):
    path = tmp_path / "log.csv"
    run(path, [(0, {"loss": 1.0, "acc": 0.5})])
    run(path, [(1, {"acc": 0.6, "loss": 0.9})], append=True)
    assert read_rows(path) == [["epoch", "acc", "loss"], ["0", "0.5", "1.0"], ["1", "0.6", "0.9"]]


def test_append_keeps_existing_column_order_and_fills_missing_with_na(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("epoch,loss,acc\n0,1.0,0.5\n")  # not sorted: written by another tool or version
    run(path, [(1, {"acc": 0.6, "loss": 0.9})], append=True)
    run(path, [(2, {"loss": 0.8})], append=True)
    assert read_rows(path) == [["epoch", "loss", "acc"], ["0", "1.0", "0.5"], ["1", "0.9", "0.6"],
                               ["2", "0.8", "NA"]]


def test_append_with_new_metric_widens_the_header(tmp_path):
    path = tmp_path / "log.csv"
    run(path, [(0, {"loss": 1.0}), (1, {"loss": 0.9})])
    run(path, [(2, {"loss": 0.8, "mae": 0.3, "acc": 0.7}), (3, {"loss": 0.7, "mae": 0.2, "acc": 0.8})], append=True)
    assert read_rows(path) == [["epoch", "loss", "acc", "mae"],
                               ["0", "1.0", "NA", "NA"], ["1", "0.9", "NA", "NA"],
                               ["2", "0.8", "0.7", "0.3"], ["3", "0.7", "0.8", "0.2"]]
    assert not [p.name for p in tmp_path.iterdir() if p.name != "log.csv"]  # no temporary file left


def test_widening_keeps_separator_and_quoted_cells(tmp_path):
    path = tmp_path / "log.tsv"
    run(path, [(0, {"loss": 1.0, "note": "a\tb"})], separator="\t")
    run(path, [(1, {"loss": 0.5, "lr": 0.1})], separator="\t", append=True)
    assert read_rows(path, "\t") == [["epoch", "loss", "note", "lr"], ["0", "1.0", "a\tb", "NA"],
                                     ["1", "0.5", "NA", "0.1"]]


def test_append_to_missing_or_empty_file_writes_the_header(tmp_path):
    path = tmp_path / "log.csv"
    run(path, [(0, {"loss": 1.0})], append=True)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    run(empty, [(0, {"loss": 1.0})], append=True)
    assert read_rows(path) == read_rows(empty) == [["epoch", "loss"], ["0", "1.0"]]


def test_fit_appending_with_validation_added_widens_the_file(tmp_path):
    x, y = data()
    path = tmp_path / "log.csv"
    model = tiny_model()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path)])
    history = model.fit(x, y, epochs=1, validation_split=0.25, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = read_rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][3:] == ["NA", "NA"]
    assert float(rows[2][4]) == pytest.approx(history.history["val_loss"][0])
