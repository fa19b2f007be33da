"""Whole-model HDF5 files: `save_model` / `load_model` (Keras's legacy '.h5' model layout).

    /                    attrs: model_config (JSON {'class_name', 'config'}), training_config
                         (JSON: optimizer_config, loss, metrics, ...), keras_version, backend,
                         kerasish_config_format ('keras3': the configs are in Keras's form)
    /model_weights       the weights, in the legacy layout of `h5_weights`
    /optimizer_weights   the optimizer's `state_dict()` (kerasish), or Keras's optimizer
                         variables (attr weight_names) in files Keras wrote

Keras 3 (`keras.models.load_model`) loads and compiles the files kerasish writes (files from
before kerasish_config_format too, only in kerasish), unless the model has kerasish-only
layers (a warning says so when saving); see `h5_keras_config` for training them in Keras.

Keras-written whole-model '.h5' files load too, for the layers kerasish has: Keras's config
keys are mapped onto kerasish's (see `keras_config`). Loading never unpickles or evaluates
anything: configs are JSON and classes come from registries or `custom_objects`.
"""
import json
import os
import re
import warnings

import numpy as np

from kerasish.saving import (_common, h5_keras_config, h5_weights, keras_config, keras_optimizer_state,
                             serialization, state_tree)
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
    that predicts the same and, if it was compiled, continues `fit()` where it stopped. Keras 3's
    `keras.models.load_model` reads the '.h5' file too (compiled), except when the model has
    kerasish-only layers (it still saves and loads in kerasish). Keras
    3.15 cannot train a loaded '.h5' that holds optimizer state (its own files neither): to
    train in Keras, save with include_optimizer=False, or as '.keras' to keep the state.

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
    input_shape = _common.json_shape(_common.known_input_shape(model))
    model_config_json = _dumps(h5_keras_config.model_config(model_config, input_shape), "config")
    training = _training_config(model)
    training_json = _dumps(h5_keras_config.training_config(training), "compile settings") \
        if training is not None else None
    optimizer = getattr(model, "optimizer", None) if include_optimizer else None
    opt_state = optimizer.state_dict() if optimizer is not None else None
    with atomic_write(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["keras_version"] = _common.kerasish_version()
            f.attrs["kerasish_version"] = _common.kerasish_version()
            f.attrs["backend"] = "kerasish"
            f.attrs[h5_keras_config.FORMAT_ATTR] = h5_keras_config.FORMAT
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
    keras_form = not from_keras and _common.to_str(f.attrs.get(h5_keras_config.FORMAT_ATTR, "")) == \
        h5_keras_config.FORMAT
    if keras_form and isinstance(config.get("config"), dict) and "input_layers" in config["config"]:
        try:  # graph tensors are in Keras's form
            config = keras_config.convert(config, custom_objects)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError, RecursionError) as exc:
            raise ValueError(f"Cannot rebuild the model saved in '{path}': {exc}") from exc
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
            if keras_form and isinstance(training, dict):
                training = h5_keras_config.kerasish_training_config(training)
            _compile(model, training, custom_objects, from_keras)
            if "optimizer_weights" in f:
                optimizer_config = training.get("optimizer_config") if isinstance(training, dict) else None
                _restore_optimizer(model, f["optimizer_weights"], path,
                                   optimizer_config if isinstance(optimizer_config, dict) else None)
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


