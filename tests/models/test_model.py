"""Model by subclassing: registration, dotted names, get_layer, devices, build, config."""
import json

import numpy as np
import pytest

from kerasish.layers.base import Layer
from kerasish.models.model import BaseModel, Model
from kerasish.tensor import Tensor
from kerasish.utils import check_grad


class Affine(Layer):
    """y = x @ w + b with sizes known up front (a stand-in for Dense)."""

    def __init__(self, n_in, n_out, **kwargs):
        super().__init__(**kwargs)
        self.w = self.add_weight((n_in, n_out), "glorot_uniform", name="w")
        self.b = self.add_weight((n_out,), "zeros", name="b")

    def forward(self, x):
        return x @ self.w + self.b


class Lazy(Layer):
    """Builds its weight from the first input (Keras's build pattern)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1], self.units), name="w")

    def call(self, x):
        return x @ self.w


class Block(Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.a = Affine(3, 4)
        self.b = Affine(4, 3)

    def forward(self, x):
        return self.b(self.a(x).tanh())


class Net(Model):
    def __init__(self, width=4, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.stem = Affine(3, width)
        self.blocks = [Affine(width, width), Affine(width, width)]
        self.heads = {"left": Affine(width, 2), "right": Affine(width, 1)}
        self.inner = Block()

    def forward(self, x):
        h = self.stem(self.inner(x))
        for block in self.blocks:
            h = block(h).relu()
        return self.heads["left"](h), self.heads["right"](h)


def test_nested_parameters_have_dotted_names_in_order():
    net = Net()
    names = list(net.state_dict())
    assert names == ["stem.w", "stem.b", "blocks.0.w", "blocks.0.b", "blocks.1.w", "blocks.1.b",
                     "heads.left.w", "heads.left.b", "heads.right.w", "heads.right.b",
                     "inner.a.w", "inner.a.b", "inner.b.w", "inner.b.b"]
    assert len(net.parameters) == 14
    assert net.count_params() == sum(w.size for w in net.weights)
    assert [layer.name for layer in net.layers] == [
        net.stem.name, net.blocks[0].name, net.blocks[1].name,
        net.heads["left"].name, net.heads["right"].name, net.inner.name]


def test_gradients_reach_every_nested_parameter():
    net = Net()
    left, right = net(np.random.default_rng(0).standard_normal((5, 3)))
    (left.sum() + right.sum()).backward()
    assert all(np.abs(p.grad).sum() > 0 for p in net.parameters)


def test_state_dict_round_trip_between_two_instances():
    a, b = Net(), Net()
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(1).standard_normal((2, 3))
    np.testing.assert_allclose(a(x)[0].numpy(), b(x)[0].numpy())


def test_forgot_super_init_is_a_clear_error():
    class Broken(Model):
        def __init__(self):
            self.dense = Affine(2, 2)

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Broken()


def test_default_names_and_alias():
    assert BaseModel is Model
    assert Net().name == "net" and Net().name == "net_1"
    assert Net(name="custom").name == "custom"


def test_get_layer_by_name_and_index_with_clear_errors():
    net = Net()
    assert net.get_layer(index=0) is net.stem
    assert net.get_layer(index=-1) is net.inner
    assert net.get_layer(name=net.inner.name) is net.inner
    with pytest.raises(ValueError, match="exactly one"):
        net.get_layer()
    with pytest.raises(ValueError, match="exactly one"):
        net.get_layer(name="stem", index=0)
    with pytest.raises(ValueError, match=r"No layer named 'nope'.*Existing layers"):
        net.get_layer("nope")
    with pytest.raises(ValueError, match="index 9.*only 6 layers"):
        net.get_layer(index=9)


def test_subclassed_model_has_no_symbolic_inputs():
    net = Net()
    with pytest.raises(ValueError, match="subclassed"):
        net.inputs
    assert getattr(net, "outputs", None) is None  # also an AttributeError


def test_model_keeps_the_layers_dtype_float64_gradients():
    class Small(Model):
        def __init__(self):
            super().__init__()
            self.a = Affine(3, 2, dtype="float64")

        def forward(self, x):
            return self.a(x).tanh()

    model = Small()
    x = np.random.default_rng(2).standard_normal((4, 3))
    assert model(x).dtype == np.float64
    assert check_grad(lambda t: model(t), x) < 1e-6


def test_lazy_layers_build_on_first_call_and_explicit_build():
    class Two(Model):
        def __init__(self):
            super().__init__()
            self.first = Lazy(5)
            self.second = Lazy(2)

        def call(self, x):
            return self.second(self.first(x))

    model = Two()
    assert not model.built and model.weights == []
    model.build((None, 3))
    assert model.built and model.count_params() == 3 * 5 + 5 * 2
    assert model(np.ones((7, 3), np.float32)).shape == (7, 2)


def test_user_build_still_runs():
    class WithBuild(Model):
        def build(self, input_shape):
            self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")

        def forward(self, x):
            return x * self.scale

    model = WithBuild()
    assert model(np.ones((2, 4), np.float32)).shape == (2, 4)
    assert list(model.state_dict()) == ["scale"]


def test_training_flag_reaches_sub_layers():
    seen = []

    class Probe(Layer):
        def forward(self, x):
            seen.append(self.training)
            return x

    class Wrap(Model):
        def __init__(self):
            super().__init__()
            self.probe = Probe()

        def forward(self, x):
            return self.probe(x)

    model = Wrap()
    model(np.ones((1, 2)), training=False)
    model.eval()
    model(np.ones((1, 2)))
    model.train()
    model(np.ones((1, 2)))
    assert seen == [False, False, True]


def test_set_device_moves_weights_grads_and_optimizer_state():
    class FakeOptimizer:
        def __init__(self):
            self.moved_to = None

        def set_device(self, device):
            self.moved_to = device

    net = Net()
    left, right = net(np.ones((2, 3)))
    (left.sum() + right.sum()).backward()
    net.optimizer = FakeOptimizer()
    assert net.set_device("fake") is net
    assert net.optimizer.moved_to == "fake"
    assert all(w.device == "fake" for w in net.weights)
    assert all(type(w._grad).__name__ == "FakeArray" for w in net.parameters)
    net.to("cpu")
    assert all(w.device == "cpu" for w in net.weights)
    out = net(np.ones((2, 3)))
    assert out[0].device == "cpu"


def test_get_config_captures_plain_constructor_arguments():
    net = Net(width=6, name="n6")
    config = net.get_config()
    assert config == {"width": 6, "name": "n6"}
    clone = Net.from_config(json.loads(json.dumps(config)))
    assert clone.width == 6 and clone.name == "n6"


def test_get_config_refuses_non_json_arguments():
    class Holder(Model):
        def __init__(self, thing):
            super().__init__()
            self.thing = thing

    with pytest.raises(NotImplementedError, match=r"\['thing'\].*override get_config"):
        Holder(object()).get_config()


def test_from_config_with_a_bad_config_says_what_to_do():
    with pytest.raises(TypeError, match="from_config"):
        Net.from_config({"depth": 3})


def test_subclass_calling_super_with_inputs_outputs_becomes_functional():
    from kerasish.layers.input import Input
    from kerasish.models.functional import Functional

    class Head(Model):
        def __init__(self, width):
            inputs = Input(shape=(3,))
            super().__init__(inputs, Affine(3, width)(inputs), name="head")
            self.width = width

    model = Head(4)
    assert isinstance(model, Head) and isinstance(model, Functional) and type(model).__name__ == "Head"
    assert model.name == "head" and model.width == 4 and model(np.ones((2, 3))).shape == (2, 4)
    assert type(Head(2)) is type(model)

    class Bad(Model):
        def __init__(self):
            super().__init__(5)

    with pytest.raises(TypeError, match="positional"):
        Bad()
    with pytest.raises(TypeError, match="symbolic"):
        Model(1, 2)


def test_save_methods_delegate_to_kerasish_saving(monkeypatch):
    import kerasish.saving as saving
    calls = []
    for fn in ("save_weights", "load_weights", "save_model"):
        monkeypatch.setattr(saving, fn, lambda model, path, _fn=fn, **kw: calls.append((_fn, path, kw)),
                            raising=False)
    net = Net()
    net.save_weights("w.h5")
    net.load_weights("w.h5", skip_mismatch=True)
    net.save("m.h5")
    assert calls == [("save_weights", "w.h5", {}), ("load_weights", "w.h5", {"skip_mismatch": True}),
                     ("save_model", "m.h5", {})]


def test_tensor_input_is_not_copied_for_matching_dtype():
    net = Block()
    x = Tensor(np.ones((2, 3), np.float32))
    assert net(x).shape == (2, 3)


@pytest.mark.parametrize("optimizer", ["adam", "sgd_momentum"])
def test_set_device_moves_real_optimizer_state_and_training_continues(optimizer):
    import fake_device
    from kerasish.layers.core import Dense
    from kerasish.models.sequential import Sequential
    from kerasish.optimizers import SGD, Adam
    from kerasish.utils.random import set_random_seed

    def make():
        set_random_seed(0)
        model = Sequential([Dense(5, activation="tanh", input_dim=3), Dense(1)])
        opt = Adam(learning_rate=0.01) if optimizer == "adam" else SGD(learning_rate=0.05, momentum=0.9)
        model.compile(optimizer=opt, loss="mse")
        return model

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((16, 3)).astype("float32"), rng.standard_normal((16, 1)).astype("float32")
    reference = make()
    reference.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)

    model = make()
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    assert model.set_device("fake") is model
    is_fake = lambda a: isinstance(a, fake_device.FakeArray)  # noqa: E731
    assert model.device == "fake" and all(w.device == "fake" for w in model.weights)
    assert all(is_fake(w._grad) for w in model.parameters if w._grad is not None)
    slots = [s for s in model.optimizer._slots if s]
    assert len(slots) == len(model.parameters)
    assert all(is_fake(v) for s in slots for v in s.values())
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)    # trains on the fake device
    assert all(w.device == "fake" for w in model.weights)
    model.set_device("cpu")
    assert all(isinstance(v, np.ndarray) for s in model.optimizer._slots if s for v in s.values())
    for a, b in zip(reference.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_output_of_a_layer_never_called_symbolically_says_how():
    import pytest
    from kerasish.layers.core import Dense
    with pytest.raises(AttributeError, match="has no output yet: .*Input"):
        Dense(3).output
