"""Optimizers on every available device ('cpu', the CuPy-like 'fake', and 'cuda' with CuPy)."""
import numpy as np
import pytest

import kerasish.optimizers as ko
from kerasish import backend
from kerasish.tensor import Tensor
from conftest import available_devices

CASES = [(ko.SGD, dict(momentum=0.9, nesterov=True)), (ko.Adam, dict(amsgrad=True)), (ko.AdamW, {}),
         (ko.RMSprop, dict(momentum=0.5, centered=True)), (ko.Adagrad, {}), (ko.Adadelta, {}),
         (ko.Adamax, {}), (ko.Nadam, {}), (ko.SGD, dict(global_clipnorm=0.5)),
         (ko.Adam, dict(clipnorm=0.5)), (ko.Adam, dict(clipvalue=0.5, weight_decay=0.1))]
GRADS = [np.array([[0.3, -0.8], [2.0, 0.7]]), np.array([[-0.5, 0.1], [1.0, -0.2]]),
         np.array([[0.05, 0.9], [-1.5, 0.4]])]


def run(cls, kwargs, device, dtype="float64"):
    p = Tensor(np.array([[1.0, -2.0], [0.5, 0.25]]), dtype=dtype, device=device, requires_grad=True)
    opt = cls([p], lr=0.1, **kwargs)
    for g in GRADS:
        p.grad = backend.to_device(g, device, p.dtype)
        opt.step()
    return p, opt


@pytest.mark.parametrize("device", [d for d in available_devices() if d != "cpu"])
@pytest.mark.parametrize("cls, kwargs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_device_matches_cpu(cls, kwargs, device):
    ref, _ = run(cls, kwargs, "cpu")
    p, opt = run(cls, kwargs, device)
    assert backend.device_of(p.data) == backend.parse_device(device)
    np.testing.assert_allclose(p.numpy(), ref.data, rtol=1e-12)
    state = opt.state_dict()
    assert all(type(v) is np.ndarray for s in state["slots"].values() for v in s.values())
    opt2 = cls([Tensor(p.numpy(), device=device, requires_grad=True, dtype="float64")], lr=0.1, **kwargs)
    opt2.load_state_dict(state)
    assert all(backend.device_of(v) == backend.parse_device(device)
               for s in opt2._slots if s for v in s.values())


@pytest.mark.parametrize("device", [d for d in available_devices() if d != "cpu"])
def test_set_device_moves_state_and_follows_moved_params(device):
    p, opt = run(ko.Adam, {}, "cpu")
    opt.set_device(device)
    assert all(backend.device_of(v) == backend.parse_device(device) for v in opt._slots[0].values())
    opt.set_device("cpu")
    # A parameter moved by its layer (data replaced) takes its optimizer state along at the next step.
    p.data = backend.to_device(p.data, device)
    p.grad = backend.to_device(GRADS[0], device)
    opt.step()
    assert all(backend.device_of(v) == backend.parse_device(device) for v in opt._slots[0].values())


@pytest.mark.parametrize("cls, kwargs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_step_needs_no_host_sync(cls, kwargs):
    from host_syncs import count_host_syncs
    params = [Tensor(np.ones((2, 2)) * i, dtype="float64", device="fake", requires_grad=True) for i in range(3)]
    opt = cls(params, lr=0.1, **kwargs)
    with count_host_syncs() as syncs:
        for g in GRADS:
            for p in params:
                p.grad = backend.to_device(g, "fake", p.dtype)
            opt.step()
    assert syncs.count == 0
