"""Adadelta, Keras 3's rule."""
from kerasish import backend
from kerasish.optimizers.base import Optimizer, _check_nonneg, _check_unit


class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of running RMS of updates to RMS of gradients.

    `eg = rho * eg + (1 - rho) * g**2`;
    `delta = sqrt(ed + epsilon) / sqrt(eg + epsilon) * g`;
    `ed = rho * ed + (1 - rho) * delta**2`; `p -= lr * delta`. The same rule as PyTorch's.

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001
            (Keras; the original paper and PyTorch use 1.0).
        rho: decay rate of both running averages, in [0, 1].
        epsilon: added inside both square roots. Default 1e-7 (Keras).
        decay: the seed's `decay_lr()` factor.
        **kwargs: see `Optimizer`.
    """

    _default_lr = 0.001

    def __init__(self, params=None, lr=0.001, rho=0.95, epsilon=1e-7, decay=0.0, **kwargs):
        self.rho = _check_unit("Adadelta", "rho", rho)
        self.epsilon = _check_nonneg("Adadelta", "epsilon", epsilon)
        kwargs.setdefault("name", "adadelta")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _slot_names(self):
        return ("accumulated_grad", "accumulated_delta_var")

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        rho, eps = self.rho, self.epsilon
        eg, ed = slots["accumulated_grad"], slots["accumulated_delta_var"]
        eg *= rho
        den = g * g
        den *= 1.0 - rho
        eg += den
        num = ed + eps
        xp.sqrt(num, out=num)
        xp.add(eg, eps, out=den)
        xp.sqrt(den, out=den)
        num *= g
        num /= den                     # num is now delta
        xp.multiply(num, num, out=den)
        den *= 1.0 - rho
        ed *= rho
        ed += den
        num *= lr
        p -= num

    def get_config(self):
        config = super().get_config()
        config.update(rho=self.rho, epsilon=self.epsilon)
        return config
