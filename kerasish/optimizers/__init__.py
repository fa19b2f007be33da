"""Optimizers and learning-rate schedules.

Every update rule is Keras 3's (see each class); where PyTorch's differs, the class says how.
Default epsilons are Keras's 1e-7, except Adam/AdamW, which use the seed's 1e-8.

Example:
    >>> opt = SGD(model.parameters, lr=0.01, momentum=0.9)
    >>> opt = get('adam', learning_rate=1e-3)        # parameters given later by the model
"""
from kerasish.optimizers import schedules
from kerasish.optimizers.adadelta import Adadelta
from kerasish.optimizers.adagrad import Adagrad
from kerasish.optimizers.adam import Adam
from kerasish.optimizers.adamax import Adamax
from kerasish.optimizers.adamw import AdamW
from kerasish.optimizers.base import Optimizer
from kerasish.optimizers.nadam import Nadam
from kerasish.optimizers.rmsprop import RMSprop
from kerasish.optimizers.schedules import LearningRateSchedule
from kerasish.optimizers.sgd import SGD

_OPTIMIZERS = {cls.__name__.lower(): cls
               for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam)}


def serialize(optimizer):
    """`{'class_name': ..., 'config': ...}` for an optimizer (Keras's layout)."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"serialize expects an Optimizer, got {type(optimizer).__name__}")
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config, custom_objects=None, params=None):
    """Builds an optimizer from `serialize()`'s dict; custom classes come from `custom_objects`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"An optimizer config must be a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}; valid names are: {', '.join(_OPTIMIZERS)} "
                         "(or pass the class in custom_objects)")
    optimizer = cls.from_config(config.get("config", {}), custom_objects=custom_objects)
    if params is not None:
        optimizer.set_parameters(params)
    return optimizer


def get(identifier, **kwargs):
    """Returns an optimizer from a name ('adam', 'sgd', ...), a config dict or an instance.

    Args:
        identifier: a name (case-insensitive), a `serialize()` dict or an `Optimizer`.
        **kwargs: constructor arguments for a name (e.g. `learning_rate=1e-3`, `params=...`);
            with an instance only `params` is accepted.

    Raises:
        ValueError: for an unknown name (the message lists the valid ones).
    """
    if isinstance(identifier, Optimizer):
        params = kwargs.pop("params", None)
        if kwargs:
            raise TypeError(f"get(): arguments {sorted(kwargs)} cannot be applied to an existing "
                            f"{type(identifier).__name__}; pass a name instead")
        if params is not None:
            identifier.set_parameters(params)
        return identifier
    if isinstance(identifier, dict):
        params = kwargs.pop("params", None)
        config = dict(identifier.get("config", {}), **kwargs)
        return deserialize(dict(identifier, config=config), params=params)
    if isinstance(identifier, str):
        cls = _OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(f"Unknown optimizer {identifier!r}; valid names are: {', '.join(_OPTIMIZERS)}")
        return cls(**kwargs)
    raise TypeError(f"Could not interpret optimizer identifier {identifier!r}: expected a name, "
                    "a config dict or an Optimizer instance")


__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam",
           "LearningRateSchedule", "schedules", "get", "serialize", "deserialize"]
