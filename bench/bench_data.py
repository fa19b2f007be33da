"""Input-pipeline overhead: W2 (Keras's MNIST convnet) fed by a Dataset pipeline vs in-memory arrays.

Both train the same model on the bundled MNIST sample (uint8 images), one epoch at a time,
alternating, and compare median epoch times. The Dataset path shuffles, batches, then maps
a vectorised rescale on each batch in a worker thread and prefetches; the array path gets
arrays rescaled up front. Run:
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/bench_data.py
"""
import argparse
import time

import numpy as np

import kerasish as K
from kerasish.data import Dataset
from kerasish.data.preprocessing import rescale


def build():
    model = K.Sequential([
        K.Input(shape=(28, 28, 1)),
        K.Conv2D(32, (3, 3), activation="relu"), K.MaxPool2D(2),
        K.Conv2D(64, (3, 3), activation="relu"), K.MaxPool2D(2),
        K.Flatten(), K.Dropout(0.5), K.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def main():
    parser = argparse.ArgumentParser(description="Dataset pipeline vs arrays feeding W2")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    (x, y), _ = K.datasets.mnist_sample.load_data()
    x = x[..., None]
    x_float = x.astype(np.float32) / 255.0

    def to_float(images, labels):
        return rescale(images.astype(np.float32), 1 / 255.0), labels

    pipeline = (Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).batch(128)
                .map(to_float, num_parallel_calls=2).prefetch(2))
    K.set_random_seed(0)
    arrays_model, data_model = build(), build()
    times = {"arrays": [], "dataset": []}
    for epoch in range(args.epochs + 1):  # the first epoch of each is warm-up
        t0 = time.perf_counter()
        arrays_model.fit(x_float, y, batch_size=128, epochs=1, verbose=0)
        t1 = time.perf_counter()
        data_model.fit(pipeline, epochs=1, verbose=0)
        t2 = time.perf_counter()
        if epoch:
            times["arrays"].append(t1 - t0)
            times["dataset"].append(t2 - t1)
    a, d = np.median(times["arrays"]), np.median(times["dataset"])
    print(f"{'feed':10} {'s/epoch (median of ' + str(args.epochs) + ')':>26}")
    print(f"{'arrays':10} {a:26.3f}")
    print(f"{'dataset':10} {d:26.3f}")
    print(f"dataset / arrays = {d / a:.3f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
