"""Data adapters: turn whatever `fit` / `evaluate` / `predict` were given into batches.

One adapter class per kind of input, picked by `get_adapter` (the only dispatch):

- `ArrayDataAdapter`: numpy arrays, Tensors, and lists/tuples/dicts of them (multi-input /
  multi-output). Batches are slices, or with `shuffle=True` one permutation per epoch and
  one fancy-index (`take`) per array per batch. The last partial batch is kept.
- `SequenceDataAdapter`: `kerasish.data.Sequence` and anything with `__len__` and
  `__getitem__(i)` returning batch i; `shuffle=True` shuffles the batch order; its
  `on_epoch_end()` runs after every epoch.
- `IterableDataAdapter`: re-iterable sources of batches (`Dataset`, `DataLoader`, or any
  object whose `iter()` returns a fresh iterator): one fresh pass per epoch.
- `GeneratorDataAdapter`: one-shot iterators (a Python generator): consumed once.

Every adapter yields batches packed as Keras does: `(x,)`, `(x, y)` or `(x, y, sample_weight)`.
Adapters know nothing about epochs, steps or devices: see `epoch_iterator.py` and the trainer.
"""
import math
import warnings

import numpy as np

from kerasish import backend
from kerasish.tensor import Tensor


# --- packing ------------------------------------------------------------------------------
def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """Packs a batch as Keras does: (x,), (x, y) or (x, y, sample_weight)."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """Splits a batch into (x, y, sample_weight), with None for the parts it lacks.

    A tuple or list of length 1-3 is (x[, y[, sample_weight]]); anything else (an array,
    a dict) is x alone. Multi-input x inside a batch must be wrapped: `((x1, x2), y)`.
    """
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data
    raise ValueError(f"A batch must be x, (x,), (x, y) or (x, y, sample_weight); got a tuple of "
                     f"{len(data)} items. Wrap multiple inputs in a tuple: ((x1, x2), y).")


# --- nested structures of arrays -------------------------------------------------------------
def _is_leaf(v):
    return not isinstance(v, (list, tuple, dict))


def is_array_like(v):
    """True for numpy/cupy arrays, Tensors and array-convertible objects with a shape."""
    return isinstance(v, (np.ndarray, Tensor)) or (hasattr(v, "shape") and hasattr(v, "__array__")) or (
        hasattr(v, "shape") and hasattr(v, "dtype") and hasattr(v, "__getitem__"))


def is_array_structure(v):
    """True for an array, or a non-empty list/tuple/dict whose leaves are all arrays."""
    if v is None:
        return False
    if isinstance(v, dict):
        return bool(v) and all(is_array_structure(e) for e in v.values())
    if isinstance(v, (list, tuple)):
        return bool(v) and all(is_array_structure(e) for e in v)
    return is_array_like(v)


def flatten(structure, prefix="x"):
    """[(path, leaf)] in order; paths ('x', 'x[0]', "x['a']") name leaves in errors."""
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [p for k, v in structure.items() for p in flatten(v, f"{prefix}[{k!r}]")]
    if isinstance(structure, (list, tuple)):
        return [p for i, v in enumerate(structure) for p in flatten(v, f"{prefix}[{i}]")]
    return [(prefix, structure)]


def map_structure(fn, structure):
    """Applies `fn` to every leaf, keeping lists, tuples and dicts."""
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(map_structure(fn, v) for v in structure)
    return fn(structure)


def _as_raw_array(v, name):
    """A leaf as a raw numpy/cupy array (Tensors give their data, lists are converted)."""
    if isinstance(v, Tensor):
        return v.data
    if isinstance(v, np.ndarray) or backend.device_of(v) != "cpu":
        return v
    try:
        arr = np.asarray(v)
    except Exception as exc:
        raise TypeError(f"{name}: could not convert {type(v).__name__} to an array ({exc})") from None
    if arr.dtype == object:
        raise TypeError(f"{name}: got {type(v).__name__} that does not convert to a numeric array")
    return arr


def _leaf_arrays(structure, name):
    """The structure with every leaf converted to a raw array, and a list of (path, array)."""
    if structure is None:
        return None
    if isinstance(structure, (list, tuple)) and (
            not is_array_structure(structure) or all(isinstance(v, np.generic) for v in structure)):
        structure = np.asarray(structure)  # a plain nested list of numbers (e.g. list(labels)) is one array
    converted = map_structure(lambda v: _as_raw_array(v, name), structure)
    return converted, flatten(converted, name)


# --- adapters ---------------------------------------------------------------------------------
class DataAdapter:
    """Base class: a source of batches for one pass (one epoch).

    Attributes:
        num_batches: batches per full pass, or None when unknown (generators).
        reiterable: True when `get_iterator()` can be called again for a new pass.
    """

    num_batches = None
    reiterable = True

    def get_iterator(self):
        """A fresh iterator over one pass of batches (packed (x,), (x, y) or (x, y, sw))."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_iterator()")

    def on_epoch_end(self):
        """Called by the epoch iterator after every epoch."""


