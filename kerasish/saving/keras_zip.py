"""Keras 3's native '.keras' format: a zip archive, written and read.

    metadata.json           {'keras_version', 'date_saved'} (+ 'kerasish_version' when kerasish wrote it)
    config.json             the model config; 'compile_config' holds the compile settings
    model.weights.h5        the weights in Keras 3's layout (see `keras3_weights`), and the
                            optimizer's variables in Keras's 'optimizer/vars' layout when
                            kerasish knows it (see `keras_optimizer_state`)
    kerasish_optimizer.h5   kerasish's optimizer state (only in files kerasish wrote; Keras ignores it)

kerasish writes its own config format, with 'module' entries Keras understands, so Keras can
load the file too, and resume training with kerasish's optimizer state. Keras-written configs
are mapped through `keras_config`; Keras-written optimizer variables through
`keras_optimizer_state` (an optimizer it does not know keeps a fresh state, with a warning
saying why). Loading reads only the entries above, by exact name, with size limits; it never
unpickles or evaluates anything, and a failed load leaves nothing changed.
"""
import datetime
import io
import json
import os
import zipfile

from kerasish.saving import (_common, keras3_weights, keras_config, keras_optimizer_state, serialization,
                             state_tree)
from kerasish.saving.atomic import atomic_write

_METADATA, _CONFIG, _WEIGHTS, _OPTIMIZER = ("metadata.json", "config.json", "model.weights.h5",
                                            "kerasish_optimizer.h5")
_TENSOR = "__keras_tensor__"
_JSON_LIMIT = 64 << 20           # bytes; a config larger than this is not a real model config
_H5_LIMIT = 64 << 30


