"""Keras's legacy HDF5 weights layout ('.h5'), written and read.

    /                       attrs: layer_names, backend, keras_version (+ kerasish_version,
                            build_input_shape when known)
    /<layer name>           attrs: weight_names, e.g. ['dense/kernel:0', 'dense/bias:0']
    /<layer name>/<weight name>     the arrays (a '/' in a weight name nests groups)
    /top_level_model_weights        the model's own weights (Keras 3 writes this group)

One group per direct sub-layer of the model; weights inside in Keras's order (trainable,
then non-trainable). Layouts match Keras: Dense kernel (in, out), Conv2D kernel
(kh, kw, in, out), BatchNormalization gamma, beta, moving_mean, moving_variance.
Whole-model files keep the same layout inside the group 'model_weights'.
"""
import re

from kerasish.saving import _common

TOP_LEVEL = "top_level_model_weights"


def _file_weight_name(layer_name, dotted):
    return f"{layer_name}/{dotted.replace('.', '/')}:0"


def _write_subset(group, layer_name, named):
    names = [_file_weight_name(layer_name, n) for n, _ in named]
    _common.write_str_list(group, "weight_names", names)
    for name, (_, tensor) in zip(names, named):
        group.create_dataset(name, data=tensor.numpy())


def write_weights_group(group, model, path="<file>"):
    """Writes `model`'s weights into an open h5py group in the legacy layout."""
    units = _common.top_units(model)
    _common.check_unit_names(units, path)
    _common.write_str_list(group, "layer_names", [u.name for u in units])
    group.attrs["backend"] = "kerasish"
    group.attrs["keras_version"] = _common.kerasish_version()
    group.attrs["kerasish_version"] = _common.kerasish_version()
    shape = _common.json_shape(_common.known_input_shape(model))
    if shape is not None:
        import json
        group.attrs["build_input_shape"] = json.dumps(shape)
    for unit in units:
        _write_subset(group.create_group(unit.name), unit.name, _common.ordered_weights(unit))
    _write_subset(group.create_group(TOP_LEVEL), model.name, _common.ordered_weights(model, own_only=True))


def is_legacy_group(group):
    """True if the group holds the legacy layout."""
    return "layer_names" in group.attrs or "layer_names0" in group.attrs


def _read_layer(group, name, path):
    """(weight names, datasets) of one layer group of the file."""
    if name not in group:
        raise OSError(f"'{path}' is damaged: it lists layer '{name}' but has no group for it")
    layer_group = group[name]
    names = _common.read_str_list(layer_group, "weight_names")
    missing = [n for n in names if n not in layer_group]
    if missing:
        raise OSError(f"'{path}' is damaged: layer '{name}' lists weights {missing} it does not hold")
    return names, [layer_group[n] for n in names]


def _short(name):
    return re.sub(r":\d+$", "", name)


def _match(expected, file_names):
    """Index into the file's weights for each expected weight: by name when every name matches
    exactly one file weight (files written by kerasish, or by Keras for simple layers),
    else by position (Keras's rule)."""
    shorts = [_short(n) for n in file_names]
    order = list(range(len(expected)))
    if len(expected) != len(file_names):
        return order
    picks = []
    for dotted, _ in expected:
        tail = dotted.replace(".", "/")
        hits = [i for i, s in enumerate(shorts) if s == tail or s.endswith("/" + tail)]
        if len(hits) != 1:
            return order
        picks.append(hits[0])
    return picks if len(set(picks)) == len(picks) else order


def _plan_layer(label, expected, file_names, datasets):
    problems, pairs = [], []
    if len(expected) != len(file_names):
        problems.append(
            f"Weight count mismatch in layer {label}: expected {len(expected)} weights "
            f"{[n for n, _ in expected]}, found {len(file_names)} in the file {file_names}")
        return pairs, problems
    for (dotted, tensor), i in zip(expected, _match(expected, file_names)):
        before = len(problems)
        _common.compare(label, dotted, tensor, datasets[i], problems)
        if len(problems) == before:
            pairs.append((tensor, datasets[i]))
    return pairs, problems


def plan_weights_group(group, model, plan, by_name=False, skip_mismatch=False):
    """Validates the file against the model and adds what to assign to `plan` (a LoadPlan)."""
    path = plan.path
    file_layers = []
    for name in _common.read_str_list(group, "layer_names"):
        names, datasets = _read_layer(group, name, path)
        if names:
            file_layers.append((name, names, datasets))
    units = [u for u in _common.top_units(model) if u.weights]
    if by_name:
        by = {name: (names, ds) for name, names, ds in file_layers}
        matched = [u for u in units if u.name in by]
        if file_layers and units and not matched:
            plan.problems.append(
                f"No layer names in common (by_name=True): the model has {[u.name for u in units]}, "
                f"the file has {[n for n, _, _ in file_layers]}")
        for unit in matched:
            names, datasets = by[unit.name]
            label = f"'{unit.name}'"
            plan.add_layer(*_plan_layer(label, _common.ordered_weights(unit), names, datasets),
                           skip_mismatch, label)
    else:
        if len(file_layers) != len(units):
            plan.problems.append(
                f"Layer count mismatch: model '{model.name}' expected {len(units)} layers with "
                f"weights {[u.name for u in units]}, found {len(file_layers)} in the file "
                f"{[n for n, _, _ in file_layers]}")
        else:
            for k, (unit, (fname, names, datasets)) in enumerate(zip(units, file_layers)):
                label = f"#{k} '{unit.name}'" + (f" (named '{fname}' in the file)" if fname != unit.name else "")
                plan.add_layer(*_plan_layer(label, _common.ordered_weights(unit), names, datasets),
                               skip_mismatch, label)
    own = _common.ordered_weights(model, own_only=True)
    if TOP_LEVEL in group or own:
        names, datasets = _read_layer(group, TOP_LEVEL, path) if TOP_LEVEL in group else ([], [])
        if names or own:
            label = f"'{model.name}' (top-level weights)"
            plan.add_layer(*_plan_layer(label, own, names, datasets), skip_mismatch, label)
