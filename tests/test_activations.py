"""Activation functions (by name) and the activation layers (the seed's classes)."""
import json
import math

import numpy as np
import pytest

from kerasish import Tensor, activations
from kerasish.activations import ELU, Activation, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from kerasish.ops.activation import erfc
from kerasish.utils import check_grad

R = np.random.default_rng(3)
_erf = np.vectorize(math.erf)


def away_from(x, kinks, gap=0.05):
    """Moves values within `gap` of a kink out of the way (finite differences need smoothness)."""
    x = x.copy()
    for k in kinks:
        near = np.abs(x - k) < gap
        x[near] = k + np.where(x[near] >= k, gap, -gap)
    return x


def sig(x):
    return 1 / (1 + np.exp(-x))


def softplus(x):
    return np.logaddexp(0, x)


REFERENCE = {
    "linear": (lambda x: x, ()),
    "relu": (lambda x: np.maximum(x, 0), (0,)),
    "sigmoid": (sig, ()),
    "tanh": (np.tanh, ()),
    "softmax": (lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True), ()),
    "log_softmax": (lambda x: x - np.log(np.exp(x).sum(-1, keepdims=True)), ()),
    "exponential": (np.exp, ()),
    "leaky_relu": (lambda x: np.where(x > 0, x, 0.2 * x), (0,)),
    "elu": (lambda x: np.where(x > 0, x, np.expm1(x)), (0,)),
    "selu": (lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(x)), (0,)),
    "gelu": (lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))), ()),
    "softplus": (softplus, ()),
    "softsign": (lambda x: x / (1 + np.abs(x)), (0,)),
    "silu": (lambda x: x * sig(x), ()),
    "swish": (lambda x: x * sig(x), ()),
    "mish": (lambda x: x * np.tanh(softplus(x)), ()),
    "relu6": (lambda x: np.clip(x, 0, 6), (0, 6)),
    "hard_sigmoid": (lambda x: np.clip(x + 3, 0, 6) / 6, (-3, 3)),
    "hard_silu": (lambda x: x * np.clip(x + 3, 0, 6) / 6, (-3, 3)),
    "hard_swish": (lambda x: x * np.clip(x + 3, 0, 6) / 6, (-3, 3)),
}


def test_every_registered_name_has_a_reference():
    assert set(REFERENCE) == set(activations._BY_NAME)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_values_and_grad(name):
    ref, kinks = REFERENCE[name]
    x = away_from(R.uniform(-5, 7, (3, 8)), kinks)
    fn = activations.get(name)
    np.testing.assert_allclose(fn(Tensor(x, dtype="float64")).numpy(), ref(x), rtol=1e-12, atol=1e-13)
    out32 = fn(Tensor(x.astype(np.float32)))
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.numpy(), ref(x), rtol=2e-5, atol=2e-6)
    if name != "linear":
        check_grad(fn, x)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activations_run_on_the_fake_device(name):
    x = away_from(R.standard_normal((2, 5)), REFERENCE[name][1])
    fn = activations.get(name)
    t = Tensor(x, dtype="float64", device="fake")
    assert fn(t).device == "fake"
    if name != "linear":
        check_grad(fn, t)


def test_stability_at_extremes():
    x = Tensor(np.array([-1e4, -50.0, 0.0, 50.0, 1e4]), requires_grad=True)
    for name in ("sigmoid", "softplus", "elu", "selu", "gelu", "silu", "mish", "softsign", "hard_sigmoid"):
        out = activations.get(name)(x)
        out.sum().backward()
        assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad).all(), name
        x.zero_grad()
    np.testing.assert_allclose(activations.softplus(x).numpy()[[0, 4]], [0.0, 1e4])
    np.testing.assert_allclose(activations.gelu(x).numpy()[[0, 4]], [0.0, 1e4])


def test_gelu_forms_and_erfc():
    x = np.linspace(-6, 6, 101)
    approx = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    np.testing.assert_allclose(activations.gelu(Tensor(x, dtype="float64"), approximate=True).numpy(),
                               approx, rtol=1e-12, atol=1e-14)
    check_grad(lambda t: activations.gelu(t, approximate=True), x)
    z = np.linspace(-9, 9, 2001)
    ref = np.vectorize(math.erfc)(z)
    np.testing.assert_allclose(erfc(z), ref, rtol=1e-13)
    z32 = z.astype(np.float32)
    np.testing.assert_allclose(erfc(z32), np.vectorize(math.erfc)(z32.astype(np.float64)), rtol=1e-5)


def test_matches_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    x = R.uniform(-6, 6, 200)
    tx = torch.tensor(x)
    pairs = {"gelu": F.gelu(tx), "selu": F.selu(tx), "elu": F.elu(tx), "softplus": F.softplus(tx),
             "silu": F.silu(tx), "mish": F.mish(tx), "relu6": F.relu6(tx), "softsign": F.softsign(tx),
             "hard_silu": F.hardswish(tx), "hard_sigmoid": F.hardsigmoid(tx)}
    for name, expect in pairs.items():
        np.testing.assert_allclose(activations.get(name)(Tensor(x, dtype="float64")).numpy(), expect.numpy(),
                                   rtol=1e-12, atol=1e-12, err_msg=name)


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("ReLU") is activations.relu
    assert activations.get(np.tanh) is np.tanh
    with pytest.raises(ValueError, match=r"Unknown activation 'rleu'; valid names are: .*relu.*"):
        activations.get("rleu")
    with pytest.raises(TypeError, match="Could not interpret activation"):
        activations.get(3)
    for name in REFERENCE:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"
    assert activations.serialize(None) == "linear"
    layer_form = activations.serialize(LeakyReLU(0.1))
    assert layer_form["class_name"] == "LeakyReLU"
    restored = activations.get(layer_form)
    assert isinstance(restored, LeakyReLU) and restored.alpha == 0.1
    with pytest.raises(ValueError, match="Unknown activation class"):
        activations.get({"class_name": "Dense", "config": {}})


