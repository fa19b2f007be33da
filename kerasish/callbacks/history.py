"""History: records the epoch logs of `fit`; `fit` returns it."""
from kerasish.callbacks.callback import Callback


def _twin(key):
    """The other spelling a Keras 2 script may use: 'lr' <-> 'learning_rate', 'acc' <-> 'accuracy'."""
    if key in ("lr", "learning_rate"):
        return "learning_rate" if key == "lr" else "lr"
    if key.endswith("accuracy"):
        return key[: -len("accuracy")] + "acc"
    if key.endswith("acc"):
        return key + "uracy"
    return None


class HistoryDict(dict):
    """A dict whose lookups also accept Keras 2's spellings of a recorded key.

    `history['lr']` reads 'learning_rate' and `history['val_acc']` reads 'val_accuracy' (and
    the reverse) when only the other spelling was recorded; `keys()` and `in` list only
    what was recorded.
    """

    def __missing__(self, key):
        twin = _twin(key) if isinstance(key, str) else None
        if twin is not None and dict.__contains__(self, twin):
            return dict.__getitem__(self, twin)
        raise KeyError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default


class History(Callback):
    """Records each epoch's logs; `model.fit` adds one and returns it.

    Attributes:
        history: dict mapping each log key ('loss', 'accuracy', 'val_loss', ...) to a list
            with one value per epoch (`history['lr']` and `['acc']` read Keras 3's
            'learning_rate' and 'accuracy' too, as Keras 2 scripts spell them).
        epoch: list of the epoch indices that ran (0-based).

    Note: as in Keras, a training value ('loss', 'accuracy') is the mean over the epoch's
    batches (weighted by batch size) while the weights were still changing, so it differs
    from `model.evaluate` on the same data after the epoch. `val_*` values are computed at
    the end of the epoch with the final weights, in inference mode.

    Example:

    ```python
    history = model.fit(x, y, epochs=3, validation_split=0.2)
    history.history['val_loss']     # [0.41, 0.33, 0.30]
    ```
    """

    def __init__(self):
        super().__init__()
        self.history = HistoryDict()
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []
        self.history = HistoryDict()

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self

    def plot(self, path=None, keys=None):
        """Plots each metric per epoch (training and `val_` curves on one axis) with matplotlib.

        Args:
            path: file to save the figure to (png, pdf, ...); None only returns the figure.
            keys: metric names to plot (default: every key without the 'val_' prefix).

        Returns:
            The matplotlib Figure.
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError:
            raise ImportError("History.plot needs matplotlib: pip install matplotlib "
                              "(or pip install kerasish[plot])") from None
        if not self.history:
            raise ValueError("History.plot: nothing recorded yet (run fit first)")
        names = list(keys) if keys is not None else [k for k in self.history if not k.startswith("val_")]
        unknown = [k for k in names if k not in self.history and "val_" + k not in self.history]
        if unknown:
            raise ValueError(f"History.plot: unknown keys {unknown}; recorded keys: {sorted(self.history)}")
        fig, axes = plt.subplots(len(names), 1, figsize=(6, 3 * len(names)), squeeze=False)
        for ax, name in zip(axes[:, 0], names):
            for key in (name, "val_" + name):
                if key in self.history:
                    values = self.history[key]
                    xs = [e + 1 for e in self.epoch] if len(values) == len(self.epoch) else range(1, len(values) + 1)
                    ax.plot(list(xs), values, label=key, marker="o")
            ax.set_xlabel("epoch")
            ax.set_ylabel(name)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path)
        return fig
