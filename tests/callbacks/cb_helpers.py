"""Shared helpers of the callback tests: a tiny compiled model, data, and scripted logs."""
import numpy as np

from kerasish.callbacks import Callback


def data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = (3.0 * np.eye(5)[y] + 0.5 * rng.standard_normal((n, 5))).astype(np.float32)
    return x, y


def tiny_model(lr=0.01, metrics=("accuracy",)):
    from kerasish.layers.core import Dense
    from kerasish.models.sequential import Sequential
    from kerasish.optimizers import SGD
    model = Sequential([Dense(8, activation="relu"), Dense(3, activation="softmax")])
    model.compile(optimizer=SGD(lr=lr), loss="sparse_categorical_crossentropy", metrics=list(metrics))
    return model


class Script(Callback):
    """Overwrites logs[key] with scripted values at each epoch end (place it first)."""

    def __init__(self, key, values):
        super().__init__()
        self.key, self.values = key, list(values)

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]


class WeightLog(Callback):
    """Keeps a copy of the weights at the end of every epoch."""

    def __init__(self):
        super().__init__()
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(u, v) for u, v in zip(a, b))
