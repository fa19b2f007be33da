"""Every built-in layer type survives save_weights/load_weights in both layouts and
save_model/load_model, predicting bit-for-bit the same afterwards."""
import numpy as np
import pytest

from kerasish import activations as A
from kerasish.layers import conv, core, embedding, merge, normalization, padding, pooling
from kerasish.layers.input import Input
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.saving.model_io import load_model, save_model
from kerasish.saving.weights_io import load_weights, save_weights


def dense():
    return Sequential([Input(shape=(6,)), core.Dense(5, activation="tanh"), core.Dropout(0.3),
                       core.Dense(3, use_bias=False)])


def convnet():
    return Sequential([Input(shape=(8, 8, 3)), padding.ZeroPadding2D(1),
                       conv.Conv2D(4, 3, strides=2, padding="same", activation="relu"),
                       normalization.BatchNormalization(), pooling.AveragePooling2D(2),
                       conv.Conv2D(2, 1), pooling.MaxPooling2D(1), pooling.GlobalMaxPooling2D(),
                       core.Dense(2)])


def convnet_flat():
    return Sequential([Input(shape=(6, 6, 2)), conv.Conv2D(3, 3), pooling.MaxPool2D(2),
                       pooling.AvgPool2D(1), core.Flatten(), core.Dense(2),
                       core.Reshape((2, 1)), core.Flatten()])


def tokens():
    return Sequential([Input(shape=(5,), dtype="int32"), embedding.Embedding(10, 4),
                       normalization.LayerNormalization(), pooling.GlobalAveragePooling2D()
                       if False else core.Flatten(), core.Dense(2)])


def acts():
    return Sequential([Input(shape=(4,)), core.Dense(4), A.ReLU(), core.Dense(4), A.LeakyReLU(0.2),
                       core.Dense(4), A.ELU(), A.Tanh(), A.Activation("sigmoid"), core.Dense(4),
                       A.Sigmoid(), core.Reshape((2, 2)), A.Softmax()])


def functional():
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    x, y = core.Dense(3)(a), core.Dense(3)(b)
    z = merge.Concatenate()([merge.Add()([x, y]), merge.Multiply()([x, y]), merge.Subtract()([x, y]),
                             merge.Average()([x, y]), merge.Maximum()([x, y]), merge.Minimum()([x, y])])
    out = core.Dense(2)(normalization.BatchNormalization()(z))
    return Model([a, b], out)


class Sub(Model):
    def __init__(self, width=3, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.body = [core.Dense(width), normalization.BatchNormalization()]
        self.head = core.Dense(2)

    def forward(self, x):
        for layer in self.body:
            x = layer(x)
        return self.head(x)


def subclassed():
    model = Sub(name="sub")
    model(np.zeros((1, 4), "float32"))
    return model


MODELS = {"dense": (dense, (6,)), "convnet": (convnet, (8, 8, 3)), "convnet_flat": (convnet_flat, (6, 6, 2)),
          "tokens": (tokens, (5,)), "acts": (acts, (4,)), "functional": (functional, [(4,), (4,)]),
          "subclassed": (subclassed, (4,))}


def _randomize(model, seed):
    rng = np.random.default_rng(seed)
    for w in model.weights:
        w.data[...] = rng.uniform(0.5, 1.5, size=w.shape)
    return model


def _inputs(kind):
    rng = np.random.default_rng(7)
    shape = MODELS[kind][1]
    if kind == "tokens":
        return rng.integers(0, 10, size=(3,) + shape).astype("int32")
    if isinstance(shape, list):
        return [rng.normal(size=(3,) + s).astype("float32") for s in shape]
    return rng.normal(size=(3,) + shape).astype("float32")


def _predict(model, x):
    model.eval()
    return model(x).numpy()


@pytest.mark.parametrize("kind", sorted(MODELS))
@pytest.mark.parametrize("fname", ["w.h5", "w.weights.h5"])
def test_weights_round_trip(tmp_path, kind, fname):
    src = _randomize(MODELS[kind][0](), 1)
    dst = _randomize(MODELS[kind][0](), 2)
    x = _inputs(kind)
    save_weights(src, tmp_path / fname)
    load_weights(dst, tmp_path / fname)
    for a, b in zip(src.get_weights(), dst.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(_predict(src, x), _predict(dst, x))


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_model_round_trip(tmp_path, kind):
    src = _randomize(MODELS[kind][0](), 1)
    x = _inputs(kind)
    save_model(src, tmp_path / "m.h5")
    dst = load_model(tmp_path / "m.h5", custom_objects={"Sub": Sub})
    assert type(dst) is type(src) and dst.name == src.name
    assert [type(l) for l in dst.layers] == [type(l) for l in src.layers]
    np.testing.assert_array_equal(_predict(src, x), _predict(dst, x))


def test_save_model_refuses_weights_suffix(tmp_path):
    with pytest.raises(ValueError, match=r"'\.h5'"):
        save_model(dense(), tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"'\.h5'"):
        save_model(dense(), tmp_path / "m.txt")


def test_load_model_on_weights_file(tmp_path):
    save_weights(dense(), tmp_path / "w.h5")
    with pytest.raises(ValueError, match="No model config.*load_weights"):
        load_model(tmp_path / "w.h5")
