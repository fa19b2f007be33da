"""Tensor construction, dtype rules, conversions and autograd semantics."""
import numpy as np
import pytest

import kerasish
from kerasish import Tensor, no_grad
from kerasish.utils import check_grad


def test_seed_tensor_example(capsys):
    a = Tensor([1, 2, 3], device='cpu', dtype=np.float32, requires_grad=True)
    b = Tensor([4, 5, 6], requires_grad=True)
    c = a + b
    c.backward(Tensor(1.0))
    print("Gradient of a:", a.grad)
    assert capsys.readouterr().out.strip() == "Gradient of a: [1. 1. 1.]"
    np.testing.assert_array_equal(b.grad, [1.0, 1.0, 1.0])


class TestDtypeRules:
    def test_float_data_becomes_floatx(self):
        assert Tensor([1.5, 2.0]).dtype == np.float32
        assert Tensor(np.zeros(3, dtype=np.float64)).dtype == np.float32
        assert Tensor(2.5).dtype == np.float32

    def test_integer_and_bool_stay(self):
        assert Tensor([1, 2]).dtype.kind == "i"
        assert Tensor(np.array([True, False])).dtype == np.bool_

    def test_integer_with_requires_grad_becomes_float(self):
        t = Tensor([1, 2, 3], requires_grad=True)
        assert t.dtype == np.float32

    def test_explicit_dtype_wins(self):
        assert Tensor([1, 2], dtype="float64").dtype == np.float64
        assert Tensor([1.7], dtype=np.int32).dtype == np.int32

    def test_integer_dtype_cannot_require_grad(self):
        with pytest.raises(TypeError, match="floating-point"):
            Tensor([1, 2], dtype="int32", requires_grad=True)

    def test_set_floatx(self):
        kerasish.set_floatx("float64")
        try:
            assert Tensor([1.0]).dtype == np.float64
        finally:
            kerasish.set_floatx("float32")
        with pytest.raises(ValueError, match="float dtype"):
            kerasish.set_floatx("int32")

    def test_parse_dtype(self):
        assert kerasish.parse_dtype("float32") == np.dtype("float32")
        assert kerasish.parse_dtype(np.float64) == np.dtype("float64")
        with pytest.raises(ValueError, match="valid names are: .*float32"):
            kerasish.parse_dtype("float33")

    def test_ops_keep_float32(self):
        a = Tensor([1.0, 2.0], requires_grad=True)
        out = (a * 2.5 + 1) / 3 - a ** 2
        assert out.dtype == np.float32
        out.sum().backward()
        assert a.grad.dtype == np.float32


class TestConversions:
    def test_numpy_item_tolist(self):
        t = Tensor([[1.0, 2.0]])
        assert isinstance(t.numpy(), np.ndarray)
        assert Tensor([3.0]).item() == 3.0
        assert t.tolist() == [[1.0, 2.0]]
        with pytest.raises(ValueError, match="one element"):
            t.item()

    def test_properties(self):
        t = Tensor(np.zeros((2, 3)))
        assert (t.shape, t.ndim, t.size, t.device) == ((2, 3), 2, 6, "cpu")
        assert t.T.shape == (3, 2)
        assert len(t) == 2

    def test_repr_shows_everything(self):
        r = repr(Tensor([1.0], requires_grad=True))
        assert "dtype=float32" in r and "device='cpu'" in r and "requires_grad=True" in r

    def test_astype_is_differentiable(self):
        a = Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
        (a.astype("float32") * 2).sum().backward()
        assert a.grad.dtype == np.float64
        np.testing.assert_allclose(a.grad, [2.0, 2.0])
        assert Tensor([1.5]).astype("int32").dtype == np.int32

    def test_to_same_device_is_identity(self):
        t = Tensor([1.0])
        assert t.to("cpu") is t

    def test_bool_of_multi_element_is_ambiguous(self):
        with pytest.raises(ValueError, match="ambiguous"):
            bool(Tensor([1.0, 2.0]))


