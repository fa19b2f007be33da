"""Scenarios written the way a PyTorch user writes them: hand loops, custom Functions, in-place edits."""
import numpy as np
import pytest

from kerasish import ops
from kerasish._config import no_grad
from kerasish.function import Function
from kerasish.tensor import Tensor
from kerasish.utils import check_grad


def test_setitem_without_graph_writes_in_place_and_shares_memory():
    x = Tensor(np.zeros((3, 4)))
    view = x.detach()
    x[0] = 5
    x[:, 1] = Tensor(np.ones(3))
    x[x > 4] = -1
    expected = np.zeros((3, 4), np.float32)
    expected[0] = -1
    expected[:, 1] = 1
    np.testing.assert_array_equal(x.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected)
    assert not x.requires_grad


def test_setitem_fills_a_buffer_with_tracked_rows():
    w = Tensor(np.arange(3.0), requires_grad=True)
    out = Tensor(np.zeros((2, 3)))
    out[0] = w * 2
    out[1] = w * 3
    assert out.requires_grad
    (out * Tensor([[1.0], [10.0]])).sum().backward()
    np.testing.assert_allclose(w.grad, [32, 32, 32])


def test_setitem_masks_scores_before_softmax():
    def f(q, k):
        s = q @ k.transpose(-2, -1)
        s[..., np.triu(np.ones((3, 3), bool), 1)] = -1e9
        return s.softmax(dim=-1)
    rng = np.random.default_rng(0)
    assert check_grad(f, Tensor(rng.standard_normal((2, 3, 4))), Tensor(rng.standard_normal((2, 3, 4)))) < 1e-6


def test_setitem_gradients_match_the_functional_form():
    rng = np.random.default_rng(1)

    def f(a, v):
        h = a * 2
        h[1:, [0, 2]] = v.tanh()
        return h * h
    assert check_grad(f, Tensor(rng.standard_normal((3, 4))), Tensor(rng.standard_normal((2, 2)))) < 1e-6


def test_ops_that_used_a_tensor_before_an_assignment_see_the_old_values():
    w = Tensor(np.ones(3), requires_grad=True)
    out = Tensor(np.zeros(3))
    out[0] = w[0] * 2
    before = (out * 5).sum()              # uses out with out[1] == 0
    out[1] = w[1] * 3
    (before + out.sum()).backward()
    np.testing.assert_allclose(w.grad, [10 + 2, 3, 0])
    assert before.item() == 10


def test_setitem_on_a_leaf_that_requires_grad():
    w = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Tensor that requires grad.*no_grad"):
        w[0] = 3
    with no_grad():
        w[0] = 3
    np.testing.assert_array_equal(w.numpy(), [3, 1, 1])
    assert w.is_leaf and w.requires_grad


def test_pytorch_transpose_permute_and_dim_keywords():
    x = Tensor(np.arange(24.0).reshape(2, 3, 4))
    assert x.transpose(-2, -1).shape == (2, 4, 3)
    assert x.transpose(0, 2, 1).shape == (2, 4, 3)            # NumPy permutation still works
    assert x.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert x.permute(2, 0, 1).shape == (4, 2, 3)
    m = Tensor(np.arange(6.0).reshape(2, 3))
    np.testing.assert_array_equal(m.transpose(0, 1).numpy(), m.numpy().T)
    np.testing.assert_allclose(x.softmax(dim=1).numpy(), x.softmax(axis=1).numpy())
    np.testing.assert_allclose(x.log_softmax(dim=0).numpy(), x.log_softmax(0).numpy())
    np.testing.assert_array_equal(x.argmax(dim=1).numpy(), x.numpy().argmax(1))
    with pytest.raises(ValueError, match="swapaxes"):
        x.transpose(0, 5)


def test_function_returning_several_arrays_is_refused_clearly():
    class Split(Function):
        def forward(self, x):
            return x[0], x[1]

    with pytest.raises(TypeError, match="Split.forward returned a tuple"):
        Split.apply(Tensor([1.0, 2.0], requires_grad=True))


def test_manual_sgd_with_inplace_operators_updates_the_model_parameters():
    from kerasish.layers.core import Dense
    layer = Dense(3, 2)
    x = Tensor(np.ones((4, 3)))
    w = layer.parameters[0]
    before = w.numpy().copy()
    (layer(x) ** 2).mean().backward()
    with no_grad():
        for p in layer.parameters:
            p -= 0.1 * p.grad
            p *= 1.0
    assert layer.parameters[0] is w and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy(), before - 0.1 * w.grad, rtol=1e-6)
    with pytest.raises(RuntimeError, match="in-place operation.*no_grad"):
        w += 1.0
    w.zero_grad()
    h = w * 2                        # a non-leaf: `+=` builds a new node, as PyTorch's graph does
    h += w
    h.sum().backward()
    np.testing.assert_allclose(w.grad, np.full(w.shape, 3.0))


def test_inplace_operators_on_plain_tensors_share_memory():
    x = Tensor(np.zeros(3))
    alias = x.detach()
    x += np.ones(3)
    x /= 2
    np.testing.assert_array_equal(alias.numpy(), [0.5, 0.5, 0.5])


def test_pytorch_style_static_forward_gets_a_clear_error():
    import pytest
    from kerasish import Tensor
    from kerasish.function import Function

    class Square(Function):
        @staticmethod
        def forward(ctx, x):
            return x * x

    with pytest.raises(TypeError, match=r"staticmethod taking ctx.*self\.x = x"):
        Square.apply(Tensor([1.0], requires_grad=True))


def test_children_and_modules():
    import kerasish as K

    class Block(K.Model):
        def __init__(self):
            super().__init__()
            self.inner = K.Sequential([K.Dense(3), K.ReLU()])
            self.head = K.Dense(1)

        def forward(self, x):
            return self.head(self.inner(x))

    block = Block()
    assert block.children() == [block.inner, block.head]
    names = [type(m).__name__ for m in block.modules()]
    assert names == ["Block", "Sequential", "Dense", "ReLU", "Dense"]
