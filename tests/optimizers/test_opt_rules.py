"""Each optimizer against its published (Keras 3) update rule, written out by hand with numpy."""
import numpy as np
import pytest

from kerasish.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from kerasish.tensor import Tensor

P0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.3, -0.8, 2.0])
G2 = np.array([-0.5, 0.1, 1.0])


def two_steps(opt_cls, **kwargs):
    """Runs two steps with gradients G1 then G2; returns the parameter after each step."""
    p = Tensor(P0.copy(), dtype="float64", requires_grad=True)
    opt = opt_cls([p], **kwargs)
    out = []
    for g in (G1, G2):
        p.grad = g.copy()
        opt.step()
        out.append(p.data.copy())
    assert opt.iterations == 2
    return out


def check(got, expected):
    assert len(got) == len(expected)
    for step, (a, b) in enumerate(zip(got, expected), 1):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15, err_msg=f"step {step}")


def test_sgd_plain_literal_numbers():
    # p - 0.1 * g, by hand: [1 - .03, -2 + .08, .5 - .2], then minus 0.1 * G2.
    check(two_steps(SGD, lr=0.1), [[0.97, -1.92, 0.3], [1.02, -1.93, 0.2]])


def test_sgd_momentum():
    lr, m = 0.1, 0.9
    v1 = -lr * G1
    p1 = P0 + v1
    v2 = m * v1 - lr * G2
    check(two_steps(SGD, lr=lr, momentum=m), [p1, p1 + v2])


def test_sgd_nesterov():
    lr, m = 0.1, 0.9
    v1 = -lr * G1
    p1 = P0 + m * v1 - lr * G1
    v2 = m * v1 - lr * G2
    check(two_steps(SGD, lr=lr, momentum=m, nesterov=True), [p1, p1 + m * v2 - lr * G2])


def adam_expected(lr, b1, b2, eps, amsgrad=False, p=P0, wd=0.0):
    m = v = vhat = np.zeros_like(P0)
    out = []
    for t, g in enumerate((G1, G2), 1):
        p = p - lr * wd * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vhat = np.maximum(vhat, v)
        alpha = lr * np.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        p = p - alpha * m / (np.sqrt(vhat if amsgrad else v) + eps)
        out.append(p)
    return out


def test_adam():
    check(two_steps(Adam, lr=0.1, beta1=0.8, beta2=0.9, epsilon=1e-3),
          adam_expected(0.1, 0.8, 0.9, 1e-3))


def test_adam_keras_beta_names_and_defaults():
    check(two_steps(Adam, learning_rate=0.1, beta_1=0.8, beta_2=0.9, epsilon=1e-3),
          adam_expected(0.1, 0.8, 0.9, 1e-3))
    check(two_steps(Adam), adam_expected(0.001, 0.9, 0.999, 1e-8))


def test_adam_amsgrad_uses_running_max():
    # G2 is smaller than G1 in elements 0..1, so max(v_hat, v) differs from v there.
    exp = adam_expected(0.1, 0.5, 0.5, 1e-3, amsgrad=True)
    assert not np.allclose(exp[1], adam_expected(0.1, 0.5, 0.5, 1e-3)[1])
    check(two_steps(Adam, lr=0.1, beta1=0.5, beta2=0.5, epsilon=1e-3, amsgrad=True), exp)


def test_adamw():
    check(two_steps(AdamW, lr=0.1, weight_decay=0.2, beta1=0.8, beta2=0.9, epsilon=1e-3),
          adam_expected(0.1, 0.8, 0.9, 1e-3, wd=0.2))
    assert AdamW().weight_decay == 0.004


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("momentum", [0.0, 0.5])
def test_rmsprop(centered, momentum):
    lr, rho, eps = 0.1, 0.9, 1e-7
    p, ms, mg, buf, out = P0, 0.0, 0.0, 0.0, []
    for g in (G1, G2):
        ms = rho * ms + (1 - rho) * g * g
        mg = rho * mg + (1 - rho) * g
        denom = ms - mg * mg + eps if centered else ms + eps
        inc = lr * g / np.sqrt(denom)
        buf = momentum * buf + inc
        p = p - (buf if momentum else inc)
        out.append(p)
    check(two_steps(RMSprop, lr=lr, rho=rho, momentum=momentum, centered=centered), out)


def test_adagrad():
    lr, eps = 0.1, 1e-7
    acc1 = 0.1 + G1 ** 2
    p1 = P0 - lr * G1 / np.sqrt(acc1 + eps)
    acc2 = acc1 + G2 ** 2
    check(two_steps(Adagrad, lr=lr), [p1, p1 - lr * G2 / np.sqrt(acc2 + eps)])


def test_adadelta():
    lr, rho, eps = 1.0, 0.95, 1e-7
    p, eg, ed, out = P0, 0.0, 0.0, []
    for g in (G1, G2):
        eg = rho * eg + (1 - rho) * g * g
        delta = np.sqrt(ed + eps) / np.sqrt(eg + eps) * g
        ed = rho * ed + (1 - rho) * delta * delta
        p = p - lr * delta
        out.append(p)
    check(two_steps(Adadelta, lr=lr), out)


def test_adamax():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    p, m, u, out = P0, 0.0, 0.0, []
    for t, g in enumerate((G1, G2), 1):
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr / (1 - b1 ** t) * m / (u + eps)
        out.append(p)
    check(two_steps(Adamax, lr=lr), out)


def test_nadam():
    lr, b1, b2, eps = 0.1, 0.9, 0.999, 1e-7
    p, m, v, prod, out = P0, 0.0, 0.0, 1.0, []
    for t, g in enumerate((G1, G2), 1):
        mu_t = b1 * (1 - 0.5 * 0.96 ** t)
        mu_next = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        prod = prod * mu_t
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = mu_next * m / (1 - prod * mu_next) + (1 - mu_t) * g / (1 - prod)
        v_hat = v / (1 - b2 ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    check(two_steps(Nadam, lr=lr), out)
