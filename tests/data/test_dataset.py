"""Tests of kerasish.data.Dataset: constructors, every transformation, lengths, errors."""

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerasish.data import AUTOTUNE, Dataset
from kerasish.data.dataset import INFINITE, UNKNOWN


def rows(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    y = np.arange(n)
    return x, y


# ----------------------------------------------------------------------------- constructors

def test_from_tensor_slices_array_tuple_dict():
    x, y = rows()
    assert [e.tolist() for e in Dataset.from_tensor_slices(x)] == x.tolist()
    pairs = list(Dataset.from_tensor_slices((x, y)))
    assert len(pairs) == 10 and isinstance(pairs[3], tuple)
    np.testing.assert_array_equal(pairs[3][0], x[3])
    assert pairs[3][1] == 3
    dicts = list(Dataset.from_tensor_slices({"a": x, "b": y}))
    assert set(dicts[0]) == {"a", "b"} and dicts[9]["b"] == 9


def test_from_tensor_slices_nested_and_list_is_one_array():
    x, y = rows()
    element = next(iter(Dataset.from_tensor_slices(((x, y), {"y": y}))))
    assert isinstance(element[0], tuple) and element[1]["y"] == 0
    assert next(iter(Dataset.from_tensor_slices([[1, 2], [3, 4]]))).tolist() == [1, 2]


@pytest.mark.parametrize("bad, match", [
    ((np.zeros(3), np.zeros(4)), r"same first dimension.*3.*4"),
    ({"a": np.zeros(3), "b": np.zeros(2)}, r"'a'.*3.*'b'.*2"),
    (np.float32(1.0), "scalar"),
    ((), "empty"),
])
def test_from_tensor_slices_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        Dataset.from_tensor_slices(bad)


def test_from_tensor_slices_none():
    with pytest.raises(TypeError, match="got None"):
        Dataset.from_tensor_slices(None)


def test_from_generator_called_each_epoch_with_args_and_length():
    calls = []

    def gen(n):
        calls.append(n)
        for i in range(n):
            yield i, [i, i]

    ds = Dataset.from_generator(gen, args=(3,), length=3)
    first = list(ds)
    assert len(ds) == 3 and len(first) == 3 and calls == [3]
    assert isinstance(first[1], tuple) and first[1][1].tolist() == [1, 1]  # nested list: an array
    assert len(list(ds)) == 3 and calls == [3, 3]


def test_from_generator_errors():
    with pytest.raises(TypeError, match="callable"):
        Dataset.from_generator(x for x in range(3))
    ds = Dataset.from_generator(lambda: iter(range(3)))
    with pytest.raises(TypeError, match="unknown"):
        len(ds)
    assert ds.cardinality() == UNKNOWN


def test_zip_forms_and_length():
    a = Dataset.from_tensor_slices(np.arange(5))
    b = Dataset.from_tensor_slices(np.arange(3) * 10)
    assert [tuple(map(int, e)) for e in Dataset.zip(a, b)] == [(0, 0), (1, 10), (2, 20)]
    assert len(Dataset.zip((a, b))) == 3
    d = list(Dataset.zip({"a": a, "b": b}).batch(2))
    assert d[0]["b"].tolist() == [0, 10] and len(d) == 2
    assert len(Dataset.zip(a, a.repeat())) == 5
    with pytest.raises(TypeError, match="Dataset.zip"):
        Dataset.zip(a, np.arange(3))


# ----------------------------------------------------------------------------- batch

def test_batch_keeps_structure_and_remainder():
    x, y = rows(10)
    batches = list(Dataset.from_tensor_slices({"x": x, "y": y}).batch(4))
    assert [len(b["y"]) for b in batches] == [4, 4, 2]
    np.testing.assert_array_equal(batches[1]["x"], x[4:8])
    assert batches[0]["x"].dtype == np.float32
    ds = Dataset.from_tensor_slices((x, y)).batch(4, drop_remainder=True)
    assert len(ds) == 2 and [len(b[1]) for b in ds] == [4, 4]
    assert len(Dataset.from_tensor_slices(x).batch(4)) == 3


def test_batch_of_generator_elements_stacks():
    ds = Dataset.from_generator(lambda: ((np.full(2, i), i) for i in range(5))).batch(2)
    batches = list(ds)
    assert batches[0][0].shape == (2, 2) and batches[2][1].tolist() == [4]


def test_batch_errors():
    ds = Dataset.from_generator(lambda: iter([np.zeros(2), np.zeros(3)]))
    with pytest.raises(ValueError, match="different shapes"):
        list(ds.batch(2))
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            ds.batch(bad)


def test_in_memory_batches_are_gathered_once_per_batch(monkeypatch):
    x, y = rows(1000)
    ds = Dataset.from_tensor_slices((x, y))
    calls = []
    source = ds._source
    original = source.gather
    monkeypatch.setattr(source, "gather", lambda idx: calls.append(len(idx)) or original(idx))
    batches = list(ds.shuffle(1000, seed=0).batch(100))
    assert calls == [100] * 10  # one fancy index per batch, no per-row stacking
    got = np.concatenate([b[1] for b in batches])
    assert sorted(got.tolist()) == list(range(1000))
    np.testing.assert_array_equal(np.concatenate([b[0] for b in batches]), x[got])


# ----------------------------------------------------------------------------- shuffle

def test_shuffle_is_a_seeded_permutation():
    x, y = rows(50)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(100, seed=3)
    first = [int(e[1]) for e in ds]
    assert sorted(first) == list(range(50)) and first != list(range(50))
    again = [int(e[1]) for e in Dataset.from_tensor_slices((x, y)).shuffle(100, seed=3)]
    assert again == first


def test_shuffle_reshuffles_each_iteration_reproducibly():
    ds = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=1)
    e1, e2 = [list(map(int, ds)) for _ in range(2)]
    assert e1 != e2 and sorted(e2) == list(range(30))
    fresh = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=1)
    assert [list(map(int, fresh)) for _ in range(2)] == [e1, e2]
    fixed = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=1, reshuffle_each_iteration=False)
    assert list(map(int, fixed)) == list(map(int, fixed))
    unseeded = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, reshuffle_each_iteration=False)
    assert list(map(int, unseeded)) == list(map(int, unseeded))


