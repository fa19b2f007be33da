"""CSVLogger: write one CSV row per epoch."""
import csv
import os
import tempfile

from kerasish.callbacks.callback import Callback


class CSVLogger(Callback):
    """Streams each epoch's logs to a CSV file: an 'epoch' column, then the log keys sorted.

    Args:
        filename: path of the CSV file.
        separator: column separator.
        append: append to an existing file (no second header) instead of overwriting it.

    Keys missing on some epoch (e.g. `val_*` with `validation_freq` > 1) are written as 'NA'.

    With `append=True` the existing file's header decides the columns: its order is
    kept and columns this run does not log are 'NA'. When this run logs keys the header
    lacks (a metric or validation added), the file is rewritten once, atomically (a
    temporary file then `os.replace`), with those columns added at the end of the header
    (sorted) and 'NA' in the earlier rows, so no column is dropped or misaligned. (Keras
    writes the new run's columns under the old header, which shifts them.) A file whose
    first column is not 'epoch' is not a CSVLogger file: rows are appended with this run's
    columns and no header.

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
        self._file_keys = None  # the existing file's columns (after 'epoch'), when appending to one
        if has_rows:
            with open(self.filename, newline="") as f:
                header = next(csv.reader(f, delimiter=self.sep), None)
            if header and header[0] == "epoch":
                self._file_keys = header[1:]

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self.keys is None:
            keys = set(logs)
            if getattr(self.model, "_do_validation", False) and not any(k.startswith("val_") for k in logs):
                keys |= {"val_" + k for k in logs if not k.startswith("val_") and k != "learning_rate"}
            if self._file_keys is None:
                self.keys = sorted(keys)
            else:
                added = sorted(keys - set(self._file_keys))
                self.keys = self._file_keys + added
                if added:
                    self._widen(len(self._file_keys), added)
        if self._writer is None:
            self._writer = csv.writer(self._file, delimiter=self.sep, lineterminator="\n")
            if self._header_needed:
                self._writer.writerow(["epoch"] + self.keys)
        self._writer.writerow([epoch] + [_cell(logs[k]) if k in logs else "NA" for k in self.keys])
        self._file.flush()

    def _widen(self, old_width, added):
        """Rewrite the file with `added` columns at the end of its header, 'NA' in the rows so far."""
        self._file.close()
        with open(self.filename, newline="") as f:
            rows = list(csv.reader(f, delimiter=self.sep))
        header, body = rows[0], rows[1:]
        width = 1 + old_width
        folder = os.path.dirname(os.path.abspath(self.filename))
        fd, tmp = tempfile.mkstemp(prefix=".csvlogger-", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", newline="") as f:
                writer = csv.writer(f, delimiter=self.sep, lineterminator="\n")
                writer.writerow(header + added)
                for row in body:
                    if not row:  # a blank line: nothing to widen
                        continue
                    writer.writerow(row + ["NA"] * (width - len(row)) + ["NA"] * len(added))
            try:
                os.chmod(tmp, os.stat(self.filename).st_mode & 0o777)  # keep the log's permissions
            except OSError:
                pass
            os.replace(tmp, self.filename)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            self._file = open(self.filename, "a", newline="")
            raise
        self._file = open(self.filename, "a", newline="")

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
