"""Embedding."""
import json

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.layers.embedding import Embedding
from kerasish.regularizers import L1
from layer_grad import check_layer_grad


def test_lookup_shapes_and_default_initializer():
    layer = Embedding(10, 4)
    assert layer.built and layer.embeddings.shape == (10, 4)
    table = layer.embeddings.numpy()
    assert np.abs(table).max() <= 0.05 and table.std() > 0.01  # uniform(-0.05, 0.05)
    idx = np.array([[1, 2, 3], [3, 0, 9]])
    out = layer(idx)
    assert out.shape == (2, 3, 4) and out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), table[idx])
    assert layer(np.array([1.0, 2.0])).shape == (2, 4)  # float indices are truncated to ints


def test_grad_with_repeated_indices_accumulates():
    layer = Embedding(5, 3, dtype="float64")
    idx = np.array([[1, 1, 4], [4, 1, 0]])
    check_layer_grad(layer, idx)
    out = layer(idx)
    out.sum().backward()
    counts = np.bincount(idx.ravel(), minlength=5)
    np.testing.assert_allclose(layer.embeddings.grad, np.repeat(counts[:, None], 3, axis=1))


def test_bad_indices_and_arguments():
    layer = Embedding(5, 2)
    with pytest.raises(ValueError, match=r"embedding.*\[0, 4\].*max 5"):
        layer(np.array([0, 5]))
    with pytest.raises(ValueError, match="min -1"):
        layer(np.array([-1]))
    with pytest.raises(TypeError, match="integer indices"):
        layer(np.array([True]))
    with pytest.raises(ValueError, match="input_dim must be a positive integer"):
        Embedding(0, 3)
    with pytest.raises(ValueError, match="Unknown initializer"):
        Embedding(3, 3, embeddings_initializer="bogus")


def test_regularizer_config_and_device():
    with pytest.warns(UserWarning, match="mask_zero=True makes no mask in kerasish"):
        layer = Embedding(6, 2, embeddings_regularizer=L1(0.5), mask_zero=True, input_length=3,
                          embeddings_initializer="ones")
    np.testing.assert_allclose(layer.losses[0].item(), 0.5 * 12)
    config = layer.get_config()
    json.dumps(config)
    with pytest.warns(UserWarning, match="mask_zero"):
        assert Embedding.from_config(config).get_config() == config
    fake = Embedding(4, 2, device="fake")
    out = fake(Tensor(np.array([0, 3, 3]), device="fake"))
    out.sum().backward()
    assert out.device == "fake" and fake.embeddings.grad.shape == (4, 2)
