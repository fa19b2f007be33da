"""model.summary(): a Keras-like table of layers, output shapes and parameter counts.

Output shapes come from the symbolic graph for functional models and built Sequentials. For a
subclassed model they come from one batch-1 run on zeros shaped like the data it was first
called with (under `no_grad`, inference mode); layers that run in no call show '?'.
"""
import functools

from kerasish._config import no_grad

NOT_BUILT = ("Model '{name}' has not yet been built: build it first by calling build() with an input shape, "
             "by calling it on a batch of data, or by starting it with Input(shape=...)")


def format_shape(struct):
    """'(None, 128)' for a shape; lists and dicts of shapes are shown as such; '?' when unknown."""
    if struct is None:
        return "?"
    if hasattr(struct, "shape") and not isinstance(struct, tuple):
        struct = struct.shape
    if isinstance(struct, tuple) and all(d is None or isinstance(d, int) for d in struct):
        dims = ", ".join("None" if d is None else str(d) for d in struct)
        return f"({dims},)" if len(struct) == 1 else f"({dims})"
    if isinstance(struct, dict):
        return "{" + ", ".join(f"{k!r}: {format_shape(v)}" for k, v in struct.items()) + "}"
    if isinstance(struct, (list, tuple)):
        return "[" + ", ".join(format_shape(v) for v in struct) + "]"
    return "?"


def _symbolic_shapes(struct):
    from kerasish.layers.input import map_structure
    return map_structure(lambda t: t.shape, struct)


def _param_count(layer):
    return int(sum(w.size for w in layer.weights))


def _rows_functional(model):
    per_layer = model._model_nodes()
    rows = []
    for layer in model.layers:
        nodes = per_layer.get(id(layer), [])
        shape = _symbolic_shapes(nodes[0].outputs) if nodes else None
        inbound = []
        for node in nodes:
            for t in node.input_tensors:
                h = t._keras_history
                inbound.append(f"{h.layer.name}[{h.node_index}][{h.tensor_index}]")
        rows.append((layer, shape, inbound))
    return rows


def _rows_sequential(model):
    has_graph = model._ensure_graph()
    return [(layer, _symbolic_shapes(model._chain[i]) if has_graph else None, None)
            for i, layer in enumerate(model._layers.values())]


def _traced_shapes(model):
    """{id(layer): output shape} for the model's direct sub-layers, from one batch-1 run on zeros."""
    from kerasish.models.model import dummy_from_spec
    spec = model.__dict__.get("_seen_input_spec")
    if spec is None:
        return {}
    shapes = {}
    patched = []

    def record(layer, original):
        @functools.wraps(original)
        def forward(*args, **kwargs):
            out = original(*args, **kwargs)
            shapes[id(layer)] = _batchless(out)
            return out
        return forward

    for layer in model.layers:
        if "forward" not in layer.__dict__:
            layer.__dict__["forward"] = record(layer, layer.forward)
            patched.append(layer)
    try:
        with no_grad():
            model(dummy_from_spec(spec), training=False)
    except Exception:  # shapes are a convenience: an unusual forward must not break summary()
        pass
    finally:
        for layer in patched:
            layer.__dict__.pop("forward", None)
    return shapes


def _batchless(out):
    if hasattr(out, "shape") and not isinstance(out, tuple):
        shape = tuple(out.shape)
        return (None,) + shape[1:] if shape else shape
    if isinstance(out, (list, tuple)):
        return [_batchless(v) for v in out]
    if isinstance(out, dict):
        return {k: _batchless(v) for k, v in out.items()}
    return None


def _rows_subclassed(model):
    shapes = _traced_shapes(model)
    return [(layer, shapes.get(id(layer)), None) for layer in model.layers]


def format_summary(model, line_length=None, positions=None, show_trainable=False):
    """The summary table of `model` as a string (see `print_summary`)."""
    from kerasish.models.functional import Functional
    from kerasish.models.sequential import Sequential
    if not model.built and not model.weights:
        raise ValueError(NOT_BUILT.format(name=model.name))
    if isinstance(model, Functional):
        rows = _rows_functional(model)
    elif isinstance(model, Sequential):
        rows = _rows_sequential(model)
    else:
        rows = _rows_subclassed(model)
    connected = isinstance(model, Functional) and any(len(inbound) > 0 for _, _, inbound in rows)
    header = ["Layer (type)", "Output Shape", "Param #"]
    if connected:
        header.append("Connected to")
    if show_trainable:
        header.append("Trainable")
    table = []
    for layer, shape, inbound in rows:
        cells = [f"{layer.name} ({type(layer).__name__})", format_shape(shape), f"{_param_count(layer):,}"]
        if connected:
            cells.append(", ".join(inbound) if inbound else "-")
        if show_trainable:
            cells.append("Y" if layer.trainable else "N")
        table.append(cells)
    widths = [max([len(header[i])] + [len(r[i]) for r in table]) + 3 for i in range(len(header))]
    total_width = sum(widths) + 1
    if positions is not None:
        edges = [int(p * (line_length or total_width)) if p <= 1 else int(p) for p in positions]
        explicit = [b - a for a, b in zip([0] + edges[:-1], edges)]
        widths = [max(w, e) for w, e in zip(widths, explicit + widths[len(explicit):])]
        total_width = sum(widths) + 1
    if line_length is not None and line_length > total_width:
        widths[0] += line_length - total_width
        total_width = line_length

    def line(cells):
        return (" " + "".join(c.ljust(w) for c, w in zip(cells, widths))).rstrip()

    total = sum(w.size for w in model.weights)
    trainable = sum(w.size for w in model.trainable_weights)
    out = [f'Model: "{model.name}"', "_" * total_width, line(header), "=" * total_width]
    out += [line(cells) for cells in table]
    out.append("=" * total_width)
    out += [f"Total params: {total:,}", f"Trainable params: {trainable:,}",
            f"Non-trainable params: {total - trainable:,}", "_" * total_width]
    return "\n".join(out)


def print_summary(model, line_length=None, positions=None, print_fn=None, show_trainable=False):
    """Prints `model`'s summary: one row per layer ('dense (Dense)', '(None, 128)', '100,480'), then
    'Total params: 13,610', 'Trainable params: ...', 'Non-trainable params: ...'.

    Args:
        model: a built model.
        line_length: minimum table width.
        positions: column right edges (fractions of line_length, or absolute positions).
        print_fn: called once with the whole text (default `print`).
        show_trainable: adds a 'Trainable' column.

    Raises:
        ValueError: the model is not built yet (says how to build it).
    """
    text = format_summary(model, line_length=line_length, positions=positions, show_trainable=show_trainable)
    (print_fn or print)(text)
