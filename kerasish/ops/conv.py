"""2-D convolution and pooling: sliding windows by stride tricks, then one matrix product.

Images are channels-last (N, H, W, C) unless `data_format='channels_first'` (N, C, H, W),
which convolution handles by transposing to channels-last and back, and pooling by
slicing the other two axes. Every function takes its array module from the operands,
so the same code runs on NumPy and CuPy.

Padding rules (shared by conv and pooling):
    'valid'            no padding;
    'same'             Keras/TensorFlow: output = ceil(input / stride), the odd extra
                       row/column of padding goes at the bottom/right;
    p or (ph, pw)      symmetric zero padding (the seed / PyTorch style);
    ((t, b), (l, r))   explicit padding per side.

Example:
    >>> y = conv2d(x, kernel, bias, strides=1, padding='same')   # x (N,H,W,C), kernel (kh,kw,C,F)
    >>> p = max_pool2d(y, pool_size=2)                            # (N, H/2, W/2, F)
"""
import numpy as np

from kerasish import _config
from kerasish.backend import floatx, get_array_module
from kerasish.function import Function
from kerasish.tensor import Tensor

DATA_FORMATS = ("channels_last", "channels_first")


# --- argument helpers -----------------------------------------------------------------
def normalize_pair(value, name):
    """An int or a pair of ints -> a tuple of two positive ints; raises ValueError otherwise."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif isinstance(value, (tuple, list)) and len(value) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value):
        pair = (int(value[0]), int(value[1]))
    else:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    if min(pair) < 1:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return pair


def normalize_data_format(data_format):
    """None -> 'channels_last'; checks the name."""
    if data_format is None:
        return "channels_last"
    if data_format not in DATA_FORMATS:
        raise ValueError(f"data_format must be 'channels_last' or 'channels_first', got {data_format!r}")
    return data_format


def normalize_padding(padding):
    """Checks a padding argument; returns 'valid', 'same' or ((t, b), (l, r))."""
    if isinstance(padding, str):
        key = padding.lower()
        if key not in ("valid", "same"):
            raise ValueError(f"padding must be 'valid', 'same', an int or a pair, got {padding!r}")
        return key
    ok_int = lambda v: isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0  # noqa: E731
    if ok_int(padding):
        return ((int(padding),) * 2,) * 2
    if isinstance(padding, (tuple, list)) and len(padding) == 2:
        if all(ok_int(v) for v in padding):
            return tuple((int(v), int(v)) for v in padding)
        if all(isinstance(v, (tuple, list)) and len(v) == 2 and all(ok_int(u) for u in v) for v in padding):
            return tuple((int(v[0]), int(v[1])) for v in padding)
    raise ValueError("padding must be 'valid', 'same', a non-negative int, a pair (ph, pw) or "
                     f"((top, bottom), (left, right)), got {padding!r}")


def resolve_padding(padding, size, window, strides, dilation=(1, 1)):
    """Padding per side for one input: returns ((top, bottom), (left, right)).

    Args:
        padding: as accepted by `normalize_padding`.
        size: (H, W) of the input; window: (kh, kw); strides, dilation: pairs.
    """
    padding = normalize_padding(padding)
    if padding == "valid":
        return ((0, 0), (0, 0))
    if padding == "same":
        pads = []
        for n, k, s, d in zip(size, window, strides, dilation):
            out = -(-n // s)
            total = max((out - 1) * s + (k - 1) * d + 1 - n, 0)
            pads.append((total // 2, total - total // 2))
        return tuple(pads)
    return padding


def output_size(size, window, strides, dilation, pads):
    """(OH, OW) of a sliding window over an input of spatial `size` with `pads`."""
    out = tuple((n + lo + hi - (k - 1) * d - 1) // s + 1
                for n, k, s, d, (lo, hi) in zip(size, window, strides, dilation, pads))
    if min(out) < 1:
        raise ValueError(f"input of spatial size {tuple(size)} is too small for a window of {tuple(window)} "
                         f"(dilation {tuple(dilation)}, padding {pads}): the output would be {out}")
    return out


# --- windows ----------------------------------------------------------------------------
def pad_spatial(x, pads, value=0, axes=(1, 2)):
    """`x` padded on its two spatial `axes` with `value` (a copy; `x` itself when no padding)."""
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return x
    xp = get_array_module(x)
    shape = list(x.shape)
    shape[axes[0]] += t + b
    shape[axes[1]] += l + r
    out = xp.full(shape, value, dtype=x.dtype) if value else xp.zeros(shape, dtype=x.dtype)
    out[_spatial_index(x.ndim, axes, slice(t, t + x.shape[axes[0]]), slice(l, l + x.shape[axes[1]]))] = x
    return out


def sliding_windows(x, window, strides=(1, 1), dilation=(1, 1)):
    """A view (N, OH, OW, kh, kw, C) of the windows of a channels-last `x`, without a copy.

    Windows overlap, so never write through it (CuPy's `as_strided` has no `writeable`
    flag to enforce that, so none is passed).
    """
    xp = get_array_module(x)
    n, h, w, c = x.shape
    (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
    oh, ow = output_size((h, w), window, strides, dilation, ((0, 0), (0, 0)))
    s0, s1, s2, s3 = x.strides
    return xp.lib.stride_tricks.as_strided(
        x, (n, oh, ow, kh, kw, c), (s0, s1 * sh, s2 * sw, s1 * dh, s2 * dw, s3))


def im2col(x, window, strides=(1, 1), dilation=(1, 1)):
    """The window matrix (N*OH*OW, kh*kw*C) of a channels-last `x`, rows in (kh, kw, C) order.

    A 1x1 window with stride 1 is `x` itself reshaped (no copy). With one channel the
    matrix is built offset by offset, as the transpose of a C-ordered (kh*kw, N*OH*OW)
    array: copying runs along the image rows instead of single elements (6x faster on
    MNIST's first layer); BLAS takes either order.
    """
    xp = get_array_module(x)
    if x.shape[3] == 1:
        n, h, w, _ = x.shape
        (kh, kw), (sh, sw), (dh, dw) = window, strides, dilation
        oh, ow = output_size((h, w), window, strides, dilation, ((0, 0), (0, 0)))
        s0, s1, s2, _ = x.strides
        win = xp.lib.stride_tricks.as_strided(x, (kh, kw, n, oh, ow), (s1 * dh, s2 * dw, s0, s1 * sh, s2 * sw))
        return xp.ascontiguousarray(win).reshape(kh * kw, n * oh * ow).T
    win = sliding_windows(x, window, strides, dilation)
    n, oh, ow, kh, kw, c = win.shape
    return xp.ascontiguousarray(win).reshape(n * oh * ow, kh * kw * c)


def _spatial_index(ndim, axes, rows, cols):
    index = [slice(None)] * ndim
    index[axes[0]], index[axes[1]] = rows, cols
    return tuple(index)


def _offset_indices(ndim, axes, window, strides, dilation, out_size):
    """For each window offset (i, j), the strided slice of the padded input it reads."""
    (kh, kw), (sh, sw), (dh, dw), (oh, ow) = window, strides, dilation, out_size
    return [_spatial_index(ndim, axes, slice(i * dh, i * dh + sh * (oh - 1) + 1, sh),
                           slice(j * dw, j * dw + sw * (ow - 1) + 1, sw))
            for i in range(kh) for j in range(kw)]


def _crop(gxp, pads, size, axes):
    (t, b), (l, r) = pads
    if not (t or b or l or r):
        return gxp
    return gxp[_spatial_index(gxp.ndim, axes, slice(t, t + size[0]), slice(l, l + size[1]))]


# --- convolution ------------------------------------------------------------------------
class Conv2DFunction(Function):
    """Convolution (cross-correlation, as every framework) of images with a (kh, kw, in, out) kernel.

    Forward: pad, take the window matrix by stride tricks (one copy), one matrix product
    with the kernel as a (kh*kw*in, out) matrix, add the bias (and, with `relu=True`,
    apply max(., 0) in place, keeping a boolean mask for backward). Backward: the kernel
    gradient is one matrix product of the saved window matrix with the output gradient;
    the input gradient (skipped unless needed) is grad @ kernel[i, j]^T per kernel offset
    (i, j), added into the padded input with one strided slice-add per offset.
    """

    def __init__(self, strides=(1, 1), padding="valid", dilation=(1, 1), data_format="channels_last",
                 relu=False, save=(True, True)):
        self.strides, self.padding, self.dilation = strides, padding, dilation
        self.channels_first = data_format == "channels_first"
        self.relu = relu
        # what backward will need: (anything at all, the window matrix for the kernel gradient);
        # see `backward_needs`
        self.save_any, self.save_cols = save

    def forward(self, x, kernel, bias=None):
        xp = get_array_module(x)
        if self.channels_first:
            x = x.transpose(0, 2, 3, 1)
        n, h, w, c = x.shape
        kh, kw, cin, cout = kernel.shape
        if c != cin:
            raise ValueError(f"input has {c} channels but the kernel expects {cin} (kernel shape {kernel.shape})")
        self.pads = resolve_padding(self.padding, (h, w), (kh, kw), self.strides, self.dilation)
        xpad = pad_spatial(x, self.pads)
        cols = im2col(xpad, (kh, kw), self.strides, self.dilation)
        oh, ow = output_size((h, w), (kh, kw), self.strides, self.dilation, self.pads)
        out = cols @ kernel.reshape(kh * kw * cin, cout)
        if bias is not None:
            out += bias
        if self.relu:
            xp.maximum(out, 0, out=out)
            if self.save_any:
                self.positive = out > 0
        if self.save_any:
            self.cols = cols if self.save_cols else None
            self.kernel, self.x_shape = kernel, (n, h, w, c)
        out = out.reshape(n, oh, ow, cout)
        if self.channels_first:
            out = xp.ascontiguousarray(out.transpose(0, 3, 1, 2))
        return out

    def backward(self, g):
        xp = get_array_module(g)
        need_x, need_k, need_b = self.needs_input_grad
        if self.channels_first:
            g = g.transpose(0, 2, 3, 1)
        n, oh, ow, cout = g.shape
        g2 = g.reshape(n * oh * ow, cout)
        if self.relu:
            g2 = g2 * self.positive.reshape(g2.shape)
            self.positive = None
        kernel = self.kernel
        gx = gk = gb = None
        if need_k:
            gk = (self.cols.T @ g2).reshape(kernel.shape)
        self.cols = None
        if need_b:  # a matrix-vector product: several times faster than a column sum on NumPy
            gb = xp.ones(g2.shape[0], dtype=g2.dtype) @ g2 if g2.dtype.itemsize >= 4 else g2.sum(axis=0)
        if need_x:
            gx = self._input_grad(xp, g2, kernel, (oh, ow))
        return gx, gk, gb

    def _input_grad(self, xp, g2, kernel, out_size):
        kh, kw, cin, cout = kernel.shape
        n, h, w, c = self.x_shape
        kt = xp.ascontiguousarray(kernel.reshape(kh * kw, cin, cout).transpose(0, 2, 1))  # (kh*kw, out, in)
        (t, b), (l, r) = self.pads
        gxp = xp.zeros((n, h + t + b, w + l + r, cin), dtype=g2.dtype)
        # per kernel offset: one (M, out) @ (out, in) product into a reused buffer, then a strided
        # slice-add; less memory and cache traffic than one (kh*kw, M, in) product
        part = xp.empty((g2.shape[0], cin), dtype=g2.dtype)
        part_img = part.reshape(n, out_size[0], out_size[1], cin)
        for k, index in enumerate(_offset_indices(4, (1, 2), (kh, kw), self.strides, self.dilation, out_size)):
            xp.matmul(g2, kt[k], out=part)
            gxp[index] += part_img
        gx = _crop(gxp, self.pads, (h, w), (1, 2))
        return gx.transpose(0, 3, 1, 2) if self.channels_first else gx


# --- pooling ----------------------------------------------------------------------------
class _Pool2DFunction(Function):
    """Shared set-up of max and average pooling over the spatial axes of 4-D images."""

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format="channels_last"):
        self.window = pool_size
        self.strides = strides or pool_size
        self.padding = padding
        self.axes = (2, 3) if data_format == "channels_first" else (1, 2)

    def _setup(self, x, pad_value):
        size = (x.shape[self.axes[0]], x.shape[self.axes[1]])
        self.size = size
        self.pads = resolve_padding(self.padding, size, self.window, self.strides)
        for (lo, hi), k in zip(self.pads, self.window):
            if max(lo, hi) > k // 2 and not isinstance(self.padding, str):
                raise ValueError(f"pooling padding {self.pads} must be at most half the pool size {self.window}")
        self.out_size = output_size(size, self.window, self.strides, (1, 1), self.pads)
        xpad = pad_spatial(x, self.pads, pad_value, self.axes)
        self.padded_shape = xpad.shape
        self.offsets = _offset_indices(x.ndim, self.axes, self.window, self.strides, (1, 1), self.out_size)
        # windows tile the padded input exactly: every input element gets exactly one write
        self.tiles = self.strides == self.window and all(
            p == o * k for p, o, k in zip((xpad.shape[self.axes[0]], xpad.shape[self.axes[1]]),
                                          self.out_size, self.window))
        return xpad

    def _grad_buffer(self, xp, dtype):
        return (xp.empty if self.tiles else xp.zeros)(self.padded_shape, dtype=dtype)


class MaxPool2DFunction(_Pool2DFunction):
    """Max over each window; the gradient goes to one element per window (the first maximum
    in row-major window order), and overlapping windows accumulate.

    Forward keeps the running maximum and, when `track` (a gradient will be needed), the
    winning offset of each window as a small integer array; backward then routes the
    gradient with one compare and one multiply per offset, without touching the input.
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format="channels_last",
                 track=True):
        super().__init__(pool_size, strides, padding, data_format)
        self.track = track

    def forward(self, x):
        xp = get_array_module(x)
        low = -np.inf if x.dtype.kind == "f" else np.iinfo(x.dtype).min
        xpad = self._setup(x, low)
        slabs = [xpad[index] for index in self.offsets]
        if len(slabs) == 1:
            out = slabs[0].copy()
            self.winner = xp.zeros(out.shape, dtype=np.uint8) if self.track else None
            return out
        out = xp.maximum(slabs[0], slabs[1])
        if not self.track:
            for slab in slabs[2:]:
                xp.maximum(out, slab, out=out)
            return out
        kind = np.dtype(np.uint8 if len(slabs) < 256 else np.int32)
        winner = (slabs[1] > slabs[0]).astype(kind)
        step = xp.empty(out.shape, dtype=kind)
        for k, slab in enumerate(slabs[2:], 2):
            # offsets come in increasing order, so max(winner, k * (slab > out)) takes k exactly
            # where slab is strictly greater: ties keep the earlier offset
            xp.multiply(slab > out, kind.type(k), out=step)
            xp.maximum(winner, step, out=winner)
            xp.maximum(out, slab, out=out)
        self.winner = winner
        return out

    def backward(self, g):
        xp = get_array_module(g)
        gxp = self._grad_buffer(xp, g.dtype)
        winner = self.winner
        for k, index in enumerate(self.offsets):
            if self.tiles:
                xp.multiply(g, winner == k, out=gxp[index])
            else:
                gxp[index] += g * (winner == k)
        self.winner = None
        return _crop(gxp, self.pads, self.size, self.axes)


