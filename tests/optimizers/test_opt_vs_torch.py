"""kerasish optimizers against torch.optim where the two rules coincide (skipped without torch)."""
import numpy as np
import pytest

from kerasish import optimizers as ko
from kerasish.tensor import Tensor

torch = pytest.importorskip("torch")

GRADS = [np.array([[0.3, -0.8], [2.0, 0.7]]), np.array([[-0.5, 0.1], [1.0, -0.2]]),
         np.array([[0.05, 0.9], [-1.5, 0.4]]), np.array([[1.2, -0.3], [0.2, 0.6]])]
P0 = np.array([[1.0, -2.0], [0.5, 0.25]])

# (kerasish optimizer, kwargs) vs (torch optimizer, kwargs). Where the two place epsilon
# differently (Adam/AdamW/Adamax/RMSprop/Adagrad), epsilon is 0 on both sides, which makes
# the rules identical (all gradients here are non-zero). Nadam matches with torch's
# momentum_decay=1.0 (Keras's schedule is 0.96**t, torch's 0.96**(t * momentum_decay)).
# SGD momentum matches because the learning rate is constant (Keras scales the velocity by lr
# at each step, torch at the update). Torch's Adagrad lr_decay and weight_decay, Adam's
# coupled weight_decay and RMSprop's eps-outside-the-sqrt have no kerasish counterpart.
CASES = {
    "sgd": (ko.SGD, dict(lr=0.1), torch.optim.SGD, dict(lr=0.1)),
    "sgd_momentum": (ko.SGD, dict(lr=0.1, momentum=0.9), torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
    "sgd_nesterov": (ko.SGD, dict(lr=0.1, momentum=0.9, nesterov=True),
                     torch.optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    "adam": (ko.Adam, dict(lr=0.1, beta1=0.8, beta2=0.9, epsilon=0.0),
             torch.optim.Adam, dict(lr=0.1, betas=(0.8, 0.9), eps=0.0)),
    "adam_amsgrad": (ko.Adam, dict(lr=0.1, beta1=0.5, beta2=0.5, epsilon=0.0, amsgrad=True),
                     torch.optim.Adam, dict(lr=0.1, betas=(0.5, 0.5), eps=0.0, amsgrad=True)),
    "adamw": (ko.AdamW, dict(lr=0.1, weight_decay=0.05, epsilon=0.0),
              torch.optim.AdamW, dict(lr=0.1, weight_decay=0.05, eps=0.0)),
    "rmsprop": (ko.RMSprop, dict(lr=0.01, rho=0.9, epsilon=0.0),
                torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, eps=0.0)),
    "rmsprop_centered_momentum": (
        ko.RMSprop, dict(lr=0.01, rho=0.9, momentum=0.5, centered=True, epsilon=0.0),
        torch.optim.RMSprop, dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=0.0)),
    "adagrad": (ko.Adagrad, dict(lr=0.1, initial_accumulator_value=0.1, epsilon=0.0),
                torch.optim.Adagrad, dict(lr=0.1, initial_accumulator_value=0.1, eps=0.0)),
    "adadelta": (ko.Adadelta, dict(lr=1.0, rho=0.9, epsilon=1e-6),
                 torch.optim.Adadelta, dict(lr=1.0, rho=0.9, eps=1e-6)),
    "adamax": (ko.Adamax, dict(lr=0.1, epsilon=0.0), torch.optim.Adamax, dict(lr=0.1, eps=0.0)),
    "nadam": (ko.Nadam, dict(lr=0.1, epsilon=1e-7),
              torch.optim.NAdam, dict(lr=0.1, eps=1e-7, momentum_decay=1.0)),
}


@pytest.fixture
def torch_float64():
    # torch keeps scalar state (NAdam's mu_product, step counts) in the default dtype.
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


@pytest.mark.parametrize("case", sorted(CASES))
def test_matches_torch(case, torch_float64):
    k_cls, k_kwargs, t_cls, t_kwargs = CASES[case]
    p = Tensor(P0.copy(), dtype="float64", requires_grad=True)
    tp = torch.nn.Parameter(torch.tensor(P0.copy(), dtype=torch.float64))
    k_opt, t_opt = k_cls([p], **k_kwargs), t_cls([tp], **t_kwargs)
    for step, g in enumerate(GRADS, 1):
        p.grad = g.copy()
        tp.grad = torch.tensor(g.copy())
        k_opt.step()
        t_opt.step()
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-13,
                                   err_msg=f"{case}, step {step}")
