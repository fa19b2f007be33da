"""Optimizer base: parameters, learning rate (float or schedule), clipping, weight decay, state.

One `step()` follows Keras 3's `apply_gradients`: gradients are clipped (`clipnorm` per
variable, or `global_clipnorm`, or `clipvalue`; only one may be set), decoupled weight decay
`p -= lr * weight_decay * p` is applied, then each subclass's update rule, all with the
learning rate evaluated at `iterations` (the number of earlier steps); then `iterations += 1`.

Parameters are updated in place (their `.data` arrays keep their identity) and gradients
are only read, never written. Per-parameter state ("slots", e.g. Adam's moments) is made
lazily at the first step, on the parameter's device and dtype.

Writing a new optimizer: set `_default_lr`, give `_slot_names()` and
`_update(p, g, slots, lr)` (in-place on `p`, the raw parameter array; `g` is read-only),
and add the hyper-parameters to `get_config()`.
"""
import inspect
import math
import re

import numpy as np

from kerasish import backend
from kerasish.optimizers import schedules
from kerasish.tensor import Tensor


def _check_nonneg(owner, name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, str)) or getattr(value, "size", 1) != 1:
        raise TypeError(f"{owner}: `{name}` must be a number, got {value!r}")
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: `{name}` must be a number, got {value!r}") from None
    if not value >= 0 or math.isinf(value):
        raise ValueError(f"{owner}: `{name}` must be a finite number >= 0, got {value}")
    return value


def _check_unit(owner, name, value, closed_right=True):
    value = _check_nonneg(owner, name, value)
    if value > 1 or (value == 1 and not closed_right):
        bound = "]" if closed_right else ")"
        raise ValueError(f"{owner}: `{name}` must be in [0, 1{bound}, got {value}")
    return value


def _as_param_list(params, owner):
    """A list of distinct Tensors from a list, generator, Tensor, layer/model or `parameters` method."""
    if isinstance(params, Tensor):
        return [params]
    if not hasattr(params, "__iter__") and hasattr(params, "parameters"):  # a layer or model
        params = params.parameters
    if inspect.ismethod(params) or inspect.isfunction(params):  # torch-style `model.parameters`
        params = params()
    if isinstance(params, dict):
        params = params.values()
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{owner}: `params` (the first argument) must be a list of Tensors, got "
                        f"{type(params).__name__}; give the learning rate as lr=...") from None
    out, seen = [], set()
    for i, p in enumerate(params):
        if isinstance(p, dict):
            raise TypeError(f"{owner}: parameter groups (dicts) are not supported; pass a flat list "
                            "of Tensors and use one optimizer per group")
        if not isinstance(p, Tensor):
            raise TypeError(f"{owner}: params[{i}] is a {type(p).__name__}, expected a kerasish Tensor")
        if id(p) not in seen:  # a shared weight listed twice is updated once
            seen.add(id(p))
            out.append(p)
    return out