class TestAutograd:
    def test_grad_starts_as_zeros(self):
        t = Tensor([1.0, 2.0], requires_grad=True)
        np.testing.assert_array_equal(t.grad, [0.0, 0.0])

    def test_gradients_accumulate_and_zero_grad_resets(self):
        a = Tensor([1.0, 2.0], requires_grad=True)
        (a * 3).sum().backward()
        (a * 3).sum().backward()
        np.testing.assert_allclose(a.grad, [6.0, 6.0])
        a.zero_grad()
        np.testing.assert_allclose(a.grad, [0.0, 0.0])

    def test_graph_reusing_one_tensor(self):
        check_grad(lambda a: a * a + a * 3 - (a * a).exp() * a, np.array([0.1, -0.3, 0.5]))
        a = Tensor([2.0], requires_grad=True)
        b = a * a
        (b * b + b).backward()
        np.testing.assert_allclose(a.grad, [4 * 8 + 2 * 2])  # d(a^4 + a^2)

    def test_shared_gradient_arrays_are_not_aliased(self):
        a = Tensor([1.0], requires_grad=True)
        b = Tensor([1.0], requires_grad=True)
        (a + b).backward()
        a.grad += 1
        np.testing.assert_allclose(b.grad, [1.0])

    def test_long_chain_has_no_recursion_error(self):
        x = Tensor([0.5], requires_grad=True)
        y = x
        for _ in range(10_000):
            y = y * 1.0001
        y.backward()
        np.testing.assert_allclose(x.grad, [1.0001 ** 10_000], rtol=1e-3)

    def test_second_backward_through_freed_graph_raises(self):
        a = Tensor([1.0], requires_grad=True)
        b = (a * 2).exp()
        b.backward()
        with pytest.raises(RuntimeError, match="second time"):
            b.backward()

    def test_retain_graph_allows_second_backward(self):
        a = Tensor([1.0], requires_grad=True)
        b = (a * 2).sum()
        b.backward(retain_graph=True)
        b.backward()
        np.testing.assert_allclose(a.grad, [4.0])

    def test_backward_without_grad_raises(self):
        with pytest.raises(RuntimeError, match="does not require grad"):
            Tensor([1.0]).sum().backward()

    def test_seed_gradient_shape_error(self):
        a = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ValueError, match="cannot broadcast"):
            (a * 2).backward(np.ones(3))

    def test_intermediate_grads_are_freed(self):
        a = Tensor([1.0], requires_grad=True)
        b = a * 2
        (b * 3).backward()
        assert b.grad is None and a.grad is not None

    def test_no_grad_context_and_decorator(self):
        a = Tensor([1.0], requires_grad=True)
        with no_grad():
            assert not (a * 2).requires_grad
        assert (a * 2).requires_grad

        @no_grad()
        def f(x):
            return x * 2
        assert not f(a).requires_grad
        assert kerasish.is_grad_enabled()

    def test_detach_cuts_the_graph(self):
        a = Tensor([1.0], requires_grad=True)
        d = (a * 2).detach()
        assert not d.requires_grad and d.is_leaf

    def test_grad_setter_checks_shape(self):
        a = Tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(ValueError, match="does not match"):
            a.grad = np.ones(3)


class TestDevices:
    def test_unknown_device(self):
        with pytest.raises(ValueError, match="Unknown device 'tpu'"):
            Tensor([1.0], device="tpu")

    def test_cuda_without_cupy_says_how_to_install(self):
        if kerasish.backend.cupy_available():
            pytest.skip("a GPU is present")
        with pytest.raises(RuntimeError, match=r"pip install kerasish\[gpu\]"):
            Tensor([1.0], device="cuda")

    def test_device_names(self):
        assert kerasish.backend.parse_device("cuda") == "cuda:0"
        assert kerasish.backend.parse_device("CPU") == "cpu"
        with pytest.raises(ValueError, match="cuda:N"):
            kerasish.backend.parse_device("cuda:x")


