"""Gradient checks for elementwise ops, with broadcasting shapes."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import kerasish.ops as K
from kerasish import Tensor
from kerasish.utils import check_grad

R = np.random.default_rng(1)


def randn(*shape):
    return R.standard_normal(shape)


def positive(*shape):
    return R.uniform(0.5, 2.0, shape)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "maximum": lambda a, b: K.maximum(a, b),
    "minimum": lambda a, b: K.minimum(a, b),
}

BROADCAST_SHAPES = [((3, 1), (1, 4)), ((2, 3, 4), (4,)), ((), (2, 3)), ((2, 3), ()), ((4,), (3, 4)),
                    ((2, 1, 3), (1, 4, 1))]


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary_broadcast_grad(name, shapes):
    a, b = randn(*shapes[0]), positive(*shapes[1])
    check_grad(BINARY[name], a, b)


def test_pow_grads_both_operands():
    check_grad(lambda a, b: a ** b, positive(3, 4), randn(4))
    check_grad(lambda a: a ** 3, randn(2, 3))
    check_grad(lambda b: 2.0 ** b, randn(2, 3))


UNARY = {
    "neg": (lambda a: -a, randn),
    "exp": (lambda a: a.exp(), randn),
    "log": (lambda a: a.log(), positive),
    "sqrt": (lambda a: a.sqrt(), positive),
    "abs": (lambda a: a.abs(), positive),
    "tanh": (lambda a: a.tanh(), randn),
    "sigmoid": (lambda a: a.sigmoid(), randn),
    "relu": (lambda a: a.relu(), positive),
    "clip": (lambda a: a.clip(-0.5, 0.5), lambda *s: R.uniform(-0.4, 0.4, s)),
    "softmax": (lambda a: a.softmax(), randn),
    "log_softmax": (lambda a: a.log_softmax(0), randn),
    "logsumexp": (lambda a: K.logsumexp(a, axis=1), randn),
}


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_grad(name):
    fn, make = UNARY[name]
    check_grad(fn, make(3, 4))


def test_reflected_scalar_ops():
    check_grad(lambda a: 2 - a + 3 * a / (1 + a * a) - 1 / (2 + a.exp()), randn(5))


def test_where_grad_flows_to_both_sides():
    cond = R.random((3, 4)) > 0.5
    check_grad(lambda a, b: K.where(cond, a, b), randn(3, 4), randn(4))


def test_relu_and_abs_values_at_negatives():
    x = Tensor([-2.0, 3.0], requires_grad=True)
    (x.relu() + x.abs()).sum().backward()
    np.testing.assert_allclose(x.grad, [-1.0, 2.0])


def test_sigmoid_is_stable_for_large_inputs():
    x = Tensor([-1000.0, 0.0, 1000.0], requires_grad=True)
    y = x.sigmoid()
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, 0.5, 1.0])
    assert np.isfinite(x.grad).all()


def test_comparisons_give_bool_without_grad():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = a > 1.5
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), [False, True, True])
    np.testing.assert_array_equal((a == Tensor([1.0, 0.0, 3.0])).numpy(), [True, False, True])
    np.testing.assert_array_equal((a <= 2).numpy(), [True, True, False])


def test_numpy_array_on_the_left_uses_tensor_ops():
    a = Tensor([1.0, 2.0], requires_grad=True)
    out = np.array([3.0, 4.0]) * a
    assert isinstance(out, Tensor) and out.dtype == np.float32
    out.sum().backward()
    np.testing.assert_allclose(a.grad, [3.0, 4.0])


def test_broadcast_error_is_clear():
    with pytest.raises(ValueError, match=r"Add.*\(3,\).*\(4,\)"):
        Tensor(np.ones(3)) + Tensor(np.ones(4))


@settings(max_examples=25, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
def test_mul_broadcasting_property(shapes):
    a_shape, b_shape = shapes.input_shapes
    check_grad(lambda a, b: a * b + a, R.standard_normal(a_shape), R.standard_normal(b_shape))


@settings(max_examples=20, deadline=None)
@given(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-3, 3)))
def test_tanh_mul_chain_property(x):
    check_grad(lambda a: (a * a).tanh() * a, x)


def test_pow_with_scalar_base_keeps_float32_grad():
    b = Tensor([0.5, 1.0], requires_grad=True)
    (2 ** b).sum().backward()
    assert b.grad.dtype == np.float32
    np.testing.assert_allclose(b.grad, np.log(2) * 2 ** np.array([0.5, 1.0]), rtol=1e-6)


FLOAT32_OPS = {
    **BINARY, "pow": lambda a, b: abs(a) ** b, "rpow": lambda a, b: 2.0 ** a * b,
    "where": lambda a, b: K.where(a > 0, a, b), "matmul_sum": lambda a, b: (a * b).sum() * a.max(),
}


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(sorted(FLOAT32_OPS)),
       shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=3))
def test_float32_in_float32_out_and_grads(name, shapes):
    a_shape, b_shape = shapes.input_shapes
    a = Tensor(R.uniform(0.5, 1.5, a_shape), requires_grad=True)
    b = Tensor(R.uniform(0.5, 1.5, b_shape), requires_grad=True)
    out = FLOAT32_OPS[name](a, b)
    assert out.dtype == np.float32
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float32
    assert a.grad.shape == a_shape and b.grad.shape == b_shape
