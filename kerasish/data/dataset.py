"""`Dataset`: tf.data-style input pipelines over NumPy arrays, generators and HDF5 files.

An element is an array, a tuple or a dict of arrays (nested tuples/dicts work too);
`batch` stacks elements into a batch of the same structure. Iterating yields NumPy data.

Pipelines that only select and reorder rows of a random-access source
(`from_tensor_slices`, `from_hdf5`, then any of `shuffle`, `take`, `skip`, `repeat`)
are planned as streams of row indices: `batch` then gathers a whole batch with one
fancy-indexing call (one read per batch for HDF5) instead of stacking single rows.

Shuffling always runs in the consumer's thread, and `map` returns results in input
order, so for a given seed the order does not depend on `num_parallel_calls`. A
`shuffle` without a seed draws one from kerasish's generator, so
`kerasish.utils.set_random_seed` makes it reproducible (as tf.data's global seed does).

Every iterator a pipeline returns has `close()`, which stops the threads upstream of it.
"""

import contextlib
import itertools
import os
import threading

import numpy as np

from kerasish import backend
from kerasish.data._threads import background_iterator, close_iterator, ordered_parallel_map

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2

_BLOCK = 256  # rows read at once when a random-access source is iterated row by row


# ----------------------------------------------------------------------------- structures

def _map_structure(fn, structure):
    if isinstance(structure, tuple):
        return tuple(_map_structure(fn, s) for s in structure)
    if isinstance(structure, dict):
        return {k: _map_structure(fn, s) for k, s in structure.items()}
    return fn(structure)


def _leaves(structure, prefix="x"):
    """Yield (path, leaf) pairs; the path names a leaf in error messages."""
    if isinstance(structure, tuple):
        for i, s in enumerate(structure):
            yield from _leaves(s, f"{prefix}[{i}]")
    elif isinstance(structure, dict):
        for k, s in structure.items():
            yield from _leaves(s, f"{prefix}[{k!r}]")
    else:
        yield prefix, structure


def _to_numpy(value):
    if not isinstance(value, np.ndarray) and hasattr(value, "numpy"):
        value = value.numpy()  # a kerasish Tensor (or any array wrapper offering .numpy())
    return np.asarray(value)


def _as_element(value):
    """Normalise a user value (generator item, map result) into an element of NumPy arrays.

    A top-level list is taken as a tuple (`[x, y]`), as tf.data's map does; nested
    lists are arrays.
    """
    if isinstance(value, list):
        value = tuple(value)
    return _map_structure(_to_numpy, value)


def _stack(elements):
    """Stack a list of elements of one structure into a batch of that structure."""
    first = elements[0]
    try:
        if isinstance(first, tuple):
            if any(not isinstance(e, tuple) or len(e) != len(first) for e in elements):
                raise ValueError(f"expected tuples of length {len(first)}")
            return tuple(_stack([e[i] for e in elements]) for i in range(len(first)))
        if isinstance(first, dict):
            if any(not isinstance(e, dict) or e.keys() != first.keys() for e in elements):
                raise ValueError(f"expected dicts with keys {sorted(first)}")
            return {k: _stack([e[k] for e in elements]) for k in first}
    except ValueError as err:
        raise ValueError(f"Cannot batch elements of different structures: {err}.") from None
    arrays = [np.asarray(e) for e in elements]
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(
            f"Cannot batch elements of different shapes {sorted(shapes)}; "
            "resize or pad them in a map() before batch()."
        )
    return np.stack(arrays)


def _row(block, j):
    return _map_structure(lambda a: a[j], block)


# ----------------------------------------------------------------------------- helpers

def _check_int(name, value, minimum, allow=()):
    if value in allow and not isinstance(value, bool):
        return value
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        extra = f" or one of {list(allow)}" if allow else ""
        raise ValueError(f"{name} must be an integer >= {minimum}{extra}, got {value!r}.")
    return int(value)


def global_seed():
    """A seed drawn from kerasish's CPU generator: fixed by `set_random_seed`, fresh entropy otherwise."""
    return int(backend.rng("cpu").integers(2 ** 63))


