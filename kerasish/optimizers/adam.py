"""Adam with bias correction (and AMSGrad), Keras 3's rule."""
import math

from kerasish import backend
from kerasish.optimizers.base import Optimizer, _check_nonneg, _check_unit


def _betas(owner, beta1, beta2, beta_1, beta_2):
    """Resolves the seed's beta1/beta2 and Keras's beta_1/beta_2 (the latter win when given)."""
    b1 = beta1 if beta_1 is None else beta_1
    b2 = beta2 if beta_2 is None else beta_2
    return _check_unit(owner, "beta_1", b1, closed_right=False), \
        _check_unit(owner, "beta_2", b2, closed_right=False)


class Adam(Optimizer):
    """Adam: adaptive moment estimation with bias correction.

    With t = iterations + 1:
    `m = m + (1 - beta1) * (g - m)`, `v = v + (1 - beta2) * (g**2 - v)`,
    `p -= lr * sqrt(1 - beta2**t) / (1 - beta1**t) * m / (sqrt(v) + epsilon)`;
    with `amsgrad=True`, `v_hat = max(v_hat, v)` replaces `v` in the last formula.
    This is Keras's form (epsilon added to the uncorrected sqrt(v)); PyTorch adds it to
    `sqrt(v / (1 - beta2**t))`, which differs only through epsilon.

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001.
        beta1, beta2: decay rates of the first and second moments, in [0, 1)
            (`beta_1=`, `beta_2=` as in Keras are accepted too).
        epsilon: added to the denominator. Default 1e-8 as in the seed (Keras uses 1e-7).
        amsgrad: use the running maximum of v.
        decay: the seed's `decay_lr()` factor.
        **kwargs: `learning_rate`, `clipnorm`, `clipvalue`, `global_clipnorm`,
            `weight_decay`, `name` (see `Optimizer`).

    Example:
        >>> optimizer = Adam(model.parameters, lr=0.001)
    """

    _default_lr = 0.001

    def __init__(self, params=None, lr=0.001, beta1=0.9, beta2=0.999, epsilon=1e-8, amsgrad=False,
                 decay=0.0, beta_1=None, beta_2=None, **kwargs):
        owner = type(self).__name__
        self.beta_1, self.beta_2 = _betas(owner, beta1, beta2, beta_1, beta_2)
        self.epsilon = _check_nonneg(owner, "epsilon", epsilon)
        self.amsgrad = bool(amsgrad)
        kwargs.setdefault("name", owner.lower())
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    @property
    def beta1(self):
        """The seed's name for `beta_1`."""
        return self.beta_1

    @property
    def beta2(self):
        """The seed's name for `beta_2`."""
        return self.beta_2

    def _slot_names(self):
        return ("m", "v", "v_hat") if self.amsgrad else ("m", "v")

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        t = self.iterations + 1
        b1, b2 = self.beta_1, self.beta_2
        alpha = lr * math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)
        m, v = slots["m"], slots["v"]
        tmp = g - m
        tmp *= 1.0 - b1
        m += tmp
        xp.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1.0 - b2
        v += tmp
        if self.amsgrad:
            v = xp.maximum(slots["v_hat"], v, out=slots["v_hat"])
        xp.sqrt(v, out=tmp)
        tmp += self.epsilon
        xp.divide(m, tmp, out=tmp)
        tmp *= alpha
        p -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(beta_1=self.beta_1, beta_2=self.beta_2, epsilon=self.epsilon, amsgrad=self.amsgrad)
        return config
