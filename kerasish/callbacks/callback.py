"""Callback: the base class of everything that hooks into fit / evaluate / predict."""


class Callback:
    """Base class for callbacks; every hook is a no-op here.

    `fit`, `evaluate` and `predict` call the hooks below in this order (per epoch of `fit`:
    `on_epoch_begin`, the train batches, then validation as `on_test_*`, then `on_epoch_end`).
    `logs` is always a dict (possibly empty), never None. Batch logs hold running means over
    the epoch so far; epoch logs hold the epoch's means plus `val_*` entries.

    Attributes:
        model: the model being trained (set by `set_model`).
        params: {'epochs', 'steps', 'verbose'} of the current run (set by `set_params`).

    Example:

    ```python
    class PrintLoss(Callback):
        def on_epoch_end(self, epoch, logs):
            print(epoch, logs['loss'])

    model.fit(x, y, callbacks=[PrintLoss()])
    ```
    """

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        """Sets the model this callback observes."""
        self.model = model

    def set_params(self, params):
        """Sets the run's parameters ({'epochs', 'steps', 'verbose'})."""
        self.params = params

    # --- fit ---
    def on_train_begin(self, logs=None):
        """Called once at the start of `fit`."""

    def on_train_end(self, logs=None):
        """Called once at the end of `fit` (also when stopped early); logs are the last epoch's."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of each epoch (0-based)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of each epoch with its logs (including `val_*` keys)."""

    def on_train_batch_begin(self, batch, logs=None):
        """Called before each training batch (calls the legacy `on_batch_begin`)."""
        self.on_batch_begin(batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        """Called after each training batch with the running-mean logs (calls `on_batch_end`)."""
        self.on_batch_end(batch, logs)

    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of `on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of `on_train_batch_end`."""

    # --- evaluate (and validation inside fit) ---
    def on_test_begin(self, logs=None):
        """Called at the start of `evaluate` and of each validation run in `fit`."""

    def on_test_end(self, logs=None):
        """Called at the end of `evaluate` / validation with the final logs."""

    def on_test_batch_begin(self, batch, logs=None):
        """Called before each evaluation batch."""

    def on_test_batch_end(self, batch, logs=None):
        """Called after each evaluation batch with running-mean logs."""

    # --- predict ---
    def on_predict_begin(self, logs=None):
        """Called at the start of `predict`."""

    def on_predict_end(self, logs=None):
        """Called at the end of `predict`."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Called before each prediction batch."""

    def on_predict_batch_end(self, batch, logs=None):
        """Called after each prediction batch; logs hold {'outputs': the batch's outputs}."""
