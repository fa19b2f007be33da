"""Keras 3's '.weights.h5' layout, written and read.

    /vars                         the model's own weights, datasets '0', '1', ... (attr name)
    /layers/<key>/vars/<i>        Sequential / functional models: one entry per layer
    /<attribute>/vars/<i>         subclassed models: one entry per sub-layer attribute
    /<attribute>/<key>/vars/<i>   ... lists of layers held in an attribute

`<key>` is the snake-case class name, made unique by order ('dense', 'dense_1', ...),
not the layer's name (Keras's rule: names are not reproducible); each `vars` group carries
the layer's name in its attribute 'name', used by `by_name=True`. Inside a layer its own
weights are numbered in creation order, trainable ones first. The 'optimizer' group Keras
writes for compiled models is ignored when loading.
"""
import re

from kerasish.saving import _common

# kerasish class names Keras spells differently (Keras's name decides the key).
_KERAS_CLASS = {"MaxPool2D": "MaxPooling2D", "AvgPool2D": "AveragePooling2D",
                "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
                "BaseModel": "Model"}


def keras_snake(name):
    """Keras's `to_snake_case` ('Conv2D' -> 'conv2d', 'MaxPooling2D' -> 'max_pooling2d')."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _class_key(layer):
    cls = type(layer).__name__
    return keras_snake(_KERAS_CLASS.get(cls, cls))


def _container(layers, prefix, out, seen):
    used = {}
    for layer in layers:
        key = _class_key(layer)
        if key in used:
            used[key] += 1
            key = f"{key}_{used[key]}"
        else:
            used[key] = 0
        _walk(layer, f"{prefix}/{key}" if prefix else key, out, seen)


def _walk(layer, path, out, seen):
    if id(layer) in seen:
        return
    seen.add(id(layer))
    out.append((path, layer))
    if _common.is_graph_model(layer):
        _container(layer.layers, f"{path}/layers" if path else "layers", out, seen)
        return
    # Group `_layers` keys ('dense', 'blocks.0', 'blocks.1', 'heads.a') by attribute.
    groups = {}
    for key, sub in layer._layers.items():
        attr, _, rest = key.partition(".")
        groups.setdefault(attr, []).append((rest, sub))
    # Keras visits attributes sorted by name, private ones last: the first visit names a layer.
    for attr, items in sorted(groups.items(), key=lambda kv: "~" + kv[0] if kv[0].startswith("_") else kv[0]):
        sub_path = f"{path}/{attr}" if path else attr
        if len(items) == 1 and items[0][0] == "":
            _walk(items[0][1], sub_path, out, seen)
        else:
            _container([sub for _, sub in items], sub_path, out, seen)


def layer_paths(model):
    """(path, layer) for the model and every sub-layer, in Keras 3's naming."""
    out = []
    _walk(model, "", out, set())
    return out


def _vars_path(path):
    return f"{path}/vars" if path else "vars"


def write_weights(f, model):
    """Writes `model`'s weights into an open h5py File in Keras 3's layout."""
    for path, layer in layer_paths(model):
        group = f.create_group(_vars_path(path))
        group.attrs["name"] = layer.name
        for i, (_, tensor) in enumerate(_common.ordered_weights(layer, own_only=True)):
            group.create_dataset(str(i), data=tensor.numpy())


def is_keras3_file(f):
    """True if the file holds Keras 3's layout."""
    import h5py
    return isinstance(f.get("vars"), h5py.Group) or isinstance(f.get("layers"), h5py.Group)


def _file_vars(f):
    """{path: vars group} for every 'vars' group outside the optimizer's."""
    import h5py
    found = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Group) and name.split("/")[-1] == "vars":
            path = name[: -len("vars")].rstrip("/")
            if not path.split("/")[0] == "optimizer":
                found[path] = obj

    if isinstance(f.get("vars"), h5py.Group):
        found[""] = f["vars"]
    f.visititems(visit)
    return found


def _datasets(group, path):
    n = len(group.keys())
    missing = [str(i) for i in range(n) if str(i) not in group]
    if missing:
        raise OSError(f"'{path}' is damaged: '{group.name}' lacks datasets {missing}")
    return [group[str(i)] for i in range(n)]


def plan_weights(f, model, plan, by_name=False, skip_mismatch=False):
    """Validates the file against the model and adds what to assign to `plan` (a LoadPlan)."""
    file_vars = {p: g for p, g in _file_vars(f).items() if len(g.keys())}
    entries = [(p, l, _common.ordered_weights(l, own_only=True)) for p, l in layer_paths(model)]
    entries = [e for e in entries if e[2]]
    if by_name:
        by = {}
        for p, g in file_vars.items():
            by.setdefault(_common.to_str(g.attrs.get("name", p.split("/")[-1])), g)
        matched = [(p, l, w) for p, l, w in entries if l.name in by]
        if file_vars and entries and not matched:
            plan.problems.append(
                f"No layer names in common (by_name=True): the model has "
                f"{[l.name for _, l, _ in entries]}, the file has {sorted(by)}")
        pairs = [(l, w, by[l.name]) for p, l, w in matched]
    else:
        missing = [(p, l) for p, l, _ in entries if p not in file_vars]
        extra = sorted(set(file_vars) - {p for p, _, _ in entries})
        if missing or extra:
            plan.problems.append(
                f"Layer count mismatch: model '{model.name}' expected {len(entries)} layers with "
                f"weights, found {len(file_vars)} in the file"
                + "".join(f"\n    missing in the file: '{p or 'vars'}' (layer '{l.name}')" for p, l in missing)
                + "".join(f"\n    not in the model: '{p or 'vars'}'" for p in extra))
        pairs = [(l, w, file_vars[p]) for p, l, w in entries if p in file_vars]
    for layer, expected, group in pairs:
        label = f"'{layer.name}'"
        datasets = _datasets(group, plan.path)
        problems, layer_pairs = [], []
        if len(datasets) != len(expected):
            problems.append(f"Weight count mismatch in layer {label}: expected {len(expected)} "
                            f"weights {[n for n, _ in expected]}, found {len(datasets)} in the file")
        else:
            for (name, tensor), ds in zip(expected, datasets):
                before = len(problems)
                _common.compare(label, name, tensor, ds, problems)
                if len(problems) == before:
                    layer_pairs.append((tensor, ds))
        plan.add_layer(layer_pairs, problems, skip_mismatch, label)
