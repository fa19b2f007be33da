"""A model's architecture as a JSON string: `model.to_json()` and `model_from_json`.

Only the architecture travels (no weights). Loading is safe, as for `load_model`: the string is
parsed as JSON and classes come from kerasish's registry, registered classes or `custom_objects`.
"""
import json

from kerasish.saving import _common, serialization
from kerasish.saving.model_io import _dumps, _model_from_config


def model_to_json(model, **kwargs):
    """The model's `{'class_name', 'config'}` as a JSON string (`kwargs` go to `json.dumps`).

    Example:
        >>> clone = model_from_json(model.to_json())   # same architecture, new weights
    """
    config = serialization.serialize_layer(model)
    config.update(keras_version=_common.kerasish_version(), backend="kerasish")
    if not kwargs:
        return _dumps(config, "config")
    return json.dumps(config, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A new, unbuilt-weight model from a `to_json()` string (Keras's JSON loads too).

    Args:
        json_string: the JSON text.
        custom_objects: dict of name -> class for custom layers that were not registered.

    Raises:
        ValueError: text that is not JSON or not a serialized model, or unknown classes.
    """
    if not isinstance(json_string, (str, bytes, bytearray)):
        raise TypeError(f"model_from_json expects a JSON string, got {type(json_string).__name__}")
    try:
        config = json.loads(json_string)
    except ValueError as exc:
        raise ValueError(f"model_from_json: the text is not valid JSON ({exc})") from None
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError("model_from_json expects a serialized model {'class_name': ..., 'config': ...}, "
                         f"got {json_string[:100]!r}")
    from_keras = config.get("backend") != "kerasish"
    with serialization.custom_object_scope(custom_objects):
        return _model_from_config(config, "the JSON string", custom_objects, from_keras)
