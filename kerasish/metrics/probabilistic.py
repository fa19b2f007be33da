"""Metrics that stream a loss's per-sample values: cross-entropies, KL divergence, Poisson, hinges.

They reuse `kerasish.losses.functional` under `no_grad` (no graph is built).
"""
from kerasish._config import no_grad
from kerasish.losses import functional as LF
from kerasish.metrics.base import MeanMetricWrapper, raw
from kerasish.tensor import Tensor


def _from_loss(loss_fn):
    def values(y_true, y_pred, **kwargs):
        if not isinstance(y_pred, Tensor):
            y_pred = Tensor._wrap(raw(y_pred), False, None)  # keep the array's dtype and device
        with no_grad():
            return loss_fn(y_true, y_pred, **kwargs).data
    values.__name__ = loss_fn.__name__
    values.__doc__ = f"Per-sample values of `kerasish.losses.{loss_fn.__name__}` as a raw array."
    return values


binary_crossentropy = _from_loss(LF.binary_crossentropy)
categorical_crossentropy = _from_loss(LF.categorical_crossentropy)
sparse_categorical_crossentropy = _from_loss(LF.sparse_categorical_crossentropy)
kl_divergence = _from_loss(LF.kl_divergence)
poisson = _from_loss(LF.poisson)
hinge = _from_loss(LF.hinge)
squared_hinge = _from_loss(LF.squared_hinge)
categorical_hinge = _from_loss(LF.categorical_hinge)


class BinaryCrossentropy(MeanMetricWrapper):
    """Streaming mean binary cross-entropy (probabilities, or logits with from_logits=True)."""

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0):
        super().__init__(binary_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)


class CategoricalCrossentropy(MeanMetricWrapper):
    """Streaming mean categorical cross-entropy against one-hot rows."""

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False, label_smoothing=0.0,
                 axis=-1):
        super().__init__(categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """Streaming mean cross-entropy against integer labels."""

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name=name, dtype=dtype, from_logits=from_logits,
                         axis=axis)


class KLDivergence(MeanMetricWrapper):
    """Streaming mean Kullback-Leibler divergence."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """Streaming mean Poisson loss."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """Streaming mean hinge loss."""

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """Streaming mean squared hinge loss."""

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """Streaming mean categorical hinge loss."""

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
