"""Input pipelines: `Dataset` (tf.data style), `DataLoader` (PyTorch style), `Sequence` (Keras style)."""

from kerasish.data.dataloader import DataLoader, TensorDataset, default_collate, default_convert
from kerasish.data.dataset import AUTOTUNE, Dataset
from kerasish.data.sequence import Sequence
from kerasish.data import preprocessing

__all__ = ["AUTOTUNE", "DataLoader", "Dataset", "Sequence", "TensorDataset", "default_collate", "default_convert",
           "preprocessing"]
