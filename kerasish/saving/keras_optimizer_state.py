"""Keras 3's optimizer variables ('optimizer/vars' in model.weights.h5) <-> kerasish optimizer state.

Keras 3 numbers an optimizer's variables in creation order:

    0                 iterations (integer scalar)
    1                 learning_rate (float scalar; absent when the rate is a schedule)
    then blocks       one block per `add_optimizer_variables` call; inside a block the slots of
                      the first trainable variable come first (interleaved), e.g. Adam's
                      m0, v0, m1, v1, ...; then Adam's amsgrad block v_hat0, v_hat1, ...
    last              optimizer-wide scalars (Nadam's u_product)

The trainable variables are the model's `trainable_weights`, in order. Reading checks
everything (count, kinds, shapes) before anything is assigned; a mismatch raises
`ValueError` naming why, and the caller keeps a fresh optimizer.
"""
import math
import warnings

import numpy as np

# kerasish class -> the blocks Keras creates, each a tuple of (Keras name, kerasish slot) pairs.
_BLOCKS = {
    "Adam": lambda o: [(("momentum", "m"), ("velocity", "v"))] + (
        [(("velocity_hat", "v_hat"),)] if o.amsgrad else []),
    "SGD": lambda o: [(("momentum", "momentum"),)] if o.momentum > 0 else [],
    "RMSprop": lambda o: [(("velocity", "velocity"),)]
    + ([(("momentum", "momentum"),)] if o.momentum > 0 else [])
    + ([(("average_gradient", "average_gradient"),)] if o.centered else []),
    "Adagrad": lambda o: [(("accumulator", "accumulator"),)],
    "Adamax": lambda o: [(("momentum", "m"), ("norm", "u"))],
    "Nadam": lambda o: [(("momentum", "m"), ("velocity", "v"))],
    "Adadelta": lambda o: [(("accumulated_grad", "accumulated_grad"),
                            ("accumulated_delta_var", "accumulated_delta_var"))],
}
_BLOCKS["AdamW"] = _BLOCKS["Adam"]
# Optimizer-wide float scalars stored after the blocks: kerasish state key per entry.
_TRAILING = {"Nadam": ("u_product",)}
# Keras options that add variables kerasish does not keep: (key, value meaning "off").
_UNSUPPORTED_OPTIONS = (("use_ema", False), ("gradient_accumulation_steps", None))


def supports(optimizer):
    """True if `optimizer`'s state has a known Keras 3 layout (and its slots are the expected ones)."""
    name = type(optimizer).__name__
    if name not in _BLOCKS:
        return False
    mapped = {slot for block in _BLOCKS[name](optimizer) for _, slot in block}
    return mapped == set(optimizer._slot_names())


def _has_lr_variable(optimizer):
    return not optimizer.lr_is_schedule


def _layout(optimizer, params):
    """[(index, kind, detail)] for every Keras variable: kind is 'iterations', 'learning_rate',
    'slot' (detail = (param index, kerasish slot)) or 'extra' (detail = state key)."""
    name = type(optimizer).__name__
    out = [("iterations", None)]
    if _has_lr_variable(optimizer):
        out.append(("learning_rate", None))
    for block in _BLOCKS[name](optimizer):
        out += [("slot", (i, slot)) for i in range(len(params)) for _, slot in block]
    out += [("extra", key) for key in _TRAILING.get(name, ())]
    return out


def _check_options(keras_config):
    config = (keras_config or {}).get("config", keras_config or {})
    if not isinstance(config, dict):
        return
    for key, off in _UNSUPPORTED_OPTIONS:
        if config.get(key, off) not in (off, None, False):
            raise ValueError(f"the Keras optimizer was configured with {key}={config[key]!r}, whose "
                             "variables kerasish does not keep")


