"""Tests of DataLoader, TensorDataset and default_collate."""

import threading
import time

import numpy as np
import pytest

from kerasish.data import DataLoader, TensorDataset, default_collate


class Squares:
    """A map-style dataset returning dict samples, slow enough to exercise workers."""

    def __len__(self):
        return 23

    def __getitem__(self, i):
        time.sleep(0.0005 * (i % 3))
        return {"x": np.full(2, i, np.float32), "y": i * i}


def ids(loader):
    return [b[1].tolist() for b in loader]


def test_batches_len_and_drop_last():
    x, y = np.arange(20).reshape(10, 2), np.arange(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    assert len(loader) == 3 and ids(loader) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    xb = next(iter(loader))[0]
    np.testing.assert_array_equal(xb, x[:4])
    dropped = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and ids(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(TensorDataset(x, y))) == 10


def test_shuffle_reshuffles_each_epoch_deterministically():
    data = TensorDataset(np.zeros((30, 1)), np.arange(30))
    a = DataLoader(data, batch_size=8, shuffle=True, seed=1)
    b = DataLoader(data, batch_size=8, shuffle=True, seed=1)
    epochs_a = [sum(ids(a), []) for _ in range(3)]
    assert epochs_a == [sum(ids(b), []) for _ in range(3)]
    assert all(sorted(e) == list(range(30)) for e in epochs_a)
    assert epochs_a[0] != epochs_a[1] != epochs_a[2]
    c = DataLoader(data, batch_size=8, shuffle=True, seed=2)
    assert sum(ids(c), []) != epochs_a[0]
    unseeded = DataLoader(data, batch_size=30, shuffle=True)
    assert sorted(ids(unseeded)[0]) == list(range(30))


def test_workers_give_the_same_batches_in_order():
    serial = DataLoader(Squares(), batch_size=5, shuffle=True, seed=3)
    threaded = DataLoader(Squares(), batch_size=5, shuffle=True, seed=3, num_workers=4)
    for s, t in zip(serial, threaded, strict=True):
        assert s["y"].tolist() == t["y"].tolist()
        np.testing.assert_array_equal(s["x"], t["x"])
    batch = next(iter(DataLoader(Squares(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["y"].tolist() == [0, 1, 4]


def test_worker_errors_propagate_and_threads_stop():
    class Broken(Squares):
        def __getitem__(self, i):
            if i == 7:
                raise IndexError("sample 7 is broken")
            return super().__getitem__(i)

    with pytest.raises(IndexError, match="sample 7"):
        list(DataLoader(Broken(), batch_size=2, num_workers=3))
    def ours():
        return {t for t in threading.enumerate() if t.name.startswith("kerasish-")}

    before = ours()
    for _ in DataLoader(Squares(), batch_size=2, num_workers=3):
        assert len(ours() - before) == 3
        break
    end = time.monotonic() + 3
    while ours() - before and time.monotonic() < end:
        time.sleep(0.02)
    assert not ours() - before


def test_sampler_and_custom_collate():
    data = TensorDataset(np.arange(10))
    loader = DataLoader(data, batch_size=2, sampler=[9, 7, 5, 3, 1])
    assert [b[0].tolist() for b in loader] == [[9, 7], [5, 3], [1]] and len(loader) == 3
    summed = DataLoader(data, batch_size=5, collate_fn=lambda samples: sum(int(s[0]) for s in samples))
    assert list(summed) == [10, 35]
    with pytest.raises(TypeError, match="sampler has no __len__"):
        len(DataLoader(data, sampler=iter([1, 2])))


@pytest.mark.parametrize("kwargs, error, match", [
    ({"batch_size": 0}, ValueError, "batch_size should be a positive integer"),
    ({"batch_size": -2}, ValueError, "batch_size"),
    ({"batch_size": 2.5}, ValueError, "batch_size"),
    ({"batch_size": True}, ValueError, "batch_size"),
    ({"shuffle": True, "sampler": [0, 1]}, ValueError, "mutually exclusive with shuffle"),
    ({"sampler": 5}, TypeError, "sampler must be an iterable"),
    ({"num_workers": -1}, ValueError, "num_workers option should be non-negative"),
    ({"collate_fn": "stack"}, TypeError, "collate_fn must be callable"),
    ({"seed": -1}, ValueError, "seed"),
])
def test_argument_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(TensorDataset(np.arange(4)), **kwargs)


def test_dataset_validation():
    with pytest.raises(TypeError, match="map-style"):
        DataLoader(42)
    with pytest.raises(ValueError, match="share their first dimension"):
        TensorDataset(np.arange(3), np.arange(4))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match="scalar"):
        TensorDataset(np.float32(1))


def test_tensor_dataset_indexing():
    data = TensorDataset(np.arange(6).reshape(3, 2), [10, 20, 30])
    assert len(data) == 3
    x, y = data[1]
    assert x.tolist() == [2, 3] and y == 20


def test_default_collate_structures():
    samples = [(np.array([i, i]), i, {"w": float(i), "name": f"s{i}"}) for i in range(3)]
    xb, yb, d = default_collate(samples)
    assert xb.shape == (3, 2) and yb.tolist() == [0, 1, 2] and yb.dtype.kind == "i"
    assert d["w"].tolist() == [0.0, 1.0, 2.0] and d["name"] == ["s0", "s1", "s2"]
    cols = default_collate([[1, 2], [3, 4]])
    assert isinstance(cols, list) and cols[0].tolist() == [1, 3]
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32


@pytest.mark.parametrize("samples, error, match", [
    ([np.zeros(2), np.zeros(3)], ValueError, "different shapes"),
    ([{"a": 1}, {"b": 1}], ValueError, "keys"),
    ([(1, 2), (1,)], ValueError, "length 2"),
    ([object(), object()], TypeError, "cannot batch samples of type object"),
])
def test_default_collate_errors(samples, error, match):
    with pytest.raises(error, match=match):
        default_collate(samples)


def test_tensor_dataset_subclass_getitem_is_respected():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return tuple(a[i] * 2 for a in self.arrays)

    assert next(iter(DataLoader(Doubled(np.arange(4)), batch_size=4)))[0].tolist() == [0, 2, 4, 6]


def test_design_card_keywords():
    """DESIGN §7: DataLoader(dataset, batch_size, shuffle, drop_last, num_workers, collate_fn)."""
    data = TensorDataset(np.arange(10.0)[:, None], np.arange(10))
    seen = []

    def collate(samples):
        seen.append(len(samples))
        return default_collate(samples)

    loader = DataLoader(data, batch_size=4, shuffle=True, drop_last=True, num_workers=2, collate_fn=collate)
    batches = list(loader)
    assert len(loader) == 2 and [len(b[1]) for b in batches] == [4, 4] and seen == [4, 4]
    assert len(set(np.concatenate([b[1] for b in batches]).tolist())) == 8
    np.testing.assert_array_equal(batches[0][0][:, 0], batches[0][1])
    positional = DataLoader(data, 4, False, True, 0, collate)   # the DESIGN order, positionally
    assert ids(positional) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(TypeError, match="sampler="):
        DataLoader(data, 4, False, [0, 1, 2])                    # PyTorch's 4th positional is a sampler


def test_unseeded_shuffle_follows_set_random_seed():
    """As torch.manual_seed does for a DataLoader: set_random_seed fixes the unseeded shuffle."""
    from kerasish.utils import set_random_seed
    data = TensorDataset(np.zeros((30, 1)), np.arange(30))

    def epochs():
        loader = DataLoader(data, batch_size=30, shuffle=True)
        return [ids(loader)[0] for _ in range(2)]

    set_random_seed(3)
    first = epochs()
    set_random_seed(3)
    assert epochs() == first and first[0] != first[1]


def test_closing_the_iterator_stops_worker_threads():
    from kerasish.data._threads import close_iterator
    before = {t for t in threading.enumerate() if t.name.startswith("kerasish")}
    it = iter(DataLoader(Squares(), batch_size=2, num_workers=3))
    next(it)
    close_iterator(it)  # `it` stays referenced, as a traceback would keep it
    end = time.monotonic() + 3
    while {t for t in threading.enumerate() if t.name.startswith("kerasish")} - before and time.monotonic() < end:
        time.sleep(0.02)
    assert not {t for t in threading.enumerate() if t.name.startswith("kerasish")} - before
