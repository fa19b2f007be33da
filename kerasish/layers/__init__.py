"""Layers: the building blocks of models (all are `Layer` subclasses)."""
from kerasish.activations import ELU, Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from kerasish.layers.base import Base_Layer, InputSpec, Layer
from kerasish.layers.conv import Conv2D
from kerasish.layers.core import Dense, Dropout, Flatten, Lambda, Reshape
from kerasish.layers.embedding import Embedding
from kerasish.layers.input import Input, InputLayer, KerasTensor
from kerasish.layers.merge import Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract
from kerasish.layers.normalization import BatchNormalization, LayerNormalization
from kerasish.layers.padding import ZeroPadding2D
from kerasish.layers.pooling import (AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, GlobalAvgPool2D,
                                     GlobalMaxPool2D, GlobalMaxPooling2D, MaxPool2D, MaxPooling2D)
from kerasish.layers.pooling1d import (GlobalAveragePooling1D, GlobalAvgPool1D, GlobalMaxPool1D,
                                       GlobalMaxPooling1D)
from kerasish.layers.preprocessing import Normalization, RandomCrop, RandomFlip, RandomTranslation, Rescaling
from kerasish.layers.conv1d import Conv1D, Convolution1D
from kerasish.layers.conv_transpose import Conv2DTranspose, Convolution2DTranspose
from kerasish.layers.pooling1d_windows import AveragePooling1D, AvgPool1D, MaxPool1D, MaxPooling1D
from kerasish.layers.upsampling import UpSampling1D, UpSampling2D
from kerasish.layers.cropping import Cropping1D, Cropping2D
from kerasish.layers.recurrent import GRU, LSTM, SimpleRNN
from kerasish.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
from kerasish.layers.rnn import RNN, StackedRNNCells
from kerasish.layers.wrappers import Bidirectional, TimeDistributed
from kerasish.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerasish.layers.noise import (GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D,
                                   SpatialDropout3D)
from kerasish.layers.reshaping import Permute, RepeatVector
from kerasish.layers.misc import ActivityRegularization, Dot, Identity, PReLU

__all__ = [
    "Layer", "Base_Layer", "InputSpec", "Input", "InputLayer", "KerasTensor",
    "Dense", "Flatten", "Reshape", "Dropout", "Lambda", "Embedding",
    "BatchNormalization", "LayerNormalization",
    "Conv2D", "MaxPool2D", "MaxPooling2D", "AveragePooling2D", "AvgPool2D", "GlobalAveragePooling2D",
    "GlobalAvgPool2D", "GlobalMaxPooling2D", "GlobalMaxPool2D", "ZeroPadding2D",
    "GlobalAveragePooling1D", "GlobalAvgPool1D", "GlobalMaxPooling1D", "GlobalMaxPool1D",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
    "Activation", "Tanh", "ReLU", "Sigmoid", "Softmax", "LeakyReLU", "ELU",
    "Rescaling", "Normalization", "RandomFlip", "RandomTranslation", "RandomCrop",
    "Conv1D", "Convolution1D", "Conv2DTranspose", "Convolution2DTranspose",
    "MaxPooling1D", "MaxPool1D", "AveragePooling1D", "AvgPool1D",
    "UpSampling1D", "UpSampling2D", "Cropping1D", "Cropping2D",
    "SimpleRNN", "LSTM", "GRU", "RNN", "StackedRNNCells", "SimpleRNNCell", "LSTMCell", "GRUCell", "Bidirectional", "TimeDistributed",
    "MultiHeadAttention", "Attention", "AdditiveAttention",
    "GaussianNoise", "GaussianDropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
    "Permute", "RepeatVector", "Dot", "PReLU", "ActivityRegularization", "Identity",
]
