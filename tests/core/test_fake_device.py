"""Every op on the CuPy-like 'fake' device: proves no op calls numpy on device data."""
import numpy as np
import pytest

from kerasish import Tensor
from kerasish.utils import check_grad
from fake_device import FakeArray, MixedDeviceError
from op_cases import OPS

@pytest.mark.parametrize("name", sorted(OPS))
def test_op_runs_and_differentiates_on_fake_device(name):
    fn, inputs = OPS[name]
    tensors = [Tensor(x, dtype="float64", device="fake") for x in inputs]
    out = fn(*tensors)
    assert isinstance(out.data, FakeArray) and out.device == "fake"
    check_grad(fn, *tensors)


def test_fake_device_refuses_mixing_like_cupy():
    a = Tensor([1.0, 2.0], device="fake")
    with pytest.raises(MixedDeviceError):
        np.asarray(a.data)
    with pytest.raises(MixedDeviceError):
        a.data + np.ones(2)


def test_mixed_devices_in_one_op_names_both():
    with pytest.raises(RuntimeError, match=r"Add: inputs are on different devices \(cpu, fake\)"):
        Tensor([1.0], device="fake") + Tensor([1.0])


def test_to_moves_data_and_gradient_flows_back():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = a.to("fake")
    assert b.device == "fake" and isinstance(b.data, FakeArray)
    (b * 3).sum().backward()
    assert a.grad.__class__ is np.ndarray
    np.testing.assert_allclose(a.grad, [3.0, 3.0])
    np.testing.assert_allclose(b.numpy(), [1.0, 2.0])
