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


def _functional():
    from kerasish.layers.merge import Add, Concatenate
    from kerasish.models.model import Model
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    x, y = Dense(3, name="da")(a), Dense(3, name="db")(b)
    z = Concatenate(name="cat")([Add(name="add")([x, y]), x])
    return Model([a, b], Dense(2, activation="tanh", name="out")(z), name="func")


def test_keras_functional_model():
    io = np.load(FIXTURES / "func_io.npz")
    model = load_model(FIXTURES / "func_full.h5")
    assert [l.name for l in model.layers] == ["a", "b", "da", "db", "add", "cat", "out"]
    np.testing.assert_allclose(predict(model, [io["a"], io["b"]]), io["y"], atol=1e-5)
    ours = _functional()
    load_weights(ours, FIXTURES / "func.weights.h5")
    np.testing.assert_allclose(predict(ours, [io["a"], io["b"]]), io["y"], atol=1e-5)


def _keras2_file(path, functional=False):
    """A whole-model file laid out as Keras 2 (tf.keras 2.x) writes it, made from the mlp fixture."""
    import json
    import h5py
    with h5py.File(FIXTURES / "mlp.h5") as f:
        arrays = {name: [f[name][n][()] for n in f[name].attrs["weight_names"]] for name in ("dense", "dense_1")}

    def dense(name, units, activation, inbound):
        entry = {"class_name": "Dense", "config": {
            "name": name, "trainable": True, "dtype": "float32", "units": units, "activation": activation,
            "use_bias": True, "kernel_initializer": {"class_name": "GlorotUniform", "config": {"seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}}, "kernel_regularizer": None,
            "bias_regularizer": None, "activity_regularizer": None, "kernel_constraint": None,
            "bias_constraint": None}}
        if functional:
            entry.update(name=name, inbound_nodes=[[[inbound, 0, 0, {}]]])
        return entry

    inp = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 8], "dtype": "float32",
                                                   "sparse": False, "ragged": False, "name": "input_1"}}
    layers = [dense("dense", 16, "relu", "input_1"), dense("dense_1", 4, "softmax", "dense")]
    if functional:
        inp.update(name="input_1", inbound_nodes=[])
        config = {"class_name": "Functional", "config": {
            "name": "model", "layers": [inp] + layers, "input_layers": [["input_1", 0, 0]],
            "output_layers": [["dense_1", 0, 0]]}}
    else:
        config = {"class_name": "Sequential", "config": {"name": "sequential", "layers": [inp] + layers}}
    training = {"loss": "sparse_categorical_crossentropy", "loss_weights": None, "weighted_metrics": None,
                "metrics": [[{"class_name": "MeanMetricWrapper", "config": {
                    "name": "accuracy", "dtype": "float32", "fn": "sparse_categorical_accuracy"}}]],
                "optimizer_config": {"class_name": "Custom>Adam", "config": {
                    "name": "Adam", "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                    "clipvalue": None, "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                    "jit_compile": True, "is_legacy_optimizer": False, "learning_rate": 0.001,
                    "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}}}
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"], f.attrs["backend"] = "2.13.1", "tensorflow"
        f.attrs["model_config"], f.attrs["training_config"] = json.dumps(config), json.dumps(training)
        g = f.create_group("model_weights")
        names = (["input_1"] if functional else []) + ["dense", "dense_1"]
        g.attrs["layer_names"] = np.array([n.encode() for n in names])
        g.attrs["keras_version"], g.attrs["backend"] = "2.13.1", "tensorflow"
        opt_names = ["Adam/iter:0"]
        for name in names:
            lg = g.create_group(name)
            wn = [f"{name}/kernel:0", f"{name}/bias:0"] if name != "input_1" else []
            lg.attrs["weight_names"] = np.array([n.encode() for n in wn], dtype="S")
            for n, arr in zip(wn, arrays.get(name, [])):
                lg[n] = arr
                opt_names += [f"Adam/{n[:-2]}/m:0", f"Adam/{n[:-2]}/v:0"]
        og = f.create_group("optimizer_weights")
        og.attrs["weight_names"] = np.array([n.encode() for n in opt_names])
        og["Adam/iter:0"] = np.int64(40)
        for n in opt_names[1:]:
            layer, weight = n.split("/")[1:3]
            shape = arrays[layer][0 if weight == "kernel" else 1].shape
            og[n] = np.full(shape, 0.5 if n.endswith("/m:0") else 0.25, "float32")


@pytest.mark.parametrize("functional", [False, True])
def test_keras2_whole_model_file(tmp_path, functional):
    _keras2_file(tmp_path / "k2.h5", functional)
    model = load_model(tmp_path / "k2.h5")
    x, y = np.load(FIXTURES / "mlp_x.npy"), np.load(FIXTURES / "mlp_y.npy")
    np.testing.assert_allclose(predict(model, x), y, atol=1e-5)
    opt = model.optimizer
    assert type(opt).__name__ == "Adam" and opt.iterations == 40 and opt.epsilon == 1e-7
    slots = opt.state_dict()["slots"]
    assert len(slots) == 4 and float(slots[0]["m"].flat[0]) == 0.5 and float(slots[3]["v"].flat[0]) == 0.25
    history = model.fit(x, np.zeros(len(x), "int64"), epochs=1, verbose=0)
    assert set(history.history) == {"loss", "accuracy"}
