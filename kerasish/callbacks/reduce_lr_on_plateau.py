"""ReduceLROnPlateau: lower the learning rate when a metric stops improving."""
import numpy as np

from kerasish.callbacks._lr import get_lr, set_lr
from kerasish.callbacks.callback import Callback
from kerasish.callbacks.monitor import Monitor


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by `factor` after `patience` epochs without improvement.

    Args:
        monitor: log key to watch (default 'val_loss').
        factor: new_lr = lr * factor (must be < 1).
        patience: epochs without improvement before lowering the rate.
        verbose: 1 prints each change.
        mode: 'min', 'max' or 'auto'.
        min_delta: smallest change counted as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: lower bound of the learning rate.

    Adds 'learning_rate' to each epoch's logs. State is reset in `on_train_begin`.

    Example:

    ```python
    model.fit(x, y, validation_split=0.1, epochs=30,
              callbacks=[ReduceLROnPlateau(factor=0.5, patience=3, min_lr=1e-5)])
    ```
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__()
        if "epsilon" in kwargs:  # Keras 1 name of min_delta
            min_delta = kwargs.pop("epsilon")
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau got unexpected keyword arguments: {sorted(kwargs)}")
        if not factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support factor >= 1.0, got {factor!r}")
        self.monitor_rule = Monitor(monitor, mode, min_delta, owner="ReduceLROnPlateau")
        self.monitor = monitor
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = verbose
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self._reset()

    def _reset(self):
        self.wait = 0
        self.cooldown_counter = 0
        self.best = None

    def on_train_begin(self, logs=None):
        self._reset()
        self.monitor_rule.check_train_begin(self.model)

    def in_cooldown(self):
        """True while waiting after a reduction."""
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        lr = get_lr(self.model, "ReduceLROnPlateau")
        logs["learning_rate"] = lr
        current = self.monitor_rule.get(logs)
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self.monitor_rule.is_better(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            # float32, as the rate is stored in Keras: 0.1 * 0.1 is 0.010000000000000002 in float64,
            # which must not count as above min_lr=0.01.
            if self.wait >= self.patience and np.float32(lr) > np.float32(self.min_lr):
                new_lr = max(lr * self.factor, self.min_lr)
                set_lr(self.model, new_lr, "ReduceLROnPlateau")
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr:.4g}.")
                self.cooldown_counter = self.cooldown
                self.wait = 0
