"""Nadam (Adam with Nesterov momentum and a momentum schedule), Keras 3's rule."""
from kerasish import backend
from kerasish.optimizers.adam import _betas
from kerasish.optimizers.base import Optimizer, _check_nonneg


class Nadam(Optimizer):
    """Nadam: Adam with Nesterov momentum (Dozat 2016), as Keras 3 and PyTorch write it.

    With t = iterations + 1, `mu_t = beta1 * (1 - 0.5 * 0.96**t)` and
    `prod_t = mu_1 * ... * mu_t`:
    `m = m + (1 - beta1) * (g - m)`, `v = v + (1 - beta2) * (g**2 - v)`,
    `m_hat = mu_{t+1} * m / (1 - prod_t * mu_{t+1}) + (1 - mu_t) * g / (1 - prod_t)`,
    `p -= lr * m_hat / (sqrt(v / (1 - beta2**t)) + epsilon)`.
    (PyTorch's NAdam with `momentum_decay=1.0` is the same rule.)

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
        self.beta_1, self.beta_2 = _betas("Nadam", beta1, beta2, beta_1, beta_2)
        self.epsilon = _check_nonneg("Nadam", "epsilon", epsilon)
        self._u_product = 1.0
        kwargs.setdefault("name", "nadam")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _mu(self, t):
        return self.beta_1 * (1.0 - 0.5 * 0.96 ** t)

    def _slot_names(self):
        return ("m", "v")

    def _before_update(self):
        self._u_product *= self._mu(self.iterations + 1)

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        t = self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        mu_t, mu_next = self._mu(t), self._mu(t + 1)
        prod = self._u_product
        m, v = slots["m"], slots["v"]
        num = g - m
        num *= 1.0 - b1
        m += num
        den = g * g
        den -= v
        den *= 1.0 - b2
        v += den
        xp.multiply(g, (1.0 - mu_t) / (1.0 - prod), out=num)
        xp.multiply(m, mu_next / (1.0 - prod * mu_next), out=den)
        num += den                          # num is now m_hat
        xp.divide(v, 1.0 - b2 ** t, out=den)
        xp.sqrt(den, out=den)
        den += self.epsilon
        num /= den
        num *= lr
        p -= num

    def _extra_state(self):
        return {"u_product": self._u_product}

    def _load_extra_state(self, state):
        self._u_product = float(state["u_product"])

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon)
        return config