class AvgPool2DFunction(_Pool2DFunction):
    """Mean over each window. Zero padding counts for explicit int padding (PyTorch's
    default); with 'same' only the input elements of a window count (Keras)."""

    def forward(self, x):
        xp = get_array_module(x)
        if x.dtype.kind != "f":  # a mean of integers is a float
            x = x.astype(floatx())
        xpad = self._setup(x, 0)
        slabs = self.offsets
        out = xpad[slabs[0]] + xpad[slabs[1]] if len(slabs) > 1 else xpad[slabs[0]].copy()
        for index in slabs[2:]:
            out += xpad[index]
        self.scale = self._scale(xp, out.dtype)
        out *= self.scale
        return out

    def _scale(self, xp, dtype):
        """1 / (elements per window): a scalar, or an (OH, OW[, 1]) array for 'same' padding."""
        kh, kw = self.window
        if self.padding != "same" or self.pads == ((0, 0), (0, 0)):
            return 1.0 / (kh * kw)
        counts = []
        for n, k, s, o, (lo, _) in zip(self.size, self.window, self.strides, self.out_size, self.pads):
            start = np.arange(o) * s - lo
            counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
        scale = 1.0 / np.outer(counts[0], counts[1])
        if self.axes == (1, 2):
            scale = scale[:, :, None]
        return xp.asarray(scale.astype(dtype))

    def backward(self, g):
        xp = get_array_module(g)
        gs = g * self.scale
        gxp = self._grad_buffer(xp, gs.dtype)
        for index in self.offsets:
            if self.tiles:
                gxp[index] = gs
            else:
                gxp[index] += gs
        return _crop(gxp, self.pads, self.size, self.axes)


