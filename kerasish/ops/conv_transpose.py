"""Transposed 2-D convolution: the input-gradient of a convolution, as a forward op.

Each input pixel spreads its channels over a kh x kw patch of the output through the kernel.
The output starts as the "full" result, (H - 1) * stride + (k - 1) * dilation + 1 long per
spatial axis, from which Keras's `padding` / `output_padding` select a window (cropped on
the left, cropped or zero-extended on the right).

Kernels use Keras's layout (kh, kw, filters, in_channels). Every function takes its array
module from the operands, so the same code runs on NumPy and CuPy.

Example:
    >>> y = conv2d_transpose(x, kernel, strides=2, padding='same')  # x (N,H,W,C) -> (N,2H,2W,F)
"""
from kerasish.backend import get_array_module
from kerasish.function import Function
from kerasish.ops.conv import (_offset_indices, im2col, normalize_data_format, normalize_pair)
from kerasish.tensor import Tensor


def normalize_output_padding(output_padding, strides):
    """None, an int or a pair -> None or a pair of non-negative ints each below its stride."""
    if output_padding is None:
        return None
    if isinstance(output_padding, int) and not isinstance(output_padding, bool):
        pair = (output_padding, output_padding)
    elif isinstance(output_padding, (tuple, list)) and len(output_padding) == 2 and all(
            isinstance(v, int) and not isinstance(v, bool) for v in output_padding):
        pair = tuple(int(v) for v in output_padding)
    else:
        raise ValueError(f"output_padding must be None, an int or a pair of ints, got {output_padding!r}")
    for op, s in zip(pair, strides):
        if op < 0 or op >= s:
            raise ValueError(f"output_padding must be non-negative and smaller than strides {tuple(strides)} "
                             f"on each axis, got {output_padding!r}")
    return pair


