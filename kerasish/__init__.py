"""kerasish: a Keras-style deep-learning framework on NumPy, with CuPy for NVIDIA GPUs.

Public names are resolved from their modules on first use (see _EXPORTS).
"""
import importlib

from kerasish import backend
from kerasish._config import enable_grad, is_grad_enabled, no_grad
from kerasish.backend import floatx, parse_dtype, set_floatx
from kerasish.tensor import Tensor
from kerasish.ops import concatenate, pad, stack, where

__version__ = "0.1.0"

_EXPORTS = {
    "kerasish.layers": ["Layer", "Base_Layer", "InputSpec", "Dense", "Flatten", "Reshape", "Dropout",
                        "Lambda", "Embedding", "BatchNormalization", "LayerNormalization", "Conv2D",
                        "MaxPool2D", "MaxPooling2D", "AveragePooling2D", "AvgPool2D",
                        "GlobalAveragePooling2D", "GlobalMaxPooling2D", "ZeroPadding2D", "Input",
                        "InputLayer", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                        "Concatenate", "Activation", "Tanh", "ReLU", "Sigmoid", "Softmax", "LeakyReLU", "ELU"],
    "kerasish.models.model": ["Model", "BaseModel"],
    "kerasish.models.sequential": ["Sequential"],
    "kerasish.losses": ["MSELoss", "CrossEntropy", "SoftmaxCrossEntropyLoss", "BCELoss", "MeanSquaredError",
                        "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "BinaryCrossentropy"],
    "kerasish.metrics": ["Accuracy"],
    "kerasish.optimizers": ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam"],
    "kerasish.callbacks": ["EarlyStopping", "ModelCheckpoint", "History", "Callback"],
    "kerasish.utils": ["check_grad", "set_random_seed"],
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    if name in ("layers", "models", "losses", "metrics", "optimizers", "callbacks", "data", "datasets",
                "saving", "utils", "initializers", "regularizers", "activations", "ops"):
        return importlib.import_module(f"kerasish.{name}")
    raise AttributeError(f"module 'kerasish' has no attribute {name!r}")
