"""Shared by the MNIST examples: data loading, command line, reporting."""
import argparse
import os
import tempfile

import numpy as np


def parse_args(description, default_epochs):
    """--full (download full MNIST), --epochs, --batch-size, --out (folder for weights and plots)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--full", action="store_true", help="train on full MNIST (downloaded once, cached)")
    parser.add_argument("--epochs", type=int, default=default_epochs)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "kerasish_examples"),
                        help="folder for checkpoints, saved weights and the training-curve PNG")
    return parser.parse_args()


def load_mnist(full, images=True):
    """((x_train, y_train), (x_test, y_test)) scaled to [0, 1]; images (N, 28, 28, 1) or rows (N, 784)."""
    from kerasish.datasets import mnist, mnist_sample
    (x_train, y_train), (x_test, y_test) = (mnist if full else mnist_sample).load_data()
    shape = (-1, 28, 28, 1) if images else (-1, 784)
    x_train = x_train.reshape(shape).astype(np.float32) / 255.0
    x_test = x_test.reshape(shape).astype(np.float32) / 255.0
    source = "full MNIST" if full else "the bundled MNIST sample"
    print(f"{source}: {len(x_train)} training and {len(x_test)} test images")
    return (x_train, y_train), (x_test, y_test)


def save_curves(history, path):
    """Writes the loss/accuracy curves when matplotlib is installed."""
    try:
        import matplotlib
        matplotlib.use("Agg")
    except ImportError:
        print("matplotlib not installed: no training-curve plot (pip install kerasish[plot])")
        return
    history.plot(path)
    print(f"training curves written to {path}")
