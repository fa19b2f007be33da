"""BatchNormalization and LayerNormalization."""
import json

import numpy as np
import pytest

from kerasish import Tensor, no_grad
from kerasish.layers.normalization import BatchNormalization, LayerNormalization
from kerasish.regularizers import L2
from layer_grad import check_layer_grad

R = np.random.default_rng(2)


def bn_reference(x, gamma, beta, axes, eps):
    mean = x.mean(axis=axes, keepdims=True)
    var = x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * gamma + beta


def randomize(layer):
    """Non-trivial gamma and beta so their gradients and effects are visible."""
    for name in ("gamma", "beta"):
        w = layer._weights.get(name)
        if w is not None:
            w.data[...] = R.uniform(0.5, 1.5, w.shape)


# --- BatchNormalization -----------------------------------------------------------------------
def test_bn_weights_order_names_and_trainability():
    bn = BatchNormalization()
    bn(np.zeros((2, 3)))
    assert [w.name for w in bn.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in bn.trainable_weights] == ["gamma", "beta"]
    assert bn.count_params() == 12
    plain = BatchNormalization(center=False, scale=False)
    plain.build((None, 3))
    assert [w.name for w in plain.weights] == ["moving_mean", "moving_variance"]
    assert plain.trainable_weights == []


@pytest.mark.parametrize("shape, axis", [((6, 3), -1), ((3, 2, 2, 2), -1), ((3, 2, 2, 2), 1), ((4, 2, 3), [1, 2])],
                         ids=["2d", "4d_channels_last", "4d_channels_first", "two_axes"])
def test_bn_training_forward_and_grad(shape, axis):
    bn = BatchNormalization(axis=axis, dtype="float64")
    x = R.standard_normal(shape) * 2 + 1
    bn(x)
    randomize(bn)
    axes = tuple(a % len(shape) for a in ([axis] if isinstance(axis, int) else axis))
    reduce = tuple(i for i in range(len(shape)) if i not in axes)
    bshape = [n if i in axes else 1 for i, n in enumerate(shape)]
    ref = bn_reference(x, bn.gamma.numpy().reshape(bshape), bn.beta.numpy().reshape(bshape), reduce, 1e-3)
    np.testing.assert_allclose(bn(x).numpy(), ref, rtol=1e-10, atol=1e-12)
    check_layer_grad(bn, Tensor(x, dtype="float64"))


def test_bn_grad_without_center_and_scale():
    bn = BatchNormalization(center=False, scale=False, dtype="float64")
    check_layer_grad(bn, Tensor(R.standard_normal((5, 3)), dtype="float64"))