class ArrayDataAdapter(DataAdapter):
    """Batches of in-memory arrays (numpy, cupy, Tensors, or lists/dicts of them).

    Args:
        x, y, sample_weight: arrays or structures of arrays sharing their first dimension.
        batch_size: samples per batch (default 32, or ceil(n / steps) when `steps` is given).
        steps: batches per epoch the caller plans to draw (only used to infer batch_size).
        shuffle: draw a new permutation every pass.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False):
        self.x, x_leaves = _leaf_arrays(x, "x")
        self.y, y_leaves = _leaf_arrays(y, "y") if y is not None else (None, [])
        self.sample_weight, w_leaves = (_leaf_arrays(sample_weight, "sample_weight")
                                        if sample_weight is not None else (None, []))
        leaves = x_leaves + y_leaves + w_leaves
        for path, arr in leaves:
            if getattr(arr, "ndim", 0) == 0:
                raise ValueError(f"{path} is a scalar; fit/evaluate/predict need arrays with a first "
                                 "(sample) axis")
        lengths = {path: int(arr.shape[0]) for path, arr in leaves}
        if len(set(lengths.values())) > 1:
            desc = ", ".join(f"{p} has {n}" for p, n in lengths.items())
            raise ValueError(f"Data cardinality is ambiguous: {desc} samples. All inputs, targets and "
                             "sample weights must have the same number of samples (first dimension).")
        self.num_samples = next(iter(lengths.values()))
        if batch_size is None:
            batch_size = math.ceil(self.num_samples / steps) if steps else 32
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.num_batches = math.ceil(self.num_samples / self.batch_size)
        self._leaves = [arr for _, arr in leaves]
        self._counts = (len(x_leaves), len(y_leaves), len(w_leaves))
        # Single arrays (the common case) skip the structure rebuild.
        self._simple = all(_is_leaf(s) for s in (self.x, self.y, self.sample_weight))

    @property
    def input_shape(self):
        """x's shape(s) with the batch axis as None, e.g. (None, 784) (lists / dicts kept)."""
        return map_structure(lambda a: (None,) + tuple(a.shape[1:]), self.x)

    def _rebuild(self, arrays):
        if self._simple:
            nx, ny, _ = self._counts
            x = arrays[0]
            y = arrays[1] if ny else None
            w = arrays[nx + ny] if self._counts[2] else None
            return pack_x_y_sample_weight(x, y, w)
        it = iter(arrays)
        parts = [map_structure(lambda _: next(it), s) for s in (self.x, self.y, self.sample_weight)]
        return pack_x_y_sample_weight(*parts)

    def get_iterator(self):
        n, bs, leaves = self.num_samples, self.batch_size, self._leaves
        if not self.shuffle:
            for start in range(0, n, bs):
                yield self._rebuild([a[start:start + bs] for a in leaves])
            return
        perm = backend.rng("cpu").permutation(n)
        # One index array per array module (a cupy array needs a cupy index).
        perms = {}
        for a in leaves:
            xp = backend.get_array_module(a)
            if id(xp) not in perms:
                perms[id(xp)] = perm if xp is np else xp.asarray(perm)
        index_of = [perms[id(backend.get_array_module(a))] for a in leaves]
        for start in range(0, n, bs):
            stop = start + bs
            yield self._rebuild([backend.get_array_module(a).take(a, p[start:stop], axis=0)
                                 for a, p in zip(leaves, index_of)])


class SequenceDataAdapter(DataAdapter):
    """Batches `seq[i]` from a Keras-style Sequence (`__len__` batches, `__getitem__(i)`).

    Args:
        sequence: the Sequence.
        shuffle: visit the batches in a new random order every epoch.
    """

    def __init__(self, sequence, shuffle=False):
        self.sequence = sequence
        self.shuffle = bool(shuffle)
        self.num_batches = len(sequence)

    def get_iterator(self):
        n = len(self.sequence)
        order = backend.rng("cpu").permutation(n).tolist() if self.shuffle else range(n)
        for i in order:
            yield self.sequence[i]

    def on_epoch_end(self):
        hook = getattr(self.sequence, "on_epoch_end", None)
        if callable(hook):
            hook()


class IterableDataAdapter(DataAdapter):
    """Batches from a re-iterable source (Dataset, DataLoader): a fresh `iter()` per epoch."""

    def __init__(self, iterable):
        self.iterable = iterable
        self.num_batches = _known_length(iterable)

    def get_iterator(self):
        return iter(self.iterable)


