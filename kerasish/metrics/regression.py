"""Regression metrics: MSE, MAE, MAPE, MSLE, RMSE, log-cosh error, cosine similarity."""
import math

from kerasish import backend
from kerasish.metrics.base import MeanMetricWrapper, aligned, mean_last

_EPSILON = 1e-7
_LOG2 = math.log(2.0)


def mean_squared_error(y_true, y_pred):
    """Per-sample mean of (y_pred - y_true)**2."""
    t, p = aligned(y_true, y_pred, "mean_squared_error")
    d = p - t
    return mean_last(d * d)


def mean_absolute_error(y_true, y_pred):
    """Per-sample mean of |y_pred - y_true|."""
    t, p = aligned(y_true, y_pred, "mean_absolute_error")
    return mean_last(abs(p - t))


def mean_absolute_percentage_error(y_true, y_pred):
    """Per-sample 100 * mean of |y_pred - y_true| / max(|y_true|, 1e-7)."""
    t, p = aligned(y_true, y_pred, "mean_absolute_percentage_error")
    xp = backend.get_array_module(p)
    return 100.0 * mean_last(abs(p - t) / xp.maximum(abs(t), _EPSILON))


def mean_squared_logarithmic_error(y_true, y_pred):
    """Per-sample mean of (log(1 + y_pred) - log(1 + y_true))**2 (values floored at 1e-7)."""
    t, p = aligned(y_true, y_pred, "mean_squared_logarithmic_error")
    xp = backend.get_array_module(p)
    d = xp.log1p(xp.maximum(p, _EPSILON)) - xp.log1p(xp.maximum(t, _EPSILON))
    return mean_last(d * d)


def log_cosh_error(y_true, y_pred):
    """Per-sample mean of log(cosh(y_pred - y_true))."""
    t, p = aligned(y_true, y_pred, "log_cosh_error")
    xp = backend.get_array_module(p)
    a = abs(p - t)
    return mean_last(a + xp.log1p(xp.exp(-2.0 * a)) - _LOG2)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine of the angle between y_true and y_pred along `axis` (1 = same direction)."""
    t, p = aligned(y_true, y_pred, "cosine_similarity")
    xp = backend.get_array_module(p)

    def unit(x):
        return x / xp.sqrt(xp.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))
    return (unit(t) * unit(p)).sum(axis=axis)


class MeanSquaredError(MeanMetricWrapper):
    """Streaming mean of squared errors."""

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """Streaming mean of absolute errors."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """Streaming mean absolute percentage error."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """Streaming mean squared logarithmic error."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """Streaming mean of log(cosh(error))."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh_error, name=name, dtype=dtype)


class CosineSimilarity(MeanMetricWrapper):
    """Streaming mean cosine similarity (positive, unlike the loss).

    Args:
        axis: the axis holding the vectors.
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class RootMeanSquaredError(MeanMetricWrapper):
    """sqrt of the streaming mean of squared errors (over all batches, not a mean of per-batch roots)."""

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name=name, dtype=dtype)

    def result(self):
        """sqrt(total / count)."""
        return math.sqrt(super().result())