def read_state(group, optimizer, params, keras_config=None):
    """Keras 3's 'optimizer/vars' group -> a kerasish `state_dict` for `optimizer`.

    Args:
        group: the h5py group holding datasets '0', '1', ... (Keras's 'optimizer/vars').
        optimizer: the kerasish optimizer the state is for (its class and options decide the layout).
        params: the model's trainable weights, in order (Keras's `trainable_variables`).
        keras_config: the Keras optimizer config from compile_config, if known (checked for
            options such as `use_ema` whose variables kerasish does not keep).

    Returns:
        A dict `optimizer.load_state_dict` accepts.

    Raises:
        ValueError: the layout is unknown or the file's variables do not fit (the message says why).
    """
    name = type(optimizer).__name__
    if not supports(optimizer):
        raise ValueError(f"kerasish does not map Keras's variables for {name} (supported: "
                         f"{sorted(_BLOCKS)})")
    _check_options(keras_config)
    params = list(params)
    layout = _layout(optimizer, params)
    keys = set(group.keys())
    expected = {str(i) for i in range(len(layout))}
    if keys != expected:
        raise ValueError(f"the file has {len(keys)} optimizer variables, a {name} for "
                         f"{len(params)} trainable weights has {len(layout)}")
    state = {"class_name": name, "decay_count": 0, "num_params": len(params), "slots": {}}
    for index, (kind, detail) in enumerate(layout):
        ds = group[str(index)]
        dtype_kind = np.dtype(ds.dtype).kind
        if kind == "slot":
            i, slot = detail
            shape = tuple(params[i].shape)
            if tuple(ds.shape) != shape or dtype_kind != "f":
                raise ValueError(f"optimizer variable {index} (slot {slot!r} of trainable weight {i}) "
                                 f"is {ds.dtype} {tuple(ds.shape)}, expected float {shape}")
            state["slots"].setdefault(i, {})[slot] = np.asarray(ds[()])
            continue
        want = "iu" if kind == "iterations" else "f"
        if ds.shape != () or dtype_kind not in want:
            raise ValueError(f"optimizer variable {index} ({kind if kind != 'extra' else detail}) is "
                             f"{ds.dtype} {tuple(ds.shape)}, expected a scalar "
                             f"{'integer' if want == 'iu' else 'float'}")
        value = ds[()]
        if kind == "iterations":
            if int(value) < 0:
                raise ValueError(f"optimizer variable 0 (iterations) is negative ({int(value)})")
            state["iterations"] = int(value)
        else:
            value = float(value)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"optimizer variable {index} ({kind if kind != 'extra' else detail}) "
                                 f"is {value}, expected a finite number >= 0")
            state["initial_learning_rate" if kind == "learning_rate" else detail] = value
    return state


def restore(model, group, path, keras_config=None, stacklevel=4):
    """Loads Keras's optimizer variables into `model.optimizer`; on any mismatch warns (naming why)
    and leaves the optimizer fresh. Returns True if the state was loaded."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return False
    params = list(model.trainable_weights)
    try:
        state = read_state(group, optimizer, params, keras_config)
        if getattr(optimizer, "_params", None) is None:
            optimizer.set_parameters(params)
        optimizer.load_state_dict(state)  # checks again; changes nothing on failure
    except (ValueError, TypeError, KeyError) as exc:
        warnings.warn(f"The optimizer state in '{path}' (written by Keras) is not loaded: {exc}; "
                      "training continues with a fresh optimizer state", stacklevel=stacklevel)
        return False
    return True


def restore_from_zip(model, weights, path, optimizer_config=None, stacklevel=4):
    """Loads the optimizer variables Keras wrote into a '.keras' file's model.weights.h5.

    Args:
        model: the loaded, compiled model.
        weights: the bytes of the archive's 'model.weights.h5'.
        path: the archive's path (for messages).
        optimizer_config: the Keras optimizer config from 'compile_config', if any.
        stacklevel: passed to the warning.

    Returns:
        True if the state was loaded; otherwise the optimizer stays fresh and a warning says why.
    """
    import io
    import h5py
    with h5py.File(io.BytesIO(weights), "r") as f:
        group = f.get("optimizer/vars") if isinstance(f.get("optimizer"), h5py.Group) else None
        if not isinstance(group, h5py.Group):
            warnings.warn(f"The optimizer state in '{path}' (written by Keras) is not loaded: it has no "
                          "'optimizer/vars' group; training continues with a fresh optimizer state",
                          stacklevel=stacklevel)
            return False
        return restore(model, group, path, optimizer_config if isinstance(optimizer_config, dict) else None,
                       stacklevel=stacklevel + 1)


def write_state(f, model):
    """Writes `model.optimizer`'s state as Keras 3's 'optimizer/vars' into the open h5py file `f`,
    so Keras resumes training with it. Writes nothing (returns False) for optimizers without a
    known layout or before the first training step."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not supports(optimizer) or not optimizer.iterations:
        return False
    params = list(optimizer.params)
    if not params or [id(p) for p in params] != [id(p) for p in model.trainable_weights]:
        return False
    state = optimizer.state_dict()
    slots = state["slots"]
    values = []
    for kind, detail in _layout(optimizer, params):
        if kind == "iterations":
            values.append(np.asarray(optimizer.iterations, dtype="int64"))
        elif kind == "learning_rate":
            values.append(np.asarray(optimizer.current_lr(), dtype="float32"))
        elif kind == "extra":
            values.append(np.asarray(state[detail], dtype="float32"))
        else:
            i, slot = detail
            if i not in slots:  # never updated: the values a first step would start from
                from kerasish import backend
                slots[i] = {k: np.array(backend.to_numpy(v))
                            for k, v in optimizer._make_slots(params[i].data).items()}
            values.append(slots[i][slot])
    group = f.create_group("optimizer/vars")
    for index, value in enumerate(values):
        group.create_dataset(str(index), data=value)
    return True
