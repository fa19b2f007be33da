"""Every kind of input trains: arrays, Tensors, generators, Dataset, DataLoader, Sequence, multi-input."""
import warnings

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.callbacks import LambdaCallback
from kerasish.data import DataLoader, Dataset, Sequence, TensorDataset
from kerasish.data.adapters import get_adapter
from kerasish.data.epoch_iterator import EpochIterator
from kerasish.layers.core import Dense
from kerasish.models.sequential import Sequential
from kerasish.optimizers import Adam
from kerasish.utils import set_random_seed


def blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = 3.0 * np.eye(6)[y] + 0.5 * rng.standard_normal((n, 6))
    return x.astype(np.float32), y


def compiled():
    set_random_seed(0)
    model = Sequential([Dense(16, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def batches_per_epoch(model, data, epochs, **kwargs):
    counts = []
    cb = LambdaCallback(on_epoch_begin=lambda e, logs: counts.append(0),
                        on_train_batch_end=lambda b, logs: counts.__setitem__(-1, counts[-1] + 1))
    history = model.fit(data, epochs=epochs, verbose=0, callbacks=[cb], **kwargs)
    return counts, history


class Batches(Sequence):
    def __init__(self, x, y, batch_size):
        super().__init__()
        self.x, self.y, self.batch_size = x, y, batch_size
        self.epoch_ends = 0
        self.seen = []

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        self.seen.append(i)
        s = slice(i * self.batch_size, (i + 1) * self.batch_size)
        return self.x[s], self.y[s]

    def on_epoch_end(self):
        self.epoch_ends += 1


def test_numpy_arrays_and_tensors_train_the_same():
    x, y = blobs()
    results = []
    for data in ((x, y), (Tensor(x), Tensor(y)), (x.astype(np.float64), y.astype(np.int32))):
        model = compiled()
        history = model.fit(*data, epochs=4, batch_size=32, shuffle=False, verbose=0)
        results.append(history.history["loss"])
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)
    np.testing.assert_allclose(results[0], results[2], rtol=1e-5)
    assert results[0][-1] < results[0][0]


def test_python_list_data():
    x, y = blobs(40)
    model = compiled()
    model.fit(x.tolist(), y.tolist(), epochs=1, verbose=0)
    assert model.predict(x.tolist(), verbose=0).shape == (40, 3)


def test_shuffle_changes_order_every_epoch_with_one_permutation():
    x = np.arange(10, dtype=np.float32)[:, None]
    it = EpochIterator(x, x, batch_size=4, shuffle=True)
    epochs = [np.concatenate([b[0][:, 0] for _, b in it.enumerate_epoch()]) for _ in range(2)]
    for order in epochs:
        assert sorted(order.tolist()) == list(range(10))
    assert epochs[0].tolist() != epochs[1].tolist()
    sizes = [len(b[0]) for _, b in it.enumerate_epoch()]
    assert sizes == [4, 4, 2]  # the last partial batch is kept


def test_finite_generator_with_steps_and_learning():
    x, y = blobs()

    def gen():
        while True:
            for i in range(0, len(x), 25):
                yield x[i:i + 25], y[i:i + 25]

    model = compiled()
    counts, history = batches_per_epoch(model, gen(), 6, steps_per_epoch=8)
    assert counts == [8] * 6
    assert history.history["accuracy"][-1] > 0.9


def test_one_shot_generator_without_steps_runs_one_epoch_then_stops_with_warning():
    x, y = blobs(100)
    gen = ((x[i:i + 20], y[i:i + 20]) for i in range(0, 100, 20))
    model = compiled()
    with pytest.warns(RuntimeWarning, match="ran out of data"):
        counts, history = batches_per_epoch(model, gen, 3)
    assert counts[0] == 5 and len(history.history["loss"]) == 1


def test_generator_running_out_mid_epoch_warns_and_ends_the_epoch():
    x, y = blobs(100)
    gen = ((x[i:i + 20], y[i:i + 20]) for i in range(0, 100, 20))
    model = compiled()
    with pytest.warns(RuntimeWarning, match="ran out of data after 1 of 4 steps"):
        counts, history = batches_per_epoch(model, gen, 3, steps_per_epoch=4)
    assert counts == [4, 1] and len(history.history["loss"]) == 2


def test_generator_with_sample_weights():
    # (x, y, w) batches from a generator weigh the loss exactly as fit(x, y, sample_weight=w) does.
    x, y = blobs(60)
    w = np.linspace(0.1, 2.0, 60).astype(np.float32)
    gen = ((x[i:i + 20], y[i:i + 20], w[i:i + 20]) for i in range(0, 60, 20))
    model = compiled()
    loss = model.fit(gen, epochs=1, verbose=0).history["loss"][0]
    ref = compiled()
    weighted = ref.fit(x, y, sample_weight=w, batch_size=20, shuffle=False, verbose=0)
    unweighted = compiled().fit(x, y, batch_size=20, shuffle=False, verbose=0)
    assert loss == pytest.approx(weighted.history["loss"][0], rel=1e-5)
    assert loss != pytest.approx(unweighted.history["loss"][0], rel=1e-3)
    for a, b in zip(model.get_weights(), ref.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_dataset_is_reiterated_each_epoch():
    x, y = blobs()
    ds = Dataset.from_tensor_slices((x, y)).shuffle(200, seed=0).batch(32)
    model = compiled()
    counts, history = batches_per_epoch(model, ds, 5)
    assert counts == [7] * 5
    assert history.history["accuracy"][-1] > 0.9
    assert model.evaluate(ds, verbose=0)[1] > 0.9
    assert model.predict(Dataset.from_tensor_slices(x).batch(50), verbose=0).shape == (200, 3)


def test_infinite_dataset_needs_steps():
    x, y = blobs(40)
    ds = Dataset.from_tensor_slices((x, y)).batch(10).repeat()
    model = compiled()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(ds, epochs=1, verbose=0)
    counts, _ = batches_per_epoch(model, ds, 3, steps_per_epoch=6)
    assert counts == [6, 6, 6]


def test_dataloader_is_reiterated_each_epoch():
    x, y = blobs()
    loader = DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, seed=0)
    model = compiled()
    counts, _ = batches_per_epoch(model, loader, 3, validation_data=DataLoader(TensorDataset(x, y), batch_size=64))
    assert counts == [7, 7, 7]


def test_tensor_dataset_alone_is_refused():
    x, y = blobs(20)
    model = compiled()
    with pytest.raises(TypeError, match="DataLoader"):
        model.fit(TensorDataset(x, y), verbose=0)


def test_sequence_uses_len_getitem_and_on_epoch_end():
    x, y = blobs(100)
    seq = Batches(x, y, 30)
    model = compiled()
    counts, _ = batches_per_epoch(model, seq, 3, shuffle=False)
    assert counts == [4, 4, 4] and seq.epoch_ends == 3
    assert seq.seen == [0, 1, 2, 3] * 3
    seq.seen.clear()
    model.fit(seq, epochs=1, shuffle=True, verbose=0)
    assert sorted(seq.seen) == [0, 1, 2, 3]
    assert model.predict(seq, verbose=0).shape == (100, 3)


def test_steps_per_epoch_continues_a_reiterable_source_across_epochs():
    x = np.arange(10, dtype=np.float32)[:, None]
    it = EpochIterator(x, x, batch_size=2, steps_per_epoch=3)
    with pytest.warns(RuntimeWarning, match="after 2 of 3 steps.*at most 5"):
        firsts = [[b[0][0, 0] for _, b in it.enumerate_epoch()] for _ in range(3)]
    assert firsts[0] == [0, 2, 4]
    assert firsts[1] == [6, 8]           # ran dry after 2 steps (warned), next epoch starts over
    assert firsts[2] == [0, 2, 4]


def test_y_with_a_generator_is_refused():
    x, y = blobs(20)
    model = compiled()
    with pytest.raises(ValueError, match="y must not be given"):
        model.fit(iter([(x, y)]), y, verbose=0)


def test_unrecognized_input_type():
    model = compiled()
    with pytest.raises(TypeError, match="Unrecognized data type"):
        model.fit(object(), verbose=0)
    with pytest.raises(TypeError, match="Unrecognized data type|neither numeric"):
        get_adapter(["a", "b"])


def test_multi_input_lists_and_dicts():
    from kerasish.layers.input import Input
    from kerasish.layers.merge import Concatenate
    from kerasish.models.model import Model
    x, y = blobs()
    a, b = Input(shape=(4,), name="left"), Input(shape=(2,), name="right")
    out = Dense(3, activation="softmax")(Dense(16, activation="relu")(Concatenate()([a, b])))
    model = Model([a, b], out)
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h1 = model.fit([x[:, :4], x[:, 4:]], y, epochs=5, batch_size=32, verbose=0)
    assert h1.history["accuracy"][-1] > 0.9
    h2 = model.fit({"left": x[:, :4], "right": x[:, 4:]}, y, epochs=1, batch_size=32, verbose=0)
    assert h2.history["accuracy"][-1] > 0.9
    gen = (((x[i:i + 50, :4], x[i:i + 50, 4:]), y[i:i + 50]) for i in range(0, 200, 50))
    model.fit(gen, epochs=1, verbose=0)
    assert model.predict([x[:, :4], x[:, 4:]], verbose=0).shape == (200, 3)


def test_validation_with_generator_and_validation_steps():
    x, y = blobs(100)

    def val():
        while True:
            yield x[:50], y[:50]

    model = compiled()
    history = model.fit(x, y, epochs=2, validation_data=val(), validation_steps=2, verbose=0)
    assert len(history.history["val_loss"]) == 2


def test_no_warning_for_exact_passes():
    x, y = blobs(100)
    model = compiled()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        counts, history = batches_per_epoch(model, x, 3, y=y, batch_size=25, steps_per_epoch=4)
        assert counts == [4] * 3 and len(history.history["loss"]) == 3
        ds = Dataset.from_tensor_slices((x, y)).batch(25)
        counts, history = batches_per_epoch(model, ds, 4, steps_per_epoch=2)
        assert counts == [2] * 4 and len(history.history["loss"]) == 4


def test_device_resident_tensors_with_shuffle_split_and_class_weight():
    x, y = blobs(64)
    set_random_seed(0)
    model = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")], device="fake")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    xt, yt = Tensor(x, device="fake"), Tensor(y, device="fake")
    history = model.fit(xt, yt, epochs=2, validation_split=0.25, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0)
    assert len(history.history["val_accuracy"]) == 2
    assert len(model.evaluate(xt, yt, verbose=0)) == 2
    assert isinstance(model.predict(xt, verbose=0), np.ndarray)


def test_design_pipeline_and_dataloader_feed_fit_evaluate_predict():
    # DESIGN §7's pipeline exactly, and a PyTorch-style DataLoader, through all three calls.
    x, y = blobs(600)
    ds = Dataset.from_tensor_slices((x, y)).shuffle(10_000, seed=0).batch(128).prefetch(2)
    model = compiled()
    counts, history = batches_per_epoch(model, ds, 4, validation_data=ds)
    assert counts == [5] * 4 and history.history["val_accuracy"][-1] > 0.9
    loss, acc = model.evaluate(ds, verbose=0)
    assert (loss, acc) == pytest.approx(tuple(model.evaluate(x, y, batch_size=128, verbose=0)), rel=1e-5)
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(Dataset.from_tensor_slices(x).batch(128).prefetch(2), verbose=0),
                               expected, rtol=1e-6)
    loader = DataLoader(TensorDataset(x, y), batch_size=128, shuffle=True, seed=0, num_workers=2)
    counts, _ = batches_per_epoch(model, loader, 2)
    assert counts == [5, 5]
    assert model.evaluate(DataLoader(TensorDataset(x, y), batch_size=100), verbose=0) == \
        pytest.approx(model.evaluate(x, y, verbose=0), rel=1e-5)
    np.testing.assert_allclose(model.predict(DataLoader(TensorDataset(x), batch_size=100), verbose=0),
                               model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("source", ["prefetch", "loader"])
def test_worker_threads_stop_when_fit_raises_mid_epoch(source):
    # A REPL keeps the last traceback (and fit's frame) alive: the workers must not wait for it.
    import threading
    import time
    x, y = blobs(400)
    data = (Dataset.from_tensor_slices((x, y)).batch(10).prefetch(2) if source == "prefetch"
            else DataLoader(TensorDataset(x, y), batch_size=10, num_workers=2))

    def boom(batch, logs):
        if batch == 1:
            raise KeyboardInterrupt
    model = compiled()
    with pytest.raises(KeyboardInterrupt) as info:
        model.fit(data, epochs=2, steps_per_epoch=30, verbose=0,
                  callbacks=[LambdaCallback(on_train_batch_end=boom)])
    deadline = time.monotonic() + 2.0
    while any(t.name.startswith("kerasish") for t in threading.enumerate()) and time.monotonic() < deadline:
        time.sleep(0.01)
    assert info.value is not None
    assert not [t.name for t in threading.enumerate() if t.name.startswith("kerasish")]
