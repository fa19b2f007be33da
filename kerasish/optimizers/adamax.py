"""Adamax (Adam with the infinity norm), Keras 3's rule."""
from kerasish import backend
from kerasish.optimizers.adam import _betas
from kerasish.optimizers.base import Optimizer, _check_nonneg


class Adamax(Optimizer):
    """Adamax: Adam's variant based on the infinity norm.

    With t = iterations + 1: `m = m + (1 - beta1) * (g - m)`, `u = max(beta2 * u, |g|)`,
    `p -= lr / (1 - beta1**t) * m / (u + epsilon)` (Keras's form; PyTorch puts epsilon
    inside the max instead).

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001.
        beta1, beta2: decay rates in [0, 1) (`beta_1=`, `beta_2=` accepted too).
        epsilon: added to the denominator. Default 1e-7 (Keras).
        decay: the seed's `decay_lr()` factor.
        **kwargs: see `Optimizer`.
    """

    _default_lr = 0.001

    def __init__(self, params=None, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-7, decay=0.0,
                 beta_1=None, beta_2=None, **kwargs):
        self.beta_1, self.beta_2 = _betas("Adamax", beta1, beta2, beta_1, beta_2)
        self.epsilon = _check_nonneg("Adamax", "epsilon", epsilon)
        kwargs.setdefault("name", "adamax")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _slot_names(self):
        return ("m", "u")

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        b1 = self.beta_1
        m, u = slots["m"], slots["u"]
        tmp = g - m
        tmp *= 1.0 - b1
        m += tmp
        xp.abs(g, out=tmp)
        u *= self.beta_2
        xp.maximum(u, tmp, out=u)
        xp.add(u, self.epsilon, out=tmp)
        xp.divide(m, tmp, out=tmp)
        tmp *= lr / (1.0 - b1 ** (self.iterations + 1))
        p -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
