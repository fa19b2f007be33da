"""`save_weights` / `load_weights`: HDF5 weights in Keras's legacy ('.h5') or Keras 3
('.weights.h5') layout, written atomically, loaded all-or-nothing."""
import json
import os

from kerasish.saving import _common, h5_weights, keras3_weights
from kerasish.saving.atomic import atomic_write

_SUFFIXES = (".weights.h5", ".h5", ".hdf5", ".keras.h5")


def _check_model(model, what):
    from kerasish.layers.base import Layer
    if not isinstance(model, Layer):
        raise TypeError(f"{what} expects a kerasish Model or Layer, got {type(model).__name__}")


def save_weights(model, filepath, overwrite=True, save_format=None, options=None):
    """Saves all weights of `model` to an HDF5 file, atomically.

    A name ending in '.weights.h5' gets Keras 3's layout; '.h5' / '.hdf5' get Keras's
    legacy layout. Both load in Keras (for an equivalent model) and in kerasish.

    Args:
        model: a built Model (or Layer).
        filepath: destination path.
        overwrite: if False, an existing file raises FileExistsError.
        save_format: None (from the name) or 'h5' (legacy layout whatever the name, as Keras 2).
        options: accepted for Keras 2 compatibility and ignored.

    Example:
        >>> save_weights(model, 'mlp.weights.h5'); load_weights(model, 'mlp.weights.h5')
    """
    import h5py
    _check_model(model, "save_weights")
    path = os.fspath(filepath)
    fmt = _common.check_save_format(save_format, "save_weights", valid=("h5",))
    if fmt is None and not path.endswith(_SUFFIXES):
        raise ValueError(f"Weights file names must end in '.weights.h5' (Keras 3 layout) or '.h5' / "
                         f"'.hdf5' (legacy Keras layout), got '{path}'")
    if not model.weights and _common.unbuilt_layers(model):
        raise ValueError(f"Model '{model.name}' has no weights yet: call it on a batch of data or "
                         "build it before save_weights")
    with atomic_write(path, overwrite=overwrite) as tmp:
        with h5py.File(tmp, "w") as f:
            if fmt is None and path.endswith(".weights.h5"):
                keras3_weights.write_weights(f, model)
                shape = _common.json_shape(_common.known_input_shape(model))
                if shape is not None:
                    f.attrs["build_input_shape"] = json.dumps(shape)
            else:
                h5_weights.write_weights_group(f, model, path)


def load_weights(model, filepath, by_name=False, skip_mismatch=False):
    """Loads weights saved by `save_weights`, `save_model` or Keras (2 or 3) into `model`.

    The layout is found from the file's content, not its name. Layers are matched by order
    of the layers that have weights (Keras's rule), or by layer name with `by_name=True`.
    Every layer count, shape and dtype is checked before any weight changes; on a mismatch
    nothing changes and the ValueError lists every problem. An unbuilt model is built first
    from the input shape the file or the model records, if any.

    Args:
        model: the Model (or Layer) to load into.
        filepath: an HDF5 file.
        by_name: match layers by name; layers absent from the file keep their weights.
        skip_mismatch: skip (with a warning) layers whose weights do not fit, instead of raising.

    Returns:
        The number of arrays assigned.

    Raises:
        FileNotFoundError / OSError: missing, empty, damaged or non-HDF5 file (named).
        ValueError: mismatches (all listed), unbuilt model, or a file with no weights.
    """
    _check_model(model, "load_weights")
    path = os.fspath(filepath)
    with _common.open_h5(path) as f:
        try:
            return _load_open(model, f, path, by_name, skip_mismatch)
        except (KeyError, RuntimeError) as exc:
            raise OSError(f"Could not read weights from '{path}' (damaged file?); nothing was "
                          f"changed: {exc}") from exc


def _load_open(model, f, path, by_name, skip_mismatch):
    if h5_weights.is_legacy_group(f):
        group = f
    elif "model_weights" in f and h5_weights.is_legacy_group(f["model_weights"]):
        group = f["model_weights"]
    elif keras3_weights.is_keras3_file(f):
        group = None
    else:
        raise ValueError(f"'{path}' is an HDF5 file but holds no Keras or kerasish weights "
                         f"(top-level keys: {sorted(f.keys())[:10]})")
    shape = _common.read_json_attr(group if group is not None else f, "build_input_shape")
    if shape is None and "model_config" in f.attrs:
        from kerasish.saving import keras_config
        shape = keras_config.input_shape_from_config(_common.read_json_attr(f, "model_config"))
    _common.ensure_built(model, path, shape)
    plan = _common.LoadPlan(path, model)
    if group is not None:
        h5_weights.plan_weights_group(group, model, plan, by_name, skip_mismatch)
    else:
        keras3_weights.plan_weights(f, model, plan, by_name, skip_mismatch)
    return plan.execute()
