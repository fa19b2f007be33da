"""RMSprop (optionally centered, with momentum), Keras 3's rule."""
from kerasish import backend
from kerasish.optimizers.base import Optimizer, _check_nonneg, _check_unit


class RMSprop(Optimizer):
    """RMSprop: divide the gradient by a running root-mean-square of past gradients.

    `ms = rho * ms + (1 - rho) * g**2`; centered: `mg = rho * mg + (1 - rho) * g` and
    `denom = ms - mg**2 + epsilon`, else `denom = ms + epsilon`;
    `inc = lr * g / sqrt(denom)`; with momentum: `buf = momentum * buf + inc; p -= buf`,
    else `p -= inc`. Keras's form: epsilon sits inside the sqrt (PyTorch adds it outside).

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001.
        rho: decay of the squared-gradient average, in [0, 1].
        momentum: in [0, 1].
        epsilon: added inside the sqrt. Default 1e-7 (Keras).
        centered: normalise by the gradient's estimated variance instead of its second moment.
        decay: the seed's `decay_lr()` factor.
        **kwargs: see `Optimizer`.
    """

    _default_lr = 0.001

    def __init__(self, params=None, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 decay=0.0, **kwargs):
        self.rho = _check_unit("RMSprop", "rho", rho)
        self.momentum = _check_unit("RMSprop", "momentum", momentum)
        self.epsilon = _check_nonneg("RMSprop", "epsilon", epsilon)
        self.centered = bool(centered)
        kwargs.setdefault("name", "rmsprop")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _slot_names(self):
        return ("velocity",) + (("momentum",) if self.momentum > 0 else ()) \
            + (("average_gradient",) if self.centered else ())

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        rho = self.rho
        ms = slots["velocity"]
        ms *= rho
        tmp = g * g
        tmp *= 1.0 - rho
        ms += tmp
        if self.centered:
            mg = slots["average_gradient"]
            mg *= rho
            xp.multiply(g, 1.0 - rho, out=tmp)
            mg += tmp
            xp.multiply(mg, mg, out=tmp)
            xp.subtract(ms, tmp, out=tmp)
            tmp += self.epsilon
        else:
            xp.add(ms, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        if self.momentum > 0:
            buf = slots["momentum"]
            buf *= self.momentum
            buf += tmp
            p -= buf
        else:
            p -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, momentum=self.momentum, epsilon=self.epsilon, centered=self.centered)
        return config
