"""Matmul (batched, 1-D) and the softmax family."""
import numpy as np
import pytest

import kerasish.ops as K
from kerasish import Tensor
from kerasish.utils import check_grad

R = np.random.default_rng(4)


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((5,), (5, 3)), ((2, 5, 3), (3,)),
                                    ((4,), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((3, 4), (2, 4, 5))], ids=str)
def test_matmul_grad(shapes):
    a, b = R.standard_normal(shapes[0]), R.standard_normal(shapes[1])
    check_grad(lambda x, y: x @ y, a, b)
    np.testing.assert_allclose((Tensor(a, dtype="float64") @ Tensor(b, dtype="float64")).numpy(), a @ b)


def test_matmul_shape_error():
    with pytest.raises(ValueError, match=r"not aligned"):
        Tensor(np.ones((2, 3))) @ Tensor(np.ones((4, 2)))


def test_softmax_cross_entropy_with_indices_and_onehot():
    logits = R.standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    onehot = np.eye(4)[labels]
    loss_idx = K.softmax_cross_entropy(Tensor(logits, dtype="float64"), labels).numpy()
    loss_hot = K.softmax_cross_entropy(Tensor(logits, dtype="float64"), onehot).numpy()
    ref = -np.log(np.exp(logits) / np.exp(logits).sum(1, keepdims=True))[np.arange(5), labels]
    np.testing.assert_allclose(loss_idx, ref)
    np.testing.assert_allclose(loss_hot, ref)
    check_grad(lambda x: K.softmax_cross_entropy(x, labels), logits)
    check_grad(lambda x: K.softmax_cross_entropy(x, onehot * 0.7), logits)
    check_grad(lambda x: K.softmax_cross_entropy(x, labels, label_smoothing=0.2), logits)


def test_softmax_cross_entropy_is_stable_and_checks_labels():
    out = K.softmax_cross_entropy(Tensor([[1000.0, -1000.0]], requires_grad=True), np.array([1]))
    assert np.isfinite(out.numpy()).all()
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 1\]"):
        K.softmax_cross_entropy(Tensor([[1.0, 2.0]]), np.array([2]))
    with pytest.raises(ValueError, match="class indices of shape"):
        K.softmax_cross_entropy(Tensor(np.ones((2, 3))), np.ones((2, 4)))


def test_softmax_rows_sum_to_one():
    out = Tensor(R.standard_normal((3, 5))).softmax(axis=-1).numpy()
    np.testing.assert_allclose(out.sum(-1), 1.0, rtol=1e-6)