def _num_threads(num_parallel_calls):
    if num_parallel_calls is None:
        return 1
    if num_parallel_calls == AUTOTUNE and not isinstance(num_parallel_calls, bool):
        return os.cpu_count() or 1
    return _check_int("num_parallel_calls", num_parallel_calls, 1, allow=(AUTOTUNE,))


def _buffer_shuffle(items, buffer_size, rng):
    """Yield items through a shuffle buffer of `buffer_size` (tf.data's algorithm)."""
    buffer = list(itertools.islice(items, buffer_size))
    draws = iter(())
    for item in items:
        j = next(draws, None)
        if j is None:  # draw random slots 1024 at a time: one rng call per 1024 items
            draws = iter(rng.integers(0, len(buffer), size=1024).tolist())
            j = next(draws)
        yield buffer[j]
        buffer[j] = item
    for j in rng.permutation(len(buffer)):
        yield buffer[j]


# ----------------------------------------------------------------------------- sources

class _ArraySource:
    """In-memory arrays; `gather` fancy-indexes a whole batch at once."""

    def __init__(self, structure):
        self.structure = structure
        self.length = len(next(_leaves(structure))[1])

    def gather(self, index):
        return _map_structure(lambda a: a[index], self.structure)

    def opened(self):
        """A no-op context (arrays need no file); see `_HDF5Source.opened`."""
        return contextlib.nullcontext()


class _HDF5Source:
    """Datasets of one HDF5 file, read lazily: each `gather` reads only the rows asked for.

    The file is open only while a pass over the data runs (`opened`), so between epochs and
    after training other code (or h5py in write mode) may open, rewrite or delete it.
    """

    def __init__(self, path, keys):
        if not os.path.isfile(path):
            raise FileNotFoundError(f"from_hdf5: no such file: {path!r}.")
        self.path, self.keys = path, keys
        self.file, self.structure, self._users = None, None, 0
        self._lock = threading.Lock()
        with self.opened():  # check the keys and lengths now, where the mistake is made
            lengths = {p: len(d) for p, d in _leaves(self.structure, "keys")}
        if len(set(lengths.values())) > 1:
            raise ValueError(f"from_hdf5: datasets have different lengths (first dims): {lengths}.")
        self.length = next(iter(lengths.values()))

    @contextlib.contextmanager
    def opened(self):
        """Keeps the file open for the duration of the block (nested and concurrent passes share it)."""
        with self._lock:
            if self._users == 0:
                self._open()
            self._users += 1
        try:
            yield self
        finally:
            with self._lock:
                self._users -= 1
                if self._users == 0:
                    self.file.close()
                    self.file = self.structure = None

    def _open(self):
        import h5py

        path, keys = self.path, self.keys
        try:
            self.file = h5py.File(path, "r")
        except OSError as err:
            raise OSError(f"from_hdf5: {path!r} is not a readable HDF5 file ({err}).") from err
        try:
            self.structure = self._datasets(h5py, path, keys)
        except BaseException:
            self.file.close()
            self.file = None
            raise

    def _datasets(self, h5py, path, keys):
        if isinstance(keys, (list, tuple)):
            keys = tuple(keys)
        elif not isinstance(keys, (str, dict)):
            raise TypeError(f"from_hdf5: keys must be a str, a sequence or a dict of str, got {keys!r}.")
        available = []
        self.file.visititems(lambda name, obj: available.append(name) if isinstance(obj, h5py.Dataset) else None)

        def open_key(key):
            if not isinstance(key, str):
                raise TypeError(f"from_hdf5: dataset names must be str, got {key!r}.")
            if key not in available:
                raise KeyError(f"from_hdf5: {path!r} has no dataset {key!r}; it has {available}.")
            dset = self.file[key]
            if dset.ndim == 0:
                raise ValueError(f"from_hdf5: dataset {key!r} is a scalar; it needs a first (sample) axis.")
            return dset

        return _map_structure(open_key, keys)

    def gather(self, index):
        # h5py wants increasing, unique indices; a contiguous run is read as one slice.
        unique, inverse = np.unique(index, return_inverse=True)
        if len(unique) and unique[-1] - unique[0] + 1 == len(unique):
            selection = slice(int(unique[0]), int(unique[-1]) + 1)
        else:
            selection = unique
        in_order = len(unique) == len(index) and np.array_equal(unique, index)
        return _map_structure(lambda d: d[selection] if in_order else d[selection][inverse],
                              self.structure)


