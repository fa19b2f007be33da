"""Callback-driven training: a custom callback, built-in callbacks, and resuming a killed run.

Trains an MLP on the bundled MNIST sample with:
  - a custom Callback subclass that adds each epoch's duration to the logs,
  - LambdaCallback, CSVLogger, ReduceLROnPlateau, EarlyStopping, ModelCheckpoint,
  - BackupAndRestore: interrupt the script (Ctrl-C, or kill it) and run it again;
    it continues from the last epoch it finished.

    python examples/callbacks.py [--epochs N]
"""
import argparse
import os
import tempfile
import time

import numpy as np

import kerasish as K


class EpochTimer(K.Callback):
    """Adds the epoch's wall-clock duration to the logs (so History and CSVLogger get it too)."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        logs["seconds"] = time.perf_counter() - self.start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "kerasish_callbacks"))
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    K.set_random_seed(0)

    (x, y), (x_test, y_test) = K.datasets.mnist_sample.load_data()
    x = x.reshape(-1, 784).astype(np.float32) / 255
    x_test = x_test.reshape(-1, 784).astype(np.float32) / 255

    model = K.Sequential([K.Input(shape=(784,)), K.Dense(128, activation="relu"), K.Dense(10)])
    model.compile(optimizer=K.SGD(learning_rate=0.1, momentum=0.9),
                  loss=K.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    callbacks = [
        K.BackupAndRestore(os.path.join(args.out, "backup")),
        EpochTimer(),
        K.LambdaCallback(on_train_begin=lambda logs: print(f"training on {len(x)} images")),
        K.CSVLogger(os.path.join(args.out, "log.csv")),
        K.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, verbose=1),
        K.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True),
        K.ModelCheckpoint(os.path.join(args.out, "best.h5"), monitor="val_accuracy", save_best_only=True),
    ]
    history = model.fit(x, y, batch_size=64, epochs=args.epochs, validation_split=0.1, callbacks=callbacks)
    print("learning rate per epoch:", [f"{lr:.3g}" for lr in history.history["learning_rate"]])
    print("seconds per epoch:", [f"{s:.2f}" for s in history.history["seconds"]])
    print(f"test accuracy {model.evaluate(x_test, y_test, verbose=0)[1]:.4f}")
    best = K.load_model(os.path.join(args.out, "best.h5"))
    print(f"best checkpoint (whole model) test accuracy {best.evaluate(x_test, y_test, verbose=0)[1]:.4f}")


if __name__ == "__main__":
    main()