def _is_learning_rate(value):
    """True for a number or schedule given where the parameter list goes (Keras's `Adam(1e-3)`)."""
    return (isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)) \
        or isinstance(value, schedules.LearningRateSchedule)


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: the Tensors to update (a list, a generator or `model.parameters`); may be
            given later with `set_parameters(params)` (as `compile(optimizer=Adam())` does).
            A number or schedule here is taken as the learning rate, as Keras's `Adam(1e-3)`.
        lr: the learning rate: a float, a `LearningRateSchedule` (evaluated at
            `iterations`) or a callable with no arguments. `learning_rate=` is the same.
        decay: the seed's decay: each `decay_lr()` call sets
            `lr = initial_lr / (1 + decay * t)`, t = number of `decay_lr()` calls so far.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: scale all gradients together so their joint L2 norm is at most this.
        weight_decay: decoupled weight decay, `p -= lr * weight_decay * p` before each update.
        name: a name for the optimizer.
    """

    _default_lr = 0.01

    def __init__(self, params=None, lr=0.01, learning_rate=None, decay=0.0, clipnorm=None,
                 clipvalue=None, global_clipnorm=None, weight_decay=None, name=None):
        owner = type(self).__name__
        if _is_learning_rate(params):  # Keras's positional form: Adam(1e-3), SGD(schedule)
            if learning_rate is not None or (lr is not None and lr != self._default_lr):
                raise ValueError(f"{owner}: the first argument {params!r} is a learning rate, but lr= or "
                                 "learning_rate= is given too; pass the parameters first, or only one "
                                 "learning rate (other options by keyword, e.g. momentum=0.9)")
            params, lr = None, params
        if learning_rate is not None:
            if lr is not None and lr != self._default_lr and lr != learning_rate:
                raise ValueError(f"{owner}: got lr={lr!r} and learning_rate={learning_rate!r}; "
                                 "pass only one (they are the same argument)")
            lr = learning_rate
        if lr is None:
            lr = self._default_lr
        self.decay = _check_nonneg(owner, "decay", decay)
        self._decay_count = 0
        self.iterations = 0
        self._set_lr(lr)
        clip = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(v is not None for v in clip.values()) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                             f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                             f"global_clipnorm={global_clipnorm}")
        for key, value in clip.items():
            if value is not None and _check_nonneg(owner, key, value) == 0:
                raise ValueError(f"{owner}: `{key}` must be > 0 (or None for no clipping), got {value}")
        self.clipnorm = None if clipnorm is None else float(clipnorm)
        self.clipvalue = None if clipvalue is None else float(clipvalue)
        self.global_clipnorm = None if global_clipnorm is None else float(global_clipnorm)
        self.weight_decay = _check_nonneg(owner, "weight_decay", weight_decay, allow_none=True)
        self._wd_exclude_ids = set()
        self._wd_exclude_names = []
        self.name = name if name is not None else owner.lower()
        self._params = None
        self._slots = []
        self._pending_state = None
        if params is not None:
            self.set_parameters(params)

    # --- parameters ---------------------------------------------------------------------
    @property
    def params(self):
        """The parameter list (empty before `set_parameters`)."""
        return list(self._params or [])

    def set_parameters(self, params):
        """Sets the Tensors to update; keeps the state of parameters that were already known."""
        params = _as_param_list(params, type(self).__name__)
        old = {id(p): s for p, s in zip(self._params or [], self._slots)}
        self._params = params
        self._slots = [old.get(id(p)) for p in params]
        if self._pending_state is not None:
            state, self._pending_state = self._pending_state, None
            self.load_state_dict(state)
        return self

    def build(self, params):
        """Keras's name for `set_parameters`."""
        return self.set_parameters(params)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Exempts Tensors (by identity, or by regex on their `.name`) from weight decay."""
        self._wd_exclude_ids.update(id(p) for p in (var_list or []))
        self._wd_exclude_names.extend(var_names or [])

    def _use_weight_decay(self, p):
        if id(p) in self._wd_exclude_ids:
            return False
        name = getattr(p, "name", None)
        return not (name and any(re.search(pat, name) for pat in self._wd_exclude_names))

    # --- learning rate ------------------------------------------------------------------
    def _set_lr(self, value):
        if isinstance(value, schedules.LearningRateSchedule) or (
                callable(value) and not isinstance(value, (int, float, np.number))):
            self._lr = value
            return
        value = _check_nonneg(type(self).__name__, "learning_rate", value)
        # Keep the decay_lr() formula consistent: the current rate becomes `value`.
        self._lr = value * (1.0 + self.decay * self._decay_count)

    def current_lr(self):
        """The learning rate the next `step()` uses (a schedule is evaluated at `iterations`)."""
        base = self._lr
        if type(base) is not float:
            base = float(base(self.iterations) if isinstance(base, schedules.LearningRateSchedule)
                         else base())
        if self._decay_count and self.decay:
            base /= 1.0 + self.decay * self._decay_count
        return base

    @property
    def learning_rate(self):
        """The current learning rate (float); set a float or a schedule to replace it."""
        return self.current_lr()

    @learning_rate.setter
    def learning_rate(self, value):
        self._set_lr(value)

    lr = learning_rate

    @property
    def lr_is_schedule(self):
        """True when the learning rate is a schedule or a callable (evaluated at each step), not a number.

        Callbacks that set the rate (ReduceLROnPlateau, LearningRateScheduler) check it first.
        """
        return type(self._lr) is not float

    def decay_lr(self):
        """Applies the seed's decay once: `lr = initial_lr / (1 + decay * t)`; returns the new lr."""
        self._decay_count += 1
        return self.current_lr()

    # --- the update ---------------------------------------------------------------------
    def zero_grad(self):
        """Sets every parameter's gradient to None (zeros on next read)."""
        for p in self._params or ():
            p.zero_grad()

    def step(self):
        """Applies one update to every parameter that requires grad and has a gradient."""
        if self._params is None:
            raise RuntimeError(f"{type(self).__name__} has no parameters: pass them to the constructor "
                               "or call optimizer.set_parameters(model.parameters) first")
        items = [(i, p, p._grad) for i, p in enumerate(self._params)
                 if p._grad is not None and p.requires_grad]
        self._apply(items)

    def apply_gradients(self, grads_and_vars):
        """Keras-style update from `(gradient, Tensor)` pairs; the Tensors' `.grad` are not used."""
        pairs = [(g.data if isinstance(g, Tensor) else g, p) for g, p in grads_and_vars]
        if self._params is None:
            self.set_parameters([p for _, p in pairs])
        index = {id(p): i for i, p in enumerate(self._params)}
        items = []
        for g, p in pairs:
            if id(p) not in index:
                raise ValueError(f"{type(self).__name__}.apply_gradients: a variable of shape "
                                 f"{p.shape} is not among this optimizer's parameters")
            if g is not None:
                items.append((index[id(p)], p, g))
        self._apply(items)

    def apply(self, grads, trainable_variables=None):
        """Keras 3's update: `apply(grads, trainable_variables)`; without variables, the
        gradients go to this optimizer's parameters in order."""
        grads = list(grads)
        if trainable_variables is None:
            if self._params is None or len(grads) != len(self._params):
                n = "no" if self._params is None else len(self._params)
                raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for {n} "
                                 "parameters; pass trainable_variables= as well")
            trainable_variables = self._params
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(f"{type(self).__name__}.apply: got {len(grads)} gradients for "
                             f"{len(trainable_variables)} variables")
        self.apply_gradients(zip(grads, trainable_variables))

    def _apply(self, items):
        device = items[0][1].device if items else "cpu"
        if device == "cpu":
            self._apply_on_device(items)
        else:
            with backend.device_scope(device):
                self._apply_on_device(items)

    def _apply_on_device(self, items):
        lr = self.current_lr()
        if items:
            items = self._clip(items)
        self._before_update()
        wd = self.weight_decay
        for i, p, g in items:
            data = p.data
            if g.shape != data.shape:
                raise ValueError(f"{type(self).__name__}: gradient of shape {g.shape} does not match "
                                 f"parameter {i} of shape {data.shape}")
            if g.dtype != data.dtype:
                g = g.astype(data.dtype)
            slots = self._slots[i]
            if slots is None or (slots and type(next(iter(slots.values()))) is not type(data)):
                slots = self._slots[i] = self._make_slots(data, slots)
            if data.ndim == 0:  # ufuncs with out= need arrays: update 1-element views of a scalar
                data, g, slots = data.reshape(1), g.reshape(1), {k: v.reshape(1) for k, v in slots.items()}
            if wd and self._use_weight_decay(p):
                data *= 1.0 - lr * wd
            self._update(data, g, slots, lr)
            p._mark_written()  # a backward through a graph that saved p now raises
        self.iterations += 1

    def _clip(self, items):
        if self.clipnorm is not None:
            return [(i, p, _scale_to_norm(g, _sq_norm(g), self.clipnorm)) for i, p, g in items]
        if self.global_clipnorm is not None:
            total = sum(_sq_norm(g) for _, _, g in items)
            return [(i, p, _scale_to_norm(g, total, self.global_clipnorm)) for i, p, g in items]
        if self.clipvalue is not None:
            c = self.clipvalue
            return [(i, p, backend.get_array_module(g).clip(g, -c, c)) for i, p, g in items]
        return items

    def _make_slots(self, data, old=None):
        if old:  # the parameter moved device: move its state along
            device = backend.device_of(data)
            return {k: backend.to_device(v, device) for k, v in old.items()}
        xp = backend.get_array_module(data)
        return {name: xp.zeros_like(data) for name in self._slot_names()}

    def _slot_names(self):
        """Names of the per-parameter state arrays (in `state_dict()['slots'][i]`)."""
        return ()

    def _before_update(self):
        """Hook run once per step before the per-parameter updates (Nadam's momentum product)."""

    def _update(self, p, g, slots, lr):
        raise NotImplementedError(f"{type(self).__name__} must implement _update(p, g, slots, lr)")

    # --- state --------------------------------------------------------------------------
    def _extra_state(self):
        """Optimizer-wide state beyond iterations and lr (a dict of floats)."""
        return {}

    def _load_extra_state(self, state):
        pass

    def state_dict(self):
        """Step counters, learning rate and per-parameter slots (numpy arrays keyed by index)."""
        state = {"class_name": type(self).__name__, "iterations": self.iterations,
                 "decay_count": self._decay_count,
                 "num_params": len(self._params) if self._params is not None else 0,
                 "slots": {i: {k: np.array(backend.to_numpy(v)) for k, v in s.items()}
                           for i, s in enumerate(self._slots) if s}}
        if type(self._lr) is float:
            state["learning_rate"] = self.current_lr()
            state["initial_learning_rate"] = self._lr
        state.update(self._extra_state())
        return state

    def load_state_dict(self, state):
        """Restores `state_dict()`'s output; checks everything first and changes nothing on a mismatch.

        Before parameters are set, the state is checked as far as possible and applied at
        `set_parameters()`.
        """
        owner = type(self).__name__
        if not isinstance(state, dict) or "iterations" not in state or "slots" not in state:
            raise ValueError(f"{owner}.load_state_dict expects a dict from state_dict() with "
                             f"'iterations' and 'slots', got {type(state).__name__}")
        if state.get("class_name", owner) != owner:
            raise ValueError(f"{owner}.load_state_dict: the state was saved by {state['class_name']}")
        n = int(state.get("num_params", 0))
        if self._params is not None and n != len(self._params) and (n or state["slots"]):
            raise ValueError(f"{owner}.load_state_dict: the state is for {n} parameters, this "
                             f"optimizer has {len(self._params)}")
        names = set(self._slot_names())
        slots, errors = {}, []
        errors += [f"missing key {k!r}" for k in self._extra_state() if k not in state]
        for key, entry in dict(state["slots"]).items():
            try:
                i = int(key)
            except (TypeError, ValueError):
                raise ValueError(f"{owner}.load_state_dict: slot key {key!r} is not a parameter index") from None
            if not isinstance(entry, dict) or set(entry) != names:
                got = sorted(entry) if isinstance(entry, dict) else type(entry).__name__
                errors.append(f"param {i}: slots {got}, expected {sorted(names)}")
                continue
            if self._params is not None:
                if not 0 <= i < len(self._params):
                    errors.append(f"param {i}: index out of range (0..{len(self._params) - 1})")
                    continue
                shape = self._params[i].shape
                for k, v in entry.items():
                    if tuple(np.shape(v)) != shape:
                        errors.append(f"param {i} slot {k!r}: shape {tuple(np.shape(v))}, expected {shape}")
            slots[i] = entry
        if errors:
            raise ValueError(f"{owner}.load_state_dict: state does not match; nothing was loaded:\n  "
                             + "\n  ".join(errors))
        if self._params is None:
            self._pending_state = state
            return
        new_slots = [None] * len(self._params)
        for i, entry in slots.items():
            data = self._params[i].data
            device = backend.device_of(data)
            new_slots[i] = {k: backend.to_device(np.array(backend.to_numpy(v), dtype=data.dtype), device)
                            for k, v in entry.items()}
        self._slots = new_slots
        self.iterations = int(state["iterations"])
        self._decay_count = int(state.get("decay_count", 0))
        if "initial_learning_rate" in state:
            self._lr = float(state["initial_learning_rate"])
        self._load_extra_state(state)

    def set_device(self, device):
        """Moves the optimizer's state arrays to `device` ('cpu', 'cuda', 'cuda:N')."""
        device = backend.parse_device(device)
        self._slots = [None if s is None else {k: backend.to_device(v, device) for k, v in s.items()}
                       for s in self._slots]
        return self

    # --- config -------------------------------------------------------------------------
    def get_config(self):
        """Hyper-parameters as a JSON-friendly dict (a schedule is serialized)."""
        lr = self._lr
        if isinstance(lr, schedules.LearningRateSchedule):
            lr = schedules.serialize(lr)
        elif type(lr) is not float:
            raise TypeError(f"{type(self).__name__}.get_config: a learning rate given as a plain "
                            "callable cannot be serialized; use a LearningRateSchedule")
        else:
            lr = self.current_lr()
        return {"name": self.name, "learning_rate": lr, "decay": self.decay,
                "clipnorm": self.clipnorm, "clipvalue": self.clipvalue,
                "global_clipnorm": self.global_clipnorm, "weight_decay": self.weight_decay}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        """Builds an optimizer (without parameters) from `get_config()`'s dict."""
        config = dict(config)
        lr = config.get("learning_rate")
        if isinstance(lr, dict):
            config["learning_rate"] = schedules.deserialize(lr, custom_objects)
        return cls(**config)

    def __repr__(self):
        n = "unset" if self._params is None else len(self._params)
        return f"<{type(self).__name__} name={self.name!r} lr={self.current_lr():g} params={n}>"


def _sq_norm(g):
    flat = g.ravel()
    return backend.get_array_module(g).vdot(flat, flat)


def _scale_to_norm(g, sq_norm, clip):
    """g * clip / max(||g||, clip): unchanged when the norm is within `clip` (Keras's rule)."""
    xp = backend.get_array_module(g)
    scale = clip / xp.maximum(xp.sqrt(sq_norm), clip)
    return g * scale.astype(g.dtype)
