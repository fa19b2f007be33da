"""Every op's gradient on a real GPU; skipped without CuPy and a GPU."""
import numpy as np
import pytest

from kerasish import Tensor, backend
from kerasish.utils import check_grad

pytestmark = pytest.mark.skipif(not backend.cupy_available(), reason="needs CuPy and an NVIDIA GPU")

from op_cases import OPS  # noqa: E402


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_grad_on_cuda(name):
    fn, inputs = OPS[name]
    tensors = [Tensor(x, dtype="float64", device="cuda") for x in inputs]
    out = fn(*tensors)
    assert out.device == "cuda:0"
    check_grad(fn, *tensors)


def test_cuda_roundtrip_and_mixing_error():
    a = Tensor(np.arange(3.0), device="cuda")
    np.testing.assert_array_equal(a.numpy(), [0.0, 1.0, 2.0])
    with pytest.raises(RuntimeError, match="different devices"):
        a + Tensor([1.0, 2.0, 3.0])
