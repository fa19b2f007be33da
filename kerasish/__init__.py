"""kerasish: a Keras-style deep-learning framework on NumPy, with CuPy for NVIDIA GPUs.

Two levels, both public: a PyTorch-style loop with `Tensor`, layers and optimizers,
or a Keras-style `model.compile()` / `model.fit()` script.
"""
from kerasish import _malloc  # noqa: F401  (allocator tuning; KERASISH_NO_MALLOPT=1 turns it off)
from kerasish import backend
from kerasish._config import enable_grad, is_grad_enabled, no_grad
from kerasish.backend import floatx, parse_dtype, set_floatx
from kerasish.tensor import Tensor
from kerasish.ops import concatenate, pad, stack, where

from kerasish import layers  # noqa: E402  (first: activations and layers import each other)
from kerasish import (activations, callbacks, data, datasets, initializers, losses, metrics,  # noqa: E402
                      mixed_precision, models, ops, optimizers, regularizers, saving, utils)
from kerasish.callbacks import (Callback, CSVLogger, EarlyStopping, History, LambdaCallback,  # noqa: E402
                                LearningRateScheduler, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN)
from kerasish.callbacks.backup_and_restore import BackupAndRestore  # noqa: E402
from kerasish.data import DataLoader, Dataset, Sequence  # noqa: E402
from kerasish.layers import *  # noqa: E402,F401,F403  (the layer classes, see layers.__all__)
from kerasish.losses import (BCELoss, BinaryCrossentropy, CategoricalCrossentropy, CrossEntropy,  # noqa: E402
                             Huber, Loss, MeanAbsoluteError, MeanSquaredError, MSELoss,
                             SoftmaxCrossEntropyLoss, SparseCategoricalCrossentropy)
from kerasish.metrics import (AUC, Accuracy, BinaryAccuracy, CategoricalAccuracy, Mean, Metric,  # noqa: E402
                              Precision, Recall, SparseCategoricalAccuracy)
from kerasish.models import BaseModel, Model, Sequential, load_model  # noqa: E402
from kerasish.optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, Optimizer,  # noqa: E402
                                 RMSprop)
from kerasish.utils import check_grad, set_random_seed  # noqa: E402

__version__ = "0.1.0"
