"""Whole-model HDF5 files: `save_model` / `load_model` (Keras's legacy '.h5' model layout).

    /                    attrs: model_config (JSON {'class_name', 'config'}), training_config
                         (JSON: optimizer_config, loss, metrics, ...), keras_version, backend
    /model_weights       the weights, in the legacy layout of `h5_weights`
    /optimizer_weights   the optimizer's `state_dict()` (kerasish), or Keras's optimizer
                         variables (attr weight_names) in files Keras wrote

Keras-written whole-model '.h5' files load too, for the layers kerasish has: Keras's config
keys are mapped onto kerasish's (see `keras_config`). Loading never unpickles or evaluates
anything: configs are JSON and classes come from registries or `custom_objects`.
"""
import json
import os
import re
import warnings

import numpy as np

from kerasish.saving import _common, h5_weights, keras_config, serialization, state_tree
from kerasish.saving.atomic import atomic_write


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _dumps(obj, what):
    try:
        return json.dumps(obj, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Cannot save the model: its {what} is not JSON-friendly ({exc})") from exc


def _serialize_fn_or_obj(value, what):
    """A loss/metric/... given to compile, as JSON data (names, or {'class_name', 'config'})."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_fn_or_obj(v, what) for v in value]
    if isinstance(value, dict):
        return {str(k): _serialize_fn_or_obj(v, what) for k, v in value.items()}
    registered = serialization._REGISTERED_NAMES.get(id(value)) or \
        serialization._REGISTERED_NAMES.get(id(type(value)))
    if hasattr(value, "get_config") and not isinstance(value, type):
        out = {"class_name": type(value).__name__, "config": value.get_config()}
        if registered:
            out["registered_name"] = registered
        return out
    if callable(value) and hasattr(value, "__name__"):
        return registered or value.__name__
    raise ValueError(f"Cannot save the {what} {value!r}: give compile() names, registered functions "
                     "or objects with get_config()")


def _compile_args(model):
    """The loss / metrics / loss_weights / weighted_metrics given to compile()."""
    explicit = getattr(model, "_compile_config", None)
    if explicit is not None:
        return dict(explicit)
    args = {}
    loss = getattr(model, "_compile_loss", None)
    if loss is not None:
        args["loss"], args["loss_weights"] = loss.spec, loss.loss_weights
    metrics = getattr(model, "_compile_metrics", None)
    if metrics is not None:
        args["metrics"] = metrics.spec or None
        args["weighted_metrics"] = metrics.weighted_spec or None
    return args


def _training_config(model):
    """Keras's training_config for a compiled model, or None."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "_compiled", True):
        return None
    from kerasish import optimizers
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)  # mixed precision's LossScaleOptimizer
    config = {"optimizer_config": optimizers.serialize(optimizer)}
    for key, value in _compile_args(model).items():
        if key != "optimizer":
            config[key] = _serialize_fn_or_obj(value, key)
    return config


