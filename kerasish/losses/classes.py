"""Keras's loss classes, called `loss(y_true, y_pred, sample_weight=None)`.

Each wraps one function of `kerasish.losses.functional`; see `Loss` for reductions.
"""
from kerasish.losses import functional as F
from kerasish.losses.base import LossFunctionWrapper

_DEFAULT = "sum_over_batch_size"


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors: mean((y_true - y_pred)**2) per sample ('mse').

    Example:
        >>> MeanSquaredError()([[0.0, 1.0]], Tensor([[1.0, 1.0]])).item()
        0.5
    """

    def __init__(self, reduction=_DEFAULT, name="mean_squared_error", dtype=None):
        super().__init__(F.mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors per sample ('mae')."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_error", dtype=None):
        super().__init__(F.mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """100 * mean(|y_true - y_pred| / max(|y_true|, 1e-7)) per sample ('mape')."""

    def __init__(self, reduction=_DEFAULT, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(F.mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean of (log(1 + y_pred) - log(1 + y_true))**2 per sample ('msle')."""

    def __init__(self, reduction=_DEFAULT, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(F.mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for |error| <= delta, linear beyond.

    Args:
        delta: where the quadratic part turns linear.
    """

    def __init__(self, delta=1.0, reduction=_DEFAULT, name="huber_loss", dtype=None):
        super().__init__(F.huber, reduction=reduction, name=name, dtype=dtype, delta=delta)


class LogCosh(LossFunctionWrapper):
    """Mean of log(cosh(y_pred - y_true)) per sample."""

    def __init__(self, reduction=_DEFAULT, name="log_cosh", dtype=None):
        super().__init__(F.log_cosh, reduction=reduction, name=name, dtype=dtype)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence sum(y_true * log(y_true / y_pred)) per sample ('kld')."""

    def __init__(self, reduction=_DEFAULT, name="kl_divergence", dtype=None):
        super().__init__(F.kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Mean of y_pred - y_true * log(y_pred) per sample."""

    def __init__(self, reduction=_DEFAULT, name="poisson", dtype=None):
        super().__init__(F.poisson, reduction=reduction, name=name, dtype=dtype)


class Hinge(LossFunctionWrapper):
    """Mean of max(1 - y_true * y_pred, 0); labels -1/1 (0/1 labels are mapped to -1/1)."""

    def __init__(self, reduction=_DEFAULT, name="hinge", dtype=None):
        super().__init__(F.hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Mean of max(1 - y_true * y_pred, 0)**2; labels -1/1 (0/1 labels are mapped)."""

    def __init__(self, reduction=_DEFAULT, name="squared_hinge", dtype=None):
        super().__init__(F.squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """max(max_neg - pos + 1, 0) with one-hot y_true."""

    def __init__(self, reduction=_DEFAULT, name="categorical_hinge", dtype=None):
        super().__init__(F.categorical_hinge, reduction=reduction, name=name, dtype=dtype)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis` (so minimising aligns the vectors)."""

    def __init__(self, axis=-1, reduction=_DEFAULT, name="cosine_similarity", dtype=None):
        super().__init__(F.cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=axis)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy for 0/1 targets.

    Args:
        from_logits: y_pred holds logits (stable sigmoid form) instead of probabilities.
        label_smoothing: in [0, 1]; targets become t * (1 - s) + 0.5 * s.
        axis: the axis averaged per sample.

    Example:
        >>> BinaryCrossentropy(from_logits=True)([[1.0]], Tensor([[0.0]])).item()  # log(2)
        0.6931471...
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT,
                 name="binary_crossentropy", dtype=None):
        super().__init__(F.binary_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against one-hot (or probability) targets.

    Args:
        from_logits: y_pred holds logits (fused log-sum-exp) instead of probabilities.
        label_smoothing: in [0, 1]; targets become t * (1 - s) + s / num_classes.
        axis: the class axis.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1, reduction=_DEFAULT,
                 name="categorical_crossentropy", dtype=None):
        super().__init__(F.categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)
        self.from_logits = from_logits


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy against integer class labels.

    Args:
        from_logits: y_pred holds logits (fused log-sum-exp) instead of probabilities.
        ignore_class: a label value to skip: its entries get loss 0 and are left out of
            the 'sum_over_batch_size' mean (as Keras does, e.g. for padding in segmentation).
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction=_DEFAULT,
                 name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(F.sparse_categorical_crossentropy, reduction=reduction, name=name, dtype=dtype,
                         from_logits=from_logits, ignore_class=ignore_class)
        self.from_logits = from_logits
        self.ignore_class = ignore_class

    def _valid_mask(self, y_true, values):
        if self.ignore_class is None:
            return None
        return (y_true.reshape(values.shape) != self.ignore_class).astype(values.dtype)


CLASSES = (MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
           Huber, LogCosh, KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge, CosineSimilarity,
           BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy)

# Which class each function name (and Keras alias) stands for.
BY_FUNCTION = {
    F.mean_squared_error: MeanSquaredError, F.mean_absolute_error: MeanAbsoluteError,
    F.mean_absolute_percentage_error: MeanAbsolutePercentageError,
    F.mean_squared_logarithmic_error: MeanSquaredLogarithmicError, F.huber: Huber, F.log_cosh: LogCosh,
    F.kl_divergence: KLDivergence, F.poisson: Poisson, F.hinge: Hinge, F.squared_hinge: SquaredHinge,
    F.categorical_hinge: CategoricalHinge, F.cosine_similarity: CosineSimilarity,
    F.binary_crossentropy: BinaryCrossentropy, F.categorical_crossentropy: CategoricalCrossentropy,
    F.sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
}
