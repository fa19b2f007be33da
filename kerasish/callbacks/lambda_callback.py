"""LambdaCallback: a callback built from plain functions."""
from kerasish.callbacks.callback import Callback

_HOOKS = ("on_train_begin", "on_train_end", "on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
          "on_train_batch_end", "on_batch_begin", "on_batch_end", "on_test_begin", "on_test_end",
          "on_test_batch_begin", "on_test_batch_end", "on_predict_begin", "on_predict_end",
          "on_predict_batch_begin", "on_predict_batch_end")


class LambdaCallback(Callback):
    """Runs the given functions at the matching hooks.

    Args:
        on_epoch_begin / on_epoch_end: `fn(epoch, logs)`.
        on_train_batch_begin / on_train_batch_end (or on_batch_begin / on_batch_end): `fn(batch, logs)`.
        on_train_begin / on_train_end: `fn(logs)`.
        **kwargs: any other hook name, e.g. `on_test_end=lambda logs: ...`.

    Example:

    ```python
    print_loss = LambdaCallback(on_epoch_end=lambda epoch, logs: print(epoch, logs['loss']))
    ```
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        given = dict(kwargs, on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end,
                     on_train_begin=on_train_begin, on_train_end=on_train_end,
                     on_train_batch_begin=on_train_batch_begin, on_train_batch_end=on_train_batch_end)
        unknown = sorted(k for k in given if k not in _HOOKS)
        if unknown:
            raise TypeError(f"LambdaCallback: unknown hooks {unknown}; valid hooks: {list(_HOOKS)}")
        for name, fn in given.items():
            if fn is None:
                continue
            if not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got {type(fn).__name__}")
            setattr(self, name, fn)
