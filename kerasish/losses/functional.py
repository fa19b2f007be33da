"""Loss functions `fn(y_true, y_pred, ...)` returning per-sample losses (Keras's formulas).

Each takes y_pred as a Tensor (arrays and lists are wrapped) and y_true as a Tensor,
array or list; y_true is a constant, moved to y_pred's device and cast to its float
dtype. Per-sample means reduce the last axis (rank >= 2, as Keras); a 1-D y_pred is
taken as one value per sample. Cross-entropies with `from_logits=True` use fused
log-sum-exp / stable sigmoid paths; with probabilities they clip to [1e-7, 1 - 1e-7].
"""
from kerasish import backend
from kerasish import ops
from kerasish.losses.base import EPSILON, align_target, as_prediction, as_target, mean_last, move_axis_last
from kerasish.ops import losses_ops
from kerasish.tensor import Tensor


def _const(array):
    return Tensor._wrap(array, False, None)


def _prepare(y_true, y_pred, what):
    y_pred = as_prediction(y_pred)
    return align_target(as_target(y_true, y_pred, "float"), y_pred, what), y_pred


def mean_squared_error(y_true, y_pred):
    """Mean of (y_true - y_pred)**2 over the last axis."""
    t, p = _prepare(y_true, y_pred, "mean_squared_error")
    d = p - _const(t)
    return mean_last(d * d)


def mean_absolute_error(y_true, y_pred):
    """Mean of |y_true - y_pred| over the last axis."""
    t, p = _prepare(y_true, y_pred, "mean_absolute_error")
    return mean_last(ops.abs(p - _const(t)))


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean of |y_true - y_pred| / max(|y_true|, 1e-7) over the last axis."""
    t, p = _prepare(y_true, y_pred, "mean_absolute_percentage_error")
    xp = backend.get_array_module(t)
    scale = 100.0 / xp.maximum(abs(t), EPSILON)
    return mean_last(ops.abs(p - _const(t)) * _const(scale))


def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of (log(1 + max(y_pred, eps)) - log(1 + max(y_true, eps)))**2 over the last axis."""
    t, p = _prepare(y_true, y_pred, "mean_squared_logarithmic_error")
    xp = backend.get_array_module(t)
    d = ops.log(ops.maximum(p, EPSILON) + 1.0) - _const(xp.log(xp.maximum(t, EPSILON) + 1.0))
    return mean_last(d * d)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: 0.5 * e**2 where |e| <= delta, else delta * (|e| - 0.5 * delta); mean over last axis."""
    t, p = _prepare(y_true, y_pred, "huber")
    err = p - _const(t)
    a = ops.abs(err)
    quadratic = err * err * 0.5
    linear = a * delta - 0.5 * delta * delta
    return mean_last(ops.where(a.data <= delta, quadratic, linear))


def log_cosh(y_true, y_pred):
    """Mean of log(cosh(y_pred - y_true)) over the last axis (stable for large errors)."""
    t, p = _prepare(y_true, y_pred, "log_cosh")
    return mean_last(losses_ops.LogCosh.apply(p - _const(t)))


def kl_divergence(y_true, y_pred):
    """sum(y_true * log(y_true / y_pred)) over the last axis, both clipped to [1e-7, 1]."""
    t, p = _prepare(y_true, y_pred, "kl_divergence")
    xp = backend.get_array_module(t)
    t = xp.clip(t, EPSILON, 1.0)
    return (_const(t * xp.log(t)) - _const(t) * ops.log(ops.clip(p, EPSILON, 1.0))).sum(axis=-1)


def poisson(y_true, y_pred):
    """Mean of y_pred - y_true * log(y_pred + 1e-7) over the last axis."""
    t, p = _prepare(y_true, y_pred, "poisson")
    return mean_last(p - _const(t) * ops.log(p + EPSILON))


def _hinge_labels(t):
    """Maps {0, 1} labels to {-1, 1} (Keras's rule); other labels are used as they are.

    The test stays on the device (no host sync): a 0-d bool array picks the branch.
    """
    xp = backend.get_array_module(t)
    return xp.where(xp.all((t == 0) | (t == 1)), 2.0 * t - 1.0, t)


def hinge(y_true, y_pred):
    """Mean of max(1 - y_true * y_pred, 0) over the last axis; labels -1/1 (0/1 are mapped)."""
    t, p = _prepare(y_true, y_pred, "hinge")
    return mean_last(ops.relu(1.0 - _const(_hinge_labels(t)) * p))


def squared_hinge(y_true, y_pred):
    """Mean of max(1 - y_true * y_pred, 0)**2 over the last axis; labels -1/1 (0/1 are mapped)."""
    t, p = _prepare(y_true, y_pred, "squared_hinge")
    r = ops.relu(1.0 - _const(_hinge_labels(t)) * p)
    return mean_last(r * r)


def categorical_hinge(y_true, y_pred):
    """max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0) along the last axis."""
    t, p = _prepare(y_true, y_pred, "categorical_hinge")
    pos = (_const(t) * p).sum(axis=-1)
    neg = (_const(1.0 - t) * p).max(axis=-1)
    return ops.relu(neg - pos + 1.0)


def _l2_normalize(x, axis):
    return x / ops.sqrt(ops.maximum((x * x).sum(axis=axis, keepdims=True), 1e-12))


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis` (-1 when the vectors point the same way)."""
    t, p = _prepare(y_true, y_pred, "cosine_similarity")
    xp = backend.get_array_module(t)
    tn = t / xp.sqrt(xp.maximum((t * t).sum(axis=axis, keepdims=True), 1e-12))
    return -(_const(tn) * _l2_normalize(p, axis)).sum(axis=axis)


