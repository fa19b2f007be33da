"""ModelCheckpoint: save the model or its weights during training."""
import os
import re
import warnings

from kerasish.callbacks.callback import Callback
from kerasish.callbacks.history import _twin
from kerasish.callbacks.monitor import Monitor


class ModelCheckpoint(Callback):
    """Saves the model (or only its weights) at the end of every epoch or every N batches.

    Args:
        filepath: path, may hold templates filled from the epoch (1-based), the batch and the
            logs, e.g. 'ckpt/w.{epoch:02d}-{val_loss:.2f}.h5'. Missing folders are created.
        monitor: log key compared when `save_best_only` (default 'val_loss').
        verbose: 1 prints a line for each save.
        save_best_only: save only when `monitor` improves (the file then holds the best model).
        save_weights_only: True calls `model.save_weights(path)`; False (default, as Keras)
            calls `model.save(path)` (architecture, weights and optimizer state).
        mode: 'min', 'max' or 'auto'.
        save_freq: 'epoch', or an int: save every that many training batches.
        initial_value_threshold: a value the monitored metric must beat to be saved at all.
        period: Keras 2's deprecated argument: with save_freq='epoch', save every `period` epochs.
        options: accepted for Keras 2 compatibility and ignored (TensorFlow save options).

    A template key may use either spelling of accuracy: '{val_acc:.2f}' works with
    `metrics=['accuracy']` and '{val_accuracy}' with `metrics=['acc']`.

    The best value seen so far persists across `fit` calls, because it describes the file on
    disk: a later `fit` does not overwrite a better checkpoint with a worse one.

    Example:

    ```python
    ckpt = ModelCheckpoint('best.weights.h5', monitor='val_accuracy', save_best_only=True,
                           save_weights_only=True)
    model.fit(x, y, validation_split=0.1, epochs=10, callbacks=[ckpt])
    ```
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch", options=None,
                 initial_value_threshold=None, period=None):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor_rule = Monitor(monitor, mode, 0.0, owner="ModelCheckpoint")
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self._check_suffix()
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq <= 0):
            raise ValueError(f"ModelCheckpoint: save_freq must be 'epoch' or a positive int (batches), "
                             f"got {save_freq!r}")
        self.save_freq = save_freq
        if period is not None:
            if isinstance(period, bool) or not isinstance(period, int) or period <= 0:
                raise ValueError(f"ModelCheckpoint: period must be a positive int (epochs), got {period!r}")
            warnings.warn("ModelCheckpoint: `period` is deprecated (as in Keras 2); it saves every "
                          f"{period} epochs. Use save_freq (batches) instead.", DeprecationWarning, stacklevel=2)
        self.period = period or 1
        self._epochs_since_save = 0
        self.best = initial_value_threshold
        self._batches = 0
        self._epoch = 0

    def _check_suffix(self):
        """Fails at construction, not after the first epoch of training, on a name save() refuses."""
        path = self.filepath
        if self.save_weights_only:
            if not path.endswith((".weights.h5", ".h5", ".hdf5")):
                raise ValueError(f"ModelCheckpoint(save_weights_only=True): the file name must end in "
                                 f"'.weights.h5' or '.h5', got '{path}'")
        elif not path.endswith((".keras", ".h5", ".hdf5")) or path.endswith(".weights.h5"):
            raise ValueError(f"ModelCheckpoint saves whole models: the file name must end in '.keras' or "
                             f"'.h5', or pass save_weights_only=True with a '.weights.h5' name; got '{path}'")

    def on_train_begin(self, logs=None):
        self._batches = 0
        self._epochs_since_save = 0
        if not self.save_best_only:
            return
        if self.save_freq != "epoch" and self.monitor_rule.is_validation:
            raise ValueError(f"ModelCheckpoint: save_freq={self.save_freq} saves between batches, where "
                             f"'{self.monitor}' (a validation metric) does not exist; use "
                             "save_freq='epoch' or monitor a training metric such as 'loss'")
        self.monitor_rule.check_train_begin(self.model)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches % self.save_freq == 0:
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._epochs_since_save += 1
            if self._epochs_since_save >= self.period:
                self._epochs_since_save = 0
                self._save(epoch, None, logs or {})

    def _save(self, epoch, batch, logs):
        if self.save_best_only:
            current = self.monitor_rule.get(logs)
            if current is None:
                return
            if not self.monitor_rule.is_better(current, self.best):
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {self.best:.5f}")
                return
            if self.verbose > 0:
                previous = f"{self.monitor_rule.initial():.5f}" if self.best is None else f"{self.best:.5f}"
                print(f"\nEpoch {epoch + 1}: {self.monitor} improved from {previous} to {current:.5f}")
            self.best = current
        path = self._path(epoch, batch, logs)
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: saving model to {path}")
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)

    def _path(self, epoch, batch, logs):
        """Fills the filepath template; a key missing from the logs raises, naming the keys."""
        values = dict(logs)
        values["epoch"] = epoch + 1
        if batch is not None:
            values["batch"] = batch + 1
        known = sorted(values)
        for key in known:
            twin = _twin(key)
            if twin is not None:
                values.setdefault(twin, values[key])
        try:
            return self.filepath.format(**values)
        except KeyError as exc:
            raise ValueError(f"ModelCheckpoint: filepath {self.filepath!r} uses {{{exc.args[0]}}}, which is "
                             f"not available; available keys: {known}") from None
        except (IndexError, ValueError) as exc:
            fields = re.findall(r"{([^{}]*)}", self.filepath)
            raise ValueError(f"ModelCheckpoint: cannot format filepath {self.filepath!r} "
                             f"(fields {fields}): {exc}") from None
