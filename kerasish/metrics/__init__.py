"""Metrics: the seed's `Accuracy()(prediction, target)` and Keras's streaming metrics, plus `get`.

Streaming API (Keras): `update_state(y_true, y_pred, sample_weight=None)`, `result()` (a
Python float), `reset_state()`. Training code should always use these; calling a metric
object is Keras's update-then-result, except `Accuracy`, whose call is the seed's
stateless `acc = Accuracy()(prediction, target)`.
"""
from kerasish.metrics.accuracy import (Accuracy, BinaryAccuracy, CategoricalAccuracy, InferredAccuracy,
                                       SparseCategoricalAccuracy, SparseTopKCategoricalAccuracy,
                                       TopKCategoricalAccuracy, accuracy, binary_accuracy, categorical_accuracy,
                                       sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                                       top_k_categorical_accuracy)
from kerasish.losses.base import filter_config
from kerasish.metrics.base import Mean, MeanMetricWrapper, Metric, MetricVariable, Sum, tensor_function
from kerasish.metrics.confusion import AUC, Precision, Recall
from kerasish.metrics.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, Hinge,
                                            KLDivergence, Poisson, SparseCategoricalCrossentropy, SquaredHinge)
from kerasish.metrics.regression import (CosineSimilarity, LogCoshError, MeanAbsoluteError,
                                         MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError,
                                         RootMeanSquaredError, mean_absolute_error, mean_squared_error)

_CLASSES = (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy, TopKCategoricalAccuracy,
            SparseTopKCategoricalAccuracy, InferredAccuracy, Mean, Sum, MeanMetricWrapper, Precision, Recall, AUC,
            MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
            RootMeanSquaredError, LogCoshError, CosineSimilarity, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, KLDivergence, Poisson, Hinge, SquaredHinge, CategoricalHinge)
_CLASS_BY_NAME = {cls.__name__: cls for cls in _CLASSES}

# snake_case names and Keras aliases; the metric is named by the string the user gave
_BY_STRING = {
    "binary_accuracy": BinaryAccuracy, "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
    "precision": Precision, "recall": Recall, "auc": AUC,
    "mean_squared_error": MeanSquaredError, "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError, "mae": MeanAbsoluteError,
    "root_mean_squared_error": RootMeanSquaredError, "rmse": RootMeanSquaredError,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError, "mape": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError, "msle": MeanSquaredLogarithmicError,
    "logcosh": LogCoshError, "log_cosh_error": LogCoshError, "cosine_similarity": CosineSimilarity,
    "binary_crossentropy": BinaryCrossentropy, "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "kl_divergence": KLDivergence, "kld": KLDivergence, "poisson": Poisson,
    "hinge": Hinge, "squared_hinge": SquaredHinge, "categorical_hinge": CategoricalHinge,
    "mean": Mean, "sum": Sum,
}
_ACCURACY_NAMES = ("accuracy", "acc")


def _names():
    return sorted(set(_BY_STRING) | set(_ACCURACY_NAMES)
                  | set(_CLASS_BY_NAME) - {"MeanMetricWrapper", "InferredAccuracy"})


def _accuracy_kind(loss):
    """'sparse', 'categorical', 'binary' or None for a loss identifier; and whether it takes logits."""
    from kerasish import losses
    if loss is None:
        return None, False
    try:
        loss = losses.get(loss)
    except (ValueError, TypeError):
        return None, False
    from_logits = bool(getattr(loss, "from_logits", False))
    if isinstance(loss, losses.SparseCategoricalCrossentropy):
        return "sparse", from_logits
    if isinstance(loss, (losses.CategoricalCrossentropy, losses.CrossEntropy)):
        return "categorical", from_logits
    if isinstance(loss, (losses.BinaryCrossentropy, losses.BCELoss)):
        return "binary", from_logits
    return None, False


