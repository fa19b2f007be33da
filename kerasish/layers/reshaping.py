"""Axis-rearranging layers: Permute and RepeatVector."""
from kerasish import ops
from kerasish.layers.base import Layer
from kerasish.layers.core import _positive_int


class Permute(Layer):
    """Permutes the non-batch axes of the input.

    Args:
        dims: a permutation of 1..rank-1 (1-based, the batch axis excluded), e.g. (2, 1)
            swaps the two axes of (batch, steps, features) inputs.

    Example:
        >>> Permute((2, 1))(x).shape      # x: (4, 10, 64)
        (4, 64, 10)
    """

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        try:
            dims = tuple(int(d) for d in dims)
        except TypeError:
            raise ValueError(f"Permute: dims must be a tuple of axis indices, got {dims!r}") from None
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"Permute: dims must be a permutation of 1..{len(dims)} (axis 0, the batch, "
                             f"stays in place), got {dims}")
        self.dims = dims

    def forward(self, x):
        """x with axes (0, *dims)."""
        if x.ndim != len(self.dims) + 1:
            raise ValueError(f"Permute '{self.name}' with dims {self.dims} expects inputs of rank "
                             f"{len(self.dims) + 1}, got shape {x.shape}")
        return ops.transpose(x, (0, *self.dims))

    def compute_output_shape(self, input_shape):
        """The input shape with its non-batch axes permuted."""
        return (input_shape[0], *(input_shape[d] for d in self.dims))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}


class RepeatVector(Layer):
    """Repeats a (batch, features) input `n` times: output (batch, n, features).

    Args:
        n: number of repetitions.
    """

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _positive_int(n, "n", "RepeatVector")

    def forward(self, x):
        """x broadcast to (batch, n, features)."""
        if x.ndim != 2:
            raise ValueError(f"RepeatVector '{self.name}' expects inputs of shape (batch, features), "
                             f"got shape {x.shape}")
        return ops.broadcast_to(ops.expand_dims(x, 1), (x.shape[0], self.n, x.shape[1]))

    def compute_output_shape(self, input_shape):
        """(batch, n, features)."""
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self):
        return {**super().get_config(), "n": self.n}
