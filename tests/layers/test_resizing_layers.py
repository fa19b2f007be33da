"""UpSampling1D/2D and Cropping1D/2D: Keras numbers, gradients, config, saving, fake device, errors."""
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.layers.core import Dense, Flatten
from kerasish.layers.cropping import Cropping1D, Cropping2D
from kerasish.layers.upsampling import UpSampling1D, UpSampling2D
from layer_grad import check_layer_grad

R = np.random.default_rng(9)

# (our class, Keras's class name, constructor kwargs, input shape)
CASES = [
    (UpSampling1D, "UpSampling1D", dict(size=3), (2, 4, 3)),
    (UpSampling2D, "UpSampling2D", dict(size=(2, 3)), (2, 3, 4, 2)),
    (UpSampling2D, "UpSampling2D", dict(size=2, data_format="channels_first"), (2, 2, 3, 4)),
    (UpSampling2D, "UpSampling2D", dict(size=(2, 3), interpolation="bilinear"), (2, 3, 5, 2)),
    (UpSampling2D, "UpSampling2D", dict(size=(3, 2), interpolation="bilinear", data_format="channels_first"),
     (2, 2, 4, 3)),
    (Cropping1D, "Cropping1D", dict(cropping=(1, 2)), (2, 6, 3)),
    (Cropping1D, "Cropping1D", dict(cropping=2), (2, 6, 3)),
    (Cropping2D, "Cropping2D", dict(cropping=((1, 0), (2, 1))), (2, 5, 6, 2)),
    (Cropping2D, "Cropping2D", dict(cropping=(1, 2), data_format="channels_first"), (2, 2, 5, 6)),
    (Cropping2D, "Cropping2D", dict(cropping=1), (2, 4, 4, 1)),
]


@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_keras(case):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    cls, name, kwargs, shape = CASES[case]
    x = R.standard_normal(shape).astype("float32")
    theirs = getattr(keras.layers, name)(**kwargs)
    expected = keras.ops.convert_to_numpy(theirs(x))
    ours = cls(**kwargs)
    y = ours(x).numpy()
    assert y.shape == expected.shape == ours.compute_output_shape(shape)
    np.testing.assert_allclose(y, expected, atol=1e-6)
    assert ours.count_params() == theirs.count_params() == 0
    config = {k: v for k, v in theirs.get_config().items() if k not in ("name", "dtype", "trainable")}
    np.testing.assert_array_equal(cls(**config)(x).numpy(), y)  # Keras's config builds the same layer


@pytest.mark.parametrize("case", range(len(CASES)))
def test_gradients(case):
    cls, _, kwargs, shape = CASES[case]
    check_layer_grad(cls(dtype="float64", **kwargs), Tensor(R.standard_normal(shape), dtype="float64"))


