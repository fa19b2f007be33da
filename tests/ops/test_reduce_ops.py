"""Gradient checks for reductions over each axis, with and without keepdims."""
import numpy as np
import pytest

import kerasish.ops as K
from kerasish import Tensor
from kerasish.utils import check_grad

R = np.random.default_rng(2)
AXES = [None, 0, 1, 2, -1, (0, 2)]


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("op", ["sum", "mean", "max", "min", "var"])
def test_reduction_grad(op, axis, keepdims):
    x = R.permutation(24).reshape(2, 3, 4) / 7.0  # distinct values: no ties for max/min
    check_grad(lambda a: getattr(a, op)(axis=axis, keepdims=keepdims), x)


def test_reduction_values_match_numpy():
    x = R.standard_normal((2, 3, 4)).astype(np.float32)
    t = Tensor(x)
    for op in ["sum", "mean", "max", "min", "var"]:
        np.testing.assert_allclose(getattr(t, op)(axis=1).numpy(), getattr(x, op)(axis=1), rtol=1e-5)
    np.testing.assert_allclose(t.std(axis=0).numpy(), x.std(axis=0), rtol=1e-5)
    np.testing.assert_array_equal(t.argmax(axis=-1).numpy(), x.argmax(axis=-1))


def test_max_ties_share_gradient():
    x = Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5]])


def test_var_ddof():
    x = R.standard_normal(6)
    np.testing.assert_allclose(Tensor(x, dtype="float64").var(ddof=1).item(), x.var(ddof=1))
    check_grad(lambda a: a.var(ddof=1), x)


def test_bad_axis_is_clear():
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        Tensor(np.ones((2, 2))).sum(axis=3)


def test_logsumexp_is_stable():
    out = K.logsumexp(Tensor([[1000.0, 1000.0]]), axis=-1)
    np.testing.assert_allclose(out.numpy(), [1000.0 + np.log(2.0)], rtol=1e-6)


@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("axis", [None, 0, -1])
def test_max_min_grad_keeps_float32(op, axis):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    getattr(x, op)(axis=axis).sum().backward()
    assert x.grad.dtype == np.float32


def test_var_of_integers_is_not_truncated():
    np.testing.assert_allclose(Tensor([1, 2, 3, 4]).var().item(), 1.25)
    np.testing.assert_allclose(Tensor([1, 2, 3, 4]).std().item(), np.sqrt(1.25), rtol=1e-6)


def test_numpy_integer_axes():
    x = R.standard_normal((2, 3))
    np.testing.assert_allclose(Tensor(x).sum(axis=np.int64(1)).numpy(), x.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(Tensor(x).mean(axis=(np.int64(0), -1)).item(), x.mean(), rtol=1e-6)


def test_logsumexp_reduces_all_axes_by_default_as_keras():
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.5]], dtype=np.float64)
    out = K.logsumexp(Tensor(x))
    assert out.shape == ()
    np.testing.assert_allclose(out.numpy(), np.log(np.exp(x).sum()))
    np.testing.assert_allclose(K.logsumexp(Tensor(x), axis=1, keepdims=True).numpy(),
                               np.log(np.exp(x).sum(axis=1, keepdims=True)))