class TestReview:
    """Behaviour a PyTorch user relies on (found in review)."""

    @pytest.mark.parametrize("build", [
        lambda a, b: a + b.reshape(4),                                    # reshape view of g
        lambda a, b: (a + b.T.reshape(4)) * 2.0,                          # transpose view
        lambda a, b: (kerasish.ops.concatenate([b[0], b[1]]) + a) * 2.0,  # split views
    ])
    def test_leaf_grads_never_share_memory(self, build):
        a = Tensor(np.ones(4), requires_grad=True)
        b = Tensor(np.ones((2, 2)), requires_grad=True)
        build(a, b).sum().backward()
        assert not np.shares_memory(a.grad, b.grad)
        before = b.grad.copy()
        a.grad[...] = 0.0                       # an in-place edit of one gradient ...
        np.testing.assert_array_equal(b.grad, before)  # ... leaves the other alone

    def test_leaf_grad_is_never_a_broadcast_view(self):
        a = Tensor(np.ones((3, 4)), requires_grad=True)
        a.sum().backward()
        assert 0 not in a.grad.strides
        a.grad[0, 0] = 5.0
        assert a.grad.sum() == 16.0
        s = Tensor(2.0, requires_grad=True)
        (s * s).backward()
        assert isinstance(s.grad, np.ndarray) and s.grad.shape == ()

    def test_bad_backward_gradient_names_the_op(self):
        from kerasish.function import Function

        class Bad(Function):
            def forward(self, a):
                return a.sum(axis=0)

            def backward(self, g):
                return g * 1.0  # shape (2,) for a (3, 2) input: fewer dims than the input

        x = Tensor(np.ones((3, 2)), requires_grad=True)
        with pytest.raises(RuntimeError, match=r"Bad\.backward returned a gradient of shape \(2,\) "
                                               r"for an input of shape \(3, 2\)"):
            Bad.apply(x).sum().backward()

    def test_released_graph_frees_saved_arrays(self):
        import gc
        import weakref
        x = Tensor(np.random.default_rng(0).random((50, 50)), requires_grad=True)
        y = ((x * 2).exp() * x).tanh().sum()
        refs, stack = [], [y]
        while stack:
            node = stack.pop()
            if node._ctx is not None:
                refs.append(weakref.ref(node._ctx))
                stack.extend(i for i in node._ctx.inputs if isinstance(i, Tensor))
        y.backward()
        gc.collect()
        assert refs and all(r() is None for r in refs)

    @pytest.mark.parametrize("scalar", [np.float64(2.0), np.sqrt(4.0), np.int64(2), np.float32(2.0)])
    def test_numpy_scalars_keep_float32(self, scalar):
        a = Tensor([1.0, 2.0], requires_grad=True)
        for out in (a * scalar, scalar * a, a / scalar, scalar - a, a ** scalar, scalar + a):
            assert out.dtype == np.float32
        (a / scalar).sum().backward()
        assert a.grad.dtype == np.float32

    def test_no_grad_bare_decorator_and_nesting(self):
        a = Tensor([1.0], requires_grad=True)

        @no_grad
        def f(x):
            return x * 2
        assert not f(a).requires_grad and kerasish.is_grad_enabled()
        with no_grad():
            with kerasish.enable_grad():
                assert (a * 2).requires_grad
            assert not (a * 2).requires_grad
        with pytest.raises(KeyError):
            with no_grad():
                raise KeyError("x")
        assert kerasish.is_grad_enabled()

    def test_grad_mode_is_per_thread(self):
        import threading
        entered, release = threading.Event(), threading.Event()

        def worker():
            with no_grad():
                entered.set()
                release.wait(5)
        t = threading.Thread(target=worker)
        t.start()
        entered.wait(5)
        try:
            assert kerasish.is_grad_enabled()  # another thread's no_grad does not leak here
            assert (Tensor([1.0], requires_grad=True) * 2).requires_grad
        finally:
            release.set()
            t.join()


class TestPyTorchAndKerasSpellings:
    def test_view_unsqueeze_dim_float_double(self):
        t = Tensor(np.arange(6.0), requires_grad=True)
        v = t.view(2, 3).unsqueeze(0)
        assert v.shape == (1, 2, 3) and v.dim() == 3
        assert t.double().dtype == np.float64 and t.double().float().dtype == np.float32
        v.sum().backward()
        np.testing.assert_allclose(t.grad, np.ones(6))

    def test_reductions_take_dim_and_keepdim(self):
        t = Tensor(np.arange(6.0).reshape(2, 3))
        assert t.sum(dim=1, keepdim=True).shape == (2, 1)
        np.testing.assert_allclose(t.mean(dim=0).numpy(), [1.5, 2.5, 3.5])
        with pytest.raises(TypeError, match="either axis= or dim="):
            t.sum(axis=0, dim=1)

    def test_assign_updates_in_place_without_a_graph(self):
        w = Tensor(np.zeros(3), requires_grad=True)
        data = w.data
        w.assign([1.0, 2.0, 3.0]).assign_add(Tensor(np.ones(3))).assign_sub(0.5)
        assert w.data is data and w.is_leaf
        np.testing.assert_allclose(w.numpy(), [1.5, 2.5, 3.5])
