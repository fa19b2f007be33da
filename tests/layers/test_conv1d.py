"""Conv1D and the windowed 1-D poolings: Keras numbers, gradients, config, saving, fake device, errors."""
import itertools
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.layers.conv1d import Conv1D
from kerasish.layers.core import Dense, Flatten
from kerasish.layers.pooling1d_windows import AveragePooling1D, AvgPool1D, MaxPool1D, MaxPooling1D
from layer_grad import check_layer_grad

R = np.random.default_rng(5)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def _same_as_keras(ours, theirs, x):
    """Copies Keras's weights (its order) into `ours`; returns the max abs output difference."""
    expected = np.asarray(theirs(x).detach())
    weights = theirs.get_weights()
    if len(weights) == 2:  # a non-zero bias, so its place is checked too
        weights[1] = R.standard_normal(weights[1].shape).astype("float32")
        theirs.set_weights(weights)
        expected = np.asarray(theirs(x).detach())
    ours(x)
    ours.set_weights(weights)
    y = ours(x).numpy()
    assert y.shape == expected.shape == ours.compute_output_shape(x.shape)
    assert ours.count_params() == theirs.count_params()
    return float(np.abs(y - expected).max())


def _kwargs(theirs):
    return {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype", "trainable")}


def test_conv1d_matches_keras():
    keras = _keras()
    worst = 0.0
    for k, s, d, p, fmt in itertools.product((1, 3), (1, 2), (1, 2), ("valid", "same", "causal"),
                                             ("channels_last", "channels_first")):
        if s > 1 and d > 1 or p == "causal" and fmt == "channels_first":
            continue
        x = R.standard_normal((2, 9, 3) if fmt == "channels_last" else (2, 3, 9)).astype("float32")
        theirs = keras.layers.Conv1D(4, k, strides=s, dilation_rate=d, padding=p, data_format=fmt,
                                     activation="relu" if s == 2 else None)
        theirs(x)
        ours = Conv1D(**_kwargs(theirs))
        worst = max(worst, _same_as_keras(ours, theirs, x))
        assert ours.kernel.shape == (k, 3, 4)
    print(f"Conv1D max abs diff vs Keras: {worst:.2e}")
    assert worst < 1e-5


def test_pooling1d_matches_keras():
    keras = _keras()
    worst = 0.0
    for (ours_cls, name), pool, s, p, fmt in itertools.product(
            ((MaxPooling1D, "MaxPooling1D"), (AveragePooling1D, "AveragePooling1D")), (2, 3), (None, 1, 2),
            ("valid", "same"), ("channels_last", "channels_first")):
        x = R.standard_normal((2, 7, 3) if fmt == "channels_last" else (2, 3, 7)).astype("float32")
        theirs = getattr(keras.layers, name)(pool, strides=s, padding=p, data_format=fmt)
        worst = max(worst, _same_as_keras(ours_cls(**_kwargs(theirs)), theirs, x))
    print(f"Max/AveragePooling1D max abs diff vs Keras: {worst:.2e}")
    assert worst < 1e-6


def test_keras_weight_file_loads_by_order(tmp_path):
    keras = _keras()
    theirs = keras.Sequential([keras.Input((12, 3)), keras.layers.Conv1D(4, 3, padding="causal"),
                               keras.layers.MaxPooling1D(2), keras.layers.Conv1D(2, 2, use_bias=False),
                               keras.layers.AveragePooling1D(2, padding="same"), keras.layers.Flatten(),
                               keras.layers.Dense(1)])
    theirs.save_weights(str(tmp_path / "t.weights.h5"))
    ours = K.Sequential([K.Input(shape=(12, 3)), Conv1D(4, 3, padding="causal"), MaxPool1D(2),
                         Conv1D(2, 2, use_bias=False), AvgPool1D(2, padding="same"), Flatten(), Dense(1)])
    ours.load_weights(str(tmp_path / "t.weights.h5"))
    x = R.standard_normal((4, 12, 3)).astype("float32")
    np.testing.assert_allclose(ours.predict(x, verbose=0), theirs.predict(x, verbose=0), atol=1e-5)
    assert ours.count_params() == theirs.count_params()


def test_causal_output_sees_only_the_past():
    conv = Conv1D(1, 3, padding="causal", kernel_initializer="ones", use_bias=False, dtype="float64")
    x = np.zeros((1, 6, 1))
    x[0, 3, 0] = 1.0
    np.testing.assert_array_equal(conv(x).numpy()[0, :, 0], [0, 0, 0, 1, 1, 1])


@pytest.mark.parametrize("kwargs", [
    dict(padding="same", strides=2),
    dict(padding="causal", dilation_rate=2, activation="relu"),
    dict(padding="valid", kernel_size=1),
    dict(padding="same", data_format="channels_first", activation="tanh"),
])
def test_conv1d_gradients(kwargs):
    kwargs = dict(dict(kernel_size=3), **kwargs)
    layer = Conv1D(3, dtype="float64", bias_initializer="random_normal", **kwargs)
    shape = (2, 2, 8) if kwargs.get("data_format") == "channels_first" else (2, 8, 2)
    check_layer_grad(layer, Tensor(R.standard_normal(shape) + 0.05, dtype="float64"))


@pytest.mark.parametrize("cls,kwargs", [
    (MaxPooling1D, dict(pool_size=3, strides=2, padding="same")),
    (MaxPooling1D, dict(pool_size=2, data_format="channels_first")),
    (AveragePooling1D, dict(pool_size=3, strides=1, padding="same")),
    (AveragePooling1D, dict(pool_size=2, strides=3)),
])
def test_pooling1d_gradients(cls, kwargs):
    shape = (2, 2, 7) if kwargs.get("data_format") == "channels_first" else (2, 7, 2)
    check_layer_grad(cls(dtype="float64", **kwargs), Tensor(R.standard_normal(shape), dtype="float64"))


def test_errors_name_the_layer_and_what_was_expected():
    with pytest.raises(ValueError, match=r"Conv1D 'c': padding must be 'valid', 'same' or 'causal', got 'full'"):
        Conv1D(2, 3, padding="full", name="c")
    with pytest.raises(ValueError, match="strides > 1 cannot be combined with dilation_rate > 1"):
        Conv1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match=r"kernel_size must be an int >= 1 \(or a 1-tuple of one\), got \(3, 3\)"):
        Conv1D(2, (3, 3))
    with pytest.raises(ValueError, match="groups=2 is not supported"):
        Conv1D(2, 3, groups=2)
    conv = Conv1D(2, 3, name="c1")
    with pytest.raises(ValueError, match=r"Layer 'c1' \(Conv1D\) expected 3-D input \(batch, steps, channels\) "
                                         r"for data_format='channels_last', got shape \(1, 8, 8, 1\)"):
        conv(np.zeros((1, 8, 8, 1)))
    conv(np.zeros((1, 8, 2)))
    with pytest.raises(ValueError, match=r"expected 2 input channels on axis 2"):
        conv(np.zeros((1, 8, 3)))
    with pytest.raises(ValueError, match=r"Layer 'c2' \(Conv1D\).*too small"):
        Conv1D(2, 5, name="c2")(np.zeros((1, 3, 1)))
    with pytest.raises(ValueError, match=r"MaxPooling1D 'p': padding must be 'valid' or 'same'"):
        MaxPooling1D(2, padding="causal", name="p")
    with pytest.raises(ValueError, match=r"Layer 'p2' \(AveragePooling1D\) expected 3-D input"):
        AveragePooling1D(2, name="p2")(np.zeros((4, 4)))
    with pytest.raises(ValueError, match=r"pool_size must be an int >= 1"):
        MaxPool1D(0)


