"""Confusion-matrix metrics: Precision, Recall and AUC (ROC or PR), streamed over batches.

Every element of y_pred is one binary decision (as Keras, without multi_label); y_true is
read as positive where it is nonzero (AUC uses it as a weight in [0, 1], so soft labels work).
"""
import numpy as np

from kerasish import backend
from kerasish.metrics.base import Metric, aligned, broadcast_weights, host_values

_EPSILON = 1e-7


def _divide_no_nan(a, b):
    return np.divide(a, b, out=np.zeros_like(a, dtype="float64"), where=b != 0)


def _flat_inputs(y_true, y_pred, sample_weight, what, class_id=None, top_k=None):
    """Flat (y_true, y_pred, weights) raw arrays on y_pred's device."""
    t, p = aligned(y_true, y_pred, what)
    xp = backend.get_array_module(p)
    if top_k is not None:
        kth = xp.sort(p, axis=-1)[..., -top_k][..., None]
        p = xp.where(p >= kth, p, -xp.inf)
    if class_id is not None:
        t, p = t[..., class_id], p[..., class_id]
    w = None if sample_weight is None else broadcast_weights(sample_weight, t).reshape(-1)
    return t.reshape(-1), p.reshape(-1), w


class _ThresholdCounts(Metric):
    """True/false positive and false negative counts at one or more thresholds."""

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        # as Keras: with top_k and no thresholds, every top-k score counts as positive
        values = thresholds if thresholds is not None else 0.5 if top_k is None else -np.inf
        self._single = np.ndim(values) == 0
        self.thresholds = np.atleast_1d(np.asarray(values, dtype="float64"))
        if thresholds is not None and (self.thresholds.size == 0 or
                                       ((self.thresholds < 0) | (self.thresholds > 1)).any()):
            raise ValueError(f"{type(self).__name__}: thresholds must lie in [0, 1], got {thresholds!r}")
        self.top_k, self.class_id = top_k, class_id
        # rows: true positives, false positives, false negatives (on the data's device)
        self._counts = self.add_variable(shape=(3, self.thresholds.size), name="counts")

    def _host_counts(self):
        return host_values(self._counts.raw())[0]

    @property
    def true_positives(self):
        """Weighted true-positive count per threshold (numpy)."""
        return self._host_counts()[0]

    @property
    def false_positives(self):
        """Weighted false-positive count per threshold (numpy)."""
        return self._host_counts()[1]

    @property
    def false_negatives(self):
        """Weighted false-negative count per threshold (numpy)."""
        return self._host_counts()[2]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Counts this batch's decisions (y_pred > threshold) against y_true != 0."""
        t, p, w = _flat_inputs(y_true, y_pred, sample_weight, self.name, self.class_id, self.top_k)
        xp = backend.get_array_module(p)
        thresholds = backend.to_device(self.thresholds, backend.device_of(p), p.dtype)
        predicted = p[None, :] > thresholds[:, None]
        positive = (t != 0)[None, :]
        weight = 1.0 if w is None else w[None, :]
        counts = xp.stack([((predicted & positive) * weight).sum(axis=1, dtype="float64"),
                           ((predicted & ~positive) * weight).sum(axis=1, dtype="float64"),
                           ((~predicted & positive) * weight).sum(axis=1, dtype="float64")])
        self._counts.assign_add(counts)

    def _finish(self, values):
        return float(values[0]) if self._single else values

    def get_config(self):
        """Thresholds, top_k, class_id, name and dtype."""
        thresholds = self.init_thresholds
        if thresholds is not None and np.ndim(thresholds):
            thresholds = np.asarray(thresholds, dtype="float64").tolist()
        return {"thresholds": thresholds, "top_k": self.top_k, "class_id": self.class_id,
                **super().get_config()}


