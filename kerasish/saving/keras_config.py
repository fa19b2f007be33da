"""Reading model configs written by Keras 2 and 3: input shapes, and Keras's keys and
structures mapped to what kerasish's constructors and `from_config` take.

Only JSON data is handled; classes are looked up by `serialization` (registry or
custom_objects), never imported from the names in a file.
"""
import inspect
import warnings

from kerasish.saving import serialization

_TENSOR_KEY = "__keras_tensor__"
# Keras options kerasish has no argument for, with the values at which dropping them changes nothing.
_HARMLESS = {"groups": 1, "renorm_momentum": 0.99, "ema_momentum": 0.99, "synchronized": False,
             "optional": False, "sparse": False, "ragged": False, "use_ema": False,
             "reduction": "sum_over_batch_size", "amsgrad": False}
# Keras options about how Keras runs, not what it computes: dropped whatever their value.
_IGNORED = {"jit_compile", "is_legacy_optimizer"}
# Keras 2 keys kerasish's classes spell as Keras 3 does.
_RENAMED = {"InputLayer": {"batch_input_shape": "batch_shape"}}
_KERAS_ONLY_NAMES = {"module", "registered_name", "build_config", "compile_config", "shared_object_id"}


def _find_batch_shape(layer_config):
    cfg = layer_config.get("config", {}) if isinstance(layer_config, dict) else {}
    for key in ("batch_shape", "batch_input_shape"):
        if isinstance(cfg, dict) and cfg.get(key) is not None:
            return list(cfg[key])
    return None


def input_shape_from_config(model_config):
    """The batch input shape a Keras/kerasish model config records (first input), or None."""
    if not isinstance(model_config, dict):
        return None
    cfg = model_config.get("config", {})
    if not isinstance(cfg, dict):
        return None
    if cfg.get("build_input_shape") is not None:
        return list(cfg["build_input_shape"])
    layers = cfg.get("layers", []) or []
    if not layers:
        return None
    first = layers[0]  # only the first layer (or InputLayer) defines the model's input
    shape = _find_batch_shape(first)
    if shape is not None:
        return shape
    inner = first.get("config", {}) if isinstance(first, dict) else {}
    if isinstance(inner, dict) and inner.get("input_shape") is not None:
        return [None] + list(inner["input_shape"])
    return None