def _restore_optimizer(model, group, path, keras_config=None):
    """Loads the file's optimizer state into `model.optimizer` (kerasish's own state tree, or the
    variables a Keras-written file carries; `keras_config` is that file's optimizer config)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return
    if not state_tree.is_tree(group):
        _restore_keras_optimizer(model, group, path, optimizer, keras_config)
        return
    state = state_tree.read_tree(group)
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


def _restore_keras_optimizer(model, group, path, optimizer, keras_config):
    """Keras's optimizer_weights -> `optimizer`, all or nothing: on any mismatch a warning says why
    and the optimizer stays fresh (as Keras does, the weights still load)."""
    params = list(model.trainable_weights)
    try:
        state = _keras_optimizer_state(group, params, optimizer, keras_config)
        if getattr(optimizer, "_params", None) is None and params:
            optimizer.set_parameters(params)
        optimizer.load_state_dict(state)  # checks again; changes nothing on failure
    except (ValueError, TypeError, KeyError) as exc:
        warnings.warn(f"The optimizer state in '{path}' (written by Keras) is not loaded: {exc}; training "
                      f"continues with a fresh {type(optimizer).__name__} state", stacklevel=5)


# Keras 2's optimizer variable suffixes ('Adam/<layer>/<weight>/m:0') -> kerasish slot names; other
# optimizers' Keras 2 slots carry kerasish's names. Keras 3 files are read by position instead
# (see `keras_optimizer_state`).
_KERAS2_SLOTS = {"Adam": {"m": "m", "v": "v", "vhat": "v_hat"},
                 "AdamW": {"m": "m", "v": "v", "vhat": "v_hat"},
                 "RMSprop": {"rms": "velocity", "momentum": "momentum", "mg": "average_gradient"}}


def _keras_name(name):
    return re.sub(r":\d+$", "", name)


def _keras_optimizer_state(group, params, optimizer, keras_config=None):
    """Keras's optimizer variables (the legacy '.h5' optimizer_weights group) as a kerasish
    state_dict for `optimizer`, everything checked first.

    Keras 3 lists its variables in creation order (iteration, learning_rate, slots, Nadam's
    u_product), the order `keras_optimizer_state` maps; Keras 2 names them '<Opt>/<weight>/<slot>:0'.

    Raises:
        ValueError: the variables do not fit `optimizer` and `params` (the message says why).
    """
    import h5py
    names = _common.read_str_list(group, "weight_names")
    if not names:
        raise ValueError("its optimizer_weights group lists no variables (attribute 'weight_names')")
    datasets = []
    for name in names:
        ds = group.get(name)
        if not isinstance(ds, h5py.Dataset):
            raise ValueError(f"the listed optimizer variable {name!r} is missing or not a dataset")
        datasets.append(ds)
    short = [_keras_name(n) for n in names]
    if any(n == "iteration" or n.endswith("/iteration") for n in short):
        return _keras3_state(short, datasets, params, optimizer, keras_config)
    return _keras2_state(short, datasets, params, optimizer)


def _keras3_state(names, datasets, params, optimizer, keras_config):
    state = keras_optimizer_state.read_state({str(i): ds for i, ds in enumerate(datasets)}, optimizer,
                                             params, keras_config)
    # Positions alone cannot tell Adam's momentum from its velocity: the names must agree too.
    cls = type(optimizer).__name__
    blocks = keras_optimizer_state._BLOCKS[cls](optimizer)
    keras_slot = {slot: keras for block in blocks for keras, slot in block}
    for index, (kind, detail) in enumerate(keras_optimizer_state._layout(optimizer, params)):
        suffix = {"iterations": "iteration", "learning_rate": "learning_rate"}.get(kind)
        if kind == "slot":
            suffix = keras_slot[detail[1]]
        name = names[index]
        if suffix is not None and name != suffix and not name.endswith(("/" + suffix, "_" + suffix)):
            raise ValueError(f"optimizer variable {index} is {name!r}, expected a {cls} "
                             f"{suffix!r} variable there")
    return state


def _keras2_state(names, datasets, params, optimizer):
    cls = type(optimizer).__name__
    wanted = set(optimizer._slot_names())
    mapping = {k: v for k, v in _KERAS2_SLOTS.get(cls, {k: k for k in wanted}).items() if v in wanted}
    if set(mapping.values()) != wanted:
        raise ValueError(f"kerasish does not map Keras 2's variables for {cls}")
    slots = {i: {} for i in range(len(params))}
    for suffix, slot in mapping.items():
        found = [ds for n, ds in zip(names, datasets) if n.endswith("/" + suffix)]
        if len(found) != len(params):
            raise ValueError(f"the file has {len(found)} {suffix!r} variables, the model has "
                             f"{len(params)} trainable weights")
        for i, (ds, p) in enumerate(zip(found, params)):
            if tuple(ds.shape) != tuple(p.shape) or np.dtype(ds.dtype).kind != "f":
                raise ValueError(f"optimizer variable {ds.name!r} is {ds.dtype} {tuple(ds.shape)}, "
                                 f"expected float {tuple(p.shape)}")
            slots[i][slot] = np.asarray(ds[()])
    iterations = [ds for n, ds in zip(names, datasets) if n.endswith("/iter")]
    if len(iterations) > 1 or (iterations and (iterations[0].shape != () or
                                                np.dtype(iterations[0].dtype).kind not in "iu")):
        raise ValueError("its 'iter' variable is not one integer scalar")
    count = int(iterations[0][()]) if iterations else 0
    if count < 0:
        raise ValueError(f"its 'iter' variable is negative ({count})")
    state = {"class_name": cls, "iterations": count, "decay_count": 0, "num_params": len(params),
             "slots": slots}
    for key in optimizer._extra_state():  # optimizer-wide floats such as Nadam's u_product
        found = [ds for n, ds in zip(names, datasets) if n == key or n.endswith("/" + key)]
        if len(found) != 1 or found[0].shape != () or np.dtype(found[0].dtype).kind != "f":
            raise ValueError(f"it has no float scalar {key!r} variable, which kerasish's {cls} needs")
        state[key] = float(found[0][()])
        if not np.isfinite(state[key]) or state[key] < 0:
            raise ValueError(f"its {key!r} variable is {state[key]}, expected a finite number >= 0")
    return state