def resolve_accuracy(loss=None, name="accuracy"):
    """The metric that `metrics=['accuracy']` means for `loss` (Keras's rule).

    - sparse categorical cross-entropy -> `SparseCategoricalAccuracy`;
    - categorical cross-entropy, the seed's `CrossEntropy` / `SoftmaxCrossEntropyLoss` ->
      `CategoricalAccuracy` (which also takes index targets, by y_true's shape);
    - binary cross-entropy / `BCELoss` -> `BinaryAccuracy` (threshold 0 when from_logits);
    - anything else -> `InferredAccuracy`: Keras 3's shape rule, batch by batch.

    Args:
        loss: a loss identifier as accepted by `kerasish.losses.get`, or None.
        name: the metric's name (the log key), e.g. 'acc'.
    """
    kind, from_logits = _accuracy_kind(loss)
    if kind == "sparse":
        return SparseCategoricalAccuracy(name=name)
    if kind == "categorical":
        return CategoricalAccuracy(name=name)
    if kind == "binary":
        return BinaryAccuracy(name=name, threshold=0.0 if from_logits else 0.5)
    return InferredAccuracy(name=name)


def get(identifier, loss=None):
    """Returns a metric object for `identifier`.

    Args:
        identifier: a string ('accuracy'/'acc', 'binary_accuracy', 'mse', 'auc', ... see the
            error for the full list; the metric is named by that string), a `Metric` class or
            instance, a function `fn(y_true, y_pred)` returning per-sample values (it gets
            Tensors), a `Loss` (its per-sample values are averaged), or a config dict.
        loss: the model's loss, used to resolve 'accuracy' (see `resolve_accuracy`).

    Raises:
        ValueError: for an unknown name (listing the valid ones); TypeError otherwise.
    """
    from kerasish import losses
    if identifier is None:
        return None
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if isinstance(identifier, str):
        if identifier.lower() in _ACCURACY_NAMES:
            return resolve_accuracy(loss, name=identifier)
        if identifier in _BY_STRING:
            return _BY_STRING[identifier](name=identifier)
        if identifier in _CLASS_BY_NAME and identifier not in ("MeanMetricWrapper",):
            return _CLASS_BY_NAME[identifier]()
        raise ValueError(f"Unknown metric {identifier!r}; valid names are: {', '.join(_names())}")
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, losses.Loss):
        return MeanMetricWrapper(tensor_function(identifier.call), name=identifier.name)
    if callable(identifier):
        return MeanMetricWrapper(tensor_function(identifier), name=getattr(identifier, "__name__", None))
    raise TypeError(f"Could not interpret metric identifier {identifier!r}: expected a string, a Metric "
                    "class or instance, a function fn(y_true, y_pred), or a config dict")


def serialize(metric):
    """`{'class_name': ..., 'config': ...}` for a metric (JSON-friendly)."""
    return {"class_name": type(metric).__name__, "config": metric.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuilds a metric from `serialize`'s output.

    Args:
        config: the dict.
        custom_objects: {name: class or function} for user-defined metrics.
    """
    custom_objects = custom_objects or {}
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A metric config must be a dict with 'class_name' and 'config', got {config!r}")
    name, kwargs = config["class_name"], dict(config.get("config") or {})
    cls = custom_objects.get(name) or _CLASS_BY_NAME.get(name)
    if cls is None:
        raise ValueError(f"Unknown metric class {name!r}; valid ones are: {', '.join(sorted(_CLASS_BY_NAME))} "
                         "(pass custom_objects={name: class} for your own)")
    if cls is MeanMetricWrapper and isinstance(kwargs.get("fn"), str) and kwargs["fn"] in custom_objects:
        kwargs["fn"] = tensor_function(custom_objects[kwargs["fn"]])
    if name not in custom_objects and cls is not MeanMetricWrapper:
        kwargs = filter_config(cls, kwargs, "metric")
    return cls.from_config(kwargs)


__all__ = [
    "Metric", "MetricVariable", "Mean", "Sum", "MeanMetricWrapper", "Accuracy", "BinaryAccuracy",
    "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "InferredAccuracy", "Precision", "Recall", "AUC", "MeanSquaredError",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "RootMeanSquaredError",
    "LogCoshError", "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy", "KLDivergence", "Poisson", "Hinge", "SquaredHinge", "CategoricalHinge",
    "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy", "mean_squared_error",
    "mean_absolute_error", "get", "resolve_accuracy", "serialize", "deserialize",
]
