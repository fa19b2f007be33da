"""Permute, RepeatVector, Dot, PReLU, GaussianNoise, GaussianDropout, SpatialDropout1D/2D,
ActivityRegularization, Identity: Keras parity, gradients, devices, configs, saving, errors."""
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.layers.misc import ActivityRegularization, Dot, Identity, PReLU
from kerasish.layers.noise import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D
from kerasish.layers.reshaping import Permute, RepeatVector
from kerasish.utils import check_grad, set_random_seed
from layer_grad import check_layer_grad

R = np.random.default_rng(0)


def _normal(*shape, dtype="float32"):
    return R.standard_normal(shape).astype(dtype)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


SINGLE = {  # name -> (kerasish factory, keras class name, kwargs, input shape)
    "permute": (Permute, "Permute", dict(dims=(2, 3, 1)), (2, 3, 4, 5)),
    "repeat": (RepeatVector, "RepeatVector", dict(n=3), (2, 4)),
    "prelu": (PReLU, "PReLU", dict(alpha_initializer="glorot_uniform"), (2, 3, 4)),
    "prelu_shared": (PReLU, "PReLU", dict(shared_axes=[1, 2], alpha_initializer="ones"), (2, 3, 3, 4)),
    "identity": (Identity, "Identity", dict(), (2, 3)),
    "activity_reg": (ActivityRegularization, "ActivityRegularization", dict(l1=0.1, l2=0.01), (2, 3)),
}


@pytest.mark.parametrize("name", sorted(SINGLE))
def test_single_input_layers_match_keras(keras, name):
    ours_cls, keras_name, kw, shape = SINGLE[name]
    x = _normal(*shape)
    ref, ours = getattr(keras.layers, keras_name)(**kw), ours_cls(**kw)
    ref(x)
    ours(x)
    weights = [_normal(*w.shape) for w in ref.weights]
    ref.set_weights(weights)
    ours.set_weights(weights)
    np.testing.assert_allclose(ours(x).numpy(), ref(x).detach().numpy(), atol=1e-6)
    assert ours.count_params() == ref.count_params()
    assert ours.compute_output_shape((None, *shape[1:])) == ref.compute_output_shape((None, *shape[1:]))
    keras_config = ref.get_config()
    for key, value in ours.get_config().items():
        if key in keras_config and key not in ("name", "dtype", "alpha_initializer", "trainable"):
            expected = keras_config[key]
            assert (list(expected) if isinstance(expected, tuple) else expected) == value, key


@pytest.mark.parametrize("axes,shapes,normalize", [(1, [(3, 4), (3, 4)], False), (1, [(3, 4), (3, 4)], True),
                                                   (2, [(2, 3, 4), (2, 5, 4)], False),
                                                   ((1, 1), [(2, 3, 4), (2, 3, 5)], True),
                                                   ((-1, 1), [(2, 3, 4), (2, 4, 2, 5)], False)])
def test_dot_matches_keras(keras, axes, shapes, normalize):
    a, b = (_normal(*s) for s in shapes)
    ref = keras.layers.Dot(axes=axes, normalize=normalize)([a, b]).detach().numpy()
    layer = Dot(axes=axes, normalize=normalize)
    out = layer([a, b])
    np.testing.assert_allclose(out.numpy(), ref, atol=1e-5)
    assert layer.compute_output_shape(shapes) == ref.shape
    a64, b64 = a.astype("float64"), b.astype("float64")
    check_grad(lambda x, y: Dot(axes=axes, normalize=normalize, dtype="float64")([x, y]), a64, b64)


@pytest.mark.parametrize("name", ["permute", "repeat", "prelu", "prelu_shared"])
def test_gradients(name):
    ours_cls, _, kw, shape = SINGLE[name]
    layer = ours_cls(dtype="float64", **kw)
    x = _normal(*shape, dtype="float64")
    if name.startswith("prelu"):
        layer(x)
        layer.set_weights([_normal(*w.shape, dtype="float64") for w in layer.weights])
    check_layer_grad(layer, x)


def test_noise_layers_are_identity_in_inference_and_have_the_right_statistics():
    set_random_seed(0)
    x = np.ones((400, 50), "float32")
    for layer in (GaussianNoise(0.5), GaussianDropout(0.2), SpatialDropout1D(0.3), SpatialDropout2D(0.3)):
        xin = x.reshape(400, 5, 10) if isinstance(layer, SpatialDropout1D) else (
            x.reshape(400, 5, 2, 5) if isinstance(layer, SpatialDropout2D) else x)
        np.testing.assert_array_equal(layer(xin, training=False).numpy(), xin)
        y = layer(xin, training=True).numpy()
        assert y.dtype == np.float32 and abs(y.mean() - 1) < 0.02
    assert abs(GaussianNoise(0.5)(x, training=True).numpy().std() - 0.5) < 0.01
    assert abs(GaussianDropout(0.2)(x, training=True).numpy().std() - 0.5) < 0.01
    y = SpatialDropout1D(0.5)(x.reshape(400, 5, 10), training=True).numpy()
    assert np.all(y.std(axis=1) == 0) and set(np.unique(y)) == {0.0, 2.0}   # whole channels
    y = SpatialDropout2D(0.5, data_format="channels_first")(x.reshape(400, 5, 2, 5), training=True).numpy()
    assert np.all(y.reshape(400, 5, 10).std(axis=2) == 0)
    a = GaussianNoise(1.0, seed=3)(x, training=True).numpy()
    np.testing.assert_array_equal(a, GaussianNoise(1.0, seed=3)(x, training=True).numpy())