@pytest.mark.parametrize("make", [
    lambda n: Dataset.from_tensor_slices(np.arange(n)),
    lambda n: Dataset.from_generator(lambda: iter(range(n))),
])
def test_small_buffer_shuffles_locally(make):
    out = [int(v) for v in make(200).shuffle(10, seed=0)]
    assert sorted(out) == list(range(200)) and out != list(range(200))
    assert out[0] < 10  # the first element comes from the first buffer_size elements
    assert all(v <= i + 10 for i, v in enumerate(out))


def test_shuffle_argument_errors():
    ds = Dataset.from_tensor_slices(np.arange(3))
    with pytest.raises(ValueError, match="buffer_size"):
        ds.shuffle(0)
    with pytest.raises(ValueError, match="seed"):
        ds.shuffle(3, seed=-1)


# ----------------------------------------------------------------------------- map

def test_map_unpacks_tuples_and_converts_results():
    x, y = rows(6)
    ds = Dataset.from_tensor_slices((x, y)).map(lambda a, b: (a * 2, [b, b]))
    first = next(iter(ds))
    np.testing.assert_array_equal(first[0], x[0] * 2)
    assert isinstance(first[1], np.ndarray) and first[1].tolist() == [0, 0]  # nested list: array
    top = next(iter(Dataset.from_tensor_slices((x, y)).map(lambda a, b: [a, b])))
    assert isinstance(top, tuple) and top[1] == 0  # a top-level list is a tuple
    d = next(iter(Dataset.from_tensor_slices({"a": x}).map(lambda e: {"a": e["a"] + 1})))
    np.testing.assert_array_equal(d["a"], x[0] + 1)
    assert len(Dataset.from_tensor_slices(x).map(lambda e: e)) == 6


def test_map_in_threads_preserves_order():
    def slow(v):
        time.sleep(0.001 * (int(v) % 3))
        return v * 10

    out = [int(v) for v in Dataset.from_tensor_slices(np.arange(40)).map(slow, num_parallel_calls=4)]
    assert out == [v * 10 for v in range(40)]
    assert [int(v) for v in Dataset.from_tensor_slices(np.arange(5)).map(slow, AUTOTUNE)] == [0, 10, 20, 30, 40]


def test_same_order_for_a_seed_with_1_and_4_threads():
    x, y = rows(300)

    def pipeline(threads):
        ds = (Dataset.from_tensor_slices((x, y)).shuffle(64, seed=7).map(lambda a, b: (a + 1, b),
              num_parallel_calls=threads).batch(32).prefetch(2))
        return [b[1].tolist() for _ in range(2) for b in ds]

    assert pipeline(1) == pipeline(4)


