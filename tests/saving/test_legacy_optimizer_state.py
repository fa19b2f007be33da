"""Optimizer state in Keras-written legacy whole-model '.h5' files (optimizer_weights): it loads
for Adamax, Adam(amsgrad=True), Nadam (and SGD, the control) so one more step matches Keras's, and
a malformed state leaves a fresh optimizer with a warning saying why (the weights still load)."""
import pathlib
import re
import shutil
import warnings

import h5py
import numpy as np
import pytest

from kerasish.saving.model_io import load_model

FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "keras"
OPTIMIZERS = {"sgd": "SGD", "adamax": "Adamax", "adam_amsgrad": "Adam", "nadam": "Nadam"}


def _layer_weights(model):
    return [w for layer in model.layers for w in layer.get_weights()]


def _names(group):
    return [n.decode() if isinstance(n, bytes) else str(n) for n in group.attrs["weight_names"]]


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_legacy_keras_optimizer_state_continues_like_keras(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = load_model(FIXTURES / f"legacy_opt_{name}.h5")
    opt = model.optimizer
    assert type(opt).__name__ == OPTIMIZERS[name] and opt.iterations == 6
    assert all(s is not None for s in opt._slots)
    step = np.load(FIXTURES / f"legacy_opt_{name}_step.npz")
    model.train_on_batch(step["x"], step["y"])
    ours = _layer_weights(model)
    assert len(step.files) == len(ours) + 2
    assert max(float(np.max(np.abs(a - step[f"w{i}"]))) for i, a in enumerate(ours)) < 1e-5


def test_amsgrad_and_nadam_extras_come_from_the_file():
    with h5py.File(FIXTURES / "legacy_opt_adam_amsgrad.h5", "r") as f:
        v_hat = f["optimizer_weights/adam/tiny_dense_kernel_velocity_hat"][()]
    opt = load_model(FIXTURES / "legacy_opt_adam_amsgrad.h5").optimizer
    assert opt.amsgrad
    np.testing.assert_array_equal(opt._slots[0]["v_hat"], v_hat)
    with h5py.File(FIXTURES / "legacy_opt_nadam.h5", "r") as f:
        u_product = float(f["optimizer_weights"][_names(f["optimizer_weights"])[-1]][()])
    nadam = load_model(FIXTURES / "legacy_opt_nadam.h5").optimizer
    assert u_product < 1 and nadam.state_dict()["u_product"] == u_product


def _edited(tmp_path, name, edit):
    path = tmp_path / f"{name}.h5"
    shutil.copyfile(FIXTURES / f"legacy_opt_{name}.h5", path)
    with h5py.File(path, "a") as f:
        edit(f["optimizer_weights"])
    return path


def _set_names(group, names):
    group.attrs["weight_names"] = np.array([n.encode() for n in names])


def _wrong_shape(group):
    name = "adam/tiny_dense_bias_velocity_hat"
    del group[name]
    group[name] = np.zeros(5, "float32")


def _swapped(group):  # same shapes: only the names tell momentum from velocity
    names = _names(group)
    names[2], names[3] = names[3], names[2]
    _set_names(group, names)


def _listed_but_missing(group):
    del group["adam/tiny_dense_1_bias_velocity_hat"]


def _float_iterations(group):
    del group["adam/iteration"]
    group["adam/iteration"] = np.float32(6)


def _no_u_product(group):
    _set_names(group, _names(group)[:-1])


def _negative_u_product(group):
    name = _names(group)[-1]
    del group[name]
    group[name] = np.float32(-0.5)


def _no_names(group):
    del group.attrs["weight_names"]


@pytest.mark.parametrize("name, edit, why", [
    ("adam_amsgrad", _wrong_shape,
     r"variable 11 \(slot 'v_hat' of trainable weight 1\).*expected float \(4,\)"),
    ("adam_amsgrad", _swapped, r"variable 2 is .*kernel_velocity', expected a Adam 'momentum' variable"),
    ("adam_amsgrad", _listed_but_missing, "'adam/tiny_dense_1_bias_velocity_hat' is missing"),
    ("adam_amsgrad", _float_iterations, "iterations.*expected a scalar integer"),
    ("nadam", _no_u_product, "the file has 10 optimizer variables, a Nadam for 4 trainable weights has 11"),
    ("nadam", _negative_u_product, "u_product.*expected a finite number >= 0"),
    ("adamax", _no_names, "lists no variables"),
])
def test_malformed_legacy_state_leaves_a_fresh_optimizer(tmp_path, name, edit, why):
    warning = r"optimizer state in .*\(written by Keras\) is not loaded: .*" + why
    with pytest.warns(UserWarning, match=warning) as caught:
        model = load_model(_edited(tmp_path, name, edit))
    assert not any("frozen" in str(w.message) for w in caught)
    opt = model.optimizer
    assert opt.iterations == 0 and all(s is None for s in opt._slots)
    assert opt.state_dict().get("u_product", 1.0) == 1.0
    good = load_model(FIXTURES / f"legacy_opt_{name}.h5")
    for a, b in zip(model.get_weights(), good.get_weights()):  # the weights still load
        np.testing.assert_array_equal(a, b)


def _as_keras2(group, keep_u_product=False):
    """Renames the Keras 3 variables the way Keras 2 wrote them ('Adam/dense/kernel/m:0'; no
    learning_rate variable; Nadam's u_product as 'Nadam/u_product:0' if `keep_u_product`)."""
    opt = _names(group)[0].split("/")[0].capitalize()
    short = {"momentum": "m", "velocity": "v", "velocity_hat": "vhat"}
    names = []
    for n in _names(group):
        slot = re.fullmatch(r".*/tiny_(dense(?:_1)?)_(kernel|bias)_(momentum|velocity_hat|velocity)", n)
        new = f"{opt}/iter:0" if n.endswith("/iteration") else None
        if slot:
            new = f"{opt}/{slot[1]}/{slot[2]}/{short[slot[3]]}:0"
        elif n == "variable" and keep_u_product:
            new = f"{opt}/u_product:0"
        if new is None:
            continue
        group[new] = group[n][()]
        names.append(new)
    _set_names(group, names)


@pytest.mark.parametrize("name", ["adam_amsgrad", "nadam"])
def test_keras2_names_load_and_continue_like_keras(tmp_path, name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = load_model(_edited(tmp_path, name, lambda g: _as_keras2(g, keep_u_product=True)))
    opt = model.optimizer
    assert opt.iterations == 6 and all(s is not None for s in opt._slots)
    step = np.load(FIXTURES / f"legacy_opt_{name}_step.npz")
    model.train_on_batch(step["x"], step["y"])
    assert max(float(np.max(np.abs(a - step[f"w{i}"]))) for i, a in enumerate(_layer_weights(model))) < 1e-5


def test_keras2_nadam_without_u_product_says_so(tmp_path):
    with pytest.warns(UserWarning, match="not loaded: it has no float scalar 'u_product' variable") as caught:
        model = load_model(_edited(tmp_path, "nadam", _as_keras2))
    assert not any("frozen" in str(w.message) for w in caught)
    assert model.optimizer.iterations == 0 and all(s is None for s in model.optimizer._slots)
