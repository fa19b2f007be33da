"""Matrix products and the softmax family, including fused softmax cross-entropy."""
from kerasish.backend import get_array_module
from kerasish.function import Function


class MatMul(Function):
    """a @ b with NumPy semantics: 1-D operands, batched and broadcast stacks."""

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: operands must be at least 1-D (use * for scalars)")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} are not aligned "
                             f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
        self.a, self.b = a, b
        return a @ b

    def backward(self, g):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = g[..., None, :] if b.ndim > 1 else g[..., None]
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if need_a:
            ga = g @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga.reshape(-1, a.shape[0]).sum(axis=0)
        if need_b:
            gb = a2.swapaxes(-1, -2) @ g
            if b.ndim == 1:
                gb = gb.reshape(-1, b.shape[0]).sum(axis=0)
        return ga, gb


def _log_softmax(x, axis):
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class Softmax(Function):
    """Softmax along an axis."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        xp = get_array_module(x)
        e = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        e /= e.sum(axis=self.axis, keepdims=True)
        self.out = e
        return e

    def backward(self, g):
        y = self.out
        gy = g * y
        return gy - y * gy.sum(axis=self.axis, keepdims=True)


class LogSoftmax(Function):
    """Log-softmax along an axis (log-sum-exp)."""

    def __init__(self, axis=-1):
        self.axis = axis

    def forward(self, x):
        self.out = _log_softmax(x, self.axis)
        return self.out

    def backward(self, g):
        xp = get_array_module(g)
        return g - xp.exp(self.out) * g.sum(axis=self.axis, keepdims=True)


class SoftmaxCrossEntropy(Function):
    """Cross-entropy of softmax(logits) against integer labels or probability rows, fused.

    Forward uses log-sum-exp; backward is (softmax - target) without forming the
    softmax Jacobian. Returns per-sample losses (shape = logits.shape[:-1]).
    `check_labels=False` skips the label-range check (a device -> host sync) for callers
    that have checked the labels already.
    """

    def __init__(self, label_smoothing=0.0, check_labels=True):
        self.label_smoothing = label_smoothing
        self.check_labels = check_labels

    def forward(self, logits, target):
        xp = get_array_module(logits)
        logp = _log_softmax(logits, -1)
        n_classes = logits.shape[-1]
        if target.dtype.kind in "iu" and target.shape == logits.shape[:-1]:
            if self.check_labels and target.size and (int(target.min()) < 0 or int(target.max()) >= n_classes):
                raise ValueError(f"class index out of range: labels must lie in [0, {n_classes - 1}], "
                                 f"got min {int(target.min())}, max {int(target.max())}")
            self.index = target
            self.probs = None
        elif target.shape == logits.shape:
            self.index = None
            self.probs = target.astype(logits.dtype, copy=False)
        else:
            raise ValueError(f"cross-entropy targets must be class indices of shape {logits.shape[:-1]} "
                             f"or one-hot/probabilities of shape {logits.shape}, got shape {target.shape} "
                             f"and dtype {target.dtype}")
        eps = self.label_smoothing
        self.logp = logp
        if self.index is not None:
            picked = xp.take_along_axis(logp, self.index[..., None], axis=-1)[..., 0]
            loss = -picked
            if eps:
                loss = (1 - eps) * loss - eps * logp.mean(axis=-1)
        else:
            probs = self.probs if not eps else self.probs * (1 - eps) + eps / n_classes
            self.probs = probs
            loss = -(probs * logp).sum(axis=-1)
        return loss

    def backward(self, g):
        xp = get_array_module(g)
        grad = xp.exp(self.logp)
        eps = self.label_smoothing
        if self.index is not None:
            if eps:
                grad -= eps / grad.shape[-1]
            flat = grad.reshape(-1, grad.shape[-1])
            rows = xp.arange(flat.shape[0])
            flat[rows, self.index.reshape(-1)] -= 1 - eps
        else:
            grad = grad * self.probs.sum(axis=-1, keepdims=True) - self.probs
        grad *= g[..., None]
        return grad, None
