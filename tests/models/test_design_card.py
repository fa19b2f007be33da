"""DESIGN §6's design card, run as written on real MNIST digits (the bundled sample)."""
import numpy as np
import pytest

from kerasish import Dense, EarlyStopping, ReLU, Sequential
from kerasish.datasets import mnist_sample


@pytest.fixture
def mnist(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the card writes 'weights.h5' in the working directory
    (x, y), (x_test, y_test) = mnist_sample.load_data()
    x = x[:3000].reshape(-1, 784) / 255.0
    return x, y[:3000], x_test.reshape(-1, 784) / 255.0, y_test


def run_card(x, y, x_test, y_test, last):
    model = Sequential([Dense(784, 128), ReLU(), last], device='cpu')
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x, y, batch_size=128, epochs=5, validation_split=0.1,
                        callbacks=[EarlyStopping(patience=2, restore_best_weights=True)])
    loss, acc = model.evaluate(x_test, y_test)
    probs = model.predict(x_test)            # numpy array
    model.save_weights('weights.h5'); model.load_weights('weights.h5')
    return model, history, loss, acc, probs


def test_design_card_as_written_runs_and_warns_that_the_output_is_not_probabilities(mnist):
    # The card's last layer has no softmax while the loss takes probabilities (from_logits=False):
    # it runs, and the first batch warns with the two ways out instead of training silently badly.
    with pytest.warns(UserWarning, match=r"probabilities.*activation='softmax'.*from_logits=True"):
        model, history, loss, acc, probs = run_card(*mnist, Dense(128, 10))
    assert isinstance(probs, np.ndarray) and probs.shape == (2000, 10)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert isinstance(loss, float) and isinstance(acc, float)
    np.testing.assert_array_equal(model.predict(mnist[2], verbose=0), probs)  # reloaded weights


def test_design_card_with_a_softmax_output_learns_mnist(mnist):
    model, history, loss, acc, probs = run_card(*mnist, Dense(128, 10, activation='softmax'))
    assert 1 <= len(history.epoch) <= 5
    assert acc > 0.88 and loss < 0.45
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert (probs.argmax(axis=1) == mnist[3]).mean() == pytest.approx(acc)
    np.testing.assert_array_equal(model.predict(mnist[2], verbose=0), probs)
