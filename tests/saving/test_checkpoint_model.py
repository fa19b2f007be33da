"""ModelCheckpoint(save_weights_only=False) writes a whole model (DESIGN §10) that load_model
reads and that continues training exactly where the checkpoint was taken."""
import numpy as np
import pytest

from kerasish.callbacks.model_checkpoint import ModelCheckpoint
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model
from kerasish.utils.random import set_random_seed


class TwoLayer(Model):
    """A subclassed model whose config is its constructor arguments."""

    def __init__(self, width=6, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.hidden = Dense(width, activation="relu")
        self.out = Dense(1, activation="sigmoid")

    def forward(self, x):
        return self.out(self.hidden(x))


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 4)).astype("float32")
    return x, (x.sum(axis=1, keepdims=True) > 0).astype("float32")


def _make(kind):
    set_random_seed(0)
    if kind == "sequential":
        model = Sequential([Input(shape=(4,)), Dense(6, activation="relu"),
                            Dense(1, activation="sigmoid")])
    elif kind == "functional":
        inputs = Input(shape=(4,))
        model = Model(inputs, Dense(1, activation="sigmoid")(Dense(6, activation="relu")(inputs)))
    else:
        model = TwoLayer(6)
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("kind", ["sequential", "functional", "subclassed"])
def test_whole_model_checkpoint_resumes_training_exactly(tmp_path, kind):
    x, y = _data()
    reference = _make(kind)
    reference.fit(x, y, batch_size=8, epochs=4, shuffle=False, verbose=0)

    model = _make(kind)
    path = str(tmp_path / "ckpt-{epoch}.h5")
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0,
              callbacks=[ModelCheckpoint(path, save_weights_only=False)])
    loaded = load_model(tmp_path / "ckpt-2.h5", custom_objects={"TwoLayer": TwoLayer})
    assert type(loaded).__name__ == type(model).__name__
    assert loaded.optimizer.iterations == 10
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    loaded.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    for a, b in zip(reference.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_best_only_whole_model_checkpoint_holds_the_best_epoch(tmp_path):
    x, y = _data()
    model = _make("sequential")
    ckpt = ModelCheckpoint(tmp_path / "best.h5", monitor="loss", save_best_only=True)
    history = model.fit(x, y, batch_size=8, epochs=3, shuffle=False, verbose=0, callbacks=[ckpt])
    best = int(np.argmin(history.history["loss"]))
    assert ckpt.best == history.history["loss"][best]
    loaded = load_model(tmp_path / "best.h5")
    assert loaded.optimizer.iterations == 5 * (best + 1)