# --- layers -------------------------------------------------------------------------------------
def test_seed_examples():
    linear_output = Tensor(R.standard_normal((4, 3)), dtype=np.float32)
    tanh = Tanh(device='cpu')
    activated = tanh(linear_output)
    np.testing.assert_allclose(activated.numpy(), np.tanh(linear_output.numpy()), rtol=1e-6)
    relu = ReLU(device='cpu')
    activated = relu(linear_output)
    np.testing.assert_allclose(activated.numpy(), np.maximum(linear_output.numpy(), 0))
    for layer in (tanh, relu):
        assert isinstance(layer, Activation)
        assert layer.state_dict() == {} and layer.load_state_dict({}) == ([], [])
        assert layer.parameters == []


LAYERS = {
    "Tanh": (lambda: Tanh(dtype="float64"), np.tanh, ()),
    "ReLU": (lambda: ReLU(dtype="float64"), lambda x: np.maximum(x, 0), (0,)),
    "Sigmoid": (lambda: Sigmoid(dtype="float64"), sig, ()),
    "Softmax_axis0": (lambda: Softmax(axis=0, dtype="float64"), lambda x: np.exp(x) / np.exp(x).sum(0), ()),
    "LeakyReLU": (lambda: LeakyReLU(dtype="float64"), lambda x: np.where(x > 0, x, 0.3 * x), (0,)),
    "LeakyReLU_slope": (lambda: LeakyReLU(negative_slope=0.1, dtype="float64"),
                        lambda x: np.where(x > 0, x, 0.1 * x), (0,)),
    "ELU": (lambda: ELU(dtype="float64"), lambda x: np.where(x > 0, x, np.expm1(x)), (0,)),
    "ELU_alpha": (lambda: ELU(alpha=0.5, dtype="float64"), lambda x: np.where(x > 0, x, 0.5 * np.expm1(x)), (0,)),
    "Activation_gelu": (lambda: Activation("gelu", dtype="float64"), REFERENCE["gelu"][0], ()),
    "Activation_callable": (lambda: Activation(lambda t: t * t, dtype="float64"), np.square, ()),
    "ReLU_options": (lambda: ReLU(max_value=2.0, negative_slope=0.1, threshold=0.5, dtype="float64"),
                     lambda x: np.minimum(np.where(x >= 0.5, x, 0.1 * (x - 0.5)), 2.0), (0.5, 2.0)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_activation_layers_values_and_grad(name):
    make, ref, kinks = LAYERS[name]
    layer = make()
    x = away_from(R.uniform(-3, 3, (4, 5)), kinks)
    np.testing.assert_allclose(layer(x).numpy(), ref(x), rtol=1e-12, atol=1e-14)
    check_grad(layer, x)
    fake = make()
    fake.set_device("fake")
    assert fake(Tensor(x, device="fake")).device == "fake"


def test_activation_layer_defaults_and_configs():
    assert LeakyReLU().alpha == 0.3 and LeakyReLU().negative_slope == 0.3
    assert ELU().alpha == 1.0
    assert ReLU().name == "re_lu" and Activation("relu").name == "activation"
    layers = [Activation("softplus"), Tanh(), ReLU(max_value=6.0), Sigmoid(), Softmax(axis=1),
              LeakyReLU(alpha=0.2), ELU(alpha=0.7)]
    for layer in layers:
        config = layer.get_config()
        json.dumps(config)
        clone = type(layer).from_config(config)
        assert clone.get_config() == config
    assert Activation("softplus").get_config()["activation"] == "softplus"
    assert "activation" not in Tanh().get_config()
    with pytest.raises(ValueError, match="Unknown activation"):
        Activation("nope")
    with pytest.raises(ValueError, match="alpha"):
        LeakyReLU(-1)
    with pytest.raises(TypeError, match="unexpected keyword"):
        Tanh(alpha=1)


def test_activation_layer_casts_inputs_to_its_dtype():
    out = Sigmoid(dtype="float64")(np.zeros(3, dtype=np.float32))
    assert out.dtype == np.float64
    out = ReLU()([[-1.0, 2.0]])
    assert out.dtype == np.float32 and out.numpy().tolist() == [[0.0, 2.0]]


def test_relu_function_keras_options():
    x = Tensor([-2.0, 0.2, 1.0, 8.0], dtype="float64")
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.1, max_value=6, threshold=0.5).numpy(),
                               [-0.25, -0.03, 1.0, 6.0])
    check_grad(lambda t: activations.relu(t, negative_slope=0.1, max_value=6.0), np.array([-2.0, 1.0, 8.0]))
