"""Gradient checks for shape ops, indexing (with repeated indices), concatenate, stack, pad."""
import numpy as np
import pytest

import kerasish.ops as K
from kerasish import Tensor, concatenate, pad, stack
from kerasish.utils import check_grad

R = np.random.default_rng(3)


def test_reshape_transpose_flatten():
    check_grad(lambda a: a.reshape(4, 6).T * 2, R.standard_normal((2, 3, 4)))
    check_grad(lambda a: a.transpose(1, 2, 0).flatten(), R.standard_normal((2, 3, 4)))
    check_grad(lambda a: a.transpose((2, 0, 1)), R.standard_normal((2, 3, 4)))
    check_grad(lambda a: a.reshape(-1, 2), R.standard_normal((3, 4)))


def test_squeeze_expand_dims():
    check_grad(lambda a: a.squeeze(1).expand_dims(0) * 3, R.standard_normal((3, 1, 2)))
    assert Tensor(np.ones((1, 3, 1))).squeeze().shape == (3,)
    with pytest.raises(ValueError, match="cannot squeeze axis 1"):
        Tensor(np.ones((2, 3))).squeeze(1)


@pytest.mark.parametrize("index", [
    (slice(None), 1), (Ellipsis, slice(0, 2)), 0, (slice(None, None, -1),), (1, slice(None), None)],
    ids=str)
def test_basic_indexing(index):
    check_grad(lambda a: a[index], R.standard_normal((3, 4, 2)))


def test_integer_array_indexing_with_repeats_accumulates():
    idx = np.array([0, 2, 0, 0])
    check_grad(lambda a: a[idx], R.standard_normal((3, 2)))
    x = Tensor(np.ones(3), requires_grad=True)
    x[[1, 1, 2]].sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 2.0, 1.0])
    rows, cols = np.array([0, 1, 1]), np.array([2, 0, 0])
    check_grad(lambda a: a[rows, cols], R.standard_normal((2, 3)))
    check_grad(lambda a: a[Tensor(rows)], R.standard_normal((2, 3)))


def test_boolean_mask_indexing():
    mask = np.array([True, False, True])
    check_grad(lambda a: a[mask], R.standard_normal((3, 2)))


def test_concatenate_stack_pad():
    check_grad(lambda a, b: concatenate([a, b, a], axis=1), R.standard_normal((2, 3)), R.standard_normal((2, 1)))
    check_grad(lambda a, b: stack([a, b], axis=1), R.standard_normal((2, 3)), R.standard_normal((2, 3)))
    check_grad(lambda a: pad(a, ((1, 0), (2, 1))), R.standard_normal((2, 3)))
    np.testing.assert_array_equal(pad(Tensor([1.0]), 1, constant_values=5).numpy(), [5.0, 1.0, 5.0])
    with pytest.raises(ValueError, match="one shape"):
        stack([Tensor(np.ones(2)), Tensor(np.ones(3))])


def test_broadcast_to_grad():
    check_grad(lambda a: K.broadcast_to(a, (4, 2, 3)), R.standard_normal((2, 1)))


def test_reshape_error_names_shapes():
    with pytest.raises(ValueError, match=r"cannot reshape.*\(2, 3\).*\(4,\)"):
        Tensor(np.ones((2, 3))).reshape(4)


def test_squeeze_bad_axis_is_an_error_not_a_wraparound():
    with pytest.raises(ValueError, match="axis 2 is out of range"):
        Tensor(np.ones((1, 3))).squeeze(2)
    with pytest.raises(ValueError, match="out of range"):
        Tensor(1.0).squeeze(0)
    assert Tensor(np.ones((1, 3))).squeeze(-2).shape == (3,)


from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402


@st.composite
def index_expressions(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    basic = draw(hnp.basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
    kind = draw(st.sampled_from(["basic", "int", "bool", "mixed"]))
    if kind == "basic":
        return shape, basic
    ints = draw(hnp.arrays(np.int64, draw(st.integers(1, 4)),
                           elements=st.integers(-shape[0], shape[0] - 1)))
    if kind == "int":
        return shape, ints
    mask = draw(hnp.arrays(np.bool_, shape[:1]))
    if kind == "bool":
        return shape, mask
    rest = (slice(None, None, -1),) if len(shape) > 1 else ()
    return shape, (ints,) + rest


@settings(max_examples=60, deadline=None)
@given(case=index_expressions())
def test_indexing_matches_numpy_and_scatters_back(case):
    shape, index = case
    x = R.standard_normal(shape)
    t = Tensor(x, dtype="float64", requires_grad=True)
    out = t[index]
    np.testing.assert_array_equal(out.numpy(), x[index])
    w = R.standard_normal(out.shape)
    (out * Tensor(w, dtype="float64")).sum().backward()
    expected = np.zeros_like(x)
    np.add.at(expected, index, w)
    np.testing.assert_allclose(t.grad, expected)
