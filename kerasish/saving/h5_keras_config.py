"""What kerasish writes into a whole-model '.h5' so that Keras 3's legacy loader reads it too.

    model_config        the model config in Keras 3's form (as in '.keras' files: Keras
                        'module' names, graph tensors as '__keras_tensor__' entries), plus
                        'build_input_shape' for a Sequential model with no Input
    training_config     optimizer_config / loss / metrics / loss_weights / weighted_metrics,
                        with Keras 'module' names on the configs

kerasish's optimizer state stays in 'optimizer_weights' (its state tree, no 'weight_names'),
as before. Keras 3.15's legacy loader builds its optimizer for the model's own variables only
(none, for Sequential and functional models) whenever that group exists, so Keras loads,
compiles, predicts and evaluates the file, but its first train step fails ("Unknown
variable"), as for '.h5' files Keras writes itself. For training in Keras, save with
`include_optimizer=False` (Keras then compiles a fresh optimizer) or as '.keras' (which hands
Keras kerasish's optimizer state).

Keras can load such a file when every layer is one Keras has under the same name (a
custom layer needs Keras's `custom_objects`); a model with kerasish-only layers (the seed's
`Tanh`/`Sigmoid` layers, arithmetic on symbolic tensors) saves and loads in kerasish, but
Keras cannot load it, as with '.keras' files.
"""
FORMAT_ATTR = "kerasish_config_format"   # root attribute: 'keras3' in files written this way
FORMAT = "keras3"
# Loss aliases Keras's legacy loader cannot deserialize as losses -> their full names.
_LOSS_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
               "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
               "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence"}


def model_config(config, input_shape=None):
    """kerasish's serialized model -> the `model_config` Keras's legacy loader reads."""
    from kerasish.saving import keras_zip
    out = keras_zip._keras_form(config)
    inner = out.get("config")
    single = isinstance(input_shape, list) and all(d is None or isinstance(d, int) for d in input_shape)
    if out.get("class_name") == "Sequential" and isinstance(inner, dict) and single \
            and "build_input_shape" not in inner:
        first = (inner.get("layers") or [{}])[0]
        if not (isinstance(first, dict) and first.get("class_name") == "InputLayer"):
            out["config"] = dict(inner, build_input_shape=input_shape)
    return out


def training_config(training):
    """kerasish's training_config -> Keras's (every key Keras reads present, Keras module names)."""
    from kerasish.saving import keras_zip
    out = {k: v for k, v in training.items() if k != "optimizer_config"}
    opt = dict(training["optimizer_config"], module="keras.optimizers")
    if isinstance(opt.get("config"), dict) and opt["config"].get("decay") == 0:  # Keras 3 warns on any decay
        opt["config"] = {k: v for k, v in opt["config"].items() if k != "decay"}
    out["optimizer_config"] = opt
    for key, module in (("loss", "keras.losses"), ("metrics", "keras.metrics"),
                        ("weighted_metrics", "keras.metrics")):
        out[key] = keras_zip._with_module(out.get(key), module)
    out["loss"] = _full_loss_names(out.get("loss"))
    out.setdefault("loss_weights", None)
    return out


def kerasish_training_config(training):
    """A training_config written by `training_config` -> the form kerasish's compile reads."""
    out = dict(training)
    opt = out.get("optimizer_config")
    if isinstance(opt, dict):
        out["optimizer_config"] = {k: v for k, v in opt.items() if k != "module"}
    return out


def _full_loss_names(spec):
    if isinstance(spec, str):
        return _LOSS_NAMES.get(spec, spec)
    if isinstance(spec, list):
        return [_full_loss_names(v) for v in spec]
    if isinstance(spec, dict) and "class_name" not in spec:
        return {k: _full_loss_names(v) for k, v in spec.items()}
    return spec