def test_config_roundtrip_and_model_saving(tmp_path):
    for layer in (Conv1D(np.int64(4), (3,), strides=np.int64(2), padding="same", activation="relu",
                         kernel_regularizer="l2", data_format="channels_first", name="c"),
                  MaxPool1D(3, strides=2, padding="same"), AvgPool1D((2,), data_format="channels_first")):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config()
    model = K.Sequential([K.Input(shape=(10, 2)), Conv1D(3, 3, padding="causal", activation="relu"),
                          MaxPool1D(2), AvgPool1D(2, strides=1), Flatten(), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = R.standard_normal((3, 10, 2)).astype("float32")
    expected = model.predict(x, verbose=0)
    for name in ("m.keras", "m.h5"):
        model.save(str(tmp_path / name))
        loaded = K.load_model(str(tmp_path / name))
        np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6)


def test_fake_device_forward_backward_and_fit():
    from fake_device import FakeArray
    x = R.standard_normal((2, 8, 2))
    outputs = {}
    for device in ("cpu", "fake"):
        K.utils.set_random_seed(0)
        layers = [Conv1D(3, 3, padding="causal", device=device, dtype="float64"),
                  MaxPooling1D(2, device=device, dtype="float64"), AveragePooling1D(2, padding="same",
                                                                                 device=device, dtype="float64")]
        h = Tensor(x, device=device, dtype="float64")
        for layer in layers:
            h = layer(h)
        (h * h).sum().backward()
        outputs[device] = (h, layers[0].kernel.grad)
    assert isinstance(outputs["fake"][0].data, FakeArray) and isinstance(outputs["fake"][1], FakeArray)
    np.testing.assert_allclose(outputs["fake"][0].numpy(), outputs["cpu"][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(outputs["fake"][1]), outputs["cpu"][1], rtol=1e-10)
    model = K.Sequential([Conv1D(2, 3), MaxPool1D(2), AvgPool1D(2), Flatten(), Dense(1)], device="fake")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(R.standard_normal((8, 10, 1)).astype("float32"), np.ones((8, 1), "float32"),
                        epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
