"""Layer configs to JSON-friendly dicts and back, without importing or evaluating anything.

A serialized layer is `{'class_name': 'Dense', 'config': {...}, 'module': 'kerasish.layers.core'}`
(+ `'registered_name'` for classes registered with `register_serializable`). Deserializing
looks the class up ONLY in, in this order: `custom_objects`, the active `custom_object_scope`s,
the user registry filled by `register_serializable`, and kerasish's built-in
`LAYER_REGISTRY`. The `'module'` field is informational: it is never imported.
"""
import importlib
import inspect
import threading

from kerasish.layers.base import LAYER_REGISTRY, Layer

# 'package>name' -> class or function, filled by register_serializable.
_USER_REGISTRY = {}
# id(class) -> 'package>name', for serialize.
_REGISTERED_NAMES = {}
_SCOPE = threading.local()

# Modules whose import fills LAYER_REGISTRY with the built-in layers and models.
_BUILTIN_MODULES = (
    "kerasish.layers.core", "kerasish.layers.embedding", "kerasish.layers.normalization",
    "kerasish.layers.conv", "kerasish.layers.pooling", "kerasish.layers.padding",
    "kerasish.layers.input", "kerasish.layers.merge", "kerasish.layers.recurrent",
    "kerasish.layers.wrappers", "kerasish.layers.rnn", "kerasish.layers.conv1d", "kerasish.layers.conv_transpose",
    "kerasish.layers.pooling1d", "kerasish.layers.pooling1d_windows", "kerasish.layers.upsampling",
    "kerasish.layers.cropping", "kerasish.layers.attention", "kerasish.layers.noise",
    "kerasish.layers.reshaping", "kerasish.layers.misc", "kerasish.layers.preprocessing",
    "kerasish.activations", "kerasish.models.model", "kerasish.models.sequential",
    "kerasish.models.functional",
)
_imported = set()

# Keras class names that kerasish spells differently (either may be the class's own name).
_ALIASES = {
    "MaxPooling2D": "MaxPool2D", "MaxPool2D": "MaxPooling2D",
    "AveragePooling2D": "AvgPool2D", "AvgPool2D": "AveragePooling2D",
    "GlobalAvgPool2D": "GlobalAveragePooling2D", "GlobalMaxPool2D": "GlobalMaxPooling2D",
    "Convolution2D": "Conv2D", "BaseModel": "Model", "Base_Layer": "Layer",
}


def _import_builtin_layers():
    """Imports kerasish's layer modules so LAYER_REGISTRY knows every built-in class."""
    for name in _BUILTIN_MODULES:
        if name in _imported:
            continue
        try:
            importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # Only a module that does not exist (yet) is skipped; a broken one raises.
            if exc.name is None or not name.startswith(exc.name):
                raise
            continue
        _imported.add(name)


def register_serializable(package="Custom", name=None):
    """Registers a class (or function) so configs naming it can be deserialized.

    Keras's `register_keras_serializable`. The registered name is `'package>name'`
    (name defaults to the class's `__name__`); configs may name it either way.

    Args:
        package: a namespace for the name, to tell apart equal names of two libraries.
        name: the name to register under (default: `cls.__name__`).

    Returns:
        A decorator returning the class unchanged.

    Example:
        >>> @register_serializable(package='my_pkg')
        ... class Scale(Layer):
        ...     ...
    """
    if not isinstance(package, str) or ">" in package:
        raise ValueError(f"package must be a string without '>', got {package!r}")

    def decorator(obj):
        key = f"{package}>{name or obj.__name__}"
        if key in _USER_REGISTRY and _USER_REGISTRY[key] is not obj:
            existing = _USER_REGISTRY[key]
            # Re-running a script or re-importing a module redefines the class: replace it.
            if getattr(existing, "__qualname__", None) != getattr(obj, "__qualname__", None):
                raise ValueError(f"'{key}' is already registered to {existing!r}; "
                                 "choose another package or name")
        _USER_REGISTRY[key] = obj
        _REGISTERED_NAMES[id(obj)] = key
        return obj

    return decorator


register_keras_serializable = register_serializable


def get_registered_name(obj):
    """The name `obj` is registered under ('package>name'), or its class name if unregistered."""
    cls = obj if isinstance(obj, type) or inspect.isfunction(obj) else type(obj)
    return _REGISTERED_NAMES.get(id(cls), cls.__name__)


def get_registered_object(name, custom_objects=None):
    """Finds a class/function by name in `custom_objects`, the active scopes, then the registry.

    Returns None when it is found nowhere (built-in layers are not searched: see
    `deserialize_layer`).
    """
    for table in ([custom_objects] if custom_objects else []) + list(reversed(_scopes())):
        if name in table:
            return table[name]
    if name in _USER_REGISTRY:
        return _USER_REGISTRY[name]
    # A bare class name matches a registered 'package>name' if it is unambiguous.
    hits = [obj for key, obj in _USER_REGISTRY.items() if key.split(">", 1)[1] == name]
    return hits[0] if len(hits) == 1 else None


