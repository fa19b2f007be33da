"""CallbackList: fans each hook out to a list of callbacks and adds the default ones."""
from kerasish.callbacks.callback import Callback
from kerasish.callbacks.history import History

_HOOKS = (
    "on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end",
    "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end",
)
_LEGACY = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(callback, hook):
    """True when `callback` does something in `hook` (so batch hooks can skip no-op callbacks)."""
    fn = getattr(callback, hook, None)
    if fn is None:
        return False
    base = getattr(Callback, hook)
    if getattr(fn, "__func__", fn) is not base:
        return True
    legacy = _LEGACY.get(hook)
    return legacy is not None and _overrides(callback, legacy)


class CallbackList:
    """Calls every hook on each callback in order, with `logs` always a dict.

    Args:
        callbacks: list of `Callback` objects (or None).
        add_history: append a `History` unless one is in the list.
        add_progbar: append a `ProgbarLogger` unless one is in the list.
        model: the model, given to every callback via `set_model`.
        **params: run parameters ({'epochs', 'steps', 'verbose'}) given via `set_params`.

    Defaults go last, so `History` and the progress bar see what user callbacks add to the
    logs (e.g. 'learning_rate' from `ReduceLROnPlateau`). Batch hooks only call callbacks
    that override them, which keeps the per-step cost of a long callback list near zero.
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        if callbacks is not None and not isinstance(callbacks, (list, tuple)):
            if isinstance(callbacks, CallbackList):
                callbacks = callbacks.callbacks
            else:
                callbacks = [callbacks]
        self.callbacks = list(callbacks or [])
        for cb in self.callbacks:
            if not all(hasattr(cb, h) for h in ("set_model", "set_params")):
                raise TypeError(f"callbacks must be Callback instances, got {type(cb).__name__}: "
                                "subclass kerasish.callbacks.Callback")
        self.history = next((cb for cb in self.callbacks if isinstance(cb, History)), None)
        if self.history is None and add_history:
            self.history = History()
            self.callbacks.append(self.history)
        from kerasish.callbacks.progbar import ProgbarLogger
        self.progbar = next((cb for cb in self.callbacks if isinstance(cb, ProgbarLogger)), None)
        if self.progbar is None and add_progbar:
            self.progbar = ProgbarLogger()
            self.callbacks.append(self.progbar)
        self.model = None
        self.params = {}
        self._refresh()
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def _refresh(self):
        self._by_hook = {h: [getattr(cb, h) for cb in self.callbacks if _overrides(cb, h)] for h in _HOOKS}

    def append(self, callback):
        """Adds a callback at the end."""
        self.callbacks.append(callback)
        if self.model is not None:
            callback.set_model(self.model)
        callback.set_params(self.params)
        self._refresh()

    def set_model(self, model):
        """Sets the model on every callback."""
        self.model = model
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params):
        """Sets the run parameters on every callback."""
        self.params = params
        for cb in self.callbacks:
            cb.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def _call(self, hook, *args):
        for fn in self._by_hook[hook]:
            fn(*args)

    def on_train_begin(self, logs=None):
        self._call("on_train_begin", {} if logs is None else logs)

    def on_train_end(self, logs=None):
        self._call("on_train_end", {} if logs is None else logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._call("on_epoch_begin", epoch, {} if logs is None else logs)

    def on_epoch_end(self, epoch, logs=None):
        self._call("on_epoch_end", epoch, {} if logs is None else logs)

    def on_test_begin(self, logs=None):
        self._call("on_test_begin", {} if logs is None else logs)

    def on_test_end(self, logs=None):
        self._call("on_test_end", {} if logs is None else logs)

    def on_predict_begin(self, logs=None):
        self._call("on_predict_begin", {} if logs is None else logs)

    def on_predict_end(self, logs=None):
        self._call("on_predict_end", {} if logs is None else logs)

    def on_train_batch_begin(self, batch, logs=None):
        for fn in self._by_hook["on_train_batch_begin"]:
            fn(batch, {} if logs is None else logs)

    def on_train_batch_end(self, batch, logs=None):
        for fn in self._by_hook["on_train_batch_end"]:
            fn(batch, {} if logs is None else logs)

    def on_test_batch_begin(self, batch, logs=None):
        for fn in self._by_hook["on_test_batch_begin"]:
            fn(batch, {} if logs is None else logs)

    def on_test_batch_end(self, batch, logs=None):
        for fn in self._by_hook["on_test_batch_end"]:
            fn(batch, {} if logs is None else logs)

    def on_predict_batch_begin(self, batch, logs=None):
        for fn in self._by_hook["on_predict_batch_begin"]:
            fn(batch, {} if logs is None else logs)

    def on_predict_batch_end(self, batch, logs=None):
        for fn in self._by_hook["on_predict_batch_end"]:
            fn(batch, {} if logs is None else logs)

    def wants(self, hook):
        """True when some callback overrides `hook` (the loop skips building unused logs)."""
        return bool(self._by_hook[hook])
