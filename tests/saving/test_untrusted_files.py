"""DESIGN §8: loading is safe on untrusted files. Crafted files naming classes that are not
registered, module paths, or damaged structures fail with a clean ValueError/OSError naming
the problem, import nothing outside kerasish, and never change a model they were loaded into."""
import importlib
import json

import h5py
import numpy as np
import pytest

from kerasish.layers.core import Dense, Lambda
from kerasish.layers.input import Input
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model, save_model
from kerasish.saving.serialization import register_serializable
from kerasish.saving.weights_io import load_weights, save_weights


def _saved(tmp_path, name="m.h5"):
    model = Sequential([Input(shape=(3,)), Dense(4, activation="relu"), Dense(2)])
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    x = np.ones((4, 3), "float32")
    model.fit(x, np.zeros((4, 2), "float32"), verbose=0)
    save_model(model, tmp_path / name)
    return tmp_path / name


def _edit_json(path, attr, edit, group="/"):
    with h5py.File(path, "a") as f:
        data = json.loads(f[group].attrs[attr])
        edit(data)
        f[group].attrs[attr] = json.dumps(data)


@pytest.fixture
def no_foreign_imports(monkeypatch):
    """Fails the test if anything outside kerasish (and numpy/h5py internals) gets imported."""
    real = importlib.import_module
    seen = []
    monkeypatch.setattr(importlib, "import_module", lambda name, *a: seen.append(name) or real(name, *a))
    yield seen
    assert all(name.startswith("kerasish") for name in seen), seen


def _layer(config, i):
    return config["config"]["layers"][i]


CRAFTED_LAYERS = [
    {"class_name": "system", "module": "os", "config": {"command": "echo pwned"}},
    {"class_name": "os.system", "config": {"command": "echo pwned"}},
    {"class_name": "kerasish.layers.core.Dense", "config": {"units": 2}},
    {"class_name": "builtins.eval", "config": {}},
    {"class_name": "__import__", "config": {"name": "os"}},
    {"class_name": "Layer", "config": {}},            # the abstract base is not a registered class
    {"class_name": "Dense", "registered_name": "os>system", "config": {"units": 2, "bogus": 1}},
    {"class_name": ["Dense"], "config": {}},
    {"class_name": "Dense", "config": "units=2"},
]


@pytest.mark.parametrize("entry", CRAFTED_LAYERS, ids=lambda e: str(e["class_name"])[:30])
@pytest.mark.parametrize("origin", ["kerasish", "keras"])
def test_crafted_layer_class_fails_cleanly(tmp_path, entry, origin, no_foreign_imports):
    path = _saved(tmp_path)
    _edit_json(path, "model_config", lambda c: _layer(c, 2).update(entry))
    if origin == "keras":   # files without kerasish's marks go through the Keras config converter
        with h5py.File(path, "a") as f:
            del f.attrs["kerasish_version"]
            f.attrs["backend"] = "tensorflow"
    with pytest.raises(ValueError, match="m.h5"):
        load_model(path)


def _saved_functional(tmp_path):
    from kerasish.models.model import Model
    inputs = Input(shape=(3,), name="x")
    model = Model(inputs, Dense(2, name="out")(Dense(4, name="hidden")(inputs)))
    model.save(tmp_path / "f.h5")
    return tmp_path / "f.h5"


def _set_nodes(value):
    def edit(config):
        config["config"]["layers"][2]["inbound_nodes"] = value
    return edit


@pytest.mark.parametrize("edit", [
    _set_nodes([{"args": [{"__keras_tensor__": ["hidden", 0]}], "kwargs": {}}]),
    _set_nodes([{"args": [{"__keras_tensor__": ["hidden", "0", 0]}], "kwargs": {}}]),
    _set_nodes([{"args": [{"__keras_tensor__": ["hidden", 0, 7]}], "kwargs": {}}]),
    _set_nodes([{"args": [{"__keras_tensor__": [["hidden"], 0, 0]}], "kwargs": {}}]),
    _set_nodes([{"args": [{"__keras_tensor__": ["nowhere", 0, 0]}], "kwargs": {}}]),
    _set_nodes([{"args": [{"__keras_tensor__": ["out", 0, 0]}], "kwargs": {}}]),       # a cycle
    _set_nodes([{"args": {"a": 1}, "kwargs": []}]),
    _set_nodes(5),
    lambda c: c["config"].update(output_layers={"__keras_tensor__": ["out", 3, 0]}),
    lambda c: c["config"].update(layers=[{"name": "x"}]),
    lambda c: c["config"]["layers"].append(c["config"]["layers"][1]),                   # a repeated name
], ids=lambda e: "")
@pytest.mark.parametrize("origin", ["kerasish", "keras"])
def test_crafted_functional_graph_fails_cleanly(tmp_path, edit, origin):
    path = _saved_functional(tmp_path)
    _edit_json(path, "model_config", edit)
    if origin == "keras":
        with h5py.File(path, "a") as f:
            del f.attrs["kerasish_version"]
            f.attrs["backend"] = "tensorflow"
    with pytest.raises(ValueError, match="f.h5"):
        load_model(path)


def test_registered_function_is_not_a_layer_class(tmp_path):
    @register_serializable(package="test_untrusted")
    def helper(x):
        return x

    path = _saved(tmp_path)
    _edit_json(path, "model_config", lambda c: _layer(c, 2).update(
        {"class_name": "helper", "registered_name": "test_untrusted>helper", "config": {}}))
    with pytest.raises(ValueError, match="helper"):
        load_model(path)


