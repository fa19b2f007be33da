"""Datasets: `mnist` and `fashion_mnist` (downloaded once, sha256-checked), `mnist_sample` (bundled, offline)."""

from kerasish.datasets import fashion_mnist, mnist, mnist_sample
from kerasish.datasets._cache import get_file

__all__ = ["fashion_mnist", "get_file", "mnist", "mnist_sample"]
