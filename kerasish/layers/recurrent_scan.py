"""Fused time loops of SimpleRNN, LSTM and GRU: one Function per layer call.

Each op takes the input projections `x @ kernel + bias` of every step at once, shape
(batch, time, gates), already computed by one matmul outside, and runs the recurrence
`h @ recurrent_kernel + elementwise` step by step on raw arrays. Backward is explicit
backpropagation through time; the recurrent kernel's gradient is one matmul over all steps.

Outputs are in processing order (reversed in time when `reverse`, as Keras's go_backwards).
Activations given by kerasish's own functions have closed-form derivatives; any other
callable is differentiated through kerasish's autograd on the saved pre-activations.
"""
from kerasish import _config, activations
from kerasish.backend import get_array_module
from kerasish.function import Function
from kerasish.tensor import Tensor

# derivative from the activation's output y
_FROM_OUTPUT = {
    id(activations.tanh): lambda y: 1 - y * y,
    id(activations.sigmoid): lambda y: y * (1 - y),
    id(activations.relu): lambda y: (y > 0).astype(y.dtype),
    id(activations.linear): None,
    id(activations.hard_sigmoid): lambda y: ((y > 0) & (y < 1)).astype(y.dtype) * (1.0 / 6.0),
}


def _sigmoid(a):
    y = a * 0.5  # the tanh form of kerasish's Sigmoid op, in place after the first pass
    xp = get_array_module(y)
    xp.tanh(y, out=y)
    y *= 0.5
    y += 0.5
    return y


# the raw-array forms of the common activations (same numbers as their ops, without the op
# machinery, which costs more than the arithmetic on one time step)
_RAW = {
    id(activations.tanh): lambda a: get_array_module(a).tanh(a),
    id(activations.sigmoid): _sigmoid,
    id(activations.relu): lambda a: get_array_module(a).maximum(a, 0),
}


class Act:
    """An activation on raw arrays with its vector-Jacobian product."""

    def __init__(self, fn):
        self.fn = fn
        self.known = id(fn) in _FROM_OUTPUT
        self._deriv = _FROM_OUTPUT.get(id(fn))
        self._raw = _RAW.get(id(fn))

    def __call__(self, a):
        if self.known and self._deriv is None:
            return a
        if self._raw is not None:
            return self._raw(a)
        with _config.no_grad():
            return self.fn(Tensor._wrap(a, False, None)).data

    def grad(self, g, y, pre):
        """g * f'(pre), from the output `y` when the derivative is known, else through autograd."""
        if self.known:
            return g if self._deriv is None else g * self._deriv(y)
        with _config.enable_grad():
            t = Tensor._wrap(pre, True, None)
            self.fn(t).backward(g)
        return t.grad


def _start(xp, h0, shape, dtype):
    return xp.zeros(shape, dtype=dtype) if h0 is None else h0


def _prev(seq, first):
    """(batch, time, n) of the states before each step: [first, seq[:, 0], ..., seq[:, -2]]."""
    xp = get_array_module(seq)
    return xp.concatenate([first[:, None], seq[:, :-1]], axis=1)


def _order(reverse, steps):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _in_time(d, reverse):
    return d[:, ::-1] if reverse else d


class SimpleRNNScan(Function):
    """h_t = act(x_t + h_{t-1} @ u); output (batch, time, units): every h in processing order."""

    def __init__(self, activation, reverse=False):
        self.act, self.reverse = Act(activation), reverse

    def forward(self, x, u, h0):
        xp = get_array_module(x)
        batch, steps, n = x.shape
        h = self.h0 = _start(xp, h0, (batch, n), x.dtype)
        out = xp.empty((batch, steps, n), dtype=x.dtype)
        pre = None if self.act.known else xp.empty_like(out)
        for k, t in enumerate(_order(self.reverse, steps)):
            a = x[:, t] + h @ u
            if pre is not None:
                pre[:, k] = a
            h = self.act(a)
            out[:, k] = h
        self.u, self.out, self.pre = u, out, pre
        return out

    def backward(self, g):
        xp = get_array_module(g)
        out, u, pre = self.out, self.u, self.pre
        steps = out.shape[1]
        dx = xp.empty_like(out)
        dh = xp.zeros_like(self.h0)
        for k in range(steps - 1, -1, -1):
            da = self.act.grad(dh + g[:, k], out[:, k], None if pre is None else pre[:, k])
            dx[:, k] = da
            dh = da @ u.T
        du = None
        if self.needs_input_grad[1]:
            n = u.shape[0]
            du = _prev(out, self.h0).reshape(-1, n).T @ dx.reshape(-1, n)
        return _in_time(dx, self.reverse), du, dh