def save_model(model, filepath, overwrite=True, include_optimizer=True, save_format=None):
    """Saves the whole model to HDF5: architecture, weights, compile settings, optimizer state.

    The write is atomic (temporary file, then rename). `load_model(filepath)` returns a model
    that predicts the same and, if it was compiled, continues `fit()` where it stopped.

    Args:
        model: a built kerasish Model (its `get_config()` must be JSON-friendly).
        filepath: a path ending in '.keras' (Keras 3's zip archive) or '.h5' / '.hdf5'.
        overwrite: if False, an existing file raises FileExistsError.
        include_optimizer: also save the optimizer's state.
        save_format: None (from the name), 'h5' (HDF5 whatever the name, as Keras 2) or 'keras'.

    Example:
        >>> model.save('mnist.h5'); model = kerasish.models.load_model('mnist.h5')
    """
    import h5py
    from kerasish.layers.base import Layer
    if not isinstance(model, Layer):
        raise TypeError(f"save_model expects a kerasish Model, got {type(model).__name__}")
    path = os.fspath(filepath)
    fmt = _common.check_save_format(save_format, "save_model")
    if fmt == "keras" or (fmt is None and path.endswith(".keras")):
        from kerasish.saving import keras_zip
        return keras_zip.save_model(model, path, overwrite, include_optimizer)
    if fmt is None and (not path.endswith((".h5", ".hdf5")) or path.endswith(".weights.h5")):
        raise ValueError(f"Whole models are saved as '.keras' (Keras 3's zip format) or HDF5 ('.h5' / "
                         f"'.hdf5'; not '.weights.h5', which is for save_weights), got '{path}'")
    try:
        model_config = serialization.serialize_layer(model)
    except NotImplementedError as exc:
        raise NotImplementedError(f"Cannot save model '{model.name}' whole: {exc}. Use "
                                  "model.save_weights() instead, or implement get_config().") from exc
    model_config_json = _dumps(model_config, "config")
    training = _training_config(model)
    training_json = _dumps(training, "compile settings") if training is not None else None
    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    opt_state = optimizer.state_dict() if optimizer is not None else None
    with atomic_write(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = _common.kerasish_version()
            f.attrs["kerasish_version"] = _common.kerasish_version()
            f.attrs["backend"] = "kerasish"
            f.attrs["model_config"] = model_config_json
            if training_json is not None:
                f.attrs["training_config"] = training_json
            h5_weights.write_weights_group(f.create_group("model_weights"), model, path)
            if opt_state is not None:
                state_tree.write_tree(f.create_group("optimizer_weights"), opt_state, "optimizer state")


def _is_kerasish_file(f):
    return "kerasish_version" in f.attrs or _common.to_str(f.attrs.get("backend", "")) == "kerasish"


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved by `save_model` / `model.save`, or by Keras ('.keras' or legacy '.h5').

    Args:
        filepath: a '.keras' zip archive or an HDF5 file (the content decides).
        custom_objects: dict of name -> class/function for custom layers, losses, metrics, ...
            that were not registered with `register_serializable`.
        compile: compile the model with the saved settings and restore the optimizer state.
        safe_mode: accepted for Keras compatibility; loading is always safe (JSON only).

    Returns:
        The model, with its weights (and, if compiled, its optimizer state) restored.

    Raises:
        FileNotFoundError / OSError: a missing, damaged or non-HDF5 file (named).
        ValueError: no model config in the file (a weights-only file?), unknown classes
            (pass custom_objects), or weights that do not fit the architecture.
    """
    path = os.fspath(filepath)
    from kerasish.saving import keras_zip
    if keras_zip.is_keras_zip(path):
        return keras_zip.load_model(path, custom_objects, compile)
    with _common.open_h5(path) as f:
        try:
            return _load_open(f, path, custom_objects, compile)
        except (KeyError, RuntimeError) as exc:
            raise OSError(f"Could not read the model in '{path}' (damaged file?): {exc}") from exc


def _load_open(f, path, custom_objects, compile):
    config = _common.read_json_attr(f, "model_config")
    if config is None:
        hint = " It holds weights only: build the model in code and call model.load_weights()." \
            if h5_weights.is_legacy_group(f) or "layers" in f or "vars" in f else ""
        raise ValueError(f"No model config found in '{path}'.{hint}")
    from_keras = not _is_kerasish_file(f)
    with serialization.custom_object_scope(custom_objects):
        model = _model_from_config(config, path, custom_objects, from_keras)
        if "model_weights" not in f:
            raise ValueError(f"'{path}' has a model config but no 'model_weights' group")
        weights = f["model_weights"]
        shape = _common.read_json_attr(weights, "build_input_shape") or \
            keras_config.input_shape_from_config(_common.read_json_attr(f, "model_config"))
        _common.ensure_built(model, path, shape)
        plan = _common.LoadPlan(path, model)
        h5_weights.plan_weights_group(weights, model, plan)
        plan.execute()
        training = _common.read_json_attr(f, "training_config")
        if compile and training is not None:
            _compile(model, training, custom_objects, from_keras)
            if "optimizer_weights" in f:
                _restore_optimizer(model, f["optimizer_weights"], path)
    return model


def _model_from_config(config, path, custom_objects, from_keras):
    """The (unbuilt) model a file's config describes; any problem is a ValueError naming the file."""
    try:
        if from_keras:
            config = keras_config.convert(config, custom_objects)
        return serialization.deserialize_layer(config, custom_objects)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
        raise ValueError(f"Cannot rebuild the model saved in '{path}': {exc}") from exc


def _is_config(value):
    return isinstance(value, dict) and "class_name" in value and "config" in value


def _resolve(value, kind, table):
    """Saved loss/metric specs back to what compile() takes (names stay names)."""
    from kerasish import losses, metrics
    if isinstance(value, list):
        return [_resolve(v, kind, table) for v in value]
    if _is_config(value):
        name = value.get("registered_name") or value["class_name"]
        if name in table and name != value["class_name"]:
            table = dict(table, **{value["class_name"]: table[name]})
        module = losses if kind == "loss" else metrics
        return module.deserialize({"class_name": value["class_name"], "config": value["config"]}, table)
    if isinstance(value, dict):
        return {k: _resolve(v, kind, table) for k, v in value.items()}
    if isinstance(value, str) and value in table:
        return table[value]
    return value


def _compile(model, training, custom_objects, from_keras):
    if from_keras:
        args = keras_config.compile_args(training, custom_objects)
    else:
        from kerasish import optimizers
        args = {k: v for k, v in training.items() if k != "optimizer_config" and v is not None}
        if training.get("optimizer_config") is not None:
            args["optimizer"] = optimizers.deserialize(training["optimizer_config"], custom_objects)
    table = serialization.visible_objects(custom_objects)
    try:
        for key in ("loss", "metrics", "weighted_metrics"):
            if args.get(key) is not None:
                args[key] = _resolve(args[key], "loss" if key == "loss" else "metric", table)
        model.compile(**args)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"Could not compile the loaded model with its saved settings {sorted(args)}: "
                         f"{exc}. Pass custom_objects for custom losses/metrics, or load_model(..., "
                         "compile=False) and compile it yourself.") from exc