def visible_objects(custom_objects=None):
    """Every name deserialization can see: registered objects (as 'package>name' and, when
    unambiguous, bare name), then the active scopes, then `custom_objects` (later ones win)."""
    table, bare = {}, {}
    for key, obj in _USER_REGISTRY.items():
        table[key] = obj
        bare.setdefault(key.split(">", 1)[1], []).append(obj)
    table.update({name: objs[0] for name, objs in bare.items() if len(objs) == 1 and name not in table})
    for scope in _scopes():
        table.update(scope)
    table.update(custom_objects or {})
    return table


def _takes_custom_objects(from_config):
    try:
        return "custom_objects" in inspect.signature(from_config).parameters
    except (TypeError, ValueError):
        return False


def _scopes():
    if not hasattr(_SCOPE, "stack"):
        _SCOPE.stack = []
    return _SCOPE.stack


class custom_object_scope:
    """Context manager making `custom_objects` visible to every nested deserialization.

    Example:
        >>> with custom_object_scope({'Scale': Scale}):
        ...     model = load_model('m.h5')
    """

    def __init__(self, *custom_objects):
        self.table = {}
        for objects in custom_objects:
            self.table.update(objects or {})

    def __enter__(self):
        _scopes().append(self.table)
        return self

    def __exit__(self, *exc):
        _scopes().pop()
        return False


CustomObjectScope = custom_object_scope


def serialize_layer(layer):
    """A layer's class name and `get_config()`, as a JSON-friendly dict.

    Returns:
        `{'class_name': ..., 'config': ..., 'module': ...}`, plus `'registered_name'`
        when the class was registered with `register_serializable`.
    """
    if not isinstance(layer, Layer):
        raise TypeError(f"serialize_layer expects a Layer, got {type(layer).__name__}")
    cls = type(layer)
    out = {"module": cls.__module__, "class_name": cls.__name__, "config": layer.get_config()}
    registered = _REGISTERED_NAMES.get(id(cls))
    if registered is not None:
        out["registered_name"] = registered
    return out


def _find_class(class_name, registered_name, custom_objects):
    for key in (registered_name, class_name, _ALIASES.get(class_name)):
        if key:
            obj = get_registered_object(key, custom_objects)
            if obj is not None:
                return obj
    _import_builtin_layers()
    for key in (class_name, _ALIASES.get(class_name)):
        if key and key in LAYER_REGISTRY:
            return LAYER_REGISTRY[key]
    return None


def deserialize_layer(config, custom_objects=None):
    """Rebuilds a layer from `serialize_layer`'s output.

    Args:
        config: `{'class_name': ..., 'config': {...}}` (other keys are ignored).
        custom_objects: optional dict of name -> class for classes kerasish does not ship and
            that were not registered; also visible to nested layers (e.g. inside a Sequential).

    Returns:
        A new (unbuilt) layer.

    Raises:
        ValueError: unknown class name (says how to make it known) or a malformed config.
    """
    if isinstance(config, str):
        config = {"class_name": config, "config": {}}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("A serialized layer must be a dict with 'class_name' and 'config', "
                         f"got {config!r:.200}")
    class_name = config["class_name"]
    if not isinstance(class_name, str):
        raise ValueError(f"'class_name' must be a string, got {class_name!r:.100}")
    inner = config.get("config") or {}
    if not isinstance(inner, dict):
        raise ValueError(f"The 'config' of a serialized {class_name} must be a dict, "
                         f"got {type(inner).__name__}")
    cls = _find_class(class_name, config.get("registered_name"), custom_objects)
    if cls is None:
        raise ValueError(
            f"Unknown layer class '{class_name}'. kerasish does not ship it: pass it in "
            f"custom_objects={{'{class_name}': {class_name}}} or register it with "
            "@kerasish.saving.register_serializable().")
    if not (isinstance(cls, type) and issubclass(cls, Layer)):
        raise ValueError(f"'{class_name}' resolves to {cls!r}, which is not a Layer class")
    with custom_object_scope(custom_objects):
        try:
            if _takes_custom_objects(cls.from_config):  # e.g. Lambda looks its function up by name
                return cls.from_config(dict(inner), custom_objects=visible_objects(custom_objects))
            return cls.from_config(dict(inner))
        except (TypeError, KeyError, IndexError, AttributeError) as exc:
            raise ValueError(f"Could not rebuild '{class_name}' from its config: {exc!r}") from exc


serialize = serialize_layer
deserialize = deserialize_layer