def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, the mean over `axis` (elementwise for 1-D inputs).

    Args:
        y_true: targets in [0, 1], same shape as y_pred ((N,) vs (N, 1) is accepted).
        y_pred: probabilities (clipped to [1e-7, 1 - 1e-7]) or, with from_logits, logits.
        from_logits: use the stable max(x, 0) - x z + log(1 + exp(-|x|)) form.
        label_smoothing: targets become t * (1 - s) + 0.5 * s.
    """
    _check_smoothing(label_smoothing)
    t, p = _prepare(y_true, y_pred, "binary_crossentropy")
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        values = losses_ops.SigmoidBinaryCrossentropy.apply(p, t)
    else:
        values = losses_ops.ClippedBinaryCrossentropy.apply(p, t, epsilon=EPSILON)
    if axis in (-1, p.ndim - 1):
        return mean_last(values)
    return values.mean(axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy against one-hot (or probability) rows along `axis`; per-sample values.

    Args:
        y_true: one-hot or probability rows, the shape of y_pred.
        y_pred: probabilities (normalised, then clipped to [1e-7, 1 - 1e-7]) or, with
            from_logits, logits (fused log-sum-exp).
        label_smoothing: targets become t * (1 - s) + s / num_classes.
    """
    _check_smoothing(label_smoothing)
    p = as_prediction(y_pred)
    t = as_target(y_true, p, "float")
    if t.shape != p.shape:
        hint = ""
        if p.ndim and (t.shape == p.shape[:-1] or t.shape == p.shape[:-1] + (1,)):
            hint = ("; these look like integer class labels: use sparse_categorical_crossentropy "
                    "(SparseCategoricalCrossentropy) or one-hot encode them with to_categorical")
        raise ValueError(f"categorical_crossentropy: y_true has shape {t.shape} but y_pred has "
                         f"shape {p.shape}; they must match{hint}")
    p, t = move_axis_last(p, t, axis)
    if label_smoothing:
        t = t * (1.0 - label_smoothing) + label_smoothing / p.shape[-1]
    if from_logits:
        return ops.softmax_cross_entropy(p, t)
    return losses_ops.ProbabilityCrossentropy.apply(p, t, epsilon=EPSILON)


