"""Dynamic loss scaling for float16 training (as Keras's LossScaleOptimizer)."""
from kerasish import backend
from kerasish.backend import get_array_module


class LossScaleOptimizer:
    """Wraps an optimizer: scales the loss up before backward, unscales gradients before a step.

    A step whose gradients hold inf/NaN is skipped and the scale halves; after
    `dynamic_growth_steps` good steps in a row the scale doubles.

    Args:
        inner_optimizer: the optimizer that applies the updates.
        initial_scale: starting loss scale.
        dynamic_growth_steps: good steps before the scale doubles.

    Example:
        >>> opt = LossScaleOptimizer(Adam(model.parameters))
        >>> opt.scale_loss(loss).backward(); opt.step()
    """

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000):
        if initial_scale <= 0:
            raise ValueError(f"initial_scale must be positive, got {initial_scale}")
        self.inner_optimizer = inner_optimizer
        self.loss_scale = float(initial_scale)
        self.dynamic_growth_steps = int(dynamic_growth_steps)
        self._good_steps = 0
        self.skipped_steps = 0

    def scale_loss(self, loss):
        """The loss times the current scale (call backward on this)."""
        return loss * self.loss_scale

    def step(self):
        """Unscales gradients; applies the inner step if all are finite, else skips it."""
        params = [p for p in self.inner_optimizer.params if p.requires_grad and p._grad is not None]
        inverse = 1.0 / self.loss_scale
        with backend.device_scope(params[0].device if params else "cpu"):
            unscaled = [p._grad * inverse for p in params]
            finite = not unscaled or _all_finite(unscaled)
        if not finite:
            self.loss_scale = max(self.loss_scale / 2.0, 1.0)
            self._good_steps = 0
            self.skipped_steps += 1
            self.inner_optimizer.zero_grad()
            return False
        for p, g in zip(params, unscaled):
            p._grad = g
        self.inner_optimizer.step()
        self._good_steps += 1
        if self._good_steps >= self.dynamic_growth_steps:
            self.loss_scale *= 2.0
            self._good_steps = 0
        return True

    def __getattr__(self, name):
        # everything else (lr, zero_grad, state_dict, set_parameters, ...) is the inner optimizer's
        if name == "inner_optimizer":
            raise AttributeError(name)
        return getattr(self.inner_optimizer, name)

    def __setattr__(self, name, value):
        if name in ("lr", "learning_rate"):
            setattr(self.inner_optimizer, name, value)
        else:
            object.__setattr__(self, name, value)


def _all_finite(arrays):
    """True if every element of every array is finite, with one device -> host read."""
    xp = get_array_module(arrays[0])
    return bool(xp.stack([xp.isfinite(a).all() for a in arrays]).all())
