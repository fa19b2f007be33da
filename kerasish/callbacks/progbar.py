"""ProgbarLogger: the progress display of fit / evaluate / predict, on tqdm.

verbose=1 draws one tqdm bar per epoch (its postfix shows the running loss and metrics,
then the epoch's final logs including `val_*`); verbose=2 prints one line per epoch, which
is what log files and batch schedulers want; verbose=0 prints nothing (no ProgbarLogger is
added). `verbose='auto'` is resolved by the trainer: 1 on a terminal or in Jupyter, 2
otherwise, so logs redirected to a file are never flooded with per-step redraws.
"""
import sys
import time

from kerasish.callbacks.callback import Callback

_REFRESH_S = 0.1  # postfix refresh period; tqdm redraws at most this often anyway


def format_logs(logs):
    """'loss: 0.1234 - accuracy: 0.9800' (Keras's 4 decimals, scientific for tiny values)."""
    parts = []
    for key, value in logs.items():
        try:
            value = float(value)
        except (TypeError, ValueError):
            continue
        text = f"{value:.4f}" if value == 0 or not abs(value) < 1e-3 else f"{value:.4e}"
        parts.append(f"{key}: {text}")
    return " - ".join(parts)


def resolve_verbose(verbose):
    """'auto' -> 1 on a terminal or in a Jupyter kernel, 2 otherwise; ints are checked (0, 1 or 2)."""
    if verbose == "auto":
        if "ipykernel" in sys.modules:
            return 1
        try:
            return 1 if sys.stdout.isatty() else 2
        except (AttributeError, ValueError):
            return 2
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto', got {verbose!r}")
    return int(verbose)


class ProgbarLogger(Callback):
    """Prints progress and logs to stdout; `fit` adds one when verbose != 0.

    During `fit`, validation (the `on_test_*` hooks) is not drawn separately: its `val_*`
    results appear in the epoch's final line.
    """

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.steps = None
        self._in_fit = False
        self._bar = None
        self._start = 0.0
        self._seen = 0
        self._last_postfix = 0.0

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)
        self.steps = params.get("steps")

    # --- shared machinery ---
    def _begin(self, desc):
        self._start = time.monotonic()
        self._seen = 0
        self._last_postfix = 0.0
        if self.verbose == 1:
            from tqdm import tqdm
            self.close()
            self._bar = tqdm(total=self.steps, desc=desc, file=sys.stdout, unit="step", leave=True,
                             dynamic_ncols=True, mininterval=_REFRESH_S,
                             bar_format="{desc}: {n_fmt}/{total_fmt} |{bar:20}| {elapsed}<{remaining}"
                                        ", {rate_fmt}{postfix}")

    def _batch(self, logs):
        self._seen += 1
        bar = self._bar
        if bar is not None:
            now = time.monotonic()
            if now - self._last_postfix >= _REFRESH_S:
                self._last_postfix = now
                bar.set_postfix_str(format_logs(logs), refresh=False)
            bar.update(1)

    def _end(self, desc, logs):
        text = format_logs(logs)
        if self._bar is not None:
            self._bar.set_postfix_str(text, refresh=False)
            self.close()
        elif self.verbose == 2:
            elapsed = time.monotonic() - self._start
            per_step = f" - {1000 * elapsed / self._seen:.0f}ms/step" if self._seen else ""
            steps = f"{self._seen}/{self.steps if self.steps is not None else self._seen}"
            line = f"{desc} - {steps} - {elapsed:.0f}s{per_step}"
            print(line + (f" - {text}" if text else ""), file=sys.stdout, flush=True)

    def close(self):
        """Closes an open bar (the trainer calls this when a run raises)."""
        if self._bar is not None:
            bar, self._bar = self._bar, None
            bar.close()

    # --- fit ---
    def on_train_begin(self, logs=None):
        self._in_fit = True

    def on_train_end(self, logs=None):
        self._in_fit = False
        self.close()

    def on_epoch_begin(self, epoch, logs=None):
        self._desc = f"Epoch {epoch + 1}/{self.epochs}"
        self._begin(self._desc)

    def on_train_batch_end(self, batch, logs=None):
        self._batch(logs)

    def on_epoch_end(self, epoch, logs=None):
        self._end(self._desc, logs)
        if self.steps is None and self._seen:  # an unsized input: later epochs show the learnt length, as Keras
            self.steps = self._seen

    # --- evaluate / predict (not the validation inside fit) ---
    def on_test_begin(self, logs=None):
        if not self._in_fit:
            self._begin("Evaluate")

    def on_test_batch_end(self, batch, logs=None):
        if not self._in_fit:
            self._batch(logs)

    def on_test_end(self, logs=None):
        if not self._in_fit:
            self._end("Evaluate", logs)

    def on_predict_begin(self, logs=None):
        self._begin("Predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._batch({})

    def on_predict_end(self, logs=None):
        self._end("Predict", {})