# ----------------------------------------------------------------------------- Dataset

class Dataset:
    """A tf.data-style input pipeline yielding NumPy elements.

    Build one with `Dataset.from_tensor_slices`, `Dataset.from_generator`,
    `Dataset.from_hdf5` or `Dataset.zip`, then chain transformations.

    Example:

    ```python
    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(128).prefetch(2)
    for xb, yb in ds:
        ...
    ```
    """

    _source = None  # a random-access source when this pipeline only selects rows of it
    _unbatched = False  # elements are single rows of from_tensor_slices / from_hdf5 (no batch() yet)

    def __iter__(self):
        if self._source is None:
            return self._elements()
        return self._rows()

    def _rows(self):
        source = self._source
        with source.opened():
            for chunk in self._index_chunks():
                for start in range(0, len(chunk), _BLOCK):
                    index = chunk[start:start + _BLOCK]
                    block = source.gather(index)
                    for j in range(len(index)):
                        yield _row(block, j)

    def _elements(self):
        raise NotImplementedError(f"{type(self).__name__} must implement _elements()")

    def _index_chunks(self):
        raise NotImplementedError(f"{type(self).__name__} must implement _index_chunks()")

    def _length(self):
        return UNKNOWN

    def cardinality(self):
        """Return the number of elements, `INFINITE` (-1) or `UNKNOWN` (-2), as tf.data."""
        return self._length()

    def __len__(self):
        n = self._length()
        if n == INFINITE:
            raise TypeError("This Dataset is infinite (repeat() without a count), so it has no "
                            "length; use take(n) or pass steps_per_epoch.")
        if n == UNKNOWN:
            raise TypeError("The length of this Dataset is unknown (e.g. from_generator without "
                            "length=); give the length or pass steps_per_epoch.")
        return n

    def as_numpy_iterator(self):
        """Return an iterator over the elements (they are NumPy already), as tf.data."""
        return iter(self)

    def __repr__(self):
        n = self._length()
        size = {INFINITE: "infinite", UNKNOWN: "unknown"}.get(n, n)
        return f"<{type(self).__name__.lstrip('_')}Dataset length={size}>"

    # --- constructors ---

    @staticmethod
    def from_tensor_slices(tensors):
        """Create a dataset whose elements are the rows (first-axis slices) of `tensors`.

        Args:
            tensors: an array (anything `np.asarray` takes, or a Tensor), or a tuple or
                dict of them, all with the same first dimension. A list is one array,
                as in tf.data; use a tuple for `(x, y)`.

        Returns:
            A `Dataset`.
        """
        if tensors is None:
            raise TypeError("from_tensor_slices: expected an array, a tuple or a dict of arrays, got None.")
        structure = _map_structure(_to_numpy, tensors)
        leaves = list(_leaves(structure))
        if not leaves:
            raise ValueError("from_tensor_slices: got an empty tuple/dict; expected at least one array.")
        for path, array in leaves:
            if array.ndim == 0:
                raise ValueError(f"from_tensor_slices: {path} is a scalar; it needs a first (sample) axis to slice.")
            if array.dtype == object:
                raise ValueError(f"from_tensor_slices: {path} is a ragged/object array; expected a numeric array.")
        lengths = {path: len(array) for path, array in leaves}
        if len(set(lengths.values())) > 1:
            raise ValueError("from_tensor_slices: all arrays must have the same first dimension "
                             f"(number of samples); got {lengths}.")
        return _Slices(_ArraySource(structure))

    @staticmethod
    def from_hdf5(path, keys=("x", "y")):
        """Create a dataset over datasets of an HDF5 file, read lazily (one read per batch).

        Data larger than memory works: only the rows of the current batch are read.

        Args:
            path: the HDF5 file.
            keys: one dataset name (elements are arrays), a tuple of names (elements are
                tuples) or a dict `{name: dataset_name}` (elements are dicts).

        Returns:
            A `Dataset`.
        """
        return _Slices(_HDF5Source(os.fspath(path), keys))

    @staticmethod
    def from_generator(generator, args=(), length=None):
        """Create a dataset from a function returning an iterator; it is called each epoch.

        Args:
            generator: a callable (e.g. a generator function) returning an iterator of
                elements (arrays, tuples or dicts; a list is taken as a tuple).
            args: arguments passed to `generator`.
            length: number of elements, if known (enables `len()`). Each pass checks it:
                a ValueError naming both counts is raised as soon as the generator yields
                more, or when it ends with fewer (a pass stopped early, e.g. by `take`,
                is not checked).

        Returns:
            A `Dataset`.
        """
        if not callable(generator):
            raise TypeError("from_generator: expected a callable returning an iterator (e.g. a "
                            f"generator function, not a generator object), got {type(generator).__name__}.")
        if length is not None:
            length = _check_int("from_generator length", length, 0)
        return _Generator(generator, tuple(args), length)

    @staticmethod
    def zip(*datasets):
        """Zip datasets: `Dataset.zip(a, b)`, `Dataset.zip((a, b))` or `Dataset.zip({'x': a, 'y': b})`.

        Returns:
            A `Dataset` of tuples (or dicts); it stops with the shortest input.
        """
        if len(datasets) == 1 and isinstance(datasets[0], (tuple, list, dict)):
            datasets = datasets[0]
        structure = dict(datasets) if isinstance(datasets, dict) else tuple(datasets)
        members = list(structure.values()) if isinstance(structure, dict) else list(structure)
        if not members or any(not isinstance(d, Dataset) for d in members):
            raise TypeError(f"Dataset.zip expects Datasets (as arguments, a tuple or a dict), got {datasets!r}.")
        return _Zip(structure)

    # --- transformations ---

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=True):
        """Shuffle elements through a buffer of `buffer_size` (>= dataset size: a full shuffle).

        Args:
            buffer_size: number of elements in the shuffle buffer.
            seed: int seed; with a seed the orders of every epoch are reproducible.
            reshuffle_each_iteration: a new order each time the dataset is iterated.
        """
        buffer_size = _check_int("shuffle buffer_size", buffer_size, 1)
        if seed is not None:
            seed = _check_int("shuffle seed", seed, 0)
        return _Shuffle(self, buffer_size, seed, bool(reshuffle_each_iteration))

    def batch(self, batch_size, drop_remainder=False):
        """Stack consecutive elements into batches; the last may be smaller unless `drop_remainder`."""
        return _Batch(self, _check_int("batch_size", batch_size, 1), bool(drop_remainder))

    def map(self, map_func, num_parallel_calls=None):
        """Apply `map_func` to each element (a tuple is unpacked into arguments).

        Args:
            map_func: function of the element's components, returning a new element.
            num_parallel_calls: threads to use (None: 1; `AUTOTUNE`: CPU count).
                Output order is the input order whatever the number of threads.
        """
        if not callable(map_func):
            raise TypeError(f"map: map_func must be callable, got {type(map_func).__name__}.")
        return _Map(self, map_func, _num_threads(num_parallel_calls))

    def prefetch(self, buffer_size):
        """Produce up to `buffer_size` elements ahead on a background thread.

        The thread stops when iteration ends, when the consumer stops early or raises,
        and never blocks interpreter exit (it is a daemon).
        """
        if buffer_size == AUTOTUNE and not isinstance(buffer_size, bool):
            buffer_size = 2
        return _Prefetch(self, _check_int("prefetch buffer_size", buffer_size, 0, allow=(AUTOTUNE,)))

    def repeat(self, count=None):
        """Repeat the dataset `count` times (None or -1: forever); each pass reshuffles."""
        if count is not None:
            count = _check_int("repeat count", count, -1)
        return _Repeat(self, None if count == -1 else count)

    def take(self, count):
        """Keep the first `count` elements (-1: all)."""
        return _Take(self, _check_int("take count", count, -1))

    def skip(self, count):
        """Drop the first `count` elements (-1: all)."""
        return _Skip(self, _check_int("skip count", count, -1))

    def cache(self):
        """Keep the elements of the first complete pass in memory and replay them afterwards.

        As in tf.data, a `shuffle` before `cache` is frozen to its first order.
        """
        return _Cache(self)