def _restore_optimizer(model, group, path):
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    if state_tree.is_tree(group):
        state = state_tree.read_tree(group)
    else:
        state = _keras_optimizer_state(group, model, optimizer)
        if state is None:
            warnings.warn(f"The optimizer state in '{path}' (written by Keras) could not be mapped onto "
                          f"kerasish's {type(optimizer).__name__}; training restarts with a fresh "
                          "optimizer state", stacklevel=4)
            return
    if getattr(optimizer, "_params", None) is None:
        params = getattr(model, "trainable_weights", None)
        if params:
            optimizer.set_parameters(params)
    try:
        optimizer.load_state_dict(state)
    except (ValueError, TypeError, KeyError) as exc:
        n = state.get("num_params") if isinstance(state, dict) else None
        if not isinstance(n, int) or n > len(model.weights):
            raise ValueError(f"The optimizer state in '{path}' does not fit the model: {exc}. Load with "
                             "compile=False to skip it.") from exc
        # Layers frozen (or unfrozen) after compile(): the state is for another subset of this model's
        # weights. As Keras does, the weights load and only the optimizer starts afresh.
        warnings.warn(f"The optimizer state in '{path}' does not fit the loaded model ({exc}; were layers "
                      f"frozen or unfrozen after compile()?); training continues with a fresh "
                      f"{type(optimizer).__name__} state", stacklevel=4)


# Keras's optimizer variable suffixes -> kerasish slot names, Keras 3 ('adam/<path>_momentum')
# then Keras 2 ('Adam/<path>/m:0'). Other optimizers' slots carry Keras 3's names.
_KERAS_SLOTS = {"Adam": [{"momentum": "m", "velocity": "v"}, {"m": "m", "v": "v"}],
                "AdamW": [{"momentum": "m", "velocity": "v"}, {"m": "m", "v": "v"}],
                "SGD": [{"momentum": "momentum"}],
                "RMSprop": [{"velocity": "velocity", "momentum": "momentum", "average_gradient": "average_gradient"},
                            {"rms": "velocity", "momentum": "momentum", "mg": "average_gradient"}]}


def _keras_optimizer_state(group, model, optimizer):
    """Keras's optimizer variables as a kerasish state_dict, for the optimizers whose slots
    match (Adam, AdamW, SGD, RMSprop, and any whose slot names are Keras 3's); None otherwise."""
    cls = type(optimizer).__name__
    names = _common.read_str_list(group, "weight_names")
    if not names:
        return None
    values = {re.sub(r":\d+$", "", n): group[n][()] for n in names}
    params = list(model.trainable_weights)
    wanted = set(optimizer._slot_names())
    for mapping in _KERAS_SLOTS.get(cls, [{k: k for k in wanted}]):
        mapping = {k: v for k, v in mapping.items() if v in wanted}
        if set(mapping.values()) != wanted:
            continue
        per_slot = {suffix: [v for k, v in values.items() if k.endswith(("_" + suffix, "/" + suffix))]
                    for suffix in mapping}
        if any(len(v) != len(params) for v in per_slot.values()):
            continue
        slots = {i: {mapping[s]: np.asarray(per_slot[s][i]) for s in mapping} for i in range(len(params))}
        if any(a.shape != p.shape for i, p in enumerate(params) for a in slots[i].values()):
            continue
        iterations = next((int(v) for k, v in values.items() if k.endswith(("/iteration", "/iter"))), 0)
        return {"class_name": cls, "iterations": iterations, "decay_count": 0,
                "num_params": len(params), "slots": slots}
    return None
