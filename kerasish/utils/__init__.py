"""Utilities: gradient checking, seeding, label encoding, summaries and plots."""
from kerasish.data.sequence import Sequence  # Keras 2 spelling: keras.utils.Sequence
from kerasish.layers.base import clear_session
from kerasish.utils.data_utils import to_categorical
from kerasish.utils.gradcheck import check_grad
from kerasish.utils.plot import plot_history
from kerasish.utils.random import set_random_seed

__all__ = ["Sequence", "check_grad", "clear_session", "set_random_seed", "to_categorical", "plot_history"]