class _Slices(Dataset):
    def __init__(self, source):
        self._source = source
        self._unbatched = True

    def _index_chunks(self):
        if self._source.length:
            yield np.arange(self._source.length)

    def _length(self):
        return self._source.length


class _Generator(Dataset):
    def __init__(self, generator, args, length):
        self._generator, self._args, self._n = generator, args, length

    def _elements(self):
        iterator = self._generator(*self._args)
        if not hasattr(iterator, "__next__"):
            iterator = iter(iterator)
        expected, count = self._n, 0
        try:
            for value in iterator:
                if count == expected:  # stop here: an endless generator would never reach the end
                    raise ValueError(f"from_generator(length={expected}): the generator yielded more than "
                                     f"{expected} elements in this pass (at least {count + 1}); pass the "
                                     "number it really yields, or length=None if it is not known.")
                count += 1
                yield _as_element(value)
        finally:
            close_iterator(iterator)
        if expected is not None and count != expected:
            raise ValueError(f"from_generator(length={expected}): the generator yielded {count} elements in "
                             f"this pass, not {expected}; pass the number it really yields, or length=None "
                             "if it is not known.")

    def _length(self):
        return UNKNOWN if self._n is None else self._n


class _Child(Dataset):
    """A transformation of one parent dataset; keeps the parent's source unless it says otherwise."""

    def __init__(self, parent):
        self._parent = parent
        self._source = parent._source
        self._unbatched = parent._unbatched


