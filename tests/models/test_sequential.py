"""Sequential: the seed's example and API, and Keras 3's Input / add / build / config."""
import json

import numpy as np
import pytest

from kerasish.activations import ReLU
from kerasish.layers.base import Layer
from kerasish.layers.core import Dense
from kerasish.layers.input import Input, InputLayer
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.tensor import Tensor
from kerasish.utils import check_grad


def _seed_model():
    return Sequential([
        Dense(784, 128, initialization='xavier', device='cpu', dtype=np.float32),
        ReLU(),
        Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)
    ], device='cpu')


def test_seed_example_runs_exactly():
    input_tensor = Tensor(np.random.default_rng(0).standard_normal((16, 784)), device='cpu', dtype=np.float32)
    model = _seed_model()
    output = model(input_tensor)
    assert isinstance(output, Tensor) and output.shape == (16, 10) and output.dtype == np.float32
    first, _, last = model.layers
    expected = np.maximum(input_tensor.numpy() @ first.kernel.numpy() + first.bias.numpy(), 0)
    expected = expected @ last.kernel.numpy() + last.bias.numpy()
    np.testing.assert_allclose(output.numpy(), expected, rtol=1e-4, atol=1e-5)
    assert isinstance(model, Model)


def test_seed_level_api_parameters_zero_grad_state_dict():
    model = _seed_model()
    assert len(model.parameters) == 4
    assert list(model.state_dict()) == ["0.kernel", "0.bias", "2.kernel", "2.bias"]
    model(np.ones((2, 784), np.float32)).sum().backward()
    assert any(np.abs(p.grad).sum() > 0 for p in model.parameters)
    model.zero_grad()
    assert all(np.abs(p.grad).sum() == 0 for p in model.parameters)


def test_state_dict_round_trip_between_two_identical_models():
    a, b = _seed_model(), _seed_model()
    x = np.random.default_rng(1).standard_normal((3, 784)).astype(np.float32)
    assert not np.allclose(a(x).numpy(), b(x).numpy())
    b.load_state_dict(a.state_dict())
    np.testing.assert_allclose(a(x).numpy(), b(x).numpy())
    with pytest.raises(ValueError, match="missing key: 2.bias"):
        b.load_state_dict({k: v for k, v in a.state_dict().items() if k != "2.bias"})


def test_train_eval_reach_layers():
    model = _seed_model()
    assert model.eval() is model and not any(layer.training for layer in model.layers)
    model.train()
    assert all(layer.training for layer in model.layers)


def test_add_pop_and_layers():
    model = Sequential()
    assert model.layers == [] and not model.built
    model.add(Dense(8, input_shape=(4,)))
    model.add(ReLU())
    model.add(Dense(2))
    assert model.built and [type(layer).__name__ for layer in model.layers] == ["Dense", "ReLU", "Dense"]
    assert model.outputs[0].shape == (None, 2)
    popped = model.pop()
    assert isinstance(popped, Dense) and len(model.layers) == 2
    assert model.outputs[0].shape == (None, 8)
    model.add(Dense(3))
    assert model.output_shape == (None, 3)
    assert list(model.state_dict()) == ["0.kernel", "0.bias", "2.kernel", "2.bias"]
    assert model(np.ones((5, 4))).shape == (5, 3)
    with pytest.raises(ValueError, match="no layers to pop"):
        Sequential().pop()
    with pytest.raises(TypeError, match="Only Layer instances"):
        model.add("dense")


def test_input_opens_a_sequential_and_is_not_listed():
    model = Sequential([Input(shape=(6,)), Dense(4), Dense(2)])
    assert len(model.layers) == 2 and not any(isinstance(layer, InputLayer) for layer in model.layers)
    assert model.built and model.count_params() == 6 * 4 + 4 + 4 * 2 + 2
    assert model.inputs[0].shape == (None, 6) and model.input_shape == (None, 6)
    assert model.outputs[0].shape == (None, 2)
    with pytest.raises(ValueError, match="first element"):
        model.add(Input(shape=(3,)))


def test_input_dim_on_first_layer_and_shape_errors_at_add():
    model = Sequential([Dense(4, input_dim=3)])
    assert model.inputs[0].shape == (None, 3)
    model.add(Dense(2))
    with pytest.raises(ValueError, match="expected input of shape"):
        model.add(_Needs(7))
    assert len(model.layers) == 2  # the failed layer was not added


