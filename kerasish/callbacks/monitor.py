"""Monitor: the monitored-metric logic shared by EarlyStopping, ModelCheckpoint, ReduceLROnPlateau.

It resolves `mode='auto'` (max for accuracy-like names, min otherwise), applies `min_delta`,
accepts 'acc' for 'accuracy' (and 'val_acc' for 'val_accuracy'), and fails loudly:
monitoring a `val_*` key in a fit without validation data raises at `on_train_begin`, and a
key absent from the logs raises at the first epoch end, listing the keys that exist.
"""
import math

_MAX_NAMES = ("acc", "accuracy", "auc", "precision", "recall", "f1_score", "fbeta_score", "iou",
              "r2_score", "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy")


def _aliases(key):
    """The key and its acc/accuracy twin ('val_acc' <-> 'val_accuracy')."""
    out = [key]
    if key.endswith("accuracy"):
        out.append(key[: -len("accuracy")] + "acc")
    elif key.endswith("acc"):
        out.append(key + "uracy")
    return out


class Monitor:
    """Which logged value to watch, and when a new value is an improvement.

    Args:
        monitor: log key such as 'val_loss', 'accuracy' or 'val_acc'.
        mode: 'min', 'max' or 'auto' (max for accuracy/auc/precision/recall-like names).
        min_delta: smallest change that counts as an improvement.
        owner: the callback's name, used in error messages.
    """

    def __init__(self, monitor="val_loss", mode="auto", min_delta=0.0, owner="callback"):
        if not isinstance(monitor, str) or not monitor:
            raise ValueError(f"{owner}: monitor must be a log key such as 'val_loss', got {monitor!r}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{owner}: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.monitor = monitor
        self.owner = owner
        self.keys = _aliases(monitor)
        if mode == "auto":
            base = monitor[4:] if monitor.startswith("val_") else monitor
            mode = "max" if any(base == n or base.endswith("_" + n) for n in _MAX_NAMES) else "min"
        self.mode = mode
        self.min_delta = abs(float(min_delta))

    @property
    def is_validation(self):
        """True for `val_*` keys (they exist only at epoch end, and only with validation data)."""
        return self.monitor.startswith("val_")

    def initial(self):
        """The value every real value improves on (+inf for min, -inf for max)."""
        return math.inf if self.mode == "min" else -math.inf

    def is_better(self, current, reference):
        """True when `current` beats `reference` by more than `min_delta` (None: always)."""
        if reference is None:
            return True
        if self.mode == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def check_train_begin(self, model):
        """Raises if a `val_*` key is monitored in a fit that has no validation data."""
        if self.is_validation and getattr(model, "_do_validation", None) is False:
            raise ValueError(
                f"{self.owner} monitors '{self.monitor}', but fit() got no validation data, so no "
                f"'{self.monitor}' will ever be logged. Pass validation_data=(x_val, y_val) or "
                f"validation_split=0.1 to fit(), or monitor '{self.monitor[4:]}' instead.")

    def get(self, logs):
        """The monitored value from `logs` as a float.

        Returns None on an epoch without validation (with `validation_freq` > 1) when a
        `val_*` key is monitored; raises ValueError listing the available keys otherwise.
        """
        for key in self.keys:
            if key in logs:
                return float(logs[key])
        if self.is_validation and not any(k.startswith("val_") for k in logs):
            return None  # validation did not run this epoch (validation_freq > 1)
        raise ValueError(f"{self.owner} monitors '{self.monitor}', which is not in the logs. "
                         f"Available keys: {sorted(logs)}. (For accuracy, 'acc' and 'accuracy' "
                         "are both accepted.)")
