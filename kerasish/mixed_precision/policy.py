"""Dtype policies: the dtype layers compute in and the dtype their weights are kept in."""
from kerasish import backend

_POLICIES = ("float16", "float32", "float64", "mixed_float16")
_global = None


class Policy:
    """A dtype policy: `compute_dtype` for a layer's math, `variable_dtype` for its weights.

    'mixed_float16' computes in float16 and keeps float32 master weights (Keras's policy);
    a plain dtype name uses that dtype for both.

    Example:
        >>> Policy('mixed_float16').compute_dtype
        'float16'
    """

    def __init__(self, name):
        if isinstance(name, Policy):
            name = name.name
        if name not in _POLICIES:
            try:
                name = backend.parse_dtype(name).name
            except (TypeError, ValueError):
                pass
        if name not in _POLICIES:
            raise ValueError(f"Unknown dtype policy {name!r}; valid policies are: {', '.join(_POLICIES)}")
        self.name = name

    @property
    def compute_dtype(self):
        """Dtype of a layer's inputs and outputs."""
        return "float16" if self.name == "mixed_float16" else self.name

    @property
    def variable_dtype(self):
        """Dtype of a layer's weights."""
        return "float32" if self.name == "mixed_float16" else self.name

    def __repr__(self):
        return f'<Policy "{self.name}">'


def global_policy():
    """The policy new layers use when no dtype is given (`floatx()` unless set)."""
    return _global if _global is not None else Policy(backend.floatx())


def set_global_policy(policy):
    """Sets the policy of layers created from now on ('mixed_float16', 'float32', ... or None to reset)."""
    global _global
    _global = None if policy is None else Policy(policy)
