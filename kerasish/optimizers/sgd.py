"""Stochastic gradient descent with optional (Nesterov) momentum, Keras's rule."""
from kerasish import backend
from kerasish.optimizers.base import Optimizer, _check_unit


class SGD(Optimizer):
    """Gradient descent with momentum, as Keras 3 writes it.

    With `momentum = 0`: `p -= lr * g`. Otherwise the velocity `v` (zeros at first) is
    `v = momentum * v - lr * g`, then `p += v`, or with `nesterov=True`
    `p += momentum * v - lr * g`. With a constant learning rate this is exactly PyTorch's
    SGD (its buffer is `-v / lr`); when the rate changes, Keras's velocity keeps the old
    rate's scale where PyTorch's buffer does not.

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.01.
        momentum: in [0, 1].
        nesterov: use Nesterov momentum.
        decay: the seed's `decay_lr()` factor.
        **kwargs: `learning_rate`, `clipnorm`, `clipvalue`, `global_clipnorm`,
            `weight_decay`, `name` (see `Optimizer`).

    Example:
        >>> optimizer = SGD(model.parameters, lr=0.01, momentum=0.9)
        >>> optimizer.step()
    """

    _default_lr = 0.01

    def __init__(self, params=None, lr=0.01, momentum=0.0, nesterov=False, decay=0.0, **kwargs):
        self.momentum = _check_unit("SGD", "momentum", momentum)
        self.nesterov = bool(nesterov)
        kwargs.setdefault("name", "SGD")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _slot_names(self):
        return ("momentum",) if self.momentum > 0 else ()

    def _update(self, p, g, slots, lr):
        step = g * lr
        if not slots:
            p -= step
            return
        v, m = slots["momentum"], self.momentum
        v *= m
        v -= step
        if self.nesterov:
            p -= step
            backend.get_array_module(v).multiply(v, m, out=step)
            p += step
        else:
            p += v

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, nesterov=self.nesterov)
        return config
