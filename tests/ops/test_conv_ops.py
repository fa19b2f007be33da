"""conv2d / max_pool2d / avg_pool2d: a naive loop reference, finite differences, PyTorch."""
import numpy as np
import pytest

from kerasish import Tensor, no_grad
from kerasish.ops import conv as C
from kerasish.utils import check_grad

R = np.random.default_rng(3)


# --- naive references (loops are fine here) --------------------------------------------------
def same_pads(n, k, s, d=1):
    out = -(-n // s)
    total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
    return total // 2, total - total // 2


def naive_conv(x, k, b, stride=(1, 1), pads=((0, 0), (0, 0)), dilation=(1, 1)):
    """Channels-last cross-correlation by explicit loops over output pixels and kernel taps."""
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)))
    kh, kw, _, f = k.shape
    oh = (xp.shape[1] - (kh - 1) * dilation[0] - 1) // stride[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilation[1] - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, f))
    for i in range(oh):
        for j in range(ow):
            for a in range(kh):
                for c in range(kw):
                    out[:, i, j] += xp[:, i * stride[0] + a * dilation[0], j * stride[1] + c * dilation[1]] @ k[a, c]
    return out + (0 if b is None else b)


def naive_pool(x, size, stride, pads=((0, 0), (0, 0)), mode="max", count_pad=False):
    fill = -np.inf if mode == "max" else 0.0
    xp = np.pad(x, ((0, 0), pads[0], pads[1], (0, 0)), constant_values=fill)
    valid = np.pad(np.ones(x.shape[1:3]), pads)
    oh = (xp.shape[1] - size[0]) // stride[0] + 1
    ow = (xp.shape[2] - size[1]) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            rows, cols = slice(i * stride[0], i * stride[0] + size[0]), slice(j * stride[1], j * stride[1] + size[1])
            win = xp[:, rows, cols]
            if mode == "max":
                out[:, i, j] = win.max(axis=(1, 2))
            else:
                count = size[0] * size[1] if count_pad else valid[rows, cols].sum()
                out[:, i, j] = win.sum(axis=(1, 2)) / count
    return out


def t64(a, requires_grad=False):
    return Tensor(a, dtype="float64", requires_grad=requires_grad)


CONV_CASES = [  # (x shape, kernel (kh, kw), kwargs)
    ((2, 7, 9, 3), (3, 3), dict()),
    ((2, 7, 8, 3), (3, 3), dict(strides=2, padding="same")),
    ((2, 9, 7, 2), (3, 2), dict(dilation_rate=2)),
    ((2, 8, 8, 2), (3, 3), dict(dilation_rate=2, padding="same")),
    ((2, 5, 6, 4), (1, 1), dict()),
    ((2, 5, 7, 4), (1, 1), dict(strides=2)),
    ((1, 7, 5, 3), (4, 2), dict(padding="same")),
    ((2, 7, 9, 3), (3, 3), dict(padding=1, strides=(2, 1))),
    ((2, 6, 6, 2), (2, 3), dict(padding=((1, 2), (0, 1)))),
]


def _conv_pads(shape, ksize, kw):
    padding = kw.get("padding", "valid")
    strides = C.normalize_pair(kw.get("strides", 1), "s")
    dilation = C.normalize_pair(kw.get("dilation_rate", 1), "d")
    if padding == "same":
        pads = tuple(same_pads(n, k, s, d) for n, k, s, d in zip(shape[1:3], ksize, strides, dilation))
    else:
        pads = C.normalize_padding(padding) if padding != "valid" else ((0, 0), (0, 0))
    return strides, pads, dilation


