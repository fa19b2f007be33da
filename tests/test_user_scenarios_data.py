"""UAT, data-pipeline power user: behaviours found while driving Dataset / DataLoader / preprocessing."""

import numpy as np

from kerasish.layers.preprocessing import Normalization
from kerasish.utils import to_categorical


def test_normalization_exposes_mean_and_variance_after_adapt_on_dataset():
    from kerasish.data import Dataset
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 4, 3)).astype("float32")
    norm = Normalization()
    assert norm.mean is None and norm.variance is None  # before build, as Keras
    norm.adapt(Dataset.from_tensor_slices(x).batch(10))
    assert norm.mean.shape == (1, 1, 3) and norm.variance.shape == (1, 1, 3)
    np.testing.assert_allclose(norm.mean.ravel(), x.reshape(-1, 3).mean(0), rtol=1e-5)
    np.testing.assert_allclose(norm.variance.ravel(), x.reshape(-1, 3).var(0), rtol=1e-4)


def test_normalization_given_statistics_read_back_as_given():
    norm = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    norm.build((None, 2))
    np.testing.assert_array_equal(norm.mean, [[1.0, 2.0]])
    np.testing.assert_array_equal(norm.variance, [[4.0, 0.0]])  # not the floored std


def test_to_categorical_accepts_boolean_labels():
    y = np.array([True, False, True])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(out.argmax(-1), y.astype(int))  # round trip