class Precision(_ThresholdCounts):
    """tp / (tp + fp): of the predicted positives (y_pred > threshold), how many are positive.

    Args:
        thresholds: a float in [0, 1] (default 0.5) or a list; with a list, `result()`
            returns a numpy array with one precision per threshold.
        top_k: only each row's k highest scores may count as positive.
        class_id: only this column of y_pred / y_true is scored.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        """Precision (0.0 with no predicted positive)."""
        tp, fp, _ = self._host_counts()
        return self._finish(_divide_no_nan(tp, tp + fp))


class Recall(_ThresholdCounts):
    """tp / (tp + fn): of the actual positives, how many were predicted (y_pred > threshold).

    Args: as `Precision`.
    """

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall", dtype=None):
        super().__init__(thresholds, top_k, class_id, name, dtype)

    def result(self):
        """Recall (0.0 with no actual positive)."""
        tp, _, fn = self._host_counts()
        return self._finish(_divide_no_nan(tp, tp + fn))


class AUC(Metric):
    """Area under the ROC (or precision-recall) curve, approximated on fixed thresholds as Keras.

    The thresholds are -1e-7, 1/(n-1), ..., (n-2)/(n-1), 1 + 1e-7; at each, a sample is
    predicted positive when y_pred > threshold. The area is a Riemann sum over the
    thresholds: 'interpolation' uses the trapezoid rule for ROC (and Davis & Goadrich's
    interpolation for PR), 'minoring' / 'majoring' the lower / upper rectangles.

    Args:
        num_thresholds: number of thresholds (> 1).
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation', 'minoring' or 'majoring'.
        thresholds: explicit thresholds in [0, 1] instead of evenly spaced ones.
        from_logits: apply a sigmoid to y_pred first.
    """

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name="auc",
                 dtype=None, thresholds=None, multi_label=False, num_labels=None, label_weights=None,
                 from_logits=False):
        super().__init__(name=name, dtype=dtype)
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"AUC: curve must be 'ROC' or 'PR', got {curve!r}")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(f"AUC: summation_method must be 'interpolation', 'minoring' or 'majoring', "
                             f"got {summation_method!r}")
        if multi_label or label_weights is not None:
            raise NotImplementedError("AUC: multi_label and label_weights are not supported; "
                                      "use one AUC per label with class_id-style slicing of y_pred")
        self.curve, self.summation_method = str(curve).upper(), summation_method
        self.from_logits = from_logits
        self._init_thresholds = thresholds
        if thresholds is not None:
            inner = np.sort(np.asarray(thresholds, dtype="float64").reshape(-1))
            if ((inner < 0) | (inner > 1)).any():
                raise ValueError(f"AUC: thresholds must lie in [0, 1], got {thresholds!r}")
            num_thresholds = inner.size + 2
        else:
            if num_thresholds <= 1:
                raise ValueError(f"AUC: num_thresholds must be > 1, got {num_thresholds}")
            inner = np.arange(1, num_thresholds - 1) / (num_thresholds - 1)
        self.num_thresholds = num_thresholds
        self.thresholds = np.concatenate([[-_EPSILON], inner, [1.0 + _EPSILON]])
        # above[0, b] / above[1, b]: weighted positives / negatives scoring in bucket >= b
        self._above = self.add_variable(shape=(2, num_thresholds + 1), name="above")

    def _confusion(self):
        """(tp, fp, tn, fn) per threshold, on the host."""
        above = host_values(self._above.raw())[0]
        tp, fp = above[0, 1:], above[1, 1:]
        return tp, fp, above[1, 0] - fp, above[0, 0] - tp

    @property
    def true_positives(self):
        """Weighted true-positive count per threshold (numpy)."""
        return self._confusion()[0]

    @property
    def false_positives(self):
        """Weighted false-positive count per threshold (numpy)."""
        return self._confusion()[1]

    @property
    def true_negatives(self):
        """Weighted true-negative count per threshold (numpy)."""
        return self._confusion()[2]

    @property
    def false_negatives(self):
        """Weighted false-negative count per threshold (numpy)."""
        return self._confusion()[3]

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Buckets this batch's scores by threshold and adds the weighted counts."""
        t, p, w = _flat_inputs(y_true, y_pred, sample_weight, self.name)
        xp = backend.get_array_module(p)
        if self.from_logits:
            p = xp.tanh(p * 0.5) * 0.5 + 0.5
        thresholds = backend.to_device(self.thresholds, backend.device_of(p), "float64")
        # bucket b = number of thresholds strictly below the score: positive at thresholds 0..b-1
        bucket = xp.searchsorted(thresholds, p.astype("float64"), side="left")
        t = t.astype("float64")
        pos = t if w is None else t * w
        neg = (1.0 - t) if w is None else (1.0 - t) * w
        n = self.num_thresholds
        hist = xp.stack([xp.bincount(bucket, weights=pos, minlength=n + 1),
                         xp.bincount(bucket, weights=neg, minlength=n + 1)])
        self._above.assign_add(xp.cumsum(hist[:, ::-1], axis=1)[:, ::-1])   # above[:, b] = sum over >= b

    def result(self):
        """The area under the curve, a float in [0, 1]."""
        tp, fp, tn, fn = self._confusion()
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, fp + tn), _divide_no_nan(tp, tp + fn)
        else:
            x, y = _divide_no_nan(tp, tp + fn), _divide_no_nan(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(((x[:-1] - x[1:]) * heights).sum())

    @staticmethod
    def _interpolate_pr_auc(tp, fp, fn):
        """Davis & Goadrich (2006): precision interpolated between thresholds, as Keras does."""
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _divide_no_nan(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide_no_nan(p[:-1], np.maximum(p[1:], 0)), 1.0)
        log_ratio = np.log(np.where(ratio > 0, ratio, 1.0))
        return float(_divide_no_nan(slope * (dtp + intercept * log_ratio), np.maximum(tp[1:] + fn[1:], 0)).sum())

    def get_config(self):
        """num_thresholds, curve, summation_method, thresholds, from_logits, name, dtype."""
        config = {"num_thresholds": self.num_thresholds, "curve": self.curve,
                  "summation_method": self.summation_method, "thresholds": self._init_thresholds,
                  "from_logits": self.from_logits, **super().get_config()}
        if isinstance(config["thresholds"], np.ndarray):
            config["thresholds"] = config["thresholds"].tolist()
        return config
