"""Fashion-MNIST: 60,000 training and 10,000 test images of 10 kinds of clothing, downloaded once.

Labels: 0 T-shirt/top, 1 Trouser, 2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt,
7 Sneaker, 8 Bag, 9 Ankle boot.
"""

import gzip

import numpy as np

from kerasish.datasets._cache import get_file

# Folder the files are fetched from (the one Keras uses); tests and mirrors may change it.
ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
CACHE_SUBDIR = "datasets/fashion-mnist"
# sha256 of each file, as verified by keras.datasets.fashion_mnist and tensorflow_datasets.
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def read_idx(path):
    """Read a gzipped IDX file of unsigned bytes (MNIST's format) into a uint8 array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad magic number).")
    ndim = raw[3]
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + int(np.prod(shape)):
        raise ValueError(f"{path}: {len(raw) - header} data bytes, the header announces shape {shape}.")
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def load_data(origin=None):
    """Load Fashion-MNIST, downloading its four files into the cache the first time.

    Args:
        origin: base URL of the folder holding the four `.gz` files (default `ORIGIN`).

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (60000, 28, 28),
        (60000,), (10000, 28, 28), (10000,); labels are 0-9.

    License:
        Zalando SE, MIT licence.
    """
    base = (ORIGIN if origin is None else origin).rstrip("/") + "/"
    arrays = {name: read_idx(get_file(name, base + name, sha, cache_subdir=CACHE_SUBDIR))
              for name, sha in FILE_HASHES.items()}
    return ((arrays["train-images-idx3-ubyte.gz"], arrays["train-labels-idx1-ubyte.gz"]),
            (arrays["t10k-images-idx3-ubyte.gz"], arrays["t10k-labels-idx1-ubyte.gz"]))