def test_noise_gradients():
    x = _normal(3, 4, dtype="float64")
    for layer in (GaussianNoise(0.3, seed=1, dtype="float64"), GaussianDropout(0.3, seed=1, dtype="float64")):
        def fn(t, layer=layer):
            layer._generator_state = None  # the same draw at every evaluation
            return layer(t, training=True)
        check_grad(fn, x)


def test_activity_regularization_adds_its_loss():
    layer = ActivityRegularization(l1=0.1, l2=0.01)
    x = _normal(2, 3)
    layer(x)
    expected = 0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()
    np.testing.assert_allclose(float(sum(loss.item() for loss in layer.losses)), expected, rtol=1e-5)


def test_on_the_fake_device_and_in_a_fit():
    from fake_device import FakeArray
    from kerasish.layers.core import Dense
    from kerasish.layers.input import Input
    from kerasish.layers.pooling1d import GlobalAveragePooling1D
    from kerasish.models import Model
    x = _normal(4, 6, dtype="float64")
    grads = []
    for device in ("cpu", "fake"):
        set_random_seed(0)
        t = Tensor(x, dtype="float64", device=device, requires_grad=True)
        kw = dict(dtype="float64", device=device)
        h = RepeatVector(3, **kw)(t)
        h = Permute((2, 1), **kw)(h)
        h = PReLU(alpha_initializer="ones", **kw)(h * -0.5)
        h = GaussianNoise(0.1, **kw)(h, training=True)
        h = GaussianDropout(0.1, **kw)(h, training=True)
        h = SpatialDropout1D(0.2, **kw)(h, training=True)
        h = ActivityRegularization(l2=0.1, **kw)(Identity(**kw)(h))
        out = Dot(axes=1, normalize=True, **kw)([h, h])
        (out * out).sum().backward()
        grads.append(t.grad)
    assert isinstance(grads[1], FakeArray)
    np.testing.assert_allclose(K.backend.to_numpy(grads[1]), grads[0], rtol=1e-9, atol=1e-12)
    inp = Input((4,))
    h = GaussianNoise(0.1)(PReLU()(Permute((2, 1))(RepeatVector(3)(inp))))
    h = SpatialDropout1D(0.1)(GaussianDropout(0.1)(h))
    out = Dense(1)(GlobalAveragePooling1D()(Dot(axes=2)([h, h])))
    model = Model(inp, out)
    model.set_device("fake")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(_normal(8, 4), _normal(8, 1), epochs=1, verbose=0)


def test_model_with_the_small_layers_saves_and_loads(tmp_path, keras):
    from kerasish.layers.core import Dense, Flatten
    from kerasish.layers.input import Input
    from kerasish.models import Model
    inp = Input((4,))
    h = PReLU(shared_axes=[1])(Permute((2, 1))(RepeatVector(3)(inp)))
    h = ActivityRegularization(l1=0.01)(Identity()(GaussianNoise(0.1)(GaussianDropout(0.1)(SpatialDropout1D(0.1)(h)))))
    out = Dense(2)(Flatten()(Dot(axes=(1, 1))([h, h])))
    model = Model(inp, out)
    k_inp = keras.Input((4,))
    k = keras.layers.PReLU(shared_axes=[1])(keras.layers.Permute((2, 1))(keras.layers.RepeatVector(3)(k_inp)))
    k_out = keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Dot(axes=(1, 1))([k, k])))
    assert model.count_params() == keras.Model(k_inp, k_out).count_params()
    x = _normal(5, 4)
    expected = model.predict(x, verbose=0)
    for name in ("s.keras", "s.h5"):
        model.save(str(tmp_path / name))
        loaded = K.models.load_model(str(tmp_path / name))
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, atol=1e-6)


def test_configs_round_trip_through_json():
    layers = [Permute((2, 1)), RepeatVector(4), Dot(axes=(1, 2), normalize=True), PReLU(shared_axes=1),
              GaussianNoise(0.2, seed=1), GaussianDropout(0.3), SpatialDropout1D(0.1, seed=2),
              SpatialDropout2D(0.2, data_format="channels_first"), ActivityRegularization(0.1, 0.2), Identity()]
    for layer in layers:
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config()


def test_bad_arguments_and_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match=r"permutation of 1..2"):
        Permute((0, 1))
    with pytest.raises(ValueError, match="expects inputs of rank 3"):
        Permute((2, 1))(_normal(2, 3))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        RepeatVector(0)
    with pytest.raises(ValueError, match=r"shape \(batch, features\)"):
        RepeatVector(2)(_normal(2, 3, 4))
    with pytest.raises(ValueError, match="exactly 2 tensors"):
        Dot(1)([_normal(2, 3)])
    with pytest.raises(ValueError, match="equal sizes"):
        Dot(1)([_normal(2, 3), _normal(2, 4)])
    with pytest.raises(ValueError, match="non-batch axis"):
        Dot(0)([_normal(2, 3), _normal(2, 3)])
    with pytest.raises(ValueError, match="shared_axes must be positive"):
        PReLU(shared_axes=[0])
    with pytest.raises(ValueError, match="expected input of shape"):
        layer = PReLU()
        layer(_normal(2, 3))
        layer(_normal(2, 4))
    with pytest.raises(ValueError, match=r"stddev must be a number in \[0, inf\)"):
        GaussianNoise(-1)
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        GaussianDropout(1.0)
    with pytest.raises(ValueError, match="expects inputs of rank 4"):
        SpatialDropout2D(0.1)(_normal(2, 3, 4), training=True)
    with pytest.raises(ValueError, match="data_format must be"):
        SpatialDropout2D(0.1, data_format="nhwc")
    with pytest.raises(ValueError, match="l1 must be a finite number"):
        ActivityRegularization(l1=-1)
