"""LearningRateScheduler: set the learning rate from a function of the epoch."""
import numbers

from kerasish.callbacks._lr import get_lr, set_lr
from kerasish.callbacks.callback import Callback


class LearningRateScheduler(Callback):
    """At the start of each epoch, sets the learning rate to `schedule(epoch, lr)`.

    Args:
        schedule: function `(epoch, lr) -> new lr` (epoch 0-based, lr the current float);
            a one-argument `schedule(epoch)` is accepted too.
        verbose: 1 prints each new rate.

    Adds 'learning_rate' to each epoch's logs.

    Example:

    ```python
    def schedule(epoch, lr):
        return lr if epoch < 10 else lr * 0.9

    model.fit(x, y, epochs=20, callbacks=[LearningRateScheduler(schedule)])
    ```
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be callable, got {type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose
        self._two_args = None

    def _call(self, epoch, lr):
        if self._two_args is None:
            import inspect
            try:
                params = inspect.signature(self.schedule).parameters.values()
                positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
                self._two_args = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
            except (TypeError, ValueError):
                self._two_args = True
        return self.schedule(epoch, lr) if self._two_args else self.schedule(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        lr = get_lr(self.model, "LearningRateScheduler")
        new_lr = self._call(epoch, lr)
        if hasattr(new_lr, "item"):
            new_lr = new_lr.item()
        if isinstance(new_lr, bool) or not isinstance(new_lr, numbers.Real):
            raise ValueError(f"LearningRateScheduler: schedule({epoch}, {lr}) returned {new_lr!r}; "
                             "it must return a float")
        set_lr(self.model, new_lr, "LearningRateScheduler")
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {new_lr:.6g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = get_lr(self.model, "LearningRateScheduler")
