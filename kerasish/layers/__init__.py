"""Layers. Names resolve lazily from their modules (see _MODULES)."""
import importlib

from kerasish.layers.base import Base_Layer, InputSpec, Layer

_MODULES = {
    "kerasish.layers.core": ["Dense", "Flatten", "Reshape", "Dropout", "Lambda"],
    "kerasish.layers.embedding": ["Embedding"],
    "kerasish.layers.normalization": ["BatchNormalization", "LayerNormalization"],
    "kerasish.layers.conv": ["Conv2D"],
    "kerasish.layers.pooling": ["MaxPool2D", "MaxPooling2D", "AveragePooling2D", "AvgPool2D",
                                "GlobalAveragePooling2D", "GlobalMaxPooling2D"],
    "kerasish.layers.padding": ["ZeroPadding2D"],
    "kerasish.layers.input": ["Input", "InputLayer"],
    "kerasish.layers.merge": ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                              "Concatenate"],
    "kerasish.activations": ["Activation", "Tanh", "ReLU", "Sigmoid", "Softmax", "LeakyReLU", "ELU"],
}
_WHERE = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name):
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'kerasish.layers' has no attribute {name!r}")
