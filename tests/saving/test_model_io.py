"""save_model / load_model: compile settings and optimizer state carry over (fit continues exactly),
custom objects, refusals."""
import json

import h5py
import numpy as np
import pytest

from kerasish.layers.base import Layer
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.layers.normalization import BatchNormalization
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model, save_model
from kerasish.saving.serialization import register_serializable
from kerasish.utils.random import set_random_seed


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 5)).astype("float32")
    return x, (x[:, 0] + x[:, 1] > 0).astype("int64")


def _model(optimizer="adam"):
    set_random_seed(0)
    model = Sequential([Input(shape=(5,)), Dense(8, activation="relu"), BatchNormalization(),
                        Dense(2, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer", ["adam", "rmsprop", "sgd"])
def test_fit_continues_exactly_after_load(tmp_path, optimizer):
    x, y = _data()
    ref = _model(optimizer)
    ref.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    model = _model(optimizer)
    model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    save_model(model, tmp_path / "m.h5")
    loaded = load_model(tmp_path / "m.h5")
    assert loaded.optimizer.iterations == 6 and type(loaded.optimizer) is type(ref.optimizer)
    history = loaded.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
    for a, b in zip(ref.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert loaded.evaluate(x, y, verbose=0) == ref.evaluate(x, y, verbose=0)


def test_training_config_is_keras_shaped_json(tmp_path):
    model = _model()
    save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        config = json.loads(f.attrs["model_config"])
        training = json.loads(f.attrs["training_config"])
        assert config["class_name"] == "Sequential"
        assert training["loss"] == "sparse_categorical_crossentropy" and training["metrics"] == ["accuracy"]
        assert training["optimizer_config"]["class_name"] == "Adam"
        assert "model_weights" in f and "optimizer_weights" in f
    uncompiled = load_model(tmp_path / "m.h5", compile=False)
    assert getattr(uncompiled, "optimizer", None) is None


def test_uncompiled_model(tmp_path):
    model = Sequential([Input(shape=(3,)), Dense(2)])
    save_model(model, tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5") as f:
        assert "training_config" not in f.attrs and "optimizer_weights" not in f
    loaded = load_model(tmp_path / "m.h5")
    np.testing.assert_array_equal(loaded.get_weights()[0], model.get_weights()[0])


class Scale(Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def forward(self, x):
        return x * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def my_loss(y_true, y_pred):
    from kerasish.losses import get
    return get("mse")(y_true, y_pred)


def test_custom_objects(tmp_path):
    model = Sequential([Input(shape=(3,)), Dense(2), Scale(3.0)])
    model.compile(optimizer="sgd", loss=my_loss)
    save_model(model, tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"Unknown layer class 'Scale'.*custom_objects"):
        load_model(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"custom_objects"):
        load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale})     # my_loss is unknown
    loaded = load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale, "my_loss": my_loss})
    assert loaded.layers[-1].factor == 3.0
    x = np.ones((2, 3), "float32")
    loaded.fit(x, np.zeros((2, 2), "float32"), verbose=0)
    assert load_model(tmp_path / "m.h5", custom_objects={"Scale": Scale}, compile=False).layers[-1].factor == 3.0


def test_registered_custom_layer(tmp_path):
    @register_serializable(package="test_model_io")
    class Shift(Layer):
        def __init__(self, by=1.0, **kwargs):
            super().__init__(**kwargs)
            self.by = by

        def forward(self, x):
            return x + self.by

        def get_config(self):
            return {**super().get_config(), "by": self.by}

    model = Sequential([Input(shape=(3,)), Shift(4.0)])
    save_model(model, tmp_path / "m.h5")
    assert load_model(tmp_path / "m.h5").layers[0].by == 4.0


def test_weights_that_do_not_fit_the_config_are_refused(tmp_path):
    save_model(_model(), tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 7
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match=r"Shape mismatch in layer .* kernel: expected \(5, 7\), got \(5, 8\)"):
        load_model(tmp_path / "m.h5")


def test_nothing_is_evaluated(tmp_path):
    save_model(Sequential([Input(shape=(3,)), Dense(2)]), tmp_path / "m.h5")
    with h5py.File(tmp_path / "m.h5", "a") as f:
        config = json.loads(f.attrs["model_config"])
        config["config"]["layers"][1] = {"module": "os", "class_name": "system", "config": {"command": "touch x"}}
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(ValueError, match="Unknown layer class 'system'"):
        load_model(tmp_path / "m.h5")


def test_damaged_files(tmp_path):
    (tmp_path / "bad.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 40)
    with pytest.raises(OSError, match="bad.h5"):
        load_model(tmp_path / "bad.h5")
    with pytest.raises(FileNotFoundError, match="none.h5"):
        load_model(tmp_path / "none.h5")
