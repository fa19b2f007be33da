"""Adagrad, Keras 3's rule."""
from kerasish import backend
from kerasish.optimizers.base import Optimizer, _check_nonneg


class Adagrad(Optimizer):
    """Adagrad: per-element rates scaled by the accumulated squared gradients.

    `acc += g**2; p -= lr * g / sqrt(acc + epsilon)`, `acc` starting at
    `initial_accumulator_value` (Keras's form; PyTorch adds epsilon outside the sqrt).

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001.
        initial_accumulator_value: starting value of the accumulators (>= 0).
        epsilon: added inside the sqrt. Default 1e-7 (Keras).
        decay: the seed's `decay_lr()` factor.
        **kwargs: see `Optimizer`.
    """

    _default_lr = 0.001

    def __init__(self, params=None, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7, decay=0.0,
                 **kwargs):
        self.initial_accumulator_value = _check_nonneg("Adagrad", "initial_accumulator_value",
                                                       initial_accumulator_value)
        self.epsilon = _check_nonneg("Adagrad", "epsilon", epsilon)
        kwargs.setdefault("name", "adagrad")
        super().__init__(params, lr=lr, decay=decay, **kwargs)

    def _slot_names(self):
        return ("accumulator",)

    def _make_slots(self, data, old=None):
        if old:
            return super()._make_slots(data, old)
        xp = backend.get_array_module(data)
        return {"accumulator": xp.full_like(data, self.initial_accumulator_value)}

    def _update(self, p, g, slots, lr):
        xp = backend.get_array_module(p)
        acc = slots["accumulator"]
        tmp = g * g
        acc += tmp
        xp.add(acc, self.epsilon, out=tmp)
        xp.sqrt(tmp, out=tmp)
        xp.divide(g, tmp, out=tmp)
        tmp *= lr
        p -= tmp

    def get_config(self):
        config = super().get_config()
        config.update(initial_accumulator_value=self.initial_accumulator_value, epsilon=self.epsilon)
        return config