class GeneratorDataAdapter(DataAdapter):
    """Batches from a one-shot iterator (a Python generator): it can be consumed only once."""

    reiterable = False

    def __init__(self, generator):
        self.generator = generator
        self.num_batches = _known_length(generator)

    def get_iterator(self):
        return self.generator


def _known_length(source):
    """len(source) when it is known and finite, else None."""
    cardinality = getattr(source, "cardinality", None)
    if callable(cardinality):
        try:
            n = int(cardinality())
        except Exception:
            n = None
        if n is not None and n < 0:
            return None
    try:
        return int(len(source))
    except (TypeError, AttributeError, NotImplementedError):
        return None


def is_infinite(source):
    """True for a Dataset whose cardinality says infinite (repeat() without a count)."""
    cardinality = getattr(source, "cardinality", None)
    if not callable(cardinality):
        return False
    try:
        return int(cardinality()) == -1
    except Exception:
        return False


def _kind(x):
    """'array', 'sequence', 'iterable' or 'generator'; raises TypeError for anything else."""
    if is_array_structure(x):
        return "array"
    if isinstance(x, (list, tuple, dict)):
        if not isinstance(x, dict):
            try:
                if np.asarray(x).dtype.kind in "biuf":
                    return "array"
            except Exception:
                pass
        raise TypeError(f"x is a {type(x).__name__} that is neither numeric data nor a {type(x).__name__} "
                        "of arrays (one per model input); got element types "
                        f"{sorted({type(e).__name__ for e in (x.values() if isinstance(x, dict) else x)})}")
    try:
        from kerasish.data.dataloader import TensorDataset
    except ImportError:
        TensorDataset = ()
    if TensorDataset and isinstance(x, TensorDataset):
        raise TypeError("fit/evaluate/predict got a TensorDataset, whose items are single samples: "
                        "wrap it in a DataLoader(dataset, batch_size=32) to get batches")
    if hasattr(x, "__getitem__") and hasattr(x, "__len__") and not isinstance(x, (list, tuple, dict, str)):
        return "sequence"
    if hasattr(x, "__iter__") and not isinstance(x, (str, bytes, dict)):
        try:
            return "generator" if iter(x) is x else "iterable"
        except TypeError:
            pass
    raise TypeError(
        f"Unrecognized data type for x: {type(x).__name__}. Expected a numpy array, a Tensor, a list "
        "or dict of arrays, a kerasish.data Dataset / DataLoader / Sequence, or a Python generator "
        "yielding (x, y) or (x, y, sample_weight) batches.")


def get_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False):
    """Returns the `DataAdapter` for `x` (the one dispatch on input type).

    Args:
        x: arrays / Tensors (or a list/dict of them), a Dataset, DataLoader, Sequence,
            or a generator of batches.
        y, sample_weight: arrays; only with array-like `x` (other sources yield them).
        batch_size: samples per batch for arrays (ignored for sources that batch themselves).
        steps: planned batches per epoch (arrays use it to infer batch_size when not given).
        shuffle: reshuffle arrays (or a Sequence's batch order) every epoch.

    Raises:
        TypeError: for an unsupported type; ValueError for y / sample_weight given with a
            source that yields its own batches, or arrays of different lengths.
    """
    if x is None:
        raise ValueError("No data given: x is None. Pass arrays, a Dataset, a DataLoader, a Sequence "
                         "or a generator of batches.")
    kind = _kind(x)
    if kind == "array":
        if y is not None and not is_array_structure(y) and _kind(y) != "array":
            raise TypeError(f"y must be an array (or a list/dict of arrays) when x is an array, "
                            f"got {type(y).__name__}")
        return ArrayDataAdapter(x, y, sample_weight, batch_size, steps, shuffle)
    from kerasish.data.dataset import Dataset
    name = {"sequence": "a Sequence", "iterable": "a Dataset" if isinstance(x, Dataset) else f"a {type(x).__name__}",
            "generator": "a generator"}[kind]
    if y is not None:
        raise ValueError(f"y must not be given when x is {name}: it yields (x, y) batches itself")
    if sample_weight is not None:
        raise ValueError(f"sample_weight must not be given when x is {name}: yield "
                         "(x, y, sample_weight) batches instead")
    if kind == "sequence":
        return SequenceDataAdapter(x, shuffle=shuffle)
    if kind == "iterable":
        if getattr(x, "_unbatched", False):
            # The tf.data slip: fit then runs the model on single samples and fails far from the cause.
            warnings.warn("This Dataset yields single samples (from_tensor_slices / from_hdf5 with no "
                          ".batch() after it), and fit/evaluate/predict treat each element as a batch; "
                          "add .batch(batch_size), e.g. ds.batch(32)", stacklevel=4)
        return IterableDataAdapter(x)
    return GeneratorDataAdapter(x)
