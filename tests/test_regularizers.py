"""Weight regularizers."""
import json

import numpy as np
import pytest

from kerasish import Tensor, regularizers
from kerasish.layers.core import Dense
from kerasish.regularizers import L1, L1L2, L2
from kerasish.utils import check_grad

R = np.random.default_rng(6)
W = R.standard_normal((4, 3)) + 0.05  # away from |w| = 0 where L1 has a kink


@pytest.mark.parametrize("reg, expect", [
    (L1(0.3), 0.3 * np.abs(W).sum()),
    (L2(0.2), 0.2 * (W ** 2).sum()),
    (L1L2(l1=0.1, l2=0.4), 0.1 * np.abs(W).sum() + 0.4 * (W ** 2).sum()),
    (L1L2(l2=0.5), 0.5 * (W ** 2).sum()),
    (regularizers.l1(0.3), 0.3 * np.abs(W).sum()),
    (regularizers.l2(0.2), 0.2 * (W ** 2).sum()),
    (regularizers.l1_l2(), 0.01 * np.abs(W).sum() + 0.01 * (W ** 2).sum()),
], ids=["l1", "l2", "l1l2", "l1l2_only_l2", "fn_l1", "fn_l2", "fn_l1_l2"])
def test_penalty_values_and_grad(reg, expect):
    out = reg(Tensor(W, dtype="float64"))
    assert out.shape == () and out.dtype == np.float64
    np.testing.assert_allclose(out.item(), expect, rtol=1e-12)
    check_grad(reg, W)


def test_zero_factors_give_zero_and_keep_dtype():
    out = L1L2()(Tensor(W.astype(np.float32)))
    assert out.item() == 0.0 and out.dtype == np.float32 and out.shape == ()


def test_defaults_and_get():
    assert L1().l1 == 0.01 and L2().l2 == 0.01 and (L1L2().l1, L1L2().l2) == (0.0, 0.0)
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l1"), L1) and isinstance(regularizers.get("L2"), L2)
    both = regularizers.get("l1_l2")
    assert isinstance(both, L1L2) and (both.l1, both.l2) == (0.01, 0.01)
    reg = L2(0.5)
    assert regularizers.get(reg) is reg
    fn = lambda w: (w * 0).sum()  # noqa: E731
    assert regularizers.get(fn) is fn
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'; valid names are: l1, l1_l2, l1l2, l2"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="must be >= 0"):
        L2(-1)
    with pytest.raises(TypeError, match="Could not interpret regularizer"):
        regularizers.get(3)


def test_serialize_roundtrip():
    for reg in (L1(0.3), L2(0.2), L1L2(0.1, 0.4)):
        config = regularizers.serialize(reg)
        json.dumps(config)
        back = regularizers.get(config)
        assert type(back) is type(reg) and back.get_config() == reg.get_config()
    assert regularizers.serialize(None) is None
    with pytest.raises(ValueError, match="Unknown regularizer class"):
        regularizers.get({"class_name": "L3", "config": {}})


def test_penalty_reaches_layer_losses_and_gradients():
    layer = Dense(4, 3, kernel_regularizer="l2", dtype="float64")
    k = layer.kernel.numpy()
    (penalty,) = layer.losses
    np.testing.assert_allclose(penalty.item(), 0.01 * (k ** 2).sum())
    penalty.backward()
    np.testing.assert_allclose(layer.kernel.grad, 0.02 * k)