@pytest.mark.parametrize("shape,ksize,kw", CONV_CASES)
def test_conv2d_matches_naive_loops(shape, ksize, kw):
    x = R.standard_normal(shape)
    k = R.standard_normal((*ksize, shape[3], 4))
    b = R.standard_normal(4)
    strides, pads, dilation = _conv_pads(shape, ksize, kw)
    expected = naive_conv(x, k, b, strides, pads, dilation)
    got = C.conv2d(t64(x), t64(k), t64(b), **kw).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-10)
    got_cf = C.conv2d(t64(x.transpose(0, 3, 1, 2)), t64(k), t64(b), data_format="channels_first", **kw).numpy()
    np.testing.assert_allclose(got_cf, expected.transpose(0, 3, 1, 2), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("shape,ksize,kw", CONV_CASES)
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_conv2d_gradients(shape, ksize, kw, data_format):
    x = R.standard_normal(shape)
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    k = R.standard_normal((*ksize, shape[3], 3))
    b = R.standard_normal(3)
    check_grad(lambda a, kk, bb: C.conv2d(a, kk, bb, data_format=data_format, **kw), x, k, b)


def test_conv2d_same_padding_puts_the_extra_row_bottom_right():
    # 4x4 input, 2x2 kernel, stride 1, 'same': one row/column of padding, at the bottom/right
    x = np.arange(16.0).reshape(1, 4, 4, 1)
    k = np.ones((2, 2, 1, 1))
    out = C.conv2d(t64(x), t64(k), padding="same").numpy()[0, :, :, 0]
    assert out.shape == (4, 4)
    assert out[0, 0] == 0 + 1 + 4 + 5 and out[3, 3] == 15 and out[3, 0] == 12 + 13
    assert C.resolve_padding("same", (5, 5), (2, 2), (1, 1)) == ((0, 1), (0, 1))
    assert C.resolve_padding("same", (7, 8), (3, 3), (2, 2)) == ((1, 1), (0, 1))


def test_conv2d_keeps_float32_and_skips_the_input_gradient_when_not_needed(monkeypatch):
    x = Tensor(R.standard_normal((2, 6, 6, 1)), dtype="float32")
    k = Tensor(R.standard_normal((3, 3, 1, 4)), dtype="float32", requires_grad=True)
    b = Tensor(np.zeros(4), dtype="float32", requires_grad=True)

    def fail(*args):
        raise AssertionError("input gradient computed for an input that does not need it")
    monkeypatch.setattr(C.Conv2DFunction, "_input_grad", fail)
    y = C.conv2d(x, k, b)
    assert y.dtype == np.float32
    y.sum().backward()
    assert k.grad.dtype == np.float32 and k.grad.shape == (3, 3, 1, 4)
    np.testing.assert_allclose(b.grad, np.full(4, 2 * 4 * 4.0))
    assert x.grad is None


def test_conv2d_keeps_only_what_backward_needs():
    x = Tensor(R.standard_normal((2, 6, 6, 3)), dtype="float64", requires_grad=True)
    frozen = Tensor(R.standard_normal((3, 3, 3, 2)), dtype="float64")
    y = C.conv2d(x, frozen)
    assert y._ctx.cols is None  # no kernel gradient wanted: the window matrix is not kept
    check_grad(lambda a: C.conv2d(a, frozen, strides=2, padding="same"), x)
    with no_grad():
        fn = C.Conv2DFunction(relu=True, save=C.backward_needs(x, frozen))
        fn.forward(x.data, frozen.data)
    assert not hasattr(fn, "cols") and not hasattr(fn, "positive")


def test_conv2d_fused_relu_matches_relu_after_conv():
    x, k, b = R.standard_normal((2, 6, 5, 3)), R.standard_normal((3, 3, 3, 4)), R.standard_normal(4)

    def fused(a, kk, bb):
        return C.Conv2DFunction.apply(a, kk, bb, strides=(1, 1), padding="same", dilation=(1, 1), relu=True)
    np.testing.assert_allclose(fused(t64(x), t64(k), t64(b)).numpy(),
                               C.conv2d(t64(x), t64(k), t64(b), padding="same").relu().numpy())
    check_grad(fused, x, k, b)


def test_im2col_and_windows():
    x = R.standard_normal((2, 5, 6, 3)).astype(np.float32)
    win = C.sliding_windows(x, (3, 2), (2, 1))
    assert win.shape == (2, 2, 5, 3, 2, 3) and np.shares_memory(win, x)
    np.testing.assert_array_equal(win[1, 1, 4], x[1, 2:5, 4:6])
    cols = C.im2col(x, (3, 2), (2, 1))
    assert cols.shape == (2 * 2 * 5, 3 * 2 * 3) and cols.flags.c_contiguous
    np.testing.assert_array_equal(cols[-1], x[1, 2:5, 4:6].reshape(-1))
    assert np.shares_memory(C.im2col(x, (1, 1)), x)  # a 1x1 window needs no copy
    gray = x[..., :1].copy()  # one channel: built offset-major, handed over as a Fortran-ordered matrix
    cols = C.im2col(gray, (3, 2), (2, 1), (1, 2))
    assert cols.shape == (2 * 2 * 4, 6) and cols.flags.f_contiguous
    np.testing.assert_array_equal(cols[-1], gray[1, 2:5, 3:6:2].reshape(-1))


# --- pooling ------------------------------------------------------------------------------------
POOL_CASES = [  # (x shape, pool, strides, padding)
    ((2, 8, 6, 3), (2, 2), None, "valid"),        # the reshape-free fast path: windows tile the input
    ((2, 7, 9, 2), (2, 2), None, "valid"),        # odd sizes: last row/column dropped
    ((2, 9, 7, 2), (3, 3), (2, 2), "valid"),      # overlapping windows
    ((2, 7, 5, 2), (2, 2), None, "same"),
    ((2, 7, 8, 2), (3, 3), (2, 2), "same"),
    ((1, 6, 6, 2), (3, 3), (1, 1), "same"),
    ((2, 6, 7, 2), (3, 2), (1, 2), 1),
]


def _pool_pads(shape, size, strides, padding):
    if padding == "same":
        return tuple(same_pads(n, k, s) for n, k, s in zip(shape[1:3], size, strides))
    if padding == "valid":
        return ((0, 0), (0, 0))
    return C.normalize_padding(padding)


@pytest.mark.parametrize("shape,size,strides,padding", POOL_CASES)
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pooling_matches_naive_loops(shape, size, strides, padding, mode):
    x = R.standard_normal(shape)
    pads = _pool_pads(shape, size, strides or size, padding)
    expected = naive_pool(x, size, strides or size, pads, mode, count_pad=not isinstance(padding, str))
    fn = C.max_pool2d if mode == "max" else C.avg_pool2d
    np.testing.assert_allclose(fn(t64(x), size, strides, padding).numpy(), expected, rtol=1e-12)
    got_cf = fn(t64(x.transpose(0, 3, 1, 2)), size, strides, padding, data_format="channels_first").numpy()
    np.testing.assert_allclose(got_cf, expected.transpose(0, 3, 1, 2), rtol=1e-12)


@pytest.mark.parametrize("shape,size,strides,padding", POOL_CASES)
@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_pooling_gradients(shape, size, strides, padding, mode, data_format):
    x = R.permutation(np.prod(shape)).reshape(shape) * 0.01  # distinct values: max is differentiable
    if data_format == "channels_first":
        x = x.transpose(0, 3, 1, 2).copy()
    fn = C.max_pool2d if mode == "max" else C.avg_pool2d
    check_grad(lambda a: fn(a, size, strides, padding, data_format=data_format), x)


@pytest.mark.parametrize("size,strides", [((2, 2), None), ((3, 3), (2, 2)), ((3, 3), (1, 1)), ((2, 3), (1, 2))])
def test_max_pool_ties_route_each_window_to_exactly_one_element(size, strides):
    x = t64(np.full((2, 7, 8, 3), 0.5), requires_grad=True)
    y = C.max_pool2d(x, size, strides)
    g = R.uniform(1, 2, y.shape)
    y.backward(g)
    s = strides or size
    expected = np.zeros(x.shape)
    for i in range(y.shape[1]):  # every window's gradient goes to its first (top-left) element
        for j in range(y.shape[2]):
            expected[:, i * s[0], j * s[1]] += g[:, i, j]
    np.testing.assert_allclose(x.grad, expected)
    assert np.isclose(x.grad.sum(), g.sum())


def test_max_pool_ties_pick_the_first_maximum_in_row_major_order():
    x = np.zeros((1, 2, 2, 1))
    x[0, 0, 1, 0] = x[0, 1, 0, 0] = x[0, 1, 1, 0] = 1.0  # three tied maxima
    xt = t64(x, requires_grad=True)
    C.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(xt.grad[0, :, :, 0], [[0, 1], [0, 0]])


def test_max_pool_under_no_grad_and_for_integers():
    x = R.standard_normal((2, 6, 6, 3)).astype(np.float32)
    with no_grad():
        y = C.max_pool2d(Tensor(x, requires_grad=True), 2)
    assert not y.requires_grad
    np.testing.assert_array_equal(y.numpy(), x.reshape(2, 3, 2, 3, 2, 3).max(axis=(2, 4)))
    xi = np.arange(2 * 5 * 5).reshape(1, 5, 5, 2)
    got = C.max_pool2d(xi, 3, 2, "same").numpy()
    assert got.dtype.kind == "i"
    np.testing.assert_array_equal(got, naive_pool(xi.astype(float), (3, 3), (2, 2), ((1, 1), (1, 1))))


def test_avg_pool_same_padding_averages_only_real_elements():
    out = C.avg_pool2d(np.ones((1, 5, 5, 2)), 3, 2, "same").numpy()
    np.testing.assert_allclose(out, np.ones((1, 3, 3, 2)))
    assert C.avg_pool2d(np.arange(8).reshape(1, 2, 2, 2), 2).numpy().tolist() == [[[[3.0, 4.0]]]]
    with_zeros = C.avg_pool2d(np.ones((1, 4, 4, 1)), 3, 1, 1).numpy()[0, :, :, 0]  # int padding counts zeros
    assert np.isclose(with_zeros[0, 0], 4 / 9) and np.isclose(with_zeros[1, 1], 1.0)


# --- errors -------------------------------------------------------------------------------------
def test_bad_inputs_raise_clear_errors():
    k = np.zeros((3, 3, 1, 4))
    with pytest.raises(ValueError, match=r"expected 4-D input \(batch, height, width, channels\) for "
                                         r"data_format='channels_last', got shape \(28, 28, 1\)"):
        C.conv2d(np.zeros((28, 28, 1)), k)
    with pytest.raises(ValueError, match=r"input has 3 channels but the kernel expects 1"):
        C.conv2d(np.zeros((1, 8, 8, 3)), k)
    with pytest.raises(ValueError, match=r"too small"):
        C.conv2d(np.zeros((1, 2, 8, 1)), k)
    with pytest.raises(ValueError, match=r"padding must be 'valid', 'same'"):
        C.conv2d(np.zeros((1, 8, 8, 1)), k, padding="full")
    with pytest.raises(ValueError, match=r"strides must be positive"):
        C.conv2d(np.zeros((1, 8, 8, 1)), k, strides=0)
    with pytest.raises(ValueError, match=r"bias must have shape \(4,\)"):
        C.conv2d(np.zeros((1, 8, 8, 1)), k, np.zeros(3))
    with pytest.raises(ValueError, match=r"data_format must be"):
        C.max_pool2d(np.zeros((1, 8, 8, 1)), data_format="NHWC")
    with pytest.raises(ValueError, match=r"\(batch, channels, height, width\)"):
        C.avg_pool2d(np.zeros((8, 8, 1)), data_format="channels_first")
    with pytest.raises(ValueError, match=r"at most half the pool size"):
        C.max_pool2d(np.zeros((1, 8, 8, 1)), 2, padding=2)


# --- other devices and PyTorch -----------------------------------------------------------------------
def test_ops_run_and_differentiate_on_the_fake_device():
    from fake_device import FakeArray
    x = Tensor(R.standard_normal((2, 5, 6, 2)), dtype="float64", device="fake")
    k = Tensor(R.standard_normal((3, 3, 2, 3)), dtype="float64", device="fake")
    b = Tensor(R.standard_normal(3), dtype="float64", device="fake")

    def net(a, kk, bb):
        h = C.conv2d(a, kk, bb, strides=1, padding="same")
        return C.max_pool2d(h, 3, 2, "same") + C.avg_pool2d(h, 2, 2, "same")[:, :3, :3]
    out = net(x, k, b)
    assert isinstance(out.data, FakeArray) and out.device == "fake"
    check_grad(net, x, k, b)
    check_grad(lambda a: C.conv2d(a, k, data_format="channels_first", dilation_rate=2), x.transpose(0, 3, 1, 2))


@pytest.mark.parametrize("channels, data_format, strides, padding", [
    (1, "channels_last", 1, "valid"), (1, "channels_last", 2, "same"), (3, "channels_first", 2, 1),
    (3, "channels_last", (1, 2), ((1, 0), (0, 2)))])
def test_stride_tricks_use_only_cupys_as_strided_signature(monkeypatch, channels, data_format, strides, padding):
    """cupy.lib.stride_tricks.as_strided(x, shape, strides) takes no numpy-only keyword (writeable, subok)."""
    import fake_device
    calls = []

    def strict_as_strided(x, shape=None, strides=None):
        calls.append(shape)
        return fake_device._as_strided(x, shape, strides)
    monkeypatch.setattr(fake_device.fake_numpy.lib.stride_tricks, "as_strided", strict_as_strided)
    shape = (2, 7, 6, channels) if data_format == "channels_last" else (2, channels, 7, 6)
    x = Tensor(R.standard_normal(shape), dtype="float64", device="fake", requires_grad=True)
    k = Tensor(R.standard_normal((3, 2, channels, 2)), dtype="float64", device="fake", requires_grad=True)
    out = C.conv2d(x, k, strides=strides, padding=padding, data_format=data_format)
    pooled = C.max_pool2d(out, 2, 1, "same", data_format) + C.avg_pool2d(out, 2, 1, "same", data_format)
    pooled.sum().backward()
    assert calls and x.grad.shape == shape and k.grad.shape == (3, 2, channels, 2)
    cpu = C.conv2d(Tensor(x.numpy(), dtype="float64"), Tensor(k.numpy(), dtype="float64"), strides=strides,
                   padding=padding, data_format=data_format)
    np.testing.assert_allclose(out.numpy(), cpu.numpy(), rtol=1e-12)


def _torch_conv(torch, x, k, b, stride, padding, dilation):
    import torch.nn.functional as F
    xt = torch.tensor(x.transpose(0, 3, 1, 2), requires_grad=True)
    kt = torch.tensor(k.transpose(3, 2, 0, 1), requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    return xt, kt, bt, F.conv2d(xt, kt, bt, stride=stride, padding=padding, dilation=dilation)


@pytest.mark.parametrize("stride,padding,dilation", [(1, 0, 1), (2, 1, 1), (1, 2, 2), ((2, 1), (0, 1), (1, 2))])
def test_conv2d_matches_torch_forward_and_gradients(stride, padding, dilation):
    torch = pytest.importorskip("torch")
    x, k, b = R.standard_normal((3, 9, 8, 4)), R.standard_normal((3, 3, 4, 5)), R.standard_normal(5)
    xt, kt, bt, yt = _torch_conv(torch, x, k, b, stride, padding, dilation)
    g = R.standard_normal(tuple(yt.shape))
    yt.backward(torch.tensor(g))
    xs, ks, bs = t64(x, True), t64(k, True), t64(b, True)
    y = C.conv2d(xs, ks, bs, strides=stride, padding=padding, dilation_rate=dilation)
    y.backward(g.transpose(0, 2, 3, 1))
    np.testing.assert_allclose(y.numpy(), yt.detach().numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xs.grad, xt.grad.numpy().transpose(0, 2, 3, 1), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ks.grad, kt.grad.numpy().transpose(2, 3, 1, 0), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(bs.grad, bt.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("size,stride,padding", [(2, 2, 0), (3, 2, 0), (3, 1, 1), (2, 1, 1), ((3, 2), (2, 1), (1, 0))])
@pytest.mark.parametrize("constant", [False, True])
def test_pooling_matches_torch_including_ties(size, stride, padding, constant):
    torch = pytest.importorskip("torch")
    import torch.nn.functional as F
    x = np.full((2, 3, 9, 8), 0.25) if constant else R.standard_normal((2, 3, 9, 8))
    g = None
    for mode in ("max", "avg"):
        xt = torch.tensor(x, requires_grad=True)
        yt = (F.max_pool2d if mode == "max" else F.avg_pool2d)(xt, size, stride, padding)
        g = R.standard_normal(tuple(yt.shape))
        yt.backward(torch.tensor(g))
        xs = t64(x, True)
        y = (C.max_pool2d if mode == "max" else C.avg_pool2d)(xs, size, stride, padding,
                                                                data_format="channels_first")
        y.backward(g)
        np.testing.assert_allclose(y.numpy(), yt.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(xs.grad, xt.grad.numpy(), rtol=1e-12, atol=1e-12)