def test_map_errors_propagate_and_bad_arguments():
    def boom(v):
        if v == 3:
            raise RuntimeError("bad element 3")
        return v

    for threads in (None, 4):
        it = iter(Dataset.from_tensor_slices(np.arange(10)).map(boom, num_parallel_calls=threads))
        assert [int(next(it)) for _ in range(3)] == [0, 1, 2]
        with pytest.raises(RuntimeError, match="bad element 3"):
            next(it)
    ds = Dataset.from_tensor_slices(np.arange(3))
    with pytest.raises(TypeError, match="callable"):
        ds.map(3)
    with pytest.raises(ValueError, match="num_parallel_calls"):
        ds.map(abs, num_parallel_calls=0)


# ----------------------------------------------------------------------------- repeat, take, skip

@pytest.mark.parametrize("make", [
    lambda: Dataset.from_tensor_slices(np.arange(5)),
    lambda: Dataset.from_generator(lambda: iter(range(5)), length=5),
])
def test_repeat_take_skip(make):
    assert [int(v) for v in make().repeat(2)] == list(range(5)) * 2
    assert len(make().repeat(3)) == 15
    assert [int(v) for v in make().take(3)] == [0, 1, 2] and len(make().take(3)) == 3
    assert len(list(make().take(-1))) == 5 and len(make().take(9)) == 5
    assert [int(v) for v in make().skip(3)] == [3, 4] and len(make().skip(3)) == 2
    assert list(make().skip(-1)) == [] and len(make().skip(7)) == 0
    assert [int(v) for v in make().repeat().skip(3).take(4)] == [3, 4, 0, 1]
    forever = make().repeat()
    assert forever.cardinality() == INFINITE
    with pytest.raises(TypeError, match="infinite"):
        len(forever)
    assert len(forever.take(12)) == 12
    assert [len(b) for b in make().repeat(-1).batch(4).take(3)] == [4, 4, 4]


def test_repeat_reshuffles_each_pass_and_empty_repeat_stops():
    ds = Dataset.from_tensor_slices(np.arange(20)).shuffle(20, seed=0).repeat(2)
    out = [int(v) for v in ds]
    assert sorted(out[:20]) == sorted(out[20:]) == list(range(20)) and out[:20] != out[20:]
    empty = Dataset.from_tensor_slices(np.arange(5)).take(0)
    assert list(empty.repeat()) == [] and len(empty.repeat()) == 0


def test_count_errors():
    ds = Dataset.from_tensor_slices(np.arange(3))
    for method in (ds.take, ds.skip, ds.repeat):
        with pytest.raises(ValueError, match="count"):
            method(-2)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), batch=st.integers(1, 9), take=st.integers(-1, 50),
       skip=st.integers(-1, 50), times=st.integers(0, 3), drop=st.booleans())
def test_index_plan_matches_elementwise_pipeline(n, batch, take, skip, times, drop):
    """The vectorised (index) path and the generic element path give the same batches."""
    def build(ds):
        return ds.skip(skip).repeat(times).take(take).batch(batch, drop_remainder=drop)

    fast = build(Dataset.from_tensor_slices(np.arange(n)))
    slow = build(Dataset.from_generator(lambda: iter(range(n)), length=n))
    assert fast._parent._source is not None and slow._parent._source is None
    fast_batches = [b.tolist() for b in fast]
    assert fast_batches == [b.tolist() for b in slow]
    assert len(fast) == len(slow) == len(fast_batches)


# ----------------------------------------------------------------------------- cache, prefetch

def test_cache_replays_first_complete_pass():
    calls = []

    def gen():
        calls.append(1)
        yield from range(4)

    ds = Dataset.from_generator(gen).cache()
    assert next(iter(ds)) == 0  # an incomplete pass is not cached
    assert [int(v) for v in ds] == [0, 1, 2, 3]
    assert [int(v) for v in ds] == [0, 1, 2, 3] and len(calls) == 2


def test_prefetch_yields_everything_and_reraises():
    ds = Dataset.from_tensor_slices(np.arange(100)).batch(7).prefetch(3)
    assert np.concatenate(list(ds)).tolist() == list(range(100)) and len(ds) == 15
    assert [int(v) for v in Dataset.from_tensor_slices(np.arange(4)).prefetch(0)] == [0, 1, 2, 3]
    assert len(list(Dataset.from_tensor_slices(np.arange(4)).prefetch(AUTOTUNE))) == 4

    def gen():
        yield 1
        raise KeyError("upstream failure")

    it = iter(Dataset.from_generator(gen).prefetch(2))
    assert next(it) == 1
    with pytest.raises(KeyError, match="upstream failure"):
        next(it)
    with pytest.raises(ValueError, match="prefetch"):
        ds.prefetch(-3)


