"""DataLoader over iterable-style datasets (`__iter__` only) and with batch_size=None (no batching)."""
import numpy as np
import pytest

from kerasish.callbacks import LambdaCallback
from kerasish.data.dataloader import DataLoader, TensorDataset
from kerasish.layers.core import Dense
from kerasish.models.sequential import Sequential
from kerasish.optimizers import Adam
from kerasish.utils import set_random_seed


class Stream:
    """Iterable-style dataset: `__iter__` only, a fresh pass per iter(), like torch's IterableDataset."""

    def __init__(self, n):
        self.n = n
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        for i in range(self.n):
            yield np.full(2, i, dtype=np.float32), i


class SizedStream(Stream):
    def __len__(self):
        return self.n


def test_iterable_batches_consecutive_items():
    batches = list(DataLoader(Stream(7), batch_size=3))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6]]
    assert batches[0][0].shape == (3, 2) and batches[0][0].dtype == np.float32
    dropped = list(DataLoader(Stream(7), batch_size=3, drop_last=True))
    assert [b[1].tolist() for b in dropped] == [[0, 1, 2], [3, 4, 5]]


def test_iterable_reiterates_each_epoch_and_collate_fn():
    data = Stream(4)
    loader = DataLoader(data, batch_size=2, collate_fn=lambda s: sum(int(t[1]) for t in s))
    assert list(loader) == [1, 5] and list(loader) == [1, 5] and data.passes == 2


def test_iterable_with_worker_threads_keeps_order_and_stops_early():
    loader = DataLoader(Stream(50), batch_size=4, num_workers=3)
    assert np.concatenate([b[1] for b in loader]).tolist() == list(range(50))
    for i, _ in enumerate(loader):
        if i == 2:
            break  # the background thread must stop (no hang at exit)


def test_iterable_length():
    with pytest.raises(TypeError, match="no __len__"):
        len(DataLoader(Stream(7), batch_size=3))
    assert len(DataLoader(SizedStream(7), batch_size=3)) == 3
    assert len(DataLoader(SizedStream(7), batch_size=3, drop_last=True)) == 2


@pytest.mark.parametrize("kwargs, match", [
    ({"shuffle": True}, "shuffle"),
    ({"sampler": [0, 1]}, "sampler"),
])
def test_iterable_rejects_shuffle_and_sampler(kwargs, match):
    with pytest.raises(ValueError, match=f"iterable-style.*{match}"):
        DataLoader(Stream(4), batch_size=2, **kwargs)


def test_neither_map_nor_iterable_is_rejected():
    with pytest.raises(TypeError, match="map-style.*iterable-style"):
        DataLoader(42)


def _model():
    set_random_seed(0)
    model = Sequential([Dense(16, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


class Blobs:
    """Iterable-style dataset of 90 labelled samples (3 separable classes), no __len__."""

    def __iter__(self):
        rng = np.random.default_rng(0)
        for i in range(90):
            label = i % 3
            yield (3.0 * np.eye(6)[label] + 0.3 * rng.standard_normal(6)).astype(np.float32), label


def test_fit_on_iterable_loader_of_unknown_length():
    counts = []
    cb = LambdaCallback(on_epoch_begin=lambda e, logs: counts.append(0),
                        on_train_batch_end=lambda b, logs: counts.__setitem__(-1, counts[-1] + 1))
    model = _model()
    history = model.fit(DataLoader(Blobs(), batch_size=16), epochs=4, verbose=0, callbacks=[cb])
    assert counts == [6, 6, 6, 6]  # ceil(90 / 16) steps in every epoch
    losses = history.history["loss"]
    assert len(losses) == 4 and losses[-1] < losses[0]
    assert model.evaluate(DataLoader(Blobs(), batch_size=32), verbose=0)[1] > 0.9


def test_batch_size_none_yields_items_unbatched():
    x, y = np.arange(6, dtype=np.float32).reshape(3, 2), np.array([0, 1, 2])
    items = list(DataLoader(TensorDataset(x, y), batch_size=None))
    assert len(items) == 3 and all(isinstance(a, np.ndarray) for item in items for a in item)
    assert items[1][0].shape == (2,) and items[1][0].tolist() == [2.0, 3.0] and items[1][1].shape == ()
    shuffled = [int(item[1]) for item in DataLoader(TensorDataset(x, y), batch_size=None, shuffle=True, seed=0)]
    assert sorted(shuffled) == [0, 1, 2]
    assert len(DataLoader(TensorDataset(x, y), batch_size=None)) == 3
    assert [int(i[1]) for i in DataLoader(TensorDataset(x, y), batch_size=None, sampler=[2, 0])] == [2, 0]


def test_batch_size_none_converts_structures_and_applies_collate_fn_per_item():
    from kerasish import Tensor

    class Items:
        def __len__(self):
            return 2

        def __getitem__(self, i):
            return {"a": Tensor(np.ones(3) * i), "b": [np.float64(i), "name"], "n": i}

    first = next(iter(DataLoader(Items(), batch_size=None)))
    assert isinstance(first["a"], np.ndarray) and first["a"].shape == (3,)
    assert isinstance(first["b"], list) and isinstance(first["b"][0], np.ndarray) and first["b"][1] == "name"
    assert first["n"] == 0
    assert list(DataLoader(Items(), batch_size=None, collate_fn=lambda item: item["n"] * 10)) == [0, 10]
    assert [int(i[1]) for i in DataLoader(Stream(3), batch_size=None)] == [0, 1, 2]
    assert len(DataLoader(SizedStream(3), batch_size=None)) == 3


def test_batch_size_none_with_drop_last_is_rejected():
    with pytest.raises(ValueError, match="batch_size=None.*drop_last"):
        DataLoader(TensorDataset(np.arange(3)), batch_size=None, drop_last=True)


class PreBatched:
    """Map-style dataset whose items are whole batches, as used with batch_size=None."""

    def __init__(self):
        self.blobs = list(Blobs())

    def __len__(self):
        return 3

    def __getitem__(self, i):
        chunk = self.blobs[30 * i:30 * (i + 1)]
        return np.stack([c[0] for c in chunk]), np.array([c[1] for c in chunk])


def test_fit_with_batch_size_none_uses_the_items_as_batches():
    counts = []
    cb = LambdaCallback(on_epoch_begin=lambda e, logs: counts.append(0),
                        on_train_batch_end=lambda b, logs: counts.__setitem__(-1, counts[-1] + 1))
    history = _model().fit(DataLoader(PreBatched(), batch_size=None), epochs=2, verbose=0, callbacks=[cb])
    assert counts == [3, 3] and len(history.history["loss"]) == 2
