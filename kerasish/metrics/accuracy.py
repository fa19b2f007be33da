"""Accuracy metrics: the seed's `Accuracy` (also Keras's), binary, categorical, sparse, top-k.

The categorical and sparse variants accept labels either way: class indices of shape
(N,) or (N, 1), or one-hot rows of y_pred's shape, decided by y_true's shape.
"""
from kerasish import backend
from kerasish.metrics.base import Mean, MeanMetricWrapper, aligned, mean_last, raw, target_and_prediction


def _labels(t, p, what):
    """Integer class labels of shape p.shape[:-1] from indices or one-hot rows."""
    if t.shape == p.shape:
        return t.argmax(axis=-1)
    if t.shape == p.shape[:-1]:
        return t
    if t.shape == p.shape[:-1] + (1,):
        return t.reshape(p.shape[:-1])
    raise ValueError(f"{what}: y_true of shape {t.shape} fits neither class indices of shape {p.shape[:-1]} "
                     f"nor one-hot rows of shape {p.shape} (y_pred has shape {p.shape})")


def _has_class_axis(p):
    return p.ndim >= 2 and p.shape[-1] > 1


def categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the label (one-hot rows or class indices), else 0.0."""
    t, p = target_and_prediction(y_true, y_pred)
    if p.ndim == 0:
        raise ValueError("categorical_accuracy: y_pred needs a class axis, got a scalar")
    return p.argmax(axis=-1) == _labels(t, p, "categorical_accuracy")


def sparse_categorical_accuracy(y_true, y_pred):
    """1.0 where argmax(y_pred) equals the integer label (one-hot rows are accepted too)."""
    t, p = target_and_prediction(y_true, y_pred)
    if p.ndim == 0:
        raise ValueError("sparse_categorical_accuracy: y_pred needs a class axis, got a scalar")
    return p.argmax(axis=-1) == _labels(t, p, "sparse_categorical_accuracy")


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """Per-sample mean of (y_pred > threshold) == y_true (exact 0/1 labels, as Keras)."""
    t, p = aligned(y_true, y_pred, "binary_accuracy")
    return mean_last(t == (p > threshold))


def accuracy(y_true, y_pred):
    """Argmax match when y_pred has a class axis (last axis > 1), else exact equality."""
    t, p = target_and_prediction(y_true, y_pred)
    if _has_class_axis(p):
        return p.argmax(axis=-1) == _labels(t, p, "accuracy")
    t, p = aligned(t, p, "accuracy")
    return mean_last(t == p)


def inferred_accuracy(y_true, y_pred):
    """Keras 3's `metrics=['accuracy']` rule, by shape: y_pred of one column -> binary, else argmax."""
    p = raw(y_pred)
    if _has_class_axis(p):
        return categorical_accuracy(y_true, y_pred)
    return binary_accuracy(y_true, y_pred)


def _top_k(t, p, k, what):
    xp = backend.get_array_module(p)
    labels = _labels(t, p, what).astype("int64")
    score = xp.take_along_axis(p, labels[..., None], axis=-1)
    # in the top k when fewer than k classes score strictly higher (ties count as in, like tf.math.in_top_k)
    return (p > score).sum(axis=-1) < k


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the true class (one-hot rows or indices) is among the k highest scores."""
    t, p = target_and_prediction(y_true, y_pred)
    return _top_k(t, p, k, "top_k_categorical_accuracy")


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1.0 where the integer label is among the k highest scores."""
    t, p = target_and_prediction(y_true, y_pred)
    return _top_k(t, p, k, "sparse_top_k_categorical_accuracy")


class Accuracy(MeanMetricWrapper):
    """Classification accuracy: the seed's metric and Keras's streaming `Accuracy` in one class.

    Seed use (prediction first, returns the accuracy of this batch as a Python float and
    leaves the streaming state alone):

        >>> acc = Accuracy()(prediction, target)   # prediction: scores/logits/probs (N, C);
        ...                                        # target: indices (N,) or one-hot (N, C)

    Keras use (streaming, y_true first): `update_state(y_true, y_pred, sample_weight=None)`,
    `result()`, `reset_state()`. Rule for both: when y_pred has a class axis (last axis
    longer than 1) it is argmax(y_pred) against the label (indices or one-hot, like
    Keras's Sparse/CategoricalAccuracy); otherwise it is exact equality, as Keras's
    `Accuracy`. Use `BinaryAccuracy` for thresholded single-column probabilities.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name=name, dtype=dtype)

    def __call__(self, prediction, target, sample_weight=None):
        p = raw(prediction)
        t = raw(target)
        if t.ndim > p.ndim:
            raise ValueError(f"Accuracy()(prediction, target) takes the prediction first (the seed's order); "
                             f"got prediction of shape {p.shape} and target of shape {t.shape}. For "
                             "Keras's order use update_state(y_true, y_pred) and result()")
        batch = Mean()
        batch.update_state(accuracy(t, p), sample_weight)
        return batch.result()

    def get_config(self):
        """Name and dtype."""
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often (y_pred > threshold) equals the 0/1 label.

    Args:
        threshold: decision threshold on y_pred (0.5 for probabilities, 0.0 for logits).
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches the one-hot label (class indices are accepted too)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often argmax(y_pred) matches the integer label (one-hot rows are accepted too)."""

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label is among the k highest scores.

    Args:
        k: how many top scores count.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the k highest scores.

    Args:
        k: how many top scores count.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k


class InferredAccuracy(MeanMetricWrapper):
    """`metrics=['accuracy']` when the loss does not decide: Keras 3's shape rule per batch.

    A y_pred with one column (or 1-D) gets binary accuracy at threshold 0.5; a y_pred with
    a class axis gets argmax accuracy against indices or one-hot labels.
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(inferred_accuracy, name=name, dtype=dtype)
