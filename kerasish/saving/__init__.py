"""Saving: layer (de)serialization, HDF5 weights, whole-model save/load.

Names resolve lazily so that importing this package stays cheap and free of cycles.
"""
import importlib

_MODULES = {
    "kerasish.saving.serialization": [
        "serialize_layer", "deserialize_layer", "serialize", "deserialize", "register_serializable",
        "register_keras_serializable", "get_registered_name", "get_registered_object",
        "custom_object_scope", "CustomObjectScope"],
    "kerasish.saving.weights_io": ["save_weights", "load_weights"],
    "kerasish.saving.model_io": ["save_model", "load_model"],
    "kerasish.saving.atomic": ["atomic_write"],
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_WHERE)


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'kerasish.saving' has no attribute {name!r}")