class _Needs(Layer):
    """Accepts only inputs whose last size is `size`."""

    def __init__(self, size, **kwargs):
        super().__init__(**kwargs)
        self.size = size

    def forward(self, x):
        if x.shape[-1] != self.size:
            raise ValueError(f"'{self.name}' expected input of shape (..., {self.size}), got {x.shape}")
        return x


def test_build_explicitly_and_from_first_call():
    model = Sequential([Dense(4), Dense(2)])
    assert not model.built
    with pytest.raises(ValueError, match="no defined inputs"):
        model.inputs
    model.build((None, 3))
    assert model.built and model.count_params() == 3 * 4 + 4 + 4 * 2 + 2
    lazy = Sequential([Dense(4), Dense(2)])
    lazy(np.ones((7, 3), np.float32))
    assert lazy.built and lazy.inputs[0].shape == (None, 3) and lazy.outputs[0].shape == (None, 2)
    with pytest.raises(ValueError, match="without an input shape"):
        Sequential([Dense(2)]).build()


def test_empty_sequential_errors():
    with pytest.raises(ValueError, match="no layers"):
        Sequential()(np.ones((1, 2)))
    with pytest.raises(TypeError, match="list of layers"):
        Sequential("dense")


def test_get_layer():
    model = Sequential([Dense(4, name="a", input_dim=2), Dense(2, name="b")])
    assert model.get_layer("b") is model.layers[1]
    assert model.get_layer(index=0).name == "a"
    with pytest.raises(ValueError, match="Existing layers are: \\['a', 'b'\\]"):
        model.get_layer("c")


def test_device_moves_all_layers_and_later_ones():
    model = Sequential([Dense(3, 4), ReLU()], device="fake")
    assert model.device == "fake" and all(w.device == "fake" for w in model.weights)
    model.add(Dense(2))
    out = model(Tensor(np.ones((2, 3)), device="fake"))
    assert out.device == "fake" and out.shape == (2, 2)
    model.set_device("cpu")
    assert all(w.device == "cpu" for w in model.weights)
    assert model(np.ones((2, 3))).device == "cpu"


def test_float64_sequential_gradients():
    model = Sequential([Dense(3, 4, dtype="float64"), ReLU(dtype="float64"), Dense(4, 2, dtype="float64")])
    x = np.random.default_rng(0).standard_normal((5, 3))
    assert check_grad(lambda t: model(t), x) < 1e-6


def test_nested_sequential():
    inner = Sequential([Dense(4), ReLU()])
    model = Sequential([Input(shape=(3,)), inner, Dense(1)])
    assert list(model.state_dict()) == ["0.0.kernel", "0.0.bias", "1.kernel", "1.bias"]
    assert model(np.ones((2, 3))).shape == (2, 1)


def test_get_config_from_config_round_trip_same_predictions():
    model = Sequential([Input(shape=(5,)), Dense(4, activation="relu"), Dense(2)], name="seq")
    config = json.loads(json.dumps(model.get_config()))
    assert config["layers"][0]["class_name"] == "InputLayer"
    clone = Sequential.from_config(config)
    assert clone.name == "seq" and clone.built and len(clone.layers) == 2
    clone.load_state_dict(model.state_dict())
    x = np.random.default_rng(2).standard_normal((3, 5)).astype(np.float32)
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-6)


def test_config_round_trip_of_a_model_built_by_calling():
    model = Sequential([Dense(784, 16), ReLU(), Dense(16, 3)])
    x = np.random.default_rng(3).standard_normal((2, 784)).astype(np.float32)
    model(x)
    clone = Sequential.from_config(json.loads(json.dumps(model.get_config())))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), model(x).numpy(), rtol=1e-5)


def test_layer_output_is_known_once_a_sequential_ran_on_data():
    model = Sequential([Dense(4, name="a"), Dense(2)])
    model(np.ones((3, 5), dtype="float32"))
    features = model.get_layer("a").output          # before model.inputs is ever read
    assert features.shape == (None, 4)
    extractor = Model(model.input, features)
    np.testing.assert_allclose(extractor(np.ones((2, 5))).numpy(),
                               model.get_layer("a")(np.ones((2, 5))).numpy(), rtol=1e-6)


def test_dict_input_to_sequential_is_a_clear_type_error():
    import numpy as np
    import pytest
    import kerasish as K
    model = K.Sequential([K.Dense(2)])
    with pytest.raises(TypeError, match=r"received a dict with keys \['x'\]"):
        model({"x": np.ones((1, 3))})
