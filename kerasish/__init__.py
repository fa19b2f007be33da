"""kerasish: a Keras-style deep-learning framework on NumPy, with CuPy for NVIDIA GPUs."""
from kerasish import backend
from kerasish._config import enable_grad, is_grad_enabled, no_grad
from kerasish.backend import floatx, parse_dtype, set_floatx
from kerasish.tensor import Tensor
from kerasish.ops import concatenate, pad, stack, where

__version__ = "0.1.0"