def _kerasish_threads():
    return {t for t in threading.enumerate() if t.name.startswith("kerasish-")}


def _wait_no_threads(before, timeout=3.0):
    """Wait until no kerasish thread started after `before` (a set of threads) is alive."""
    end = time.monotonic() + timeout
    while _kerasish_threads() - before and time.monotonic() < end:
        time.sleep(0.02)
    return sorted(t.name for t in _kerasish_threads() - before)


def test_prefetch_and_map_threads_stop_when_consumer_breaks():
    closed = threading.Event()

    def endless():
        try:
            i = 0
            while True:
                yield i
                i += 1
        finally:
            closed.set()

    before = _kerasish_threads()
    ds = Dataset.from_generator(endless).map(lambda v: v + 1, num_parallel_calls=3).prefetch(4)
    for i, v in enumerate(ds):
        if i == 5:
            break
    assert closed.wait(3.0), "upstream generator was not closed"
    assert _wait_no_threads(before) == []


def test_threads_stop_when_consumer_raises():
    before = _kerasish_threads()
    ds = Dataset.from_tensor_slices(np.arange(1000)).map(lambda v: v, num_parallel_calls=2).prefetch(2)
    with pytest.raises(ZeroDivisionError):
        for v in ds:
            if v == 3:
                1 / 0
    assert _wait_no_threads(before) == []


def test_take_after_prefetch_closes_upstream():
    closed = threading.Event()

    def endless():
        try:
            while True:
                yield 0
        finally:
            closed.set()

    it = iter(Dataset.from_generator(endless).prefetch(2).take(3))
    assert len(list(it)) == 3
    assert closed.wait(3.0)


def test_repr_and_as_numpy_iterator():
    ds = Dataset.from_tensor_slices(np.arange(4)).batch(3)
    assert "length=2" in repr(ds)
    assert [b.tolist() for b in ds.as_numpy_iterator()] == [[0, 1, 2], [3]]


def test_design_card_pipeline_as_written():
    """DESIGN §7: Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(128).prefetch(2)."""
    x = np.arange(1000 * 3, dtype=np.float32).reshape(1000, 3)
    y = np.arange(1000)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(128).prefetch(2)
    assert len(ds) == 8
    batches = list(ds)
    assert [len(b[1]) for b in batches] == [128] * 7 + [104]
    xs, ys = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    assert sorted(ys.tolist()) == list(range(1000)) and ys.tolist() != list(range(1000))
    np.testing.assert_array_equal(xs, x[ys])          # rows stay paired with their labels
    again = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(128).prefetch(2)
    assert np.concatenate([b[1] for b in again]).tolist() == ys.tolist()


@pytest.mark.parametrize("reshuffle", [True, False])
def test_unseeded_shuffle_follows_set_random_seed(reshuffle):
    """As tf.data after keras.utils.set_random_seed: an op without a seed is reproducible under a global one."""
    from kerasish.utils import set_random_seed

    def orders():
        ds = Dataset.from_tensor_slices(np.arange(40)).shuffle(40, reshuffle_each_iteration=reshuffle)
        small = Dataset.from_generator(lambda: iter(range(40))).shuffle(5, reshuffle_each_iteration=reshuffle)
        return [list(map(int, d)) for d in (ds, ds, small, small)]

    set_random_seed(7)
    first = orders()
    set_random_seed(7)
    assert orders() == first
    assert (first[0] != first[1]) == reshuffle


def test_closing_any_pipeline_iterator_stops_upstream_threads():
    """The trainer closes its iterator while a traceback may still hold it: close() must reach upstream."""
    from kerasish.data._threads import close_iterator
    closed = []

    def endless(tag):
        def gen():
            try:
                while True:
                    yield tag
            finally:
                closed.append(tag)
        return gen

    before = _kerasish_threads()
    a = Dataset.from_generator(endless("a")).prefetch(2)
    b = Dataset.from_generator(endless("b")).map(lambda v: v, num_parallel_calls=2)
    iterators = []
    for ds in (Dataset.zip(a, b), a.skip(2), a.map(lambda v: v), a.prefetch(0)):
        iterators.append(iter(ds))  # kept alive: only close() may stop the threads
        next(iterators[-1])
        close_iterator(iterators[-1])
    assert _wait_no_threads(before) == []
    assert sorted(closed) == ["a", "a", "a", "a", "b"]
