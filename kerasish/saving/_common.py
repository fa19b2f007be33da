"""Shared pieces of the HDF5 readers and writers: opening, string attributes, the layer tree,
validation reports and the all-or-nothing assignment."""
import json
import os
import warnings

import numpy as np

from kerasish import backend

# HDF5 object headers hold at most 64 KiB; longer attribute lists are split (Keras does too).
_HEADER_LIMIT = 64512


def open_h5(path):
    """Opens an HDF5 file for reading; a missing, empty, damaged or non-HDF5 file raises
    FileNotFoundError / OSError naming it."""
    import h5py
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'")
    if os.path.isdir(path):
        raise IsADirectoryError(f"'{path}' is a directory, not an HDF5 file")
    if os.path.getsize(path) == 0:
        raise OSError(f"'{path}' is empty: not an HDF5 file (an interrupted copy or download?)")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise OSError(f"'{path}' is not a readable HDF5 file (truncated, damaged or another "
                      f"format): {exc}") from exc


def to_str(value):
    """bytes / numpy bytes / str -> str."""
    return value.decode("utf8") if isinstance(value, (bytes, np.bytes_)) else str(value)


def read_str_list(group, name):
    """A list-of-strings attribute, also when split into `name0`, `name1`, ... chunks."""
    if name in group.attrs:
        return [to_str(v) for v in np.atleast_1d(group.attrs[name])]
    out, chunk = [], 0
    while f"{name}{chunk}" in group.attrs:
        out.extend(to_str(v) for v in np.atleast_1d(group.attrs[f"{name}{chunk}"]))
        chunk += 1
    return out


