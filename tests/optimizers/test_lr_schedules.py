"""Learning-rate schedules: values at chosen steps, computed by hand from Keras's formulas."""
import math

import numpy as np
import pytest

from kerasish.optimizers import SGD
from kerasish.optimizers import schedules as S
from kerasish.tensor import Tensor


def test_exponential_decay():
    s = S.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.1 * 0.5 ** 0.5)
    assert s(20) == pytest.approx(0.025)
    stair = S.ExponentialDecay(0.1, 10, 0.5, staircase=True)
    assert stair(9) == pytest.approx(0.1)
    assert stair(15) == pytest.approx(0.05)


def test_inverse_time_decay():
    s = S.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert s(20) == pytest.approx(0.05)
    assert s(15) == pytest.approx(0.1 / 1.75)
    assert S.InverseTimeDecay(0.1, 10, 0.5, staircase=True)(15) == pytest.approx(0.1 / 1.5)


def test_piecewise_constant_decay():
    s = S.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(t) for t in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError, match="one more entry"):
        S.PiecewiseConstantDecay([10, 20], [1.0, 0.5])
    with pytest.raises(ValueError, match="increasing"):
        S.PiecewiseConstantDecay([20, 10], [1.0, 0.5, 0.1])


def test_polynomial_decay():
    s = S.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.01, power=2.0)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.09 * 0.25 + 0.01)
    assert s(20) == pytest.approx(0.01)
    cyc = S.PolynomialDecay(0.1, 10, 0.01, power=2.0, cycle=True)
    assert cyc(0) == pytest.approx(0.1)
    assert cyc(15) == pytest.approx(0.09 * 0.25 ** 2 + 0.01)   # decay_steps becomes 20
    assert S.PolynomialDecay(1.0, 4)(2) == pytest.approx(0.5 * (1 - 1e-4) + 1e-4)


def test_cosine_decay():
    s = S.CosineDecay(0.1, decay_steps=10, alpha=0.1)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.1 * (0.9 * 0.5 + 0.1))
    assert s(20) == pytest.approx(0.01)
    w = S.CosineDecay(0.0, decay_steps=10, warmup_target=0.2, warmup_steps=5)
    assert w(2) == pytest.approx(0.08)
    assert w(5) == pytest.approx(0.2)
    assert w(10) == pytest.approx(0.1)
    assert w(100) == pytest.approx(0.0, abs=1e-12)


def test_cosine_decay_restarts():
    s = S.CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert s(0) == pytest.approx(0.1)
    assert s(5) == pytest.approx(0.05)
    assert s(10) == pytest.approx(0.05)          # period 1 starts: 0.1 * 0.5
    assert s(20) == pytest.approx(0.025)         # halfway through period 1 (length 20)
    # Period k starts at step 10 * (2**k - 1) with rate 0.1 * 0.5**k, exactly.
    for k in range(1, 12):
        assert s(10 * (2 ** k - 1)) == pytest.approx(0.1 * 0.5 ** k, rel=1e-12), k
        last = 1 - 1 / (10 * 2 ** (k - 1))        # final step of period k - 1
        assert s(10 * (2 ** k - 1) - 1) == pytest.approx(
            0.1 * 0.5 ** (k - 1) * 0.5 * (1 + math.cos(math.pi * last)), rel=1e-9), k
    flat = S.CosineDecayRestarts(0.1, 10, t_mul=1.0, alpha=0.2)
    assert flat(15) == pytest.approx(0.1 * (0.8 * 0.5 + 0.2))
    assert flat(7.5) == pytest.approx(0.1 * (0.8 * 0.5 * (1 + math.cos(0.75 * math.pi)) + 0.2))


def test_config_round_trip_and_errors():
    for s in (S.ExponentialDecay(0.1, 10, 0.5, staircase=True), S.InverseTimeDecay(0.1, 10, 0.5),
              S.PiecewiseConstantDecay([3], [0.1, 0.01]), S.PolynomialDecay(0.1, 10, cycle=True),
              S.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3),
              S.CosineDecayRestarts(0.1, 10, m_mul=0.9)):
        back = S.deserialize(S.serialize(s))
        assert type(back) is type(s) and back.get_config() == s.get_config()
        assert [back(t) for t in (0, 4, 17)] == [s(t) for t in (0, 4, 17)]
    with pytest.raises(ValueError, match="ExponentialDecay"):
        S.deserialize({"class_name": "NoSuchDecay", "config": {}})
    with pytest.raises(ValueError, match="decay_steps"):
        S.ExponentialDecay(0.1, 0, 0.5)
    with pytest.raises(ValueError, match="step >= 0"):
        S.CosineDecay(0.1, 10)(-1)


def test_schedule_as_optimizer_learning_rate():
    sched = S.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5)
    p = Tensor(np.zeros(2), dtype="float64", requires_grad=True)
    opt = SGD([p], learning_rate=sched)
    expected = np.zeros(2)
    for t in range(4):
        assert opt.lr == pytest.approx(0.5 ** t)          # evaluated at `iterations`
        p.grad = np.array([1.0, -2.0])
        opt.step()
        expected -= 0.5 ** t * np.array([1.0, -2.0])
        np.testing.assert_allclose(p.data, expected)
    cfg = opt.get_config()
    assert cfg["learning_rate"]["class_name"] == "ExponentialDecay"
    rebuilt = SGD.from_config(cfg)
    assert isinstance(rebuilt._lr, S.ExponentialDecay) and rebuilt.lr == pytest.approx(1.0)
    opt.learning_rate = 0.01                              # a float replaces the schedule
    assert opt.lr == 0.01 and type(opt._lr) is float


def test_lr_is_schedule_tells_a_schedule_from_a_number():
    p = Tensor(np.zeros(2), dtype="float64", requires_grad=True)
    assert SGD([p], lr=0.1).lr_is_schedule is False
    opt = SGD([p], learning_rate=S.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5))
    assert opt.lr_is_schedule is True
    assert SGD([p], learning_rate=lambda: 0.25).lr_is_schedule is True   # a callable is evaluated each step
    opt.learning_rate = 0.01
    assert opt.lr_is_schedule is False
    opt.learning_rate = S.CosineDecay(0.1, 10)
    assert opt.lr_is_schedule is True