@pytest.mark.parametrize("key,value,match", [
    ("activation", "os.system", "Unknown activation"),
    ("activation", {"class_name": "system", "module": "os", "config": {}}, "Unknown activation"),
    ("kernel_initializer", {"class_name": "os.system", "config": {}}, "Unknown initializer"),
    ("dtype", "object", "dtype"),
])
def test_crafted_layer_arguments_fail_cleanly(tmp_path, key, value, match, no_foreign_imports):
    path = _saved(tmp_path)
    _edit_json(path, "model_config", lambda c: _layer(c, 1)["config"].update({key: value}))
    with pytest.raises(ValueError, match=match):
        load_model(path)


@pytest.mark.parametrize("edit,match", [
    (lambda t: t["optimizer_config"].update(class_name="subprocess.Popen"), "Unknown optimizer"),
    (lambda t: t.update(loss={"class_name": "system", "module": "os", "config": {}}), "system"),
    (lambda t: t.update(loss="os.system"), "os.system"),
    (lambda t: t.update(metrics=["builtins.eval"]), "builtins.eval"),
])
def test_crafted_training_config_fails_cleanly(tmp_path, edit, match, no_foreign_imports):
    path = _saved(tmp_path)
    _edit_json(path, "training_config", edit)
    with pytest.raises(ValueError, match=match):
        load_model(path)
    assert load_model(path, compile=False).layers[0].units == 4     # the architecture alone still loads


@pytest.mark.parametrize("structure", [
    {"__array__": 99},
    {"__array__": "x"},
    {"__dict__": [[1]]},
    {"__tuple__": 5},
    {"__pickle__": "gASVAAAAAAAAAAA="},
    {"__scalar__": -100},
])
def test_crafted_optimizer_state_fails_cleanly(tmp_path, structure):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        f["optimizer_weights"].attrs["structure"] = json.dumps(structure)
    with pytest.raises((ValueError, OSError), match="m.h5"):
        load_model(path)


def test_optimizer_state_for_another_model_names_the_file(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        structure = json.loads(f["optimizer_weights"].attrs["structure"])
        structure["__dict__"] = [[k, 99 if k == "num_params" else v] for k, v in structure["__dict__"]]
        f["optimizer_weights"].attrs["structure"] = json.dumps(structure)
    with pytest.raises(ValueError, match=r"m\.h5.*compile=False"):
        load_model(path)


def test_not_json_config_names_the_file(tmp_path):
    path = _saved(tmp_path)
    with h5py.File(path, "a") as f:
        f.attrs["model_config"] = "cos\nsystem\n(S'echo pwned'\ntR."     # a pickle, not JSON
    with pytest.raises(ValueError, match="m.h5"):
        load_model(path)


def test_lambda_function_found_through_custom_objects_or_registry(tmp_path):
    def double(x):
        return x * 2

    model = Sequential([Input(shape=(3,)), Dense(2), Lambda(double)])
    model.save(tmp_path / "lam.h5")
    with pytest.raises(ValueError, match="double"):
        load_model(tmp_path / "lam.h5")
    loaded = load_model(tmp_path / "lam.h5", custom_objects={"double": double})
    x = np.ones((2, 3), "float32")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    register_serializable(package="test_untrusted_lambda")(double)
    assert load_model(tmp_path / "lam.h5").layers[-1].function is double


# --- a failed load changes nothing ---------------------------------------------------------------
def _model():
    model = Sequential([Input(shape=(3,)), Dense(4), Dense(2)])
    rng = np.random.default_rng(7)
    for w in model.weights:
        w.data[...] = rng.standard_normal(w.shape)
    return model


def _bits(model):
    return [w.numpy().tobytes() for w in model.weights]


def _wrong_shape(src, path):
    Sequential([Input(shape=(3,)), Dense(5), Dense(2)]).save_weights(path)


def _wrong_count(src, path):
    Sequential([Input(shape=(3,)), Dense(4), Dense(2), Dense(2)]).save_weights(path)


def _wrong_dtype(src, path):
    save_weights(src, path)
    with h5py.File(path, "a") as f:
        for name, obj in list(_datasets(f)):
            if obj.shape == (2,):        # the last bias (shape match, wrong kind of number)
                del f[name]
                f[name] = np.array(["a", "b"], dtype="S1")


def _missing_dataset(src, path):
    save_weights(src, path)
    with h5py.File(path, "a") as f:
        names = [n for n, _ in _datasets(f)]
        del f[names[-1]]


def _foreign_hdf5(src, path):
    with h5py.File(path, "w") as f:
        f["data"] = np.zeros(3)


def _not_hdf5(src, path):
    path.write_bytes(b"PK\x03\x04 this is a zip, not HDF5")


def _empty(src, path):
    path.write_bytes(b"")


def _truncated(src, path):
    save_weights(src, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])


def _by_name_disjoint(src, path):
    Sequential([Input(shape=(3,)), Dense(4, name="other"), Dense(2, name="names")]).save_weights(path)


def _datasets(f):
    out = []
    f.visititems(lambda n, o: out.append((n, o)) if isinstance(o, h5py.Dataset) else None)
    return out


FAILURES = [_wrong_shape, _wrong_count, _wrong_dtype, _missing_dataset, _foreign_hdf5, _not_hdf5, _empty,
            _truncated, _by_name_disjoint]


@pytest.mark.parametrize("make", FAILURES, ids=lambda f: f.__name__.strip("_"))
@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_failed_load_weights_changes_nothing(tmp_path, make, suffix):
    src = _model()
    path = tmp_path / f"bad{suffix}"
    make(src, path)
    target = _model()
    for w in target.weights:
        w.data[...] += 1.0
    before = _bits(target)
    with pytest.raises((ValueError, OSError)) as info:
        target.load_weights(path, by_name=make is _by_name_disjoint)
    assert path.name in str(info.value)
    assert _bits(target) == before
