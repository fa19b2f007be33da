"""Weight regularizers: callables `weight Tensor -> scalar Tensor` added to `layer.losses`.

Example:
    >>> layer = Dense(10, kernel_regularizer=L2(1e-4))
    >>> layer = Dense(10, kernel_regularizer='l2')       # L2(0.01)
"""


class Regularizer:
    """Base class: `reg(weight)` returns a differentiable scalar penalty."""

    def __call__(self, weight):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(weight)")

    def get_config(self):
        """Constructor arguments."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds from `get_config()`."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _factor(name, value):
    value = float(value)
    if value < 0:
        raise ValueError(f"regularization factor {name} must be >= 0, got {value}")
    return value


class L1(Regularizer):
    """`l1 * sum(|w|)`."""

    def __init__(self, l1=0.01):
        self.l1 = _factor("l1", l1)

    def __call__(self, weight):
        return abs(weight).sum() * self.l1

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """`l2 * sum(w ** 2)`."""

    def __init__(self, l2=0.01):
        self.l2 = _factor("l2", l2)

    def __call__(self, weight):
        return (weight * weight).sum() * self.l2

    def get_config(self):
        return {"l2": self.l2}


class L1L2(Regularizer):
    """`l1 * sum(|w|) + l2 * sum(w ** 2)`; a zero factor skips its term."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = _factor("l1", l1), _factor("l2", l2)

    def __call__(self, weight):
        penalty = None
        if self.l1:
            penalty = abs(weight).sum() * self.l1
        if self.l2:
            term = (weight * weight).sum() * self.l2
            penalty = term if penalty is None else penalty + term
        return penalty if penalty is not None else (weight * 0.0).sum()

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


# Keras's lowercase aliases: l1(0.01) is L1(0.01)
l1 = L1
l2 = L2


def l1_l2(l1=0.01, l2=0.01):  # noqa: F811  (the parameters shadow the aliases on purpose)
    """An L1L2 regularizer with both factors 0.01 by default (as the string 'l1_l2')."""
    return L1L2(l1=l1, l2=l2)

_BY_NAME = {"l1": L1, "l2": L2, "l1_l2": L1L2, "l1l2": L1L2}
_CLASSES = {"L1": L1, "L2": L2, "L1L2": L1L2}


def serialize(regularizer):
    """{'class_name': ..., 'config': ...} for a Regularizer, None for None."""
    if regularizer is None:
        return None
    if isinstance(regularizer, Regularizer):
        return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    return getattr(regularizer, "__name__", repr(regularizer))


def get(identifier):
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2'), a config dict, an instance or a callable.

    Raises:
        ValueError: for an unknown name, listing the valid ones.
    """
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(f"Unknown regularizer {identifier!r}; valid names are: "
                             f"{', '.join(sorted(_BY_NAME))}")
        return l1_l2() if cls is L1L2 else cls()
    if isinstance(identifier, dict):
        name = identifier.get("class_name")
        cls = _CLASSES.get(name) or _BY_NAME.get(str(name).lower())
        if cls is None:
            raise ValueError(f"Unknown regularizer class {name!r}; valid: {', '.join(sorted(_CLASSES))}")
        return cls.from_config(identifier.get("config", {}))
    if isinstance(identifier, type) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret regularizer {identifier!r}: expected a name, a dict, "
                    "a Regularizer or a callable")


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize"]