def test_bn_moving_statistics_update_and_eval_uses_them():
    bn = BatchNormalization(momentum=0.9)
    x = R.standard_normal((64, 3)) * [1.0, 2.0, 3.0] + [0.5, -1.0, 2.0]
    bn(x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), 0.1 * x.mean(0), rtol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), 0.9 + 0.1 * x.var(0), rtol=1e-4)
    for _ in range(200):
        with no_grad():
            bn(x)
    np.testing.assert_allclose(bn.moving_mean.numpy(), x.mean(0), rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(bn.moving_variance.numpy(), x.var(0), rtol=1e-3)
    bn.eval()
    before = bn.moving_mean.numpy().copy()
    x2 = R.standard_normal((4, 3))
    out = bn(x2).numpy()
    expect = (x2 - bn.moving_mean.numpy()) / np.sqrt(bn.moving_variance.numpy() + 1e-3)
    np.testing.assert_allclose(out, expect, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(bn.moving_mean.numpy(), before)  # eval leaves the statistics alone


def test_bn_inference_grad_and_frozen_layer_runs_in_inference_mode():
    bn = BatchNormalization(axis=1, dtype="float64")
    x = R.standard_normal((3, 2, 2, 2))
    bn(x)
    randomize(bn)
    bn.eval()
    check_layer_grad(bn, Tensor(x, dtype="float64"))
    frozen = BatchNormalization()
    frozen.build((None, 3))
    frozen.trainable = False
    out = frozen(np.full((2, 3), 4.0)).numpy()
    np.testing.assert_allclose(out, 4.0 / np.sqrt(1.001), rtol=1e-6)
    assert (frozen.moving_mean.numpy() == 0).all()


def test_bn_input_checks_config_and_device():
    bn = BatchNormalization()
    bn(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"batch_normalization.*\(2, 4\)"):
        bn(np.zeros((2, 4)))
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        BatchNormalization(axis=3)(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="momentum"):
        BatchNormalization(momentum=2)
    layer = BatchNormalization(axis=1, momentum=0.9, epsilon=1e-5, center=False, gamma_regularizer=L2(0.1))
    config = layer.get_config()
    json.dumps(config)
    assert BatchNormalization.from_config(config).get_config() == config
    fake = BatchNormalization(device="fake")
    y = fake(Tensor(R.standard_normal((4, 3)), device="fake"))
    y.sum().backward()
    assert y.device == "fake" and fake.gamma.grad.shape == (3,)
    fake.eval()
    assert fake(Tensor(np.ones((2, 3)), device="fake")).device == "fake"


def test_bn_reads_keras_config():
    config = {"name": "bn", "axis": -1, "momentum": 0.99, "epsilon": 0.001, "center": True, "scale": True,
              "beta_initializer": {"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                   "registered_name": None},
              "gamma_initializer": {"class_name": "Ones", "config": {}}, "beta_regularizer": None,
              "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
              "synchronized": False, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99}
    assert BatchNormalization(**config)(np.ones((2, 3))).shape == (2, 3)


def test_bn_matches_torch_in_training():
    torch = pytest.importorskip("torch")
    x = R.standard_normal((8, 5, 5, 3)).astype(np.float32)
    bn = BatchNormalization()
    out = bn(Tensor(x, requires_grad=True))
    ref = torch.nn.functional.batch_norm(torch.tensor(x).permute(0, 3, 1, 2), None, None, training=True, eps=1e-3)
    np.testing.assert_allclose(out.numpy(), ref.permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-5)


# --- LayerNormalization -----------------------------------------------------------------------
@pytest.mark.parametrize("shape, axis", [((4, 5), -1), ((2, 3, 4), -1), ((2, 3, 4), [1, 2])],
                         ids=["2d", "3d", "two_axes"])
def test_ln_forward_and_grad(shape, axis):
    ln = LayerNormalization(axis=axis, dtype="float64")
    x = R.standard_normal(shape) * 3 + 1
    ln(x)
    randomize(ln)
    axes = tuple(a % len(shape) for a in ([axis] if isinstance(axis, int) else axis))
    bshape = [n if i in axes else 1 for i, n in enumerate(shape)]
    ref = bn_reference(x, ln.gamma.numpy().reshape(bshape), ln.beta.numpy().reshape(bshape), axes, 1e-3)
    np.testing.assert_allclose(ln(x).numpy(), ref, rtol=1e-10, atol=1e-12)
    ln.eval()
    np.testing.assert_allclose(ln(x).numpy(), ref, rtol=1e-10, atol=1e-12)  # same in both modes
    check_layer_grad(ln, Tensor(x, dtype="float64"))


def test_ln_weights_config_and_half_precision():
    ln = LayerNormalization(center=False)
    ln(np.zeros((2, 4)))
    assert [w.name for w in ln.weights] == ["gamma"]
    config = LayerNormalization(axis=[1, 2], epsilon=1e-5).get_config()
    json.dumps(config)
    assert LayerNormalization.from_config(config).get_config() == config
    half = LayerNormalization(dtype="float16")
    x = R.standard_normal((3, 8)) * 100
    out = half(x)
    assert out.dtype == np.float16
    np.testing.assert_allclose(out.numpy().astype(np.float64).std(-1), 1.0, rtol=1e-2)


def test_mixed_precision_updates_master_statistics():
    from kerasish.mixed_precision import set_global_policy
    set_global_policy("mixed_float16")
    try:
        bn = BatchNormalization(momentum=0.5)
        ln = LayerNormalization()
        x = Tensor(R.standard_normal((16, 3)) + 2.0)
        out = bn(x)
        assert out.dtype == np.float16 and bn.moving_mean.dtype == np.float32
        np.testing.assert_allclose(bn.moving_mean.numpy(), 0.5 * x.numpy().mean(0), rtol=1e-3)
        out.astype("float32").sum().backward()
        assert bn.gamma.grad.dtype == np.float32
        assert ln(x).dtype == np.float16
    finally:
        set_global_policy(None)
    fake = LayerNormalization(device="fake")
    assert fake(Tensor(np.ones((2, 3)), device="fake")).device == "fake"
