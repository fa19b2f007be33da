"""The seed's loss classes, called `loss_fn(prediction, target)` (prediction first).

Example (the seed's training loop):
    >>> loss_fn = MSELoss()
    >>> loss = loss_fn(predictions, y_tensor)      # a scalar Tensor
    >>> loss.backward()

They return the mean over samples (a scalar Tensor); `reduction='sum'` or `'none'`
(per-sample values) and a per-sample `sample_weight` are accepted too. Keras-style
code and `compile` tell them apart from Keras losses by `argument_order`.
"""
from kerasish import backend, ops
from kerasish.losses.base import (EPSILON, align_target, as_prediction, as_target, reduce_weighted_values,
                                  standardize_reduction)
from kerasish.losses.functional import sparse_labels
from kerasish.ops import losses_ops


def _per_sample_mean(values):
    """Mean over every axis but the first (one value per sample)."""
    return values.mean(axis=tuple(range(1, values.ndim))) if values.ndim >= 2 else values


class SeedLoss:
    """Base of the seed's losses: `loss_fn(prediction, target, sample_weight=None)`.

    Subclasses implement `call(prediction, target)` returning per-sample losses.

    Args:
        reduction: 'mean' (default: mean over samples), 'sum' or 'none'.
        name: defaults to the class name.
    """

    argument_order = "prediction_first"

    def __init__(self, reduction="mean", name=None):
        self.reduction = standardize_reduction(reduction)
        self.name = name or type(self).__name__

    def call(self, prediction, target):
        """Returns the per-sample losses (a Tensor); subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} must implement call(prediction, target)")

    def __call__(self, prediction, target, sample_weight=None):
        prediction = as_prediction(prediction)
        with backend.device_scope(prediction.device):
            return reduce_weighted_values(self.call(prediction, target), sample_weight, self.reduction)

    def get_config(self):
        """The constructor arguments, as a JSON-friendly dict."""
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Builds the loss from `get_config()`'s output."""
        return cls(**config)

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(SeedLoss):
    """Mean squared error, `loss_fn(prediction, target)` (target of prediction's shape)."""

    def call(self, prediction, target):
        """Per-sample mean of (prediction - target)**2."""
        t = align_target(as_target(target, prediction, "float"), prediction, "MSELoss")
        d = prediction - t
        return _per_sample_mean(d * d)


class CrossEntropy(SeedLoss):
    """Softmax cross-entropy from logits, stable through log-sum-exp.

    `loss_fn(logits, target)`: target holds class indices (shape (N,), or (N, 1)) or
    one-hot / probability rows (shape (N, C)).

    Args:
        label_smoothing: in [0, 1]; targets become t * (1 - s) + s / num_classes.
    """

    def __init__(self, label_smoothing=0.0, reduction="mean", name=None):
        super().__init__(reduction=reduction, name=name)
        self.label_smoothing = label_smoothing

    def call(self, prediction, target):
        """Per-sample cross-entropy of softmax(prediction) against the target."""
        name = type(self).__name__
        if prediction.ndim == 0:
            raise ValueError(f"{name}: prediction needs a class axis (logits of shape (N, C)), got a scalar")
        t = as_target(target, prediction)
        if t.shape == prediction.shape and not (t.ndim and t.shape[-1] == 1 and t.dtype.kind in "iu"):
            t = t.astype(prediction.dtype, copy=False)
        elif t.shape in (prediction.shape[:-1], prediction.shape[:-1] + (1,)):
            t, _ = sparse_labels(t, prediction, what=name)  # the one label-range check (a host sync)
        else:
            raise ValueError(f"{name}: target of shape {t.shape} does not fit prediction of shape "
                             f"{prediction.shape}: give class indices of shape {prediction.shape[:-1]} "
                             f"or one-hot rows of shape {prediction.shape}")
        return ops.softmax_cross_entropy(prediction, t, label_smoothing=self.label_smoothing, check_labels=False)

    def get_config(self):
        """Reduction, name and label_smoothing."""
        return {**super().get_config(), "label_smoothing": self.label_smoothing}


class SoftmaxCrossEntropyLoss(CrossEntropy):
    """Softmax + cross-entropy fused: gathers each sample's correct-class log-probability.

    The same computation as `CrossEntropy` (logits in; class indices or one-hot targets).
    """


class BCELoss(SeedLoss):
    """Binary cross-entropy on probabilities, clipped to [eps, 1 - eps] so log never sees 0.

    Args:
        eps: the clipping margin (default 1e-7).
    """

    def __init__(self, eps=EPSILON, reduction="mean", name=None):
        super().__init__(reduction=reduction, name=name)
        self.eps = eps

    def call(self, prediction, target):
        """Per-sample mean of -(t log p + (1 - t) log(1 - p))."""
        t = align_target(as_target(target, prediction, "float"), prediction, "BCELoss")
        values = losses_ops.ClippedBinaryCrossentropy.apply(prediction, t, epsilon=self.eps)
        return _per_sample_mean(values)

    def get_config(self):
        """Reduction, name and eps."""
        return {**super().get_config(), "eps": self.eps}


SEED_CLASSES = (MSELoss, CrossEntropy, SoftmaxCrossEntropyLoss, BCELoss)
