"""Learning-rate schedules: step -> learning rate, with Keras 3's formulas and names.

A schedule passed as an optimizer's learning rate is evaluated at the optimizer's
`iterations` (the number of `step()` calls done before the current one).

Example:
    >>> lr = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
    >>> opt = SGD(model.parameters, learning_rate=lr)
"""
import math


class LearningRateSchedule:
    """Base class: a callable mapping an integer step to a learning rate (a Python float).

    Subclasses implement `__call__(step)` and `get_config()`; `from_config(config)`
    rebuilds the schedule from `get_config()`'s dict.
    """

    def __call__(self, step):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(step)")

    def get_config(self):
        """The constructor arguments as a JSON-friendly dict."""
        raise NotImplementedError(f"{type(self).__name__} must implement get_config()")

    @classmethod
    def from_config(cls, config):
        """Rebuilds a schedule from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _positive(name, value, schedule):
    value = float(value)
    if not value > 0:
        raise ValueError(f"{schedule}: `{name}` must be > 0, got {value}")
    return value


def _step(step):
    step = float(step)
    if step < 0:
        raise ValueError(f"Learning-rate schedules take a step >= 0, got {step}")
    return step


class ExponentialDecay(LearningRateSchedule):
    """`initial_learning_rate * decay_rate ** (step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps over which the rate is multiplied by `decay_rate` once.
        decay_rate: the multiplier per `decay_steps`.
        staircase: floor `step / decay_steps`, so the rate changes in discrete jumps.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps, "ExponentialDecay")
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class InverseTimeDecay(LearningRateSchedule):
    """`initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step scale of the decay.
        decay_rate: the decay coefficient.
        staircase: floor `step / decay_steps`.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps, "InverseTimeDecay")
        self.decay_rate = float(decay_rate)
        self.staircase = bool(staircase)
        self.name = name

    def __call__(self, step):
        p = _step(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """`values[0]` while `step <= boundaries[0]`, `values[i]` while `boundaries[i-1] < step <= boundaries[i]`,
    `values[-1]` after the last boundary.

    Args:
        boundaries: increasing step numbers.
        values: one more rate than boundaries.

    Example:
        >>> PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])(150)
        0.5
    """

    def __init__(self, boundaries, values, name=None):
        boundaries, values = list(boundaries), [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError("PiecewiseConstantDecay: `values` must have exactly one more entry than "
                             f"`boundaries`; got {len(boundaries)} boundaries and {len(values)} values")
        if any(b1 >= b2 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: `boundaries` must be increasing, got {boundaries}")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step):
        step = _step(step)
        for boundary, value in zip(self.boundaries, self.values):
            if step <= boundary:
                return value
        return self.values[-1]

    def get_config(self):
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, with step capped at `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: steps to reach `end_learning_rate`.
        end_learning_rate: the final rate.
        power: the polynomial's power (1.0 is linear).
        cycle: instead of holding `end_learning_rate`, restart with `decay_steps` scaled by
            `ceil(step / decay_steps)`.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps, "PolynomialDecay")
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step):
        step = _step(step)
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / decay_steps)
        else:
            step = min(step, decay_steps)
        fraction = 1.0 - step / decay_steps
        return (self.initial_learning_rate - self.end_learning_rate) * fraction ** self.power \
            + self.end_learning_rate

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power,
                "cycle": self.cycle, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from the initial (or warmup target) rate to `alpha` times it, after an
    optional linear warmup.

    Without warmup: `lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`
    with `s = min(step, decay_steps)`. With `warmup_target`, the rate rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays from
    `warmup_target` over the next `decay_steps`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: length of the cosine decay.
        alpha: the final rate as a fraction of the decayed-from rate.
        warmup_target: the rate reached at the end of warmup (None: no warmup).
        warmup_steps: length of the warmup.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name=None, warmup_target=None,
                 warmup_steps=0):
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = _positive("decay_steps", decay_steps, "CosineDecay")
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = float(warmup_steps)
        if self.warmup_steps < 0:
            raise ValueError(f"CosineDecay: `warmup_steps` must be >= 0, got {warmup_steps}")

    def _decay(self, step, decay_from):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return decay_from * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = _step(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            delta = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + delta * step / self.warmup_steps
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR): period i lasts `first_decay_steps * t_mul**i`
    steps and starts at `initial_learning_rate * m_mul**i`.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: length of the first period.
        t_mul: factor on each next period's length.
        m_mul: factor on each next period's starting rate.
        alpha: the final rate of a period as a fraction of the initial rate.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name=None):
        self.initial_learning_rate = float(initial_learning_rate)
        self.first_decay_steps = _positive("first_decay_steps", first_decay_steps, "CosineDecayRestarts")
        self.t_mul = _positive("t_mul", t_mul, "CosineDecayRestarts")
        self.m_mul = float(m_mul)
        self.alpha = float(alpha)
        self.name = name

    def _period(self, fraction):
        """(restart index, fraction done of that period) for `fraction` = step / first_decay_steps."""
        t_mul = self.t_mul
        if t_mul == 1.0:
            i = math.floor(fraction)
            return i, fraction - i
        i = math.floor(math.log(1.0 - fraction * (1.0 - t_mul)) / math.log(t_mul))

        def start(k):  # periods 0..k-1 cover this many first-periods
            return (1.0 - t_mul ** k) / (1.0 - t_mul)
        # The log above can land one off at exact period boundaries; settle it exactly.
        while start(i + 1) <= fraction:
            i += 1
        while i > 0 and start(i) > fraction:
            i -= 1
        return i, (fraction - start(i)) / t_mul ** i

    def __call__(self, step):
        i, fraction = self._period(_step(step) / self.first_decay_steps)
        cosine = 0.5 * self.m_mul ** i * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self.t_mul,
                "m_mul": self.m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {cls.__name__: cls for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay,
                                            PolynomialDecay, CosineDecay, CosineDecayRestarts)}


def serialize(schedule):
    """`{'class_name': ..., 'config': ...}` for a schedule (Keras's layout)."""
    if not isinstance(schedule, LearningRateSchedule):
        raise TypeError(f"serialize expects a LearningRateSchedule, got {type(schedule).__name__}")
    return {"class_name": type(schedule).__name__, "config": schedule.get_config()}


def deserialize(config, custom_objects=None):
    """Rebuilds a schedule from `serialize()`'s dict; custom classes come from `custom_objects`."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A schedule config must be a dict with 'class_name' and 'config', got {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning-rate schedule {name!r}; valid names are: "
                         f"{', '.join(sorted(_SCHEDULES))} (or pass it in custom_objects)")
    return cls.from_config(dict(config.get("config", {})))