# --- functional wrappers ---------------------------------------------------------------
def backward_needs(x, kernel, bias=None):
    """Conv2DFunction's `save` argument: (will any gradient flow, is the kernel's needed)."""
    if not _config.is_grad_enabled():
        return (False, False)
    needs = [t is not None and getattr(t, "requires_grad", False) for t in (x, kernel, bias)]
    return (any(needs), needs[1])


def _as_tensor(x, like=None):
    if isinstance(x, Tensor) or x is None:
        return x
    return Tensor(x, device=like.device if isinstance(like, Tensor) else None)


def _check_images(x, data_format, what):
    if x.ndim != 4:
        layout = "(batch, height, width, channels)" if data_format == "channels_last" else \
            "(batch, channels, height, width)"
        raise ValueError(f"{what}: expected 4-D input {layout} for data_format='{data_format}', "
                         f"got shape {tuple(x.shape)}")


def conv2d(x, kernel, bias=None, strides=1, padding="valid", dilation_rate=1, data_format="channels_last"):
    """2-D convolution of images with a (kh, kw, in_channels, out_channels) kernel.

    Args:
        x: (N, H, W, C) images, or (N, C, H, W) with `data_format='channels_first'`.
        kernel: (kh, kw, C, F) Tensor or array (Keras's layout).
        bias: (F,) or None.
        strides, dilation_rate: int or pair.
        padding: 'valid', 'same', an int, a pair or ((top, bottom), (left, right)).

    Returns:
        A Tensor (N, OH, OW, F) (or (N, F, OH, OW) for channels_first).
    """
    data_format = normalize_data_format(data_format)
    x = _as_tensor(x)
    kernel, bias = _as_tensor(kernel, x), _as_tensor(bias, x)
    _check_images(x, data_format, "conv2d")
    if kernel.ndim != 4:
        raise ValueError(f"conv2d: kernel must be 4-D (kh, kw, in_channels, out_channels), got shape {kernel.shape}")
    if bias is not None and bias.shape != (kernel.shape[3],):
        raise ValueError(f"conv2d: bias must have shape ({kernel.shape[3]},), got {bias.shape}")
    return Conv2DFunction.apply(x, kernel, bias, strides=normalize_pair(strides, "strides"),
                                padding=normalize_padding(padding),
                                dilation=normalize_pair(dilation_rate, "dilation_rate"), data_format=data_format,
                                save=backward_needs(x, kernel, bias))


