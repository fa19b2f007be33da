"""User-acceptance pass 2: iterable DataLoaders, CSVLogger append, resuming, in-place checks, device 'fake'."""
import csv

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor, no_grad
from kerasish.data import DataLoader, Dataset
from kerasish.layers.core import Dense

RS = np.random.RandomState(0)
X = RS.rand(40, 4).astype("float32")
Y = (X.sum(1, keepdims=True) > 2).astype("float32")


def _gen():
    for i in range(len(X)):
        yield X[i], Y[i]


class _Iterable:
    def __iter__(self):
        return _gen()


def _model(opt="adam", metrics=None):
    K.utils.set_random_seed(3)
    m = K.Sequential([K.Input((4,)), Dense(8, activation="tanh"), Dense(1, activation="sigmoid")])
    m.compile(optimizer=opt, loss="binary_crossentropy", metrics=metrics)
    return m


@pytest.mark.parametrize("num_workers", [0, 2])
def test_iterable_loader_through_fit_evaluate_predict(num_workers):
    loader = DataLoader(_Iterable(), batch_size=16, num_workers=num_workers)
    m = _model(metrics=["accuracy"])
    h = m.fit(loader, epochs=2, verbose=0,
              validation_data=DataLoader(_Iterable(), batch_size=10, num_workers=num_workers))
    assert set(h.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert m.predict(loader, verbose=0).shape == (40, 1)
    assert set(m.evaluate(loader, verbose=0, return_dict=True)) == {"loss", "accuracy"}


def test_unsized_loader_progress_bar_shows_learnt_length_from_epoch_two(capsys):
    """Keras shows `4/4` once the first pass has counted the steps of an unsized input."""
    _model().fit(DataLoader(_Iterable(), batch_size=12), epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2: 4/?" in out and "Epoch 2/2: 4/4" in out


@pytest.mark.parametrize("length", [30, 50])
def test_from_generator_wrong_length_raises_in_fit(length):
    with pytest.raises(ValueError, match=f"length={length}"):
        _model().fit(Dataset.from_generator(_gen, length=length).batch(16), epochs=1, verbose=0)


def test_csv_logger_append_keeps_columns_aligned_across_fits(tmp_path):
    path = str(tmp_path / "log.csv")
    m = _model()
    m.fit(X, Y, epochs=1, verbose=0, callbacks=[K.callbacks.CSVLogger(path, append=True)])
    m.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    m.fit(X, Y, epochs=1, verbose=0, validation_split=0.25, callbacks=[K.callbacks.CSVLogger(path, append=True)])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["accuracy"] == "NA" and rows[1]["accuracy"] != "NA" and rows[1]["val_loss"] != "NA"


@pytest.mark.parametrize("ext", [".keras", ".h5"])
@pytest.mark.parametrize("make", [lambda: K.optimizers.Adam(1e-2), lambda: K.optimizers.SGD(0.05, momentum=0.9),
                                  lambda: K.optimizers.RMSprop(1e-2, momentum=0.5)])
def test_resume_equals_uninterrupted(tmp_path, ext, make):
    a = _model(make())
    a.fit(X, Y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    b = _model(make())
    b.fit(X, Y, epochs=1, batch_size=16, shuffle=False, verbose=0)
    b.save(str(tmp_path / ("m" + ext)))
    c = K.models.load_model(str(tmp_path / ("m" + ext)))
    c.fit(X, Y, epochs=2, initial_epoch=1, batch_size=16, shuffle=False, verbose=0)
    for wa, wc in zip(a.get_weights(), c.get_weights()):
        np.testing.assert_array_equal(wa, wc)


def test_pytorch_idioms_keep_working_and_stale_saves_raise():
    w = Tensor(np.ones((3, 2)), requires_grad=True)
    x = Tensor(X[:4, :3])
    for _ in range(2):
        ((x @ w) ** 2).mean().backward()
        with no_grad():
            w -= 0.1 * w.grad
        w.zero_grad()
    y = (x @ w).tanh().sum()
    y.backward(retain_graph=True)
    y.backward()
    with no_grad():
        w -= 0.1 * w.grad
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y2 = (x @ w).sum()
        w.assign(np.zeros((3, 2)))
        y2.backward()


def test_fit_with_callback_assigning_weights_between_batches():
    class Shrink(K.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            k = self.model.layers[0].kernel
            k.assign(k * 0.5)

    m = _model()
    m.fit(X, Y, epochs=2, batch_size=8, verbose=0, callbacks=[Shrink()], validation_split=0.25)


def test_fake_device_functional_merge_callbacks_and_round_trip(tmp_path):
    from kerasish import layers as L
    a, b = K.Input((4,)), K.Input((4,))
    h1, h2 = Dense(4)(a), Dense(4)(b)
    merged = L.Concatenate()([L.Add()([h1, h2]), L.Multiply()([h1, h2]), L.Maximum()([h1, h2])])
    model = K.Model([a, b], Dense(1, activation="sigmoid")(merged))
    model.set_device("fake")
    model.compile(K.optimizers.Adam(1e-2), "binary_crossentropy", metrics=["accuracy"])
    path = str(tmp_path / "best.keras")
    model.fit([X, X], Y, epochs=3, batch_size=8, verbose=0, validation_split=0.25,
              callbacks=[K.callbacks.EarlyStopping(patience=1, restore_best_weights=True, min_delta=10),
                         K.callbacks.ReduceLROnPlateau(patience=1),
                         K.callbacks.ModelCheckpoint(path, save_best_only=True)])
    again = K.models.load_model(path)
    again.set_device("fake")
    again.fit([X, X], Y, epochs=1, verbose=0)
    again.set_device("cpu")
    again.fit([X, X], Y, epochs=1, verbose=0)