def transpose_axis(size, kernel, stride, dilation, padding, output_padding=None):
    """For one spatial axis: (full length, left crop, output length), Keras's rules.

    'valid': the full result plus `output_padding` zeros on the right (default
    max(k, s) - k, so the output is (n - 1) * s + max(k, s) long). 'same': n * s long by
    default, else (n - 1) * s + k % 2 + output_padding; centred as Keras centres it.
    """
    k = (kernel - 1) * dilation + 1
    full = (size - 1) * stride + k
    if padding == "valid":
        extra = max(k, stride) - k if output_padding is None else output_padding
        return full, 0, full + extra
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    before = min(total - total // 2, k - 1)
    left, right = k - 1 - before, k - 1 - (total - before)
    return full, left, full - left - right


def conv_transpose_output_shape(input_shape, filters, kernel_size, strides=1, padding="valid",
                                output_padding=None, dilation_rate=1, data_format="channels_last"):
    """The output shape of `conv2d_transpose` for an input shape; None sizes stay None."""
    data_format = normalize_data_format(data_format)
    kernel_size = normalize_pair(kernel_size, "kernel_size")
    strides = normalize_pair(strides, "strides")
    dilation = normalize_pair(dilation_rate, "dilation_rate")
    output_padding = normalize_output_padding(output_padding, strides) or (None, None)
    axes, caxis = ((2, 3), 1) if data_format == "channels_first" else ((1, 2), 3)
    shape = list(input_shape)
    for axis, k, s, d, op in zip(axes, kernel_size, strides, dilation, output_padding):
        if shape[axis] is not None:
            shape[axis] = transpose_axis(shape[axis], k, s, d, padding, op)[2]
    shape[caxis] = filters
    return tuple(shape)


class Conv2DTransposeFunction(Function):
    """Transposed convolution of images with a (kh, kw, filters, in_channels) kernel.

    Forward: per kernel offset one (N*H*W, in) @ (in, filters) product into a reused buffer,
    added into the full output with one strided slice-add; then the window Keras keeps is
    cut out and the bias added. Backward is an ordinary convolution of the (re-padded)
    output gradient: one window matrix by stride tricks serves both the input gradient
    (a product with the kernel) and the kernel gradient (a product with the input).
    """

    def __init__(self, strides=(1, 1), padding="valid", output_padding=None, dilation=(1, 1),
                 data_format="channels_last"):
        self.strides, self.padding, self.dilation = strides, padding, dilation
        self.output_padding = output_padding or (None, None)
        self.channels_first = data_format == "channels_first"

    def forward(self, x, kernel, bias=None):
        xp = get_array_module(x)
        if self.channels_first:
            x = x.transpose(0, 2, 3, 1)
        n, h, w, c = x.shape
        kh, kw, filters, cin = kernel.shape
        if c != cin:
            raise ValueError(f"input has {c} channels but the kernel expects {cin} (kernel shape {kernel.shape})")
        (fh, top, oh), (fw, left, ow) = self.geometry = [
            transpose_axis(size, k, s, d, self.padding, op) for size, k, s, d, op in
            zip((h, w), (kh, kw), self.strides, self.dilation, self.output_padding)]
        if min(oh, ow) < 1:
            raise ValueError(f"input of spatial size {(h, w)} gives an empty output {(oh, ow)}")
        buf = xp.zeros((n, max(fh, top + oh), max(fw, left + ow), filters), dtype=x.dtype)
        x2 = x.reshape(n * h * w, cin)
        kt = xp.ascontiguousarray(kernel.reshape(kh * kw, filters, cin).transpose(0, 2, 1))  # (kh*kw, in, f)
        part = xp.empty((n * h * w, filters), dtype=x.dtype)
        part_img = part.reshape(n, h, w, filters)
        for k, index in enumerate(_offset_indices(4, (1, 2), (kh, kw), self.strides, self.dilation, (h, w))):
            xp.matmul(x2, kt[k], out=part)
            buf[index] += part_img
        out = buf
        if buf.shape[1:3] != (oh, ow):
            out = xp.ascontiguousarray(buf[:, top:top + oh, left:left + ow])
        if bias is not None:
            out += bias
        self.x2, self.kernel, self.x_shape = x2, kernel, (n, h, w, c)
        if self.channels_first:
            out = xp.ascontiguousarray(out.transpose(0, 3, 1, 2))
        return out

    def backward(self, g):
        xp = get_array_module(g)
        need_x, need_k, need_b = self.needs_input_grad
        if self.channels_first:
            g = g.transpose(0, 2, 3, 1)
        kernel = self.kernel
        kh, kw, filters, cin = kernel.shape
        (fh, top, oh), (fw, left, ow) = self.geometry
        gx = gk = gb = None
        if need_b:
            gb = g.sum(axis=(0, 1, 2))
        if need_x or need_k:
            gfull = self._full_grad(xp, g)
            cols = im2col(gfull, (kh, kw), self.strides, self.dilation)  # (N*H*W, kh*kw*filters)
            if need_k:
                gk = (cols.T @ self.x2).reshape(kernel.shape)
            if need_x:
                gx = (cols @ kernel.reshape(kh * kw * filters, cin)).reshape(self.x_shape)
                if self.channels_first:
                    gx = xp.ascontiguousarray(gx.transpose(0, 3, 1, 2))
        self.x2 = self.kernel = None
        return gx, gk, gb

    def _full_grad(self, xp, g):
        """The output gradient placed back into the full (uncropped) output's frame."""
        (fh, top, oh), (fw, left, ow) = self.geometry
        if top == 0 and left == 0 and oh >= fh and ow >= fw:
            return g[:, :fh, :fw]
        gfull = xp.zeros((g.shape[0], fh, fw, g.shape[3]), dtype=g.dtype)
        rows, cols = min(fh - top, oh), min(fw - left, ow)
        gfull[:, top:top + rows, left:left + cols] = g[:, :rows, :cols]
        return gfull


def conv2d_transpose(x, kernel, bias=None, strides=1, padding="valid", output_padding=None, dilation_rate=1,
                     data_format="channels_last"):
    """Transposed 2-D convolution (Keras's Conv2DTranspose without the activation).

    Args:
        x: (N, H, W, C) images, or (N, C, H, W) with `data_format='channels_first'`.
        kernel: (kh, kw, filters, C) Tensor or array (Keras's layout).
        bias: (filters,) or None.
        strides, dilation_rate: int or pair.
        padding: 'valid' or 'same'.
        output_padding: None, an int or a pair, each smaller than its stride.

    Returns:
        A Tensor (N, OH, OW, filters) (or (N, filters, OH, OW) for channels_first).
    """
    data_format = normalize_data_format(data_format)
    x = x if isinstance(x, Tensor) else Tensor(x)
    kernel = kernel if isinstance(kernel, Tensor) else Tensor(kernel, device=x.device)
    if bias is not None and not isinstance(bias, Tensor):
        bias = Tensor(bias, device=x.device)
    if x.ndim != 4:
        raise ValueError(f"conv2d_transpose: expected 4-D images for data_format='{data_format}', "
                         f"got shape {tuple(x.shape)}")
    if kernel.ndim != 4:
        raise ValueError("conv2d_transpose: kernel must be 4-D (kh, kw, filters, in_channels), "
                         f"got shape {kernel.shape}")
    if bias is not None and bias.shape != (kernel.shape[2],):
        raise ValueError(f"conv2d_transpose: bias must have shape ({kernel.shape[2]},), got {bias.shape}")
    padding = normalize_transpose_padding(padding)
    strides = normalize_pair(strides, "strides")
    return Conv2DTransposeFunction.apply(
        x, kernel, bias, strides=strides, padding=padding,
        output_padding=normalize_output_padding(output_padding, strides),
        dilation=normalize_pair(dilation_rate, "dilation_rate"), data_format=data_format)


def normalize_transpose_padding(padding):
    """'valid' or 'same' (any case); raises ValueError otherwise."""
    key = padding.lower() if isinstance(padding, str) else None
    if key not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    return key


__all__ = ["conv2d_transpose", "conv_transpose_output_shape", "transpose_axis", "normalize_output_padding",
           "normalize_transpose_padding", "Conv2DTransposeFunction"]
