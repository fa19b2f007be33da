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
custom layer needs Keras's `custom_objects`); a model with kerasish-only layers still saves,
with a warning that Keras cannot load the file.
"""
import warnings

FORMAT_ATTR = "kerasish_config_format"   # root attribute: 'keras3' in files written this way
FORMAT = "keras3"
# Loss aliases Keras's legacy loader cannot deserialize as losses -> their full names.
_LOSS_NAMES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
               "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
               "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence"}
# Keras 3's layer classes (keras.layers); a kerasish built-in layer outside this set is kerasish-only.
_KERAS_LAYERS = frozenset("""
Activation ActivityRegularization AdaptiveAveragePooling1D AdaptiveAveragePooling2D AdaptiveAveragePooling3D
AdaptiveMaxPooling1D AdaptiveMaxPooling2D AdaptiveMaxPooling3D Add AdditiveAttention AlphaDropout Attention
AugMix AutoContrast Average AveragePooling1D AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D
BatchNormalization Bidirectional CategoryEncoding CenterCrop Concatenate Conv1D Conv1DTranspose Conv2D
Conv2DTranspose Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D Convolution1D Convolution1DTranspose
Convolution2D Convolution2DTranspose Convolution3D Convolution3DTranspose Cropping1D Cropping2D Cropping3D
CutMix Dense DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense Embedding
Equalization Flatten GRU GRUCell GaussianDropout GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D
GlobalAveragePooling3D GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D
GlobalMaxPool3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization
GroupQueryAttention HashedCrossing Hashing Identity InputLayer IntegerLookup LSTM LSTMCell Lambda
LayerNormalization LeakyReLU Masking MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D
Maximum MelSpectrogram Minimum MixUp MultiHeadAttention Multiply Normalization PReLU Permute Pipeline
RMSNormalization RNN RandAugment RandomBrightness RandomColorDegeneration RandomColorJitter RandomContrast
RandomCrop RandomElasticTransform RandomErasing RandomFlip RandomGaussianBlur RandomGrayscale RandomHue
RandomInvert RandomPerspective RandomPosterization RandomRotation RandomSaturation RandomSharpness
RandomShear RandomTranslation RandomZoom ReLU RepeatVector Rescaling Reshape Resizing ReversibleEmbedding
STFTSpectrogram SeparableConv1D SeparableConv2D SeparableConvolution1D SeparableConvolution2D SimpleRNN
SimpleRNNCell Softmax Solarization SpatialDropout1D SpatialDropout2D SpatialDropout3D SpectralNormalization
StackedRNNCells StringLookup Subtract TextVectorization TimeDistributed UnitNormalization UpSampling1D
UpSampling2D UpSampling3D ZeroPadding1D ZeroPadding2D ZeroPadding3D
Sequential Functional Model
""".split())


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


def kerasish_only_layers(config):
    """Names of the kerasish built-in layers in `config` (kerasish's form) that Keras does not have."""
    found = []

    def visit(entry):
        if isinstance(entry, list):
            for item in entry:
                visit(item)
            return
        if not isinstance(entry, dict) or "class_name" not in entry:
            return
        module = str(entry.get("module", ""))
        if module.startswith("kerasish.") and entry["class_name"] not in _KERAS_LAYERS:
            cfg = entry.get("config") or {}
            found.append(f"{cfg.get('name', '?')} ({entry['class_name']})")
        inner = entry.get("config")
        if isinstance(inner, dict):
            for key in ("layers", "layer", "cell", "forward_layer", "backward_layer"):
                visit(inner.get(key))

    visit(config)
    return found


def warn_if_keras_cannot_load(config, path):
    """Warns when the model has kerasish-only layers: Keras cannot load the file (kerasish can)."""
    names = kerasish_only_layers(config)
    if names:
        listed = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        warnings.warn(f"Keras cannot load '{path}' (kerasish can): Keras has no layer class for {listed}",
                      stacklevel=4)