def write_str_list(group, name, values):
    """Writes a list of strings as a fixed-length bytes attribute (Keras's encoding)."""
    data = np.array([v.encode("utf8") for v in values], dtype=bytes if values else "S1")
    chunks = max(1, -(-data.nbytes // _HEADER_LIMIT))
    if chunks == 1:
        group.attrs[name] = data
        return
    for i, part in enumerate(np.array_split(data, chunks)):
        group.attrs[f"{name}{i}"] = part


def read_json_attr(group, name):
    """A JSON attribute as Python data, or None when absent."""
    if name not in group.attrs:
        return None
    raw = group.attrs[name]
    try:
        return json.loads(to_str(raw))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"'{group.file.filename}': attribute '{name}' of '{group.name}' is not valid "
                         f"JSON (damaged or crafted file?): {exc}") from None


def kerasish_version():
    """The installed kerasish version string (written into saved files)."""
    from kerasish import __version__
    return __version__


# --- the layer tree -------------------------------------------------------------------------
def top_units(model):
    """The model's direct sub-layers, the units of Keras's legacy layout (in order)."""
    return list(model.layers)


def ordered_weights(layer, own_only=False):
    """(dotted name, Tensor) pairs, trainable first then non-trainable (Keras's order).

    `own_only` takes the layer's own weights (not its sub-layers'), trainable meaning
    created with `trainable=True`, as Keras 3's variable lists.
    """
    if own_only:
        items = list(layer._weights.items())
        flags = [n in layer._trainable_names for n, _ in items]
    else:
        named = layer._named_weights()
        items = [(n, w) for n, w, _ in named]
        flags = [t for _, _, t in named]
    return ([it for it, t in zip(items, flags) if t] + [it for it, t in zip(items, flags) if not t])


def is_graph_model(model):
    """True for Sequential and functional models (Keras stores their layers as a 'layers' list)."""
    names = {c.__name__ for c in type(model).__mro__}
    if names & {"Sequential", "Functional"}:
        return True
    return bool(getattr(model, "_is_graph_network", False))


def check_unit_names(units, path):
    """Unit names become HDF5 group names: they must be unique and free of '/'."""
    seen, dupes = set(), set()
    for u in units:
        if "/" in u.name:
            raise ValueError(f"Cannot save '{path}': layer name '{u.name}' contains '/'")
        (dupes if u.name in seen else seen).add(u.name)
    if dupes:
        raise ValueError(f"Cannot save '{path}': layer names must be unique, repeated: {sorted(dupes)}")


# --- validation and assignment -----------------------------------------------------------------
def describe_shape(shape):
    """A shape as Python prints a tuple: (3,) or (2, 3)."""
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def compare(layer_label, weight_label, tensor, dataset, problems):
    """Appends a problem if the file's array does not fit the weight (shape, or dtype kind)."""
    shape = tuple(dataset.shape)
    if shape != tuple(tensor.shape):
        problems.append(f"Shape mismatch in layer {layer_label} for weight {weight_label}: "
                        f"expected {describe_shape(tensor.shape)}, got {describe_shape(shape)}")
        return
    # Float precision may differ (cast on load, as Keras does); the kind of number may not.
    kind, want = np.dtype(dataset.dtype).kind, np.dtype(tensor.dtype).kind
    if kind != want and not (kind in "iu" and want in "iu"):
        problems.append(f"Dtype mismatch in layer {layer_label} for weight {weight_label}: "
                        f"expected {np.dtype(tensor.dtype).name}, got {np.dtype(dataset.dtype).name}")


class LoadPlan:
    """Collects (Tensor, dataset) pairs and problems, then assigns all or nothing."""

    def __init__(self, path, model):
        self.path, self.model = os.fspath(path), model
        self.pairs, self.problems = [], []

    def add_layer(self, pairs, problems, skip_mismatch, label):
        """Adds one layer's pairs, or its problems (skipped with a warning if skip_mismatch)."""
        if problems and skip_mismatch:
            warnings.warn(f"Skipping loading weights of layer {label} from '{self.path}':\n  "
                          + "\n  ".join(problems), stacklevel=4)
            return
        self.problems.extend(problems)
        self.pairs.extend(pairs)

    def execute(self):
        """Raises listing every problem, else reads every array then assigns them in place."""
        if self.problems:
            raise ValueError(
                f"Cannot load weights from '{self.path}' into '{self.model.name}'; nothing was "
                f"changed. {len(self.problems)} problem(s):\n  - " + "\n  - ".join(self.problems))
        try:
            values = [np.asarray(ds[()]) for _, ds in self.pairs]
        except (OSError, KeyError, RuntimeError) as exc:
            raise OSError(f"Could not read weights from '{self.path}' (damaged file?); nothing "
                          f"was changed: {exc}") from exc
        for (tensor, _), value in zip(self.pairs, values):
            assign(tensor, value)
        return len(values)


def assign(tensor, value):
    """Copies `value` into the Tensor's existing array (keeps optimizer references valid)."""
    tensor.assign(np.asarray(value))


# --- building an unbuilt model ------------------------------------------------------------------
def walk_layers(layer):
    """The layer and all its sub-layers, depth first, no repeats."""
    return layer.modules()


def unbuilt_layers(model):
    """Sub-layers that have not created their weights yet (layers without a build() of their own,
    such as Flatten, never have weights and do not count)."""
    from kerasish.layers.base import Layer
    return [l for l in walk_layers(model)[1:]
            if not l.built and not l.layers and type(l).build is not Layer.build]


def _spec_shape(spec):
    if isinstance(spec, list):
        return [_spec_shape(s) for s in spec]
    if isinstance(spec, dict):
        return {k: _spec_shape(v) for k, v in spec.items()}
    shape = getattr(spec, "shape", None)
    return None if shape is None else (None,) + tuple(shape)[1:]


def known_input_shape(model):
    """The model's input batch shape (a tuple with None batch, or a list/dict of them), if known."""
    shape = getattr(model, "_build_input_shape", None)
    if shape is not None:
        return shape
    seen = model.__dict__.get("_seen_input_spec")
    if seen is not None:
        return _spec_shape(seen)
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if isinstance(inputs, (list, tuple)) and inputs and all(hasattr(t, "shape") for t in inputs):
        shapes = [tuple(t.shape) for t in inputs]
        return shapes[0] if len(shapes) == 1 else shapes
    if getattr(model, "_input_shape_hint", None) is not None:
        return (None,) + tuple(model._input_shape_hint)
    if is_graph_model(model):
        for layer in model.layers:
            hint = getattr(layer, "_input_shape_hint", None)
            if hint is not None:
                return (None,) + tuple(hint)
            break
    return None


def _is_shape(s):
    return isinstance(s, (list, tuple)) and all(d is None or isinstance(d, (int, np.integer)) for d in s)


def json_shape(shape):
    """A batch shape (or list/dict of them) as JSON-friendly lists."""
    if shape is None or _is_shape(shape):
        return None if shape is None else [None if d is None else int(d) for d in shape]
    if isinstance(shape, dict):
        return {str(k): json_shape(v) for k, v in shape.items()}
    return [json_shape(s) for s in shape]


def build_from_shape(model, shape):
    """Builds every layer: `model.build(shape)` for Models, else one call on zeros (batch of 1)."""
    if getattr(type(model).build, "_lazy_model_build", False):
        model.build(shape if _is_shape(shape) else
                    (shape if isinstance(shape, dict) else [tuple(s) for s in shape]))
        return
    from kerasish._config import no_grad

    def zeros(s):
        if isinstance(s, dict):
            return {k: zeros(v) for k, v in s.items()}
        if not _is_shape(s):
            return [zeros(v) for v in s]
        return np.zeros((1,) + tuple(16 if d is None else int(d) for d in list(s)[1:]),
                        dtype=backend.floatx())

    with no_grad():
        model(zeros(shape), training=False)


def ensure_built(model, path, file_shape=None):
    """Builds an unbuilt model from the file's recorded input shape or the model's own,
    else raises a ValueError saying how to build it."""
    missing = unbuilt_layers(model)
    if not missing:
        return
    shape = file_shape or known_input_shape(model)
    if shape is None:
        raise ValueError(
            f"Cannot load weights from '{path}': model '{model.name}' is not built yet (layers "
            f"{[l.name for l in missing][:5]} have no weights). Build it first: call it on a batch "
            "of data, or call model.build(input_shape), or give its first layer input_shape=...")
    try:
        build_from_shape(model, shape)
    except Exception as exc:
        raise ValueError(f"Could not build model '{model.name}' from input shape {shape} to load "
                         f"'{path}': {exc}. Call the model on a batch of data first.") from exc


def check_save_format(save_format, what, valid=("h5", "keras")):
    """Keras 2's `save_format=` argument: None (from the file name), 'h5', or 'keras'.

    Returns 'h5', 'keras' or None; 'tf' (TensorFlow's SavedModel) and unknown names raise ValueError.
    """
    if save_format is None:
        return None
    fmt = str(save_format).lower()
    fmt = "h5" if fmt in ("h5", "hdf5") else fmt
    if fmt in ("tf", "tensorflow"):
        raise ValueError(f"{what}: save_format={save_format!r} (TensorFlow's SavedModel) is not supported; "
                         f"use save_format='h5' or a file name ending in '.h5'"
                         + (" or '.keras'" if "keras" in valid else ""))
    if fmt not in valid:
        raise ValueError(f"{what}: unknown save_format {save_format!r}; expected one of {list(valid)} or None")
    return fmt