class _Take(_Child):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _elements(self):
        iterator = iter(self._parent)
        try:  # close the parent as soon as enough is taken: stops its prefetch threads now
            yield from itertools.islice(iterator, None if self._count < 0 else self._count)
        finally:
            close_iterator(iterator)

    def _index_chunks(self):
        left = self._count
        if left < 0:
            yield from self._parent._index_chunks()
            return
        chunks = self._parent._index_chunks()
        try:
            while left > 0:
                chunk = next(chunks, None)
                if chunk is None:
                    return
                yield chunk[:left]
                left -= len(chunk)
        finally:
            close_iterator(chunks)

    def _length(self):
        n = self._parent._length()
        if self._count < 0:
            return n
        if n == INFINITE:
            return self._count
        return UNKNOWN if n == UNKNOWN else min(n, self._count)


class _Skip(_Child):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _elements(self):
        if self._count < 0:
            return
        iterator = iter(self._parent)
        try:
            yield from itertools.islice(iterator, self._count, None)
        finally:
            close_iterator(iterator)

    def _index_chunks(self):
        left = self._count
        if left < 0:
            return
        for chunk in self._parent._index_chunks():
            if left >= len(chunk):
                left -= len(chunk)
                continue
            yield chunk[left:]
            left = 0

    def _length(self):
        n = self._parent._length()
        if n < 0:
            return n
        return 0 if self._count < 0 else max(n - self._count, 0)


class _Repeat(_Child):
    def __init__(self, parent, count):
        super().__init__(parent)
        self._count = count

    def _passes(self, make_pass):
        for _ in range(self._count) if self._count is not None else itertools.count():
            empty = True
            for item in make_pass():
                empty = False
                yield item
            if empty:  # repeating an empty dataset forever would spin
                return

    def _elements(self):
        return self._passes(lambda: self._parent)

    def _index_chunks(self):
        return self._passes(self._parent._index_chunks)

    def _length(self):
        n = self._parent._length()
        if self._count is None:
            return 0 if n == 0 else (UNKNOWN if n == UNKNOWN else INFINITE)
        if n == INFINITE:
            return INFINITE if self._count else 0
        return UNKNOWN if n == UNKNOWN else n * self._count


class _Shuffle(_Child):
    def __init__(self, parent, buffer_size, seed, reshuffle):
        super().__init__(parent)
        self._buffer_size, self._reshuffle = buffer_size, reshuffle
        self._seed = seed if seed is not None else global_seed()
        self._epoch = itertools.count()  # next() is atomic in CPython: safe across threads

    def _rng(self):
        if not self._reshuffle:
            return np.random.default_rng(self._seed)
        return np.random.default_rng([self._seed, next(self._epoch)])

    def _elements(self):
        return _buffer_shuffle(iter(self._parent), self._buffer_size, self._rng())

    def _index_chunks(self):
        rng = self._rng()
        n = self._parent._length()
        if 0 <= n <= self._buffer_size:  # the whole pass fits the buffer: one permutation
            chunks = list(self._parent._index_chunks())
            if chunks:
                yield rng.permutation(np.concatenate(chunks))
            return
        flat = itertools.chain.from_iterable(c.tolist() for c in self._parent._index_chunks())
        shuffled = _buffer_shuffle(flat, self._buffer_size, rng)
        while True:
            chunk = np.fromiter(itertools.islice(shuffled, 1024), dtype=np.int64)
            if not len(chunk):
                return
            yield chunk

    def _length(self):
        return self._parent._length()


