"""A Keras-style convnet on MNIST: compile, fit with validation and callbacks, evaluate, save, reload.

Trains on the bundled 10k-digit MNIST sample by default (offline, under a minute on
2 CPU cores); `--full` downloads full MNIST once and trains on it.

    python examples/mnist_cnn.py [--full] [--epochs N]
"""
import os

import numpy as np

import kerasish as K
from _mnist_common import load_mnist, parse_args, save_curves


def build_model():
    """Keras's simple MNIST convnet."""
    return K.Sequential([
        K.Input(shape=(28, 28, 1)),
        K.Conv2D(32, kernel_size=(3, 3), activation="relu"),
        K.MaxPooling2D(pool_size=(2, 2)),
        K.Conv2D(64, kernel_size=(3, 3), activation="relu"),
        K.MaxPooling2D(pool_size=(2, 2)),
        K.Flatten(),
        K.Dropout(0.5),
        K.Dense(10, activation="softmax"),
    ])


def main():
    args = parse_args(__doc__.splitlines()[0], default_epochs=15)
    os.makedirs(args.out, exist_ok=True)
    K.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.full, images=True)

    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    checkpoint = os.path.join(args.out, "mnist_cnn.best.weights.h5")
    history = model.fit(
        x_train, y_train, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1,
        callbacks=[K.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True),
                   K.ModelCheckpoint(checkpoint, monitor="val_loss", save_best_only=True,
                                     save_weights_only=True)])

    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")

    weights = os.path.join(args.out, "mnist_cnn.weights.h5")
    model.save_weights(weights)
    restored = build_model()
    restored.load_weights(weights)
    same = np.allclose(restored.predict(x_test[:256], verbose=0), model.predict(x_test[:256], verbose=0))
    print(f"weights saved to {weights} and reloaded: predictions {'match' if same else 'DIFFER'}")
    save_curves(history, os.path.join(args.out, "mnist_cnn_curves.png"))
    if not same:
        raise SystemExit("reloaded model predicts differently")


if __name__ == "__main__":
    main()
