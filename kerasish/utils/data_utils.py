"""Label helpers."""
import numpy as np


def to_categorical(y, num_classes=None, dtype="float32"):
    """One-hot encodes integer class labels (Keras's function).

    Args:
        y: integer labels, any shape (a trailing axis of size 1 is dropped).
        num_classes: number of classes (default: max label + 1).
        dtype: dtype of the result.

    Returns:
        A numpy array of shape `y.shape + (num_classes,)`.

    Example:
        >>> to_categorical([0, 2], 3)
        array([[1., 0., 0.],
               [0., 0., 1.]], dtype=float32)
    """
    y = np.asarray(y.numpy() if hasattr(y, "numpy") else y)
    if y.dtype.kind == "f":
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise ValueError("to_categorical expects integer class labels, got non-integer floats")
        y = y.astype(np.int64)
    if y.dtype.kind == "b":  # boolean binary labels (e.g. `y = scores > 0`): False -> 0, True -> 1
        y = y.astype(np.int64)
    if y.dtype.kind not in "iu":
        raise TypeError(f"to_categorical expects integer labels, got dtype {y.dtype}")
    if y.ndim > 1 and y.shape[-1] == 1:
        y = y[..., 0]
    if y.size and y.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {y.min()}")
    top = int(y.max()) + 1 if y.size else 0
    if num_classes is None:
        num_classes = top
    elif top > num_classes:
        raise ValueError(f"to_categorical: label {top - 1} does not fit num_classes={num_classes}")
    out = np.zeros(y.shape + (num_classes,), dtype=dtype)
    np.put_along_axis(out, y[..., None], 1, axis=-1)
    return out
