"""CSVLogger: write one CSV row per epoch."""
import csv
import os

from kerasish.callbacks.callback import Callback


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file: an 'epoch' column, then the log keys sorted.

    Args:
        filename: path of the CSV file.
        separator: column separator.
        append: append to an existing file (no second header) instead of overwriting it.

    Keys missing on some epoch (e.g. `val_*` with `validation_freq` > 1) are written as 'NA'.

    Example:

    ```python
    model.fit(x, y, epochs=5, callbacks=[CSVLogger('training.csv')])
    ```
    """

    def __init__(self, filename, separator=",", append=False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = bool(append)
        self.keys = None
        self._file = None
        self._writer = None

    def on_train_begin(self, logs=None):
        has_rows = self.append and os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = None
        self.keys = None
        self._header_needed = not has_rows
        if has_rows:  # continue with the existing header's columns
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            if header and header[0] == "epoch":
                self.keys = header[1:]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            keys = set(logs)
            if getattr(self.model, "_do_validation", False) and not any(k.startswith("val_") for k in logs):
                keys |= {"val_" + k for k in logs if not k.startswith("val_") and k != "learning_rate"}
            self.keys = sorted(keys)
        if self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if self._header_needed:
                self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + [_cell(logs[k]) if k in logs else "NA" for k in self.keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None
            self._writer = None


def _cell(value):
    if hasattr(value, "item") and getattr(value, "size", 0) == 1:
        value = value.item()
    if isinstance(value, (list, tuple)) or (hasattr(value, "shape") and getattr(value, "ndim", 0) > 0):
        return '"[' + ", ".join(str(v) for v in list(value)) + ']"'
    return value
