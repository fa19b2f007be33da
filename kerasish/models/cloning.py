"""clone_model: a new model with the same architecture and fresh weights (Keras's `clone_model`)."""
from kerasish.layers.base import Layer


def clone_model(model, custom_objects=None):
    """A new model built from `model.get_config()`: same layers, newly initialized weights.

    Copy the weights over with `clone.set_weights(model.get_weights())` if wanted; the
    clone is not compiled. Custom layers must be registered or given in `custom_objects`.

    Example:
        >>> clone = clone_model(model)
        >>> clone.set_weights(model.get_weights())
    """
    if not isinstance(model, Layer):
        raise TypeError(f"clone_model expects a Model, got {type(model).__name__}")
    from kerasish.saving.serialization import deserialize_layer, serialize_layer
    return deserialize_layer(serialize_layer(model), custom_objects)