class _Batch(_Child):
    def __init__(self, parent, batch_size, drop_remainder):
        super().__init__(parent)
        self._source = None  # elements are batches now
        self._unbatched = False
        self._batch_size, self._drop = batch_size, drop_remainder

    def _elements(self):
        if self._parent._source is not None:
            return self._gathered_batches(self._parent._source)
        return self._stacked_batches()

    def _gathered_batches(self, source):
        with source.opened():
            yield from self._gathered_batches_open(source)

    def _gathered_batches_open(self, source):
        size, pieces, count = self._batch_size, [], 0
        for chunk in self._parent._index_chunks():
            start = 0
            while start < len(chunk):
                piece = chunk[start:start + size - count]
                pieces.append(piece)
                count += len(piece)
                start += len(piece)
                if count == size:
                    yield source.gather(np.concatenate(pieces) if len(pieces) > 1 else piece)
                    pieces, count = [], 0
        if count and not self._drop:
            yield source.gather(np.concatenate(pieces))

    def _stacked_batches(self):
        elements = []
        for element in self._parent:
            elements.append(element)
            if len(elements) == self._batch_size:
                yield _stack(elements)
                elements = []
        if elements and not self._drop:
            yield _stack(elements)

    def _length(self):
        n = self._parent._length()
        if n < 0:
            return n
        return n // self._batch_size if self._drop else -(-n // self._batch_size)


class _Map(_Child):
    def __init__(self, parent, fn, threads):
        super().__init__(parent)
        self._source = None
        self._fn, self._threads = fn, threads

    def _apply(self, element):
        out = self._fn(*element) if isinstance(element, tuple) else self._fn(element)
        return _as_element(out)

    def _elements(self):
        if self._threads > 1:
            return ordered_parallel_map(self._apply, self._parent, self._threads)
        return self._serial()

    def _serial(self):
        iterator = iter(self._parent)
        try:
            for element in iterator:
                yield self._apply(element)
        finally:
            close_iterator(iterator)

    def _length(self):
        return self._parent._length()


class _Prefetch(_Child):
    def __init__(self, parent, size):
        super().__init__(parent)
        self._source = None
        self._size = size

    def _elements(self):
        if self._size == 0:
            return iter(self._parent)
        return background_iterator(self._parent, self._size)

    def _length(self):
        return self._parent._length()


class _Cache(_Child):
    def __init__(self, parent):
        super().__init__(parent)
        self._source = None
        self._cached = None

    def _elements(self):
        if self._cached is not None:
            yield from self._cached
            return
        elements = []
        for element in self._parent:
            elements.append(element)
            yield element
        self._cached = elements  # only a complete pass is kept

    def _length(self):
        return self._parent._length()


class _Zip(Dataset):
    def __init__(self, structure):
        self._structure = structure
        members = structure.values() if isinstance(structure, dict) else structure
        self._unbatched = all(d._unbatched for d in members)

    def _elements(self):
        members = self._structure.values() if isinstance(self._structure, dict) else self._structure
        iterators = [iter(d) for d in members]
        try:
            if isinstance(self._structure, dict):
                keys = list(self._structure)
                for values in zip(*iterators):
                    yield dict(zip(keys, values))
            else:
                yield from zip(*iterators)
        finally:
            for iterator in iterators:
                close_iterator(iterator)

    def _length(self):
        members = self._structure.values() if isinstance(self._structure, dict) else self._structure
        lengths = [d._length() for d in members]
        finite = [n for n in lengths if n >= 0]
        if UNKNOWN in lengths and 0 not in finite:
            return UNKNOWN
        return min(finite) if finite else INFINITE
