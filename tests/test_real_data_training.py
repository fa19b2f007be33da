"""Keras-style scripts on real data: the bundled MNIST sample, and fit straight from an HDF5 file."""
import tracemalloc

import h5py
import numpy as np

import kerasish as K
from kerasish.data import Dataset


def mnist(n_train, n_test, images):
    (x, y), (xt, yt) = K.datasets.mnist_sample.load_data()
    shape = (-1, 28, 28, 1) if images else (-1, 784)
    x = x[:n_train].reshape(shape).astype(np.float32) / 255
    xt = xt[:n_test].reshape(shape).astype(np.float32) / 255
    return (x, y[:n_train]), (xt, yt[:n_test])


def test_mlp_learns_mnist_sample():
    (x, y), (xt, yt) = mnist(4000, 1000, images=False)
    model = K.Sequential([K.Input(shape=(784,)), K.Dense(128, activation="relu"), K.Dropout(0.1),
                          K.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=64, epochs=4, validation_split=0.1, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(xt, yt, verbose=0)
    assert accuracy >= 0.90, f"test accuracy {accuracy:.3f}"
    assert model.predict(xt[:5], verbose=0).shape == (5, 10)


def test_convnet_learns_mnist_sample():
    (x, y), (xt, yt) = mnist(3000, 1000, images=True)
    model = K.Sequential([K.Input(shape=(28, 28, 1)), K.Conv2D(16, 3, activation="relu"), K.MaxPool2D(2),
                          K.Conv2D(32, 3, activation="relu"), K.MaxPool2D(2), K.Flatten(),
                          K.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=3, verbose=0)
    assert model.evaluate(xt, yt, verbose=0)[1] >= 0.90


def test_fit_from_hdf5_file_keeps_memory_well_below_file_size(tmp_path):
    n, width = 10_000, 1000  # 40 MB of float32
    rng = np.random.default_rng(0)
    w_true = rng.standard_normal(width).astype(np.float32)
    path = tmp_path / "train.h5"
    with h5py.File(path, "w") as f:
        xs = f.create_dataset("x", shape=(n, width), dtype=np.float32)
        ys = f.create_dataset("y", shape=(n,), dtype=np.int64)
        for start in range(0, n, 2000):
            block = rng.standard_normal((2000, width)).astype(np.float32)
            xs[start:start + 2000] = block
            ys[start:start + 2000] = (block @ w_true > 0).astype(np.int64)
    file_size = path.stat().st_size
    model = K.Sequential([K.Input(shape=(width,)), K.Dense(2)])
    model.compile(optimizer=K.Adam(learning_rate=1e-3),
                  loss=K.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    data = Dataset.from_hdf5(path).shuffle(n, seed=0).batch(250)
    model.fit(data, epochs=1, verbose=0)  # builds the model and warms up
    tracemalloc.start()
    try:
        history = model.fit(data, epochs=2, verbose=0)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert history.history["accuracy"][-1] > 0.8
    assert peak < file_size / 4, f"peak {peak / 1e6:.1f} MB while training on a {file_size / 1e6:.1f} MB file"