class LSTMScan(Function):
    """LSTM recurrence (gates i, f, c, o as Keras); output (batch, time, 2 * units): [h, c] per step."""

    def __init__(self, activation, recurrent_activation, reverse=False):
        self.act, self.ract, self.reverse = Act(activation), Act(recurrent_activation), reverse

    def forward(self, x, u, h0, c0):
        xp = get_array_module(x)
        batch, steps, g4 = x.shape
        n = g4 // 4
        h = self.h0 = _start(xp, h0, (batch, n), x.dtype)
        c = self.c0 = _start(xp, c0, (batch, n), x.dtype)
        out = xp.empty((batch, steps, 2 * n), dtype=x.dtype)
        gates = xp.empty((batch, steps, g4), dtype=x.dtype)
        tcs = xp.empty((batch, steps, n), dtype=x.dtype)
        generic = not (self.act.known and self.ract.known)
        pre = xp.empty_like(gates) if generic else None
        for k, t in enumerate(_order(self.reverse, steps)):
            z = x[:, t] + h @ u
            a = self.ract(z)
            a[:, 2 * n:3 * n] = self.act(z[:, 2 * n:3 * n])
            c = a[:, n:2 * n] * c + a[:, :n] * a[:, 2 * n:3 * n]
            tc = self.act(c)
            h = a[:, 3 * n:] * tc
            out[:, k, :n], out[:, k, n:], gates[:, k], tcs[:, k] = h, c, a, tc
            if generic:
                pre[:, k] = z
        self.u, self.out, self.gates, self.tcs, self.pre = u, out, gates, tcs, pre
        return out

    def backward(self, g):
        xp = get_array_module(g)
        out, gates, tcs, pre, u = self.out, self.gates, self.tcs, self.pre, self.u
        steps, n = out.shape[1], u.shape[0]
        dx = xp.empty_like(gates)
        dh, dc = xp.zeros_like(self.h0), xp.zeros_like(self.c0)
        for k in range(steps - 1, -1, -1):
            a, z = gates[:, k], None if pre is None else pre[:, k]
            i, f, cc, o = a[:, :n], a[:, n:2 * n], a[:, 2 * n:3 * n], a[:, 3 * n:]
            c_prev = out[:, k - 1, n:] if k else self.c0
            dh = dh + g[:, k, :n]
            dc = dc + g[:, k, n:] + self.act.grad(dh * o, tcs[:, k], None if pre is None else out[:, k, n:])
            d = dx[:, k]
            d[:, :n] = dc * cc
            d[:, n:2 * n] = dc * c_prev
            d[:, 3 * n:] = dh * tcs[:, k]
            d[:, :2 * n] = self.ract.grad(d[:, :2 * n], a[:, :2 * n], None if z is None else z[:, :2 * n])
            d[:, 3 * n:] = self.ract.grad(d[:, 3 * n:], o, None if z is None else z[:, 3 * n:])
            d[:, 2 * n:3 * n] = self.act.grad(dc * i, cc, None if z is None else z[:, 2 * n:3 * n])
            dc = dc * f
            dh = d @ u.T
        du = None
        if self.needs_input_grad[1]:
            du = _prev(out[:, :, :n], self.h0).reshape(-1, n).T @ dx.reshape(-1, 4 * n)
        return _in_time(dx, self.reverse), du, dh, dc


