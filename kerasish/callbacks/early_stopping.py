"""EarlyStopping: stop training when a monitored metric stops improving."""
from kerasish.callbacks.callback import Callback
from kerasish.callbacks.monitor import Monitor


class EarlyStopping(Callback):
    """Stops `fit` when `monitor` has not improved for `patience` epochs.

    Args:
        monitor: log key to watch ('val_loss', 'val_accuracy', 'loss', ...; 'acc' works too).
        min_delta: smallest change counted as an improvement.
        patience: epochs without improvement before stopping (0: stop at the first).
        verbose: 1 prints when it stops and when it restores weights.
        mode: 'min', 'max' or 'auto' (from the metric's name).
        baseline: training stops unless the value beats this within `patience` epochs
            (improving on earlier epochs is not enough until the baseline is beaten).
        restore_best_weights: at the end of training, load the weights of the best epoch,
            whether or not this callback stopped training (Keras 3 behaviour).
        start_from_epoch: epochs to wait before monitoring starts (warm-up).

    State is reset in `on_train_begin`, so one instance can serve several `fit` calls.

    Example:

    ```python
    stop = EarlyStopping(monitor='val_loss', patience=2, restore_best_weights=True)
    model.fit(x, y, validation_split=0.1, epochs=50, callbacks=[stop])
    ```
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto",
                 baseline=None, restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if int(patience) < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience!r}")
        self.monitor_rule = Monitor(monitor, mode, min_delta, owner="EarlyStopping")
        self.monitor = self.monitor_rule.monitor
        self.mode = self.monitor_rule.mode
        self.min_delta = self.monitor_rule.min_delta
        self.patience = int(patience)
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self.on_train_begin()

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = 0
        self.best_weights = None
        if self.model is not None:
            self.monitor_rule.check_train_begin(self.model)

    def on_epoch_end(self, epoch, logs=None):
        current = self.monitor_rule.get(logs or {})
        if current is None or epoch < self.start_from_epoch:
            return
        self.wait += 1
        if self.monitor_rule.is_better(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self.monitor_rule.is_better(current, self.baseline):
                self.wait = 0
                return
            # improved, but not past the baseline yet: the patience clock keeps running
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)
