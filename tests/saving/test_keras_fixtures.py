"""Files written by Keras 3 (tests/fixtures/keras, see make_keras_fixtures.py) load into the
equivalent kerasish models and predict what Keras predicted."""
import pathlib

import numpy as np
import pytest

from kerasish.layers.conv import Conv2D
from kerasish.layers.core import Dense, Flatten
from kerasish.layers.input import Input
from kerasish.layers.normalization import BatchNormalization
from kerasish.layers.pooling import MaxPooling2D
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model
from kerasish.saving.weights_io import load_weights

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"


def mlp():
    return Sequential([Input(shape=(8,)), Dense(16, activation="relu", name="dense"),
                       Dense(4, activation="softmax", name="dense_1")], name="mlp")


def cnn():
    return Sequential([Input(shape=(8, 8, 3)), Conv2D(4, 3, activation="relu", name="conv2d"),
                       BatchNormalization(name="batch_normalization"), MaxPooling2D(2, name="max_pooling2d"),
                       Flatten(name="flatten"), Dense(5, name="dense")], name="cnn")


BUILDERS = {"mlp": mlp, "cnn": cnn}


def predict(model, x):
    model.eval()
    return model(x).numpy()


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_keras_weights_predict_like_keras(kind, suffix):
    model = BUILDERS[kind]()
    load_weights(model, FIXTURES / f"{kind}{suffix}")
    x, y = np.load(FIXTURES / f"{kind}_x.npy"), np.load(FIXTURES / f"{kind}_y.npy")
    np.testing.assert_allclose(predict(model, x), y, atol=1e-5)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_keras_weights_by_name(kind):
    model = BUILDERS[kind]()
    load_weights(model, FIXTURES / f"{kind}.h5", by_name=True)
    x, y = np.load(FIXTURES / f"{kind}_x.npy"), np.load(FIXTURES / f"{kind}_y.npy")
    np.testing.assert_allclose(predict(model, x), y, atol=1e-5)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_keras_full_model_predicts_like_keras(kind):
    model = load_model(FIXTURES / f"{kind}_full.h5", compile=False)
    assert [type(l).__name__ for l in model.layers] == [type(l).__name__ for l in BUILDERS[kind]().layers]
    x, y = np.load(FIXTURES / f"{kind}_x.npy"), np.load(FIXTURES / f"{kind}_y.npy")
    np.testing.assert_allclose(predict(model, x), y, atol=1e-5)


@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_keras_file_into_wrong_model_is_refused(suffix):
    model = cnn()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match="nothing was changed"):
        load_weights(model, FIXTURES / f"mlp{suffix}")
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_keras_file_into_unbuilt_model():
    # Dense layers without an input shape: the legacy weights file records none, so say how.
    model = Sequential([Dense(16, activation="relu"), Dense(4, activation="softmax")])
    with pytest.raises(ValueError, match="not built yet"):
        load_weights(model, FIXTURES / "mlp.h5")
    # the whole-model file records the input shape: a model built from it loads
    x, y = np.load(FIXTURES / "mlp_x.npy"), np.load(FIXTURES / "mlp_y.npy")
    load_weights(model, FIXTURES / "mlp_full.h5")
    np.testing.assert_allclose(predict(model, x), y, atol=1e-5)


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
def test_keras_full_model_continues_training_like_keras(kind):
    """Compile settings and Adam's state come from the Keras file: one more step matches Keras's."""
    model = load_model(FIXTURES / f"{kind}_full.h5")
    assert type(model.optimizer).__name__ == "Adam" and model.optimizer.iterations == 8
    step = np.load(FIXTURES / f"{kind}_step.npz")
    model.train_on_batch(step["x"], step["y"])
    ours = [w for layer in model.layers for w in layer.get_weights()]
    theirs = [step[f"w{i}"] for i in range(len(ours))]
    assert len(step.files) == len(ours) + 2
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
