"""Mixed precision: float16 compute, float32 master weights, dynamic loss scaling."""
import numpy as np
import pytest

from kerasish import Tensor
from kerasish.layers.base import Layer
from kerasish.mixed_precision import LossScaleOptimizer, Policy, global_policy, set_global_policy
from kerasish.optimizers import SGD


class Linear(Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), name="kernel")

    def forward(self, x):
        return x @ self.kernel


@pytest.fixture
def mixed():
    set_global_policy("mixed_float16")
    yield
    set_global_policy(None)


def test_policy_dtypes():
    p = Policy("mixed_float16")
    assert (p.compute_dtype, p.variable_dtype) == ("float16", "float32")
    assert Policy("float64").compute_dtype == "float64"
    assert global_policy().name == "float32"
    with pytest.raises(ValueError, match="valid policies are"):
        Policy("mixed_bfloat17")


def test_layer_computes_in_float16_with_float32_weights(mixed):
    layer = Linear(3)
    out = layer(np.random.default_rng(0).standard_normal((4, 5)))
    assert out.dtype == np.float16
    assert layer.kernel.dtype == np.float32
    out.astype("float32").sum().backward()
    assert layer.kernel.grad.dtype == np.float32
    assert layer.get_config()["dtype"] == "mixed_float16"


def test_explicit_dtype_overrides_policy(mixed):
    layer = Linear(3, dtype="float32")
    assert layer(np.ones((1, 2))).dtype == np.float32


def test_loss_scaling_unscales_gradients():
    w = Tensor([1.0, 2.0], requires_grad=True)
    opt = LossScaleOptimizer(SGD([w], lr=0.1), initial_scale=1024.0, dynamic_growth_steps=2)
    loss = (w * w).sum()
    opt.scale_loss(loss).backward()
    assert opt.step()
    np.testing.assert_allclose(w.numpy(), [1.0 - 0.1 * 2.0, 2.0 - 0.1 * 4.0], rtol=1e-6)
    opt.zero_grad()
    opt.scale_loss((w * w).sum()).backward()
    opt.step()
    assert opt.loss_scale == 2048.0  # doubled after two good steps


@pytest.mark.filterwarnings("ignore:overflow")
def test_overflow_skips_the_step_and_halves_the_scale():
    w = Tensor(np.array([1.0, 2.0], dtype=np.float16), dtype="float16", requires_grad=True)
    opt = LossScaleOptimizer(SGD([w], lr=0.1), initial_scale=2.0 ** 15)
    opt.scale_loss((w * 1000.0).sum() * 1000.0).backward()  # 3.3e10 overflows float16
    before = w.numpy().copy()
    assert not opt.step()
    np.testing.assert_array_equal(w.numpy(), before)
    assert opt.loss_scale == 2.0 ** 14 and opt.skipped_steps == 1


def test_learning_rate_is_the_inner_optimizers():
    inner = SGD([Tensor([1.0], requires_grad=True)], lr=0.5)
    opt = LossScaleOptimizer(inner)
    opt.lr = 0.25
    assert inner.lr == 0.25 and opt.learning_rate == 0.25


def test_loss_scale_step_syncs_with_the_host_once():
    from host_syncs import count_host_syncs
    params = [Tensor(np.ones(3), requires_grad=True, device="fake") for _ in range(4)]
    opt = LossScaleOptimizer(SGD(params, lr=0.1), initial_scale=8.0)
    loss = sum(((p * p).sum() for p in params[1:]), (params[0] * 2).sum())
    opt.scale_loss(loss).backward()
    with count_host_syncs() as syncs:
        assert opt.step()
    assert syncs.count == 1
    np.testing.assert_allclose(params[0].numpy(), 1.0 - 0.1 * 2.0)
