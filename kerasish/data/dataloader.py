"""`DataLoader` in PyTorch's shape, with `TensorDataset`, `default_collate` and `default_convert`.

A map-style dataset has `__len__` and `__getitem__(i)` returning one sample (an
array, a number, or a tuple/dict of them). The loader draws indices from a sampler,
groups them into batches and collates each batch into NumPy arrays. Worker threads
(`num_workers > 0`) build batches ahead, in order, and stop in a `finally` when the
loop ends, breaks or raises.

An iterable-style dataset (like `torch.utils.data.IterableDataset`) has `__iter__`
and no `__getitem__`: its samples are batched in the order it yields them.
`batch_size=None` turns batching off: each sample is yielded on its own, converted
to NumPy by `default_convert`.
"""

import itertools
import numbers

import numpy as np

from kerasish.data._threads import background_iterator, close_iterator, ordered_parallel_map
from kerasish.data.dataset import global_seed


class TensorDataset:
    """Map-style dataset of rows of equally long arrays: `dataset[i] == tuple(a[i] for a in arrays)`.

    Args:
        *arrays: arrays (or Tensors) sharing their first dimension.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array.")
        self.arrays = tuple(np.asarray(a.numpy() if hasattr(a, "numpy") else a) for a in arrays)
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {i} is a scalar; it needs a first (sample) axis.")
        lengths = [len(a) for a in self.arrays]
        if len(set(lengths)) > 1:
            raise ValueError(f"TensorDataset: arrays must share their first dimension; got lengths {lengths}.")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        return tuple(a[index] for a in self.arrays)

    def _gather(self, indices):
        return tuple(a[indices] for a in self.arrays)


def default_collate(samples):
    """Stack a list of samples into a batch of NumPy arrays with the samples' structure.

    Arrays are stacked on a new first axis, numbers become a 1-D array, tuples, lists
    and dicts are collated per position / key, strings are kept as a list.

    Args:
        samples: a non-empty list of samples of one structure.

    Returns:
        The batch.
    """
    first = samples[0]
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, dict):
        if any(not isinstance(s, dict) or s.keys() != first.keys() for s in samples):
            raise ValueError(f"default_collate: every sample must be a dict with keys {sorted(first)}.")
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        if any(not isinstance(s, (tuple, list)) or len(s) != len(first) for s in samples):
            raise ValueError(f"default_collate: every sample must be a sequence of length {len(first)}.")
        columns = [default_collate([s[i] for s in samples]) for i in range(len(first))]
        return tuple(columns) if isinstance(first, tuple) else columns
    if isinstance(first, (np.ndarray, np.generic, numbers.Number)) or hasattr(first, "__array__"):
        arrays = [np.asarray(s.numpy() if hasattr(s, "numpy") else s) for s in samples]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"default_collate: cannot stack samples of different shapes {sorted(shapes)}; "
                             "pass a collate_fn that pads them.")
        return np.stack(arrays)
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__}; expected "
                    "NumPy arrays, numbers, str, or tuples/lists/dicts of them, or pass collate_fn.")


def default_convert(sample):
    """Convert one sample to NumPy without batching it (what `DataLoader(batch_size=None)` yields).

    Arrays, NumPy scalars and Tensors become NumPy arrays; tuples, lists and dicts are
    converted per position / key; Python numbers, strings and other objects are kept
    as they are (as PyTorch's `default_convert`).

    Args:
        sample: one sample.

    Returns:
        The converted sample.
    """
    if isinstance(sample, (str, bytes)):
        return sample
    if isinstance(sample, dict):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    if isinstance(sample, (np.ndarray, np.generic)):
        return np.asarray(sample)
    if not isinstance(sample, numbers.Number) and (hasattr(sample, "numpy") or hasattr(sample, "__array__")):
        return np.asarray(sample.numpy() if hasattr(sample, "numpy") else sample)
    return sample


def _is_iterable_style(dataset):
    return not hasattr(dataset, "__getitem__") and hasattr(dataset, "__iter__")


class DataLoader:
    """Iterate a dataset in batches, as `torch.utils.data.DataLoader`.

    The positional order is DESIGN's `(dataset, batch_size, shuffle, drop_last, num_workers,
    collate_fn)`; `sampler` and `seed` are keyword-only.

    Two kinds of dataset work, as in PyTorch:

    - map-style: `__len__` and `__getitem__(index)` returning a sample;
    - iterable-style: `__iter__` (and no `__getitem__`) yielding samples, a fresh pass per
      `iter()`; batches hold consecutive samples. It cannot be shuffled or sampled (shuffle
      it inside its `__iter__`); `len(loader)` needs the dataset's `__len__` and raises
      TypeError without one, while `fit` then learns the epoch length from the first pass.
      With `num_workers > 0` one background thread reads and collates batches ahead (the
      dataset is read once, in order, not replicated per worker as PyTorch's processes do).

    Args:
        dataset: a map-style or iterable-style dataset (see above).
        batch_size: samples per batch (positive int), or None for no batching: each
            sample is yielded on its own, converted by `default_convert` (or passed
            through `collate_fn` one sample at a time when given).
        shuffle: draw a new random order at each `iter()` (each epoch); map-style only.
        drop_last: drop the last batch when it is smaller than `batch_size`.
        num_workers: threads that build batches ahead (0: in the calling thread).
        collate_fn: function turning a list of samples into a batch (default: `default_collate`).
        sampler: iterable of indices (with `__len__`), instead of `shuffle`; map-style only.
        seed: seed of the shuffle; epoch k uses the stream `(seed, k)`, so runs repeat.
            None draws one from kerasish's generator (fixed by `set_random_seed`, as
            `torch.manual_seed` fixes a PyTorch loader's order).

    Example:

    ```python
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    for xb, yb in loader:
        ...
    ```
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, num_workers=0, collate_fn=None,
                 *, sampler=None, seed=None):
        iterable = _is_iterable_style(dataset)
        if not iterable and not hasattr(dataset, "__getitem__"):
            raise TypeError(f"DataLoader: dataset must be map-style (define __getitem__ and __len__) or "
                            f"iterable-style (define __iter__), got {type(dataset).__name__}.")
        if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral)
                                       or batch_size <= 0):
            raise ValueError(f"batch_size should be a positive integer value or None, but got "
                             f"batch_size={batch_size!r}.")
        if batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with "
                             "drop_last=True.")
        if iterable and shuffle:
            raise ValueError(f"DataLoader with an iterable-style dataset ({type(dataset).__name__} defines "
                             f"__iter__ but not __getitem__): expected unspecified shuffle option, but got "
                             f"shuffle={shuffle!r}; shuffle the samples inside the dataset's __iter__.")
        if iterable and sampler is not None:
            raise ValueError(f"DataLoader with an iterable-style dataset ({type(dataset).__name__} defines "
                             f"__iter__ but not __getitem__): expected unspecified sampler option, but got "
                             f"sampler={sampler!r}; an iterable dataset has no indices to sample.")
        if not isinstance(drop_last, (bool, numbers.Integral)):
            raise TypeError(f"drop_last must be a bool, got {type(drop_last).__name__}; the positional order is "
                            "DataLoader(dataset, batch_size, shuffle, drop_last, num_workers, collate_fn): "
                            "pass sampler= by keyword.")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle.")
        if sampler is not None and not hasattr(sampler, "__iter__"):
            raise TypeError(f"DataLoader: sampler must be an iterable of indices, got {type(sampler).__name__}.")
        if isinstance(num_workers, bool) or not isinstance(num_workers, numbers.Integral) or num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable "
                             f"worker threads (got {num_workers!r}).")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError(f"collate_fn must be callable, got {type(collate_fn).__name__}.")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}.")
        if not iterable and sampler is None and not hasattr(dataset, "__len__"):
            raise TypeError(f"DataLoader: dataset {type(dataset).__name__} has no __len__; give a sampler.")
        self.dataset = dataset
        self.batch_size = None if batch_size is None else int(batch_size)
        self._iterable = iterable
        self.shuffle = bool(shuffle)
        self.sampler = sampler
        self.drop_last = bool(drop_last)
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.seed = seed
        self._seed = seed if seed is not None or not self.shuffle else global_seed()
        self._epoch = itertools.count()

    def _indices(self):
        if self.sampler is not None:
            return iter(self.sampler)
        n = len(self.dataset)
        if not self.shuffle:
            return iter(range(n))
        rng = np.random.default_rng([self._seed, next(self._epoch)])
        return iter(rng.permutation(n).tolist())

    def _batches_of_indices(self):
        indices = self._indices()
        while True:
            batch = list(itertools.islice(indices, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def _iterable_batches(self):
        samples = iter(self.dataset)
        try:
            if self.batch_size is None:
                for sample in samples:
                    yield self._convert(sample)
                return
            while True:
                batch = list(itertools.islice(samples, self.batch_size))
                if not batch or (self.drop_last and len(batch) < self.batch_size):
                    return
                yield self._collate(batch)
        finally:  # a generator __iter__ runs its cleanup now, also when the loop stops early
            close_iterator(samples)

    def _convert(self, sample):
        return self.collate_fn(sample) if self.collate_fn is not None else default_convert(sample)

    def _collate(self, samples):
        return (self.collate_fn or default_collate)(samples)

    def _fetch(self, indices):
        if self.collate_fn is None and type(self.dataset).__getitem__ is TensorDataset.__getitem__:
            return self.dataset._gather(np.asarray(indices))  # one fancy index per array
        collate = self.collate_fn or default_collate
        return collate([self.dataset[i] for i in indices])

    def __iter__(self):
        if self._iterable:
            if self.num_workers == 0:
                return self._iterable_batches()
            return background_iterator(self._iterable_batches(), 2 * self.num_workers)
        if self.batch_size is None:
            fetch, keys = (lambda i: self._convert(self.dataset[i])), self._indices()
        else:
            fetch, keys = self._fetch, self._batches_of_indices()
        if self.num_workers == 0:
            return map(fetch, keys)
        return ordered_parallel_map(fetch, keys, self.num_workers)

    def __len__(self):
        """Batches per pass (samples when `batch_size` is None).

        Raises:
            TypeError: when the dataset (iterable-style) or the sampler has no `__len__`.
        """
        if self._iterable and not hasattr(self.dataset, "__len__"):
            raise TypeError(f"len(DataLoader) is unknown: its iterable-style dataset "
                            f"{type(self.dataset).__name__} has no __len__.")
        if self.sampler is not None and not hasattr(self.sampler, "__len__"):
            raise TypeError("len(DataLoader) is unknown: its sampler has no __len__.")
        n = len(self.sampler) if self.sampler is not None else len(self.dataset)
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
