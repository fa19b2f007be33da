"""fit() honours BackupAndRestore's resume point: an interrupted run ends like an uninterrupted one."""
import numpy as np
import pytest
from cb_helpers import data

from kerasish.callbacks import BackupAndRestore, Callback
from kerasish.layers.core import Dense
from kerasish.models.sequential import Sequential
from kerasish.utils import set_random_seed


class Crash(Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)
        self.epoch = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("simulated crash")


def run(tmp_path, crash=None):
    set_random_seed(0)
    x, y = data(80)
    model = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    callbacks = [BackupAndRestore(str(tmp_path / "backup"), save_freq=2)] + ([crash] if crash else [])
    return model, model.fit(x, y, batch_size=16, epochs=3, verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("at", [(1, 2), (2, 0)])
def test_resume_mid_epoch_matches_uninterrupted_run(tmp_path, at):
    reference, ref_history = run(tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "b", Crash(*at))
    resumed, history = run(tmp_path / "b")
    for a, b in zip(reference.get_weights(), resumed.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert history.epoch == [0, 1, 2]
    np.testing.assert_allclose(history.history["loss"], ref_history.history["loss"], rtol=1e-6)
