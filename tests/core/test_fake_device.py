"""Every op on the CuPy-like 'fake' device: proves no op calls numpy on device data."""
import numpy as np
import pytest

from kerasish import Tensor, backend
from kerasish.utils import check_grad
from fake_device import FakeArray, MixedDeviceError, WrongDeviceError, fake_numpy
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
    with pytest.raises(MixedDeviceError), backend.device_scope("fake"):
        a.data + np.ones(2)


def test_fake_device_work_outside_its_scope_raises_like_a_second_gpu():
    a = Tensor([1.0, 2.0], device="fake")
    for work in (lambda: a.data + 1, lambda: a.data.sum(), lambda: fake_numpy.zeros(2),
                 lambda: a.data.__setitem__(0, 3.0), lambda: a.data[fake_numpy.asarray([0])]):
        with pytest.raises(WrongDeviceError, match="outside device_scope\\('fake'\\)"):
            work()
    assert float(a.data[0]) == 1.0 and a.data.get().tolist() == [1.0, 2.0]  # transfers and views are fine
    with backend.device_scope("fake"):
        assert float((a.data + 1).sum()) == 5.0


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


@pytest.fixture
def in_fake_scope():
    with backend.device_scope("fake"):
        yield


def test_fake_device_offers_only_cupys_names_and_keywords(in_fake_scope):
    xp = fake_numpy
    a = xp.ones((2, 3))
    with pytest.raises(AttributeError, match="cupy has no attribute 'errstate'"):
        xp.errstate
    with pytest.raises(AttributeError, match="cupy.ndarray has no attribute 'resize'"):
        a.resize
    with pytest.raises(TypeError, match="no implementation found for 'numpy.insert'"):
        np.insert(a, 0, 1.0)  # CuPy has no insert: numpy's dispatch finds no implementation
    for call in (lambda: xp.sum(a, where=True), lambda: np.sum(a, where=True), lambda: a.sum(where=True),
                 lambda: np.add(a, a, where=True)):
        with pytest.raises(TypeError, match="takes no keyword argument 'where' in CuPy"):
            call()
    xp.add.at(a, xp.asarray([0, 0]), 1.0)  # what CuPy has works
    np.testing.assert_allclose(xp.asnumpy(a), [[3.0] * 3, [1.0] * 3])  # repeated rows accumulate


def test_recorded_cupy_api_matches_the_installed_cupy():
    """Only where CuPy is installed (it imports without a GPU): the recorded table is still CuPy's."""
    cupy = pytest.importorskip("cupy")
    from fake_device import CUPY_API
    missing = [name for name in CUPY_API["module"] if not hasattr(cupy, name)]
    missing += [f"ndarray.{name}" for name in CUPY_API["ndarray"] if not hasattr(cupy.ndarray, name)]
    assert not missing, f"regenerate tests/fixtures/cupy_api.json for CuPy {cupy.__version__}: {missing[:10]}"