def test_values_and_unknown_sizes():
    x = np.arange(4.0).reshape(1, 2, 2, 1)
    np.testing.assert_array_equal(UpSampling2D()(x).numpy()[0, :, :, 0],
                                  [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(UpSampling1D(2)(np.array([[[1.0], [2.0]]])).numpy()[0, :, 0], [1, 1, 2, 2])
    assert UpSampling2D(3).compute_output_shape((None, None, 4, 2)) == (None, None, 12, 2)
    assert Cropping2D(((1, 0), (0, 2))).compute_output_shape((None, None, 6, 2)) == (None, None, 4, 2)
    assert Cropping1D().compute_output_shape((None, None, 2)) == (None, None, 2)
    # bilinear keeps constants constant and averages neighbours half way
    flat = UpSampling2D(2, interpolation="bilinear")(np.ones((1, 3, 3, 2))).numpy()
    np.testing.assert_allclose(flat, 1.0, rtol=1e-6)


def test_errors_name_the_layer_and_what_was_expected():
    with pytest.raises(ValueError, match=r"UpSampling2D 'u': interpolation must be one of .*got 'bicubic'"):
        UpSampling2D(interpolation="bicubic", name="u")
    with pytest.raises(ValueError, match=r"UpSampling2D 'u2': size must be an int or a pair"):
        UpSampling2D((1, 2, 3), name="u2")
    with pytest.raises(ValueError, match=r"UpSampling1D 'u3': size must be an int >= 1"):
        UpSampling1D(0, name="u3")
    with pytest.raises(ValueError, match=r"Layer 'u4' \(UpSampling2D\) expected 4-D input"):
        UpSampling2D(name="u4")(np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match=r"Layer 'c' \(Cropping2D\): cropping \(2, 2\) on axis 1 leaves nothing"):
        Cropping2D(2, name="c")(np.zeros((1, 4, 8, 1)))
    with pytest.raises(ValueError, match=r"Layer 'c1' \(Cropping1D\): cropping \(3, 3\) on axis 1 leaves nothing"):
        Cropping1D(3, name="c1")(np.zeros((1, 5, 1)))
    with pytest.raises(ValueError, match=r"Cropping2D 'c2': cropping must be a non-negative int"):
        Cropping2D(-1, name="c2")
    with pytest.raises(ValueError, match=r"Layer 'c3' \(Cropping1D\) expected 3-D input"):
        Cropping1D(name="c3")(np.zeros((5, 1)))


def test_config_roundtrip_and_model_saving(tmp_path):
    for layer in (UpSampling1D(np.int64(2)), UpSampling2D((2, 3), "channels_first", "bilinear"),
                  Cropping1D((0, 1)), Cropping2D(((1, 2), (3, 0)), data_format="channels_first")):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config()
    model = K.Sequential([K.Input(shape=(4, 4, 1)), UpSampling2D(2, interpolation="bilinear"),
                          Cropping2D(((1, 1), (0, 2))), UpSampling2D(), Flatten(), Dense(2)])
    seq = K.Sequential([K.Input(shape=(5, 2)), UpSampling1D(2), Cropping1D((1, 2)), Flatten(), Dense(1)])
    for m, shape in ((model, (3, 4, 4, 1)), (seq, (3, 5, 2))):
        m.compile(optimizer="sgd", loss="mse")
        x = R.standard_normal(shape).astype("float32")
        expected = m.predict(x, verbose=0)
        for name in ("m.keras", "m.h5"):
            m.save(str(tmp_path / name))
            np.testing.assert_allclose(K.load_model(str(tmp_path / name)).predict(x, verbose=0), expected,
                                       rtol=1e-6)


def test_fake_device_forward_backward_and_fit():
    from fake_device import FakeArray
    x = R.standard_normal((2, 3, 4, 2))
    grads = {}
    for device in ("cpu", "fake"):
        layers = [UpSampling2D(2, device=device, dtype="float64"),
                  UpSampling2D((1, 2), interpolation="bilinear", device=device, dtype="float64"),
                  Cropping2D(((1, 0), (2, 1)), device=device, dtype="float64")]
        xt = Tensor(x, device=device, dtype="float64", requires_grad=True)
        h = xt
        for layer in layers:
            h = layer(h)
        (h * h).sum().backward()
        grads[device] = (h, xt.grad)
    assert isinstance(grads["fake"][0].data, FakeArray) and isinstance(grads["fake"][1], FakeArray)
    np.testing.assert_allclose(grads["fake"][0].numpy(), grads["cpu"][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(grads["fake"][1]), grads["cpu"][1], rtol=1e-10)
    seq = Tensor(R.standard_normal((2, 5, 3)), device="fake", requires_grad=True)
    Cropping1D()(UpSampling1D(device="fake")(seq)).sum().backward()
    assert isinstance(seq.grad, FakeArray)
    model = K.Sequential([UpSampling2D(2, interpolation="bilinear"), Cropping2D(1), Flatten(), Dense(1)],
                         device="fake")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(R.standard_normal((8, 3, 3, 1)).astype("float32"), np.ones((8, 1), "float32"),
                        epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()


def test_model_files_move_between_keras_and_kerasish(tmp_path):
    """Every layer of this round in one file each way, .keras and legacy .h5."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    keras = pytest.importorskip("keras")
    from kerasish.layers.conv1d import Conv1D
    from kerasish.layers.conv_transpose import Conv2DTranspose
    from kerasish.layers.pooling1d_windows import AvgPool1D, MaxPool1D
    kl = keras.layers
    theirs = keras.Sequential([keras.Input((12, 3)), kl.Conv1D(4, 3, padding="causal"), kl.MaxPool1D(2),
                               kl.AvgPool1D(2), kl.UpSampling1D(2), kl.Cropping1D(1), kl.Flatten(), kl.Dense(1)])
    ours = K.Sequential([K.Input(shape=(6, 6, 2)), Conv2DTranspose(3, 3, strides=2, padding="same", output_padding=1),
                         UpSampling2D(interpolation="bilinear"), Cropping2D(1), Flatten(), Dense(2)])
    x1, x2 = R.standard_normal((2, 12, 3)).astype("float32"), R.standard_normal((2, 6, 6, 2)).astype("float32")
    for name in ("m.keras", "m.h5"):
        theirs.save(str(tmp_path / ("k" + name)))
        loaded = K.load_model(str(tmp_path / ("k" + name)))
        assert [type(layer).__name__ for layer in loaded.layers][:3] == ["Conv1D", "MaxPooling1D", "AveragePooling1D"]
        assert isinstance(loaded.layers[0], Conv1D) and isinstance(loaded.layers[1], MaxPool1D)
        assert isinstance(loaded.layers[2], AvgPool1D)
        np.testing.assert_allclose(loaded.predict(x1, verbose=0), theirs.predict(x1, verbose=0), atol=1e-5)
        ours.save(str(tmp_path / ("o" + name)))
        back = keras.models.load_model(str(tmp_path / ("o" + name)), compile=False)
        np.testing.assert_allclose(back.predict(x2, verbose=0), ours.predict(x2, verbose=0), atol=1e-5)