def _pool(cls, name, x, pool_size, strides, padding, data_format):
    data_format = normalize_data_format(data_format)
    x = _as_tensor(x)
    _check_images(x, data_format, name)
    pool_size = normalize_pair(pool_size, "pool_size")
    strides = pool_size if strides is None else normalize_pair(strides, "strides")
    extra = {"track": x.requires_grad and _config.is_grad_enabled()} if cls is MaxPool2DFunction else {}
    return cls.apply(x, pool_size=pool_size, strides=strides, padding=normalize_padding(padding),
                     data_format=data_format, **extra)


def max_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """Max pooling over (pool_h, pool_w) windows; `strides` defaults to `pool_size`.

    The gradient of each window goes to a single element (its first maximum).
    """
    return _pool(MaxPool2DFunction, "max_pool2d", x, pool_size, strides, padding, data_format)


def avg_pool2d(x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """Average pooling; with padding='same' only real input elements are averaged (Keras)."""
    return _pool(AvgPool2DFunction, "avg_pool2d", x, pool_size, strides, padding, data_format)


def conv_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid", dilation_rate=1,
                      data_format="channels_last"):
    """The output shape of `conv2d` (or of pooling with filters=None) for an input shape; None stays None."""
    data_format = normalize_data_format(data_format)
    kernel_size = normalize_pair(kernel_size, "kernel_size")
    strides = normalize_pair(strides, "strides")
    dilation = normalize_pair(dilation_rate, "dilation_rate")
    axes = (2, 3) if data_format == "channels_first" else (1, 2)
    caxis = 1 if data_format == "channels_first" else 3
    shape = list(input_shape)
    for i, (axis, k, st, d) in enumerate(zip(axes, kernel_size, strides, dilation)):
        n = shape[axis]
        if n is not None:  # padding is independent per axis: resolve axis i on a square input
            pad = resolve_padding(padding, (n, n), (k, k), (st, st), (d, d))[i]
            shape[axis] = output_size((n, n), (k, k), (st, st), (d, d), (pad, pad))[0]
    if filters is not None:
        shape[caxis] = filters
    return tuple(shape)


__all__ = ["conv2d", "max_pool2d", "avg_pool2d", "im2col", "sliding_windows", "pad_spatial",
           "resolve_padding", "output_size", "conv_output_shape", "backward_needs", "Conv2DFunction",
           "MaxPool2DFunction", "AvgPool2DFunction"]
