"""Losses: the seed's classes (prediction first) and Keras's (y_true first), plus `get`.

Argument order (DESIGN §10):
    MSELoss()(prediction, target)                        # seed: MSELoss, CrossEntropy,
                                                         # SoftmaxCrossEntropyLoss, BCELoss
    MeanSquaredError()(y_true, y_pred, sample_weight)    # Keras classes, strings, functions
`is_seed_loss(loss)` tells which order a loss object takes.
"""
from kerasish.losses import functional
from kerasish.losses.base import REDUCTIONS, Loss, LossFunctionWrapper, filter_config, reduce_weighted_values
from kerasish.losses.classes import (CLASSES, BY_FUNCTION, BinaryCrossentropy, CategoricalCrossentropy,
                                     CategoricalHinge, CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh,
                                     MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
                                     MeanSquaredLogarithmicError, Poisson, SparseCategoricalCrossentropy,
                                     SquaredHinge)
from kerasish.losses.functional import (MAE, MAPE, MSE, MSLE, KLD, binary_crossentropy, categorical_crossentropy,
                                        categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, kld,
                                        kullback_leibler_divergence, log_cosh, logcosh, mae, mape,
                                        mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                                        mean_squared_logarithmic_error, mse, msle, poisson,
                                        sparse_categorical_crossentropy, squared_hinge)
from kerasish.losses.seed import SEED_CLASSES, BCELoss, CrossEntropy, MSELoss, SeedLoss, SoftmaxCrossEntropyLoss

_CLASS_ALIASES = {"huber_loss": Huber}

_CLASS_BY_NAME = {cls.__name__: cls for cls in CLASSES + SEED_CLASSES}
_CLASS_BY_NAME["LossFunctionWrapper"] = LossFunctionWrapper


def _names():
    names = set(functional.FUNCTIONS) | set(_CLASS_BY_NAME) | set(_CLASS_ALIASES)
    return sorted(names - {"LossFunctionWrapper"})


def is_seed_loss(loss):
    """True when `loss` (an object or class) is called `(prediction, target)`, as the seed's losses.

    Keras-style losses, strings and plain functions are called `(y_true, y_pred)`.
    """
    return getattr(loss, "argument_order", None) == "prediction_first"


def get(identifier):
    """Returns a loss object for `identifier`.

    Args:
        identifier: None; a string ('mse', 'categorical_crossentropy', 'MeanSquaredError',
            'MSELoss', ... see the error for the full list); a loss class or instance; a plain
            function `fn(y_true, y_pred)` returning per-sample (or already reduced) losses,
            wrapped in a `LossFunctionWrapper`; or a config dict from `serialize`.

    Returns:
        A `Loss` (called `(y_true, y_pred, sample_weight=None)`) or a seed loss (called
        `(prediction, target)`: check with `is_seed_loss`); None for None.

    Raises:
        ValueError: for an unknown name (listing the valid ones); TypeError otherwise.
    """
    if identifier is None:
        return None
    if isinstance(identifier, (Loss, SeedLoss)):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, (Loss, SeedLoss)):
        return identifier()
    if isinstance(identifier, str):
        if identifier in _CLASS_BY_NAME and identifier != "LossFunctionWrapper":
            return _CLASS_BY_NAME[identifier]()
        if identifier in _CLASS_ALIASES:
            return _CLASS_ALIASES[identifier]()
        fn = functional.FUNCTIONS.get(identifier)
        if fn is None:
            raise ValueError(f"Unknown loss {identifier!r}; valid names are: {', '.join(_names())}")
        return BY_FUNCTION[fn]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if callable(identifier):
        cls = BY_FUNCTION.get(identifier)
        return cls() if cls is not None else LossFunctionWrapper(identifier)
    raise TypeError(f"Could not interpret loss identifier {identifier!r}: expected a string, a Loss "
                    "class or instance, a function fn(y_true, y_pred), or a config dict")


def serialize(loss):
    """`{'class_name': ..., 'config': ...}` for a loss object (JSON-friendly)."""
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuilds a loss from `serialize`'s output.

    Args:
        config: the dict.
        custom_objects: {name: class or function} for user-defined losses.
    """
    custom_objects = custom_objects or {}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A loss config must be a dict with 'class_name' and 'config', got {config!r}")
    name, kwargs = config["class_name"], dict(config.get("config") or {})
    cls = custom_objects.get(name) or _CLASS_BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown loss class {name!r}; valid ones are: {', '.join(sorted(_CLASS_BY_NAME))} "
                         "(pass custom_objects={name: class} for your own)")
    if cls is LossFunctionWrapper and isinstance(kwargs.get("fn"), str) and kwargs["fn"] in custom_objects:
        kwargs["fn"] = custom_objects[kwargs["fn"]]
    if name not in custom_objects and cls is not LossFunctionWrapper:
        kwargs = filter_config(cls, kwargs, "loss")
    return cls.from_config(kwargs)


__all__ = [
    "Loss", "LossFunctionWrapper", "SeedLoss", "REDUCTIONS", "reduce_weighted_values",
    "MSELoss", "CrossEntropy", "SoftmaxCrossEntropyLoss", "BCELoss",
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError",
    "Huber", "LogCosh", "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge",
    "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "huber", "log_cosh", "logcosh", "kl_divergence", "kld",
    "kullback_leibler_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
    "cosine_similarity", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mse", "mae", "mape", "msle", "MSE", "MAE", "MAPE", "MSLE", "KLD",
    "get", "serialize", "deserialize", "is_seed_loss",
]
