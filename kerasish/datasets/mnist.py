"""MNIST handwritten digits: 60,000 training and 10,000 test images, downloaded once."""

import numpy as np

from kerasish.datasets._cache import get_file

# Folder the file is fetched from (the one Keras uses); tests and mirrors may change it.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
FILE_NAME = "mnist.npz"
# sha256 of mnist.npz, as verified by keras.datasets.mnist.
FILE_HASH = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"


def load_data(path=None, origin=None):
    """Load MNIST, downloading `mnist.npz` into the cache the first time.

    Args:
        path: where to cache the file, relative to `~/.kerasish/datasets`
            (`$KERASISH_HOME/datasets`) unless absolute; default `mnist.npz`.
        origin: base URL of the folder holding `mnist.npz` (default `ORIGIN`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); labels are 0-9.

    License:
        Yann LeCun, Corinna Cortes and Christopher Burges; CC BY-SA 3.0.
    """
    base = ORIGIN if origin is None else origin
    local = get_file(path or FILE_NAME, base.rstrip("/") + "/" + FILE_NAME, FILE_HASH)
    with np.load(local, allow_pickle=False) as data:
        return (data["x_train"], data["y_train"]), (data["x_test"], data["y_test"])