def is_keras_zip(path):
    """True if `path` names a '.keras' file or a file that starts like a zip archive."""
    if path.endswith(".keras"):
        return True
    try:
        with open(path, "rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _keras_tensor(history):
    # Keras rebuilds the graph from 'keras_history'; the shape it requires is not used for that.
    return {"class_name": _TENSOR, "config": {"shape": [], "dtype": "float32", "keras_history": history}}


def _keras_form(obj, endpoints=False):
    """kerasish's config -> what Keras's deserializer reads: Keras 'module' names, Keras's form of
    graph tensors ({'class_name': '__keras_tensor__', ...}; endpoints as [layer, node, index])."""
    if isinstance(obj, list):
        return [_keras_form(v, endpoints) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if set(obj) == {_TENSOR}:
        return list(obj[_TENSOR]) if endpoints else _keras_tensor(list(obj[_TENSOR]))
    out = {k: _keras_form(v, k in ("input_layers", "output_layers")) for k, v in obj.items()}
    module = out.get("module")
    if isinstance(module, str) and module.startswith("kerasish."):
        out["module"] = "keras.layers" if not module.startswith("kerasish.models") else (
            "keras.src.models.functional" if out.get("class_name") == "Functional" else "keras")
    return out


def _with_module(spec, module):
    """Adds Keras's 'module' to the loss / metric configs ({'class_name', 'config'}) in `spec`, so
    Keras's `compile_from_config` finds its built-in classes."""
    if isinstance(spec, list):
        return [_with_module(v, module) for v in spec]
    if isinstance(spec, dict):
        if "class_name" in spec and "config" in spec:
            return spec if "module" in spec else dict(spec, module=module)
        return {k: _with_module(v, module) for k, v in spec.items()}
    return spec


def _h5_bytes(write):
    """Runs `write(h5py_file)` on an in-memory HDF5 file and returns its bytes."""
    import h5py
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        write(f)
    return buf.getvalue()


def save_model(model, path, overwrite=True, include_optimizer=True):
    """Saves `model` whole to a '.keras' zip archive at `path`, atomically (see `model_io.save_model`)."""
    from kerasish.saving import model_io
    try:
        config = serialization.serialize_layer(model)
    except NotImplementedError as exc:
        raise NotImplementedError(f"Cannot save model '{model.name}' whole: {exc}. Use "
                                  "model.save_weights() instead, or implement get_config().") from exc
    config = _keras_form(config)
    shape = _common.json_shape(_common.known_input_shape(model))
    if shape is not None:
        config["build_config"] = {"input_shape": shape}
    training = model_io._training_config(model)
    if training is not None:
        compile_config = {k: v for k, v in training.items() if k != "optimizer_config"}
        compile_config["optimizer"] = dict(training["optimizer_config"], module="keras.optimizers")
        opt_config = compile_config["optimizer"].get("config")
        if isinstance(opt_config, dict) and opt_config.get("decay") == 0:  # Keras 3 warns on any decay
            compile_config["optimizer"]["config"] = {k: v for k, v in opt_config.items() if k != "decay"}
        for key, module in (("loss", "keras.losses"), ("metrics", "keras.metrics"),
                            ("weighted_metrics", "keras.metrics")):
            if key in compile_config:
                compile_config[key] = _with_module(compile_config[key], module)
        config["compile_config"] = compile_config
    config_json = model_io._dumps(config, "config")
    optimizer = getattr(model, "optimizer", None) if include_optimizer and training is not None else None
    opt_state = optimizer.state_dict() if optimizer is not None else None
    metadata = json.dumps({"keras_version": _common.kerasish_version(), "kerasish_version":
                           _common.kerasish_version(),
                           "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")})

    def write_weights(f):
        keras3_weights.write_weights(f, model)
        if optimizer is not None:
            keras_optimizer_state.write_state(f, model)

    weights = _h5_bytes(write_weights)
    opt_bytes = None if opt_state is None else _h5_bytes(
        lambda f: state_tree.write_tree(f, opt_state, "optimizer state"))
    with atomic_write(path, overwrite=overwrite) as tmp:
        with zipfile.ZipFile(tmp, "w") as zf:
            zf.writestr(_METADATA, metadata)
            zf.writestr(_CONFIG, config_json)
            zf.writestr(_WEIGHTS, weights, compress_type=zipfile.ZIP_STORED)
            if opt_bytes is not None:
                zf.writestr(_OPTIMIZER, opt_bytes, compress_type=zipfile.ZIP_STORED)


def _check_names(zf, path):
    for name in zf.namelist():
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or ".." in parts or ":" in parts[0]:
            raise ValueError(f"'{path}' holds an unsafe entry name {name!r} (absolute or '..' path); "
                             "refusing to load it")


def _read(zf, path, name, limit, required=True):
    """The bytes of entry `name` (exact name), at most `limit` bytes; None if absent and optional."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        if not required:
            return None
        raise ValueError(f"'{path}' is not a valid '.keras' file: it has no '{name}' "
                         f"(entries: {zf.namelist()[:10]})") from None
    if info.file_size > limit:
        raise ValueError(f"'{path}': entry '{name}' claims {info.file_size} bytes, over the "
                         f"{limit}-byte limit (damaged or crafted file?)")
    with zf.open(info) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit or len(data) != info.file_size:
        raise OSError(f"'{path}': entry '{name}' does not have the size it declares (damaged file?)")
    return data


def _json(zf, path, name, required=True):
    data = _read(zf, path, name, _JSON_LIMIT, required)
    if data is None:
        return None
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"'{path}': '{name}' is not valid JSON (damaged file?): {exc}") from None
    if not isinstance(value, dict):
        raise ValueError(f"'{path}': '{name}' must hold a JSON object, got {type(value).__name__}")
    return value


def _open_h5(data, path, name):
    import h5py
    try:
        return h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise OSError(f"'{path}': entry '{name}' is not a readable HDF5 file (damaged?): {exc}") from None


def load_model(path, custom_objects=None, compile=True):
    """Loads a '.keras' archive written by kerasish or Keras 3 (see `model_io.load_model`)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    try:
        zf = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise OSError(f"'{path}' is not a valid '.keras' file (not a zip archive, or damaged): "
                      f"{exc}") from None
    with zf:
        try:
            return _load_open(zf, path, custom_objects, compile)
        except (zipfile.BadZipFile, EOFError, KeyError, RuntimeError) as exc:
            raise OSError(f"Could not read the model in '{path}' (damaged file?): {exc!r}") from exc


def _load_open(zf, path, custom_objects, compile):
    from kerasish.saving import model_io
    _check_names(zf, path)
    metadata = _json(zf, path, _METADATA, required=False) or {}
    config = _json(zf, path, _CONFIG)
    from_keras = "kerasish_version" not in metadata
    if not from_keras and isinstance(config.get("config"), dict) and "input_layers" in config["config"]:
        config = keras_config.convert(config, custom_objects)  # graph tensors are in Keras's form
    compile_config = config.get("compile_config")
    shape = (config.get("build_config") or {}).get("input_shape") if isinstance(
        config.get("build_config"), dict) else None
    shape = shape or keras_config.input_shape_from_config(config)
    weights = _read(zf, path, _WEIGHTS, _H5_LIMIT)
    opt_bytes = None if from_keras else _read(zf, path, _OPTIMIZER, _H5_LIMIT, required=False)
    with serialization.custom_object_scope(custom_objects):
        model = model_io._model_from_config(config, path, custom_objects, from_keras)
        _common.ensure_built(model, path, shape)
        with _open_h5(weights, path, _WEIGHTS) as f:
            plan = _common.LoadPlan(path, model)
            keras3_weights.plan_weights(f, model, plan)
            plan.execute()
            has_keras_optimizer = "optimizer" in f
        if compile and isinstance(compile_config, dict):
            training = {k: v for k, v in compile_config.items() if k != "optimizer"}
            training["optimizer_config"] = compile_config.get("optimizer")
            if not from_keras and isinstance(training["optimizer_config"], dict):
                training["optimizer_config"] = {k: v for k, v in training["optimizer_config"].items()
                                                if k != "module"}
            model_io._compile(model, training, custom_objects, from_keras)
            if opt_bytes is not None:
                with _open_h5(opt_bytes, path, _OPTIMIZER) as f:
                    model_io._restore_optimizer(model, f, path)
            elif from_keras and has_keras_optimizer:
                keras_optimizer_state.restore_from_zip(model, weights, path, compile_config.get("optimizer"))
    return model