def sparse_labels(y_true, y_pred, what="sparse_categorical_crossentropy", ignore_class=None):
    """Integer labels of shape `y_pred.shape[:-1]` on y_pred's device, range-checked.

    Returns:
        (labels, valid) where `valid` is a bool array (None without ignore_class) and
        ignored labels are replaced by 0.
    """
    labels = as_target(y_true, y_pred)
    batch_shape = y_pred.shape[:-1]
    if labels.shape == batch_shape + (1,):
        labels = labels.reshape(batch_shape)
    if labels.shape != batch_shape:
        hint = ("; these look like one-hot rows: use categorical_crossentropy"
                if labels.shape == y_pred.shape else "")
        raise ValueError(f"{what}: y_true (class labels) has shape {labels.shape} but y_pred has shape "
                         f"{y_pred.shape}; labels must have shape {batch_shape}{hint}")
    if labels.dtype.kind not in "iu":
        try:
            labels = labels.astype("int64")
        except (TypeError, ValueError):
            raise ValueError(f"{what}: class labels must be integers, got dtype {labels.dtype}; map "
                             "string labels to indices 0..num_classes-1 first") from None
    valid = None
    xp = backend.get_array_module(labels)
    if ignore_class is not None:
        valid = labels != ignore_class
        labels = xp.where(valid, labels, 0)
    n = y_pred.shape[-1]
    if labels.size:
        lo, hi = (int(v) for v in backend.to_numpy(xp.stack([labels.min(), labels.max()])))
        if lo < 0 or hi >= n:
            raise ValueError(f"{what}: class labels must be integers in [0, {n - 1}] (y_pred has {n} "
                             f"classes), got values from {lo} to {hi}")
    return labels, valid


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None, axis=-1):
    """Cross-entropy against integer class labels; per-sample values.

    Args:
        y_true: integer labels of shape y_pred.shape[:-1] (a trailing axis of 1 is allowed).
        y_pred: probabilities (normalised, clipped) or, with from_logits, logits.
        ignore_class: a label value whose entries get loss 0 (and, in a `Loss`, do not count).
        axis: the class axis of y_pred.

    Raises:
        ValueError: labels outside [0, num_classes - 1], or a shape mismatch.
    """
    p = as_prediction(y_pred)
    if p.ndim == 0:
        raise ValueError("sparse_categorical_crossentropy: y_pred needs a class axis, got a scalar")
    nd = p.ndim
    if axis not in (-1, nd - 1):
        p, _ = move_axis_last(p, None, axis)
    labels, valid = sparse_labels(y_true, p, ignore_class=ignore_class)
    if from_logits:
        values = ops.softmax_cross_entropy(p, labels, check_labels=False)  # sparse_labels checked them
    else:
        values = losses_ops.ProbabilityCrossentropy.apply(p, labels, epsilon=EPSILON)
    if valid is not None:
        values = values * _const(valid.astype(values.dtype))
    return values


def _check_smoothing(label_smoothing):
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")


# Keras's short names.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh

FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mse, "MSE": MSE,
    "mean_absolute_error": mean_absolute_error, "mae": mae, "MAE": MAE,
    "mean_absolute_percentage_error": mean_absolute_percentage_error, "mape": mape, "MAPE": MAPE,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error, "msle": msle, "MSLE": MSLE,
    "huber": huber, "log_cosh": log_cosh, "logcosh": logcosh,
    "kl_divergence": kl_divergence, "kld": kld, "KLD": KLD,
    "kullback_leibler_divergence": kullback_leibler_divergence,
    "poisson": poisson, "hinge": hinge, "squared_hinge": squared_hinge,
    "categorical_hinge": categorical_hinge, "cosine_similarity": cosine_similarity,
    "binary_crossentropy": binary_crossentropy, "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
}
