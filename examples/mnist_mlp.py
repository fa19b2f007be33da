"""A Keras-style MLP on MNIST: compile, fit with validation and callbacks, evaluate, save, reload.

Trains on the bundled 10k-digit MNIST sample by default (offline, seconds on a CPU);
`--full` downloads full MNIST once and trains on it.

    python examples/mnist_mlp.py [--full] [--epochs N]
"""
import os

import numpy as np

import kerasish as K
from _mnist_common import load_mnist, parse_args, save_curves


def build_model():
    """784-512-512-10 with dropout, as Keras's mnist_mlp example."""
    return K.Sequential([
        K.Input(shape=(784,)),
        K.Dense(512, activation="relu"),
        K.Dropout(0.2),
        K.Dense(512, activation="relu"),
        K.Dropout(0.2),
        K.Dense(10, activation="softmax"),
    ])


def main():
    args = parse_args(__doc__.splitlines()[0], default_epochs=20)
    os.makedirs(args.out, exist_ok=True)
    K.set_random_seed(1)
    (x_train, y_train), (x_test, y_test) = load_mnist(args.full, images=False)
    y_train_1hot, y_test_1hot = K.utils.to_categorical(y_train, 10), K.utils.to_categorical(y_test, 10)

    model = build_model()
    model.summary()
    model.compile(optimizer=K.RMSprop(learning_rate=1e-3), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    checkpoint = os.path.join(args.out, "mnist_mlp.{epoch:02d}-{val_loss:.3f}.weights.h5")
    history = model.fit(
        x_train, y_train_1hot, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1,
        callbacks=[K.EarlyStopping(monitor="val_accuracy", patience=4, restore_best_weights=True),
                   K.ModelCheckpoint(checkpoint, monitor="val_accuracy", save_best_only=True,
                                     save_weights_only=True),
                   K.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)])

    loss, accuracy = model.evaluate(x_test, y_test_1hot, verbose=0)
    print(f"test loss {loss:.4f} - test accuracy {accuracy:.4f}")

    weights = os.path.join(args.out, "mnist_mlp.h5")
    model.save_weights(weights)
    restored = build_model()
    restored.load_weights(weights)
    same = np.allclose(restored.predict(x_test, verbose=0), model.predict(x_test, verbose=0))
    print(f"weights saved to {weights} and reloaded: predictions {'match' if same else 'DIFFER'}")
    save_curves(history, os.path.join(args.out, "mnist_mlp_curves.png"))
    if not same:
        raise SystemExit("reloaded model predicts differently")


if __name__ == "__main__":
    main()
