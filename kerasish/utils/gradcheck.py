"""Numerical gradient checking with central finite differences in float64."""
import numpy as np

from kerasish import backend
from kerasish.tensor import Tensor


def check_grad(fn, *inputs, eps=1e-6, atol=1e-5, rtol=1e-4, seed=0):
    """Compares the analytic gradients of `fn` with central finite differences.

    Every input is copied to float64 (the caller's tensors are not touched). The scalar
    checked is `sum(fn(*inputs) * w)` for a fixed random `w`, so every output element
    contributes with a distinct weight.

    Args:
        fn: callable taking Tensors and returning a Tensor.
        *inputs: Tensors or arrays; floating ones are checked, others are passed as they are.
        eps: finite-difference step.
        atol, rtol: tolerance: |analytic - numeric| <= atol + rtol * |numeric|.

    Returns:
        The largest absolute difference found (a float).

    Raises:
        AssertionError: naming the input, the element index, the analytic and numeric values.
    """
    args = []
    for x in inputs:
        arr = x.data if isinstance(x, Tensor) else x
        if hasattr(arr, "dtype") and arr.dtype.kind == "f" or isinstance(arr, (float, list)):
            device = x.device if isinstance(x, Tensor) else "cpu"
            arr = backend.to_numpy(arr) if hasattr(arr, "shape") else np.asarray(arr)
            args.append(Tensor(arr.astype(np.float64), dtype="float64", device=device, requires_grad=True))
        else:
            args.append(x)
    out = fn(*args)
    if not isinstance(out, Tensor):
        raise TypeError(f"check_grad: fn must return a Tensor, got {type(out).__name__}")
    weights = np.random.default_rng(seed).standard_normal(out.shape)
    out.backward(Tensor(weights, dtype="float64", device=out.device))

    def objective():
        value = fn(*args)
        return float(np.sum(value.numpy().astype(np.float64) * weights))

    worst = 0.0
    for k, t in enumerate(args):
        if not isinstance(t, Tensor) or not t.requires_grad:
            continue
        analytic = backend.to_numpy(t.grad)
        host = backend.to_numpy(t.data).copy()
        for idx in np.ndindex(*host.shape):
            orig = host[idx]
            host[idx] = orig + eps
            t.data = backend.to_device(host, t.device)
            plus = objective()
            host[idx] = orig - eps
            t.data = backend.to_device(host, t.device)
            minus = objective()
            host[idx] = orig
            t.data = backend.to_device(host, t.device)
            numeric = (plus - minus) / (2 * eps)
            err = abs(analytic[idx] - numeric)
            if err > atol + rtol * abs(numeric):
                hint = "" if out.dtype == np.float64 else (
                    f"; fn computed in {out.dtype}, not float64: layers cast inputs to their own dtype, "
                    "so build them with dtype='float64' for a gradient check")
                raise AssertionError(f"check_grad: input {k}, element {idx}: analytic {analytic[idx]:.8g} "
                                     f"vs numeric {numeric:.8g} (error {err:.3g}){hint}")
            worst = max(worst, float(err))
    return worst
