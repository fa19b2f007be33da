"""The hook through which `kerasish.ops` wrappers accept symbolic tensors (functional API).

`SymbolicTensor` is the base class of `kerasish.layers.input.KerasTensor`; it lives here so the
ops can recognise symbolic arguments with one isinstance check, without importing the layers.
"""


class SymbolicTensor:
    """Marker base class of symbolic (shape-only) tensors."""

    __slots__ = ()


def symbolic(op, *args, **kwargs):
    """Records `kerasish.ops.<op>(*args, **kwargs)` as a layer call in a functional graph."""
    from kerasish.layers.symbolic_ops import symbolic_op
    return symbolic_op(op, *args, **kwargs)