class GRUScan(Function):
    """GRU recurrence (gates z, r, h as Keras), reset after or before the recurrent product.

    Inputs: x projections (batch, time, 3 * units) with the input bias added, recurrent kernel u,
    recurrent bias (3 * units,) or None (reset_after only), initial state or None.
    Output (batch, time, units).
    """

    def __init__(self, activation, recurrent_activation, reverse=False, reset_after=True):
        self.act, self.ract = Act(activation), Act(recurrent_activation)
        self.reverse, self.reset_after = reverse, reset_after

    def forward(self, x, u, rb, h0):
        xp = get_array_module(x)
        batch, steps, g3 = x.shape
        n = g3 // 3
        h = self.h0 = _start(xp, h0, (batch, n), x.dtype)
        out = xp.empty((batch, steps, n), dtype=x.dtype)
        zr = xp.empty((batch, steps, 2 * n), dtype=x.dtype)
        hh = xp.empty_like(out)
        rec = xp.empty_like(out)  # reset_after: h @ u_h + b_h; else r * h
        generic = not (self.act.known and self.ract.known)
        pre = xp.empty((batch, steps, g3), dtype=x.dtype) if generic else None
        for k, t in enumerate(_order(self.reverse, steps)):
            xt = x[:, t]
            if self.reset_after:
                r_all = h @ u
                if rb is not None:
                    r_all = r_all + rb
                a = xt[:, :2 * n] + r_all[:, :2 * n]
                zr_k = self.ract(a)
                rec_k = r_all[:, 2 * n:]
                b = xt[:, 2 * n:] + zr_k[:, n:] * rec_k
            else:
                a = xt[:, :2 * n] + h @ u[:, :2 * n]
                zr_k = self.ract(a)
                rec_k = zr_k[:, n:] * h
                b = xt[:, 2 * n:] + rec_k @ u[:, 2 * n:]
            hh_k = self.act(b)
            z = zr_k[:, :n]
            h = hh_k + z * (h - hh_k)
            out[:, k], zr[:, k], hh[:, k], rec[:, k] = h, zr_k, hh_k, rec_k
            if generic:
                pre[:, k, :2 * n], pre[:, k, 2 * n:] = a, b
        self.u, self.rb, self.out, self.zr, self.hh, self.rec, self.pre = u, rb, out, zr, hh, rec, pre
        return out

    def backward(self, g):
        xp = get_array_module(g)
        out, zr, hh, rec, pre, u = self.out, self.zr, self.hh, self.rec, self.pre, self.u
        steps, n = out.shape[1], u.shape[0]
        dx = xp.empty((out.shape[0], steps, 3 * n), dtype=g.dtype)
        drec = xp.empty_like(dx) if self.reset_after else None
        dh = xp.zeros_like(self.h0)
        for k in range(steps - 1, -1, -1):
            p = None if pre is None else pre[:, k]
            z, r = zr[:, k, :n], zr[:, k, n:]
            h_prev = out[:, k - 1] if k else self.h0
            dh = dh + g[:, k]
            d = dx[:, k]
            dah = self.act.grad(dh * (1 - z), hh[:, k], None if p is None else p[:, 2 * n:])
            d[:, 2 * n:] = dah
            d[:, :n] = dh * (h_prev - hh[:, k])
            if self.reset_after:
                d[:, n:2 * n] = dah * rec[:, k]
                d[:, :2 * n] = self.ract.grad(d[:, :2 * n], zr[:, k], None if p is None else p[:, :2 * n])
                dr = drec[:, k]
                dr[:, :2 * n] = d[:, :2 * n]
                dr[:, 2 * n:] = dah * r
                dh = dh * z + dr @ u.T
            else:
                drh = dah @ u[:, 2 * n:].T
                d[:, n:2 * n] = drh * h_prev
                d[:, :2 * n] = self.ract.grad(d[:, :2 * n], zr[:, k], None if p is None else p[:, :2 * n])
                dh = dh * z + drh * r + d[:, :2 * n] @ u[:, :2 * n].T
        du = drb = None
        if self.needs_input_grad[1]:
            hp = _prev(out, self.h0).reshape(-1, n).T
            if self.reset_after:
                du = hp @ drec.reshape(-1, 3 * n)
            else:
                du = xp.concatenate([hp @ dx[:, :, :2 * n].reshape(-1, 2 * n),
                                     rec.reshape(-1, n).T @ dx[:, :, 2 * n:].reshape(-1, n)], axis=1)
        if self.needs_input_grad[2]:
            drb = drec.sum(axis=(0, 1))
        return _in_time(dx, self.reverse), du, drb, dh