def _strip(value):
    """Removes Keras-only bookkeeping keys from nested serialized objects; dtype policies -> names."""
    if isinstance(value, list):
        return [_strip(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get("class_name") in ("DTypePolicy", "Policy", "DTypePolicyMap", "FloatDTypePolicy"):
        inner = value.get("config", {})
        return inner.get("name", "float32") if isinstance(inner, dict) else "float32"
    if value.get("class_name") == "__tuple__":
        return [_strip(v) for v in value.get("config", {}).get("value", [])]
    return {k: _strip(v) for k, v in value.items() if k not in _KERAS_ONLY_NAMES}


def _accepted(cls):
    """Keyword names `cls(...)` takes, following **kwargs up the class hierarchy."""
    names = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        try:
            params = inspect.signature(init).parameters.values()
        except (TypeError, ValueError):
            return None
        names.update(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            return names
    return names


def _fit_to_class(cls, class_name, config):
    """Drops the keys kerasish's class does not take, when their value changes nothing."""
    for old, new in _RENAMED.get(class_name, {}).items():
        if old in config and new not in config:
            config = {(new if k == old else k): v for k, v in config.items()}
    accepted = _accepted(cls)
    if accepted is None:
        return config
    out = {}
    for key, value in config.items():
        if key in accepted:
            out[key] = value
        elif value is None or value is False or _HARMLESS.get(key, object()) == value:
            continue
        else:
            name = config.get("name", "?")
            raise ValueError(f"Keras option {key}={value!r} of layer '{name}' ({class_name}) is not "
                             "supported by kerasish")
    return out


def _convert_tensor(item):
    """Keras 3's serialized KerasTensor -> kerasish's {'__keras_tensor__': [layer, node, index]}."""
    if isinstance(item, dict) and item.get("class_name") == _TENSOR_KEY:
        history = item.get("config", {}).get("keras_history")
        return {_TENSOR_KEY: list(history[:3])}
    if isinstance(item, list):
        return [_convert_tensor(v) for v in item]
    if isinstance(item, dict):
        return {k: _convert_tensor(v) for k, v in item.items()}
    return item


def _is_triplet(item):
    return (isinstance(item, list) and len(item) in (3, 4) and isinstance(item[0], str)
            and isinstance(item[1], int) and isinstance(item[2], int))


def _convert_nodes(nodes):
    out = []
    for node in nodes or []:
        if isinstance(node, dict):                       # Keras 3: {'args': [...], 'kwargs': {...}}
            out.append({"args": _convert_tensor(node.get("args", [])),
                        "kwargs": _convert_tensor(node.get("kwargs", {}))})
        elif isinstance(node, list):                     # Keras 2: [[name, node, index, kwargs], ...]
            tensors = [{_TENSOR_KEY: list(t[:3])} for t in node]
            kwargs = node[0][3] if node and len(node[0]) > 3 and isinstance(node[0][3], dict) else {}
            out.append({"args": [tensors[0] if len(tensors) == 1 else tensors], "kwargs": kwargs})
    return out


def _convert_endpoints(item):
    if _is_triplet(item):
        return {_TENSOR_KEY: list(item[:3])}
    if isinstance(item, list):
        converted = [_convert_endpoints(v) for v in item]
        return converted[0] if len(converted) == 1 else converted
    if isinstance(item, dict):
        return {k: _convert_endpoints(v) for k, v in item.items()}
    return item


def convert(serialized, custom_objects=None):
    """A Keras-written `{'class_name', 'config'}` layer/model entry -> kerasish's form."""
    if not isinstance(serialized, dict) or "class_name" not in serialized:
        raise ValueError(f"Expected a serialized layer with 'class_name', got {serialized!r:.200}")
    class_name = serialized["class_name"]
    if not isinstance(class_name, str) or not isinstance(serialized.get("config") or {}, dict):
        raise ValueError(f"A serialized layer needs a string 'class_name' and a dict 'config', got "
                         f"{serialized!r:.200}")
    if class_name == "Model" and isinstance(serialized.get("config"), dict) \
            and "input_layers" in serialized["config"]:
        class_name = "Functional"
    config = _strip(serialized.get("config") or {})
    out = {k: v for k, v in serialized.items() if k not in ("config", "class_name", "module")}
    out["class_name"] = class_name
    if isinstance(config.get("layers"), list):
        config["layers"] = [_convert_entry(e, custom_objects) for e in config["layers"]]
        if "input_layers" in config:
            config["input_layers"] = _convert_endpoints(config["input_layers"])
            config["output_layers"] = _convert_endpoints(config["output_layers"])
            config = {k: v for k, v in config.items() if k in ("name", "trainable", "layers", "input_layers",
                                                                "output_layers")}
        else:
            config = {k: v for k, v in config.items() if k in ("name", "trainable", "dtype", "layers")}
    else:
        cls = serialization._find_class(class_name, serialized.get("registered_name"), custom_objects)
        if cls is not None:
            config = _fit_to_class(cls, class_name, config)
    out["config"] = config
    return out


def _convert_entry(entry, custom_objects):
    converted = convert(entry, custom_objects)
    if "inbound_nodes" in entry:
        converted["inbound_nodes"] = _convert_nodes(entry["inbound_nodes"])
    if "name" in entry:
        converted["name"] = entry["name"]
    return converted


def compile_args(training_config, custom_objects=None):
    """Keras's `training_config` -> keyword arguments for kerasish's `compile` (optimizer object
    included). Unknown entries are left out with a warning."""
    from kerasish import optimizers
    args = {}
    opt = training_config.get("optimizer_config")
    if opt is not None:
        opt = _strip(opt)
        # Keras 2 (TF) writes 'Custom>Adam' for its built-in optimizers.
        opt["class_name"] = str(opt.get("class_name", "")).split(">")[-1]
        cls = (custom_objects or {}).get(opt.get("class_name")) or \
            optimizers._OPTIMIZERS.get(str(opt.get("class_name")).lower())
        if cls is not None:
            opt = {"class_name": opt["class_name"], "config": _fit_optimizer(cls, opt.get("config", {}))}
        args["optimizer"] = optimizers.deserialize(opt, custom_objects)
    for key in ("loss", "metrics", "loss_weights", "weighted_metrics"):
        if training_config.get(key) is not None:
            args[key] = _strip(training_config[key])
    for key in ("metrics", "weighted_metrics"):
        if key in args:
            args[key] = _keras_metrics(args[key])
    return args


def _keras_metrics(spec):
    """Keras 2 nests metrics per output ([[...]]) and wraps names in MeanMetricWrapper."""
    if isinstance(spec, dict) and spec.get("class_name") == "MeanMetricWrapper":
        cfg = spec.get("config", {})
        return cfg.get("name") if cfg.get("name") in ("accuracy", "acc") else cfg.get("fn", cfg.get("name"))
    if isinstance(spec, list):
        if len(spec) == 1 and isinstance(spec[0], list):
            spec = spec[0]
        return [_keras_metrics(v) for v in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _keras_metrics(v) for k, v in spec.items()}
    return spec


def _fit_optimizer(cls, config):
    accepted = _accepted(cls) or set(config)
    dropped = {k: v for k, v in config.items() if k not in accepted and k not in _IGNORED and not (
        v is None or v is False or _HARMLESS.get(k, object()) == v)}
    if dropped:
        warnings.warn(f"Optimizer options {dropped} are not supported by kerasish's {cls.__name__}; "
                      "they are ignored", stacklevel=3)
    return {k: v for k, v in config.items() if k in accepted}
