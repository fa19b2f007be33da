"""Preprocessing layers: Rescaling, Normalization (adapt), RandomFlip, RandomTranslation, RandomCrop."""
import json

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.data import DataLoader, Dataset, TensorDataset
from kerasish.data.preprocessing import random_crop, random_flip, random_translation
from kerasish.layers.preprocessing import (Normalization, RandomCrop, RandomFlip, RandomTranslation,
                                           Rescaling)
from kerasish.utils import check_grad, set_random_seed
from fake_device import FakeArray
from layer_grad import check_layer_grad

R = np.random.default_rng(7)


def roundtrip(layer):
    """from_config(get_config()) through JSON gives the same config."""
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


@pytest.fixture
def images():
    """4 images 3x4 with 2 channels, every pixel distinct."""
    return np.arange(4 * 3 * 4 * 2, dtype=np.float32).reshape(4, 3, 4, 2)


# --- Rescaling ---------------------------------------------------------------------------------------
def test_rescaling_values_and_dtypes():
    out = Rescaling(1 / 255)(np.array([[0, 255]], np.uint8))
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[0.0, 1.0]])
    out = Rescaling(1 / 127.5, offset=-1)(np.array([[0.0, 127.5, 255.0]]))
    np.testing.assert_allclose(out.numpy(), [[-1.0, 0.0, 1.0]], atol=1e-6)
    assert Rescaling(2.0, dtype="float64")(np.ones(2)).dtype == np.float64


def test_rescaling_per_channel_arrays():
    x = np.ones((2, 3, 3), np.float32)
    out = Rescaling([1.0, 2.0, 3.0], offset=np.array([0.0, 0.5, 1.0]))(x)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy()[0, 0], [1.0, 2.5, 4.0])
    with pytest.raises(ValueError, match=r"scale of shape \(2,\) does not broadcast to the input shape"):
        Rescaling([1.0, 2.0])(x)
    with pytest.raises(TypeError, match="scale must be a number"):
        Rescaling("big")


def test_rescaling_grad_and_config():
    layer = Rescaling([0.5, -2.0], offset=0.25, dtype="float64")
    check_grad(layer, R.normal(size=(3, 2)))
    clone = roundtrip(layer)
    np.testing.assert_allclose(clone(np.ones((1, 2))).numpy(), [[0.75, -1.75]])
    assert layer.weights == [] and layer.compute_output_shape((None, 5, 2)) == (None, 5, 2)


# --- Normalization: given statistics ----------------------------------------------------------------
def test_normalization_given_mean_variance():
    x = np.array([[1.0, 10.0], [3.0, 30.0]], np.float32)
    layer = Normalization(mean=[2.0, 20.0], variance=[1.0, 100.0])
    np.testing.assert_allclose(layer(x).numpy(), [[-1.0, -1.0], [1.0, 1.0]])
    assert layer.weights == []
    inverse = Normalization(mean=[2.0, 20.0], variance=[1.0, 100.0], invert=True)
    np.testing.assert_allclose(inverse(layer(x)).numpy(), x)
    scalar = Normalization(axis=None, mean=1.0, variance=4.0)
    np.testing.assert_allclose(scalar(x).numpy(), (x - 1) / 2)
    constant = Normalization(mean=0.0, variance=0.0)(np.ones((2, 2)))
    assert np.isfinite(constant.numpy()).all()


def test_normalization_errors():
    with pytest.raises(ValueError, match="give both mean and variance"):
        Normalization(mean=1.0)
    with pytest.raises(ValueError, match="variance must be >= 0"):
        Normalization(mean=0.0, variance=-1.0)
    with pytest.raises(ValueError, match="do not broadcast to the feature shape"):
        Normalization(mean=[1.0, 2.0], variance=[1.0, 1.0])(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="batch axis"):
        Normalization()(np.zeros(4))
    with pytest.raises(ValueError, match="out of range"):
        Normalization(axis=3)(np.zeros((2, 3)))
    with pytest.raises(TypeError, match="axis must be None, an int or a tuple"):
        Normalization(axis="channels")
    with pytest.raises(ValueError, match="adapt\\(\\) would replace them"):
        Normalization(mean=0.0, variance=1.0).adapt(np.zeros((2, 2)))
    layer = Normalization()
    layer.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"expected input of shape \(None, 3\), got shape \(2, 5\)"):
        layer(np.zeros((2, 5)))


# --- Normalization: adapt ------------------------------------------------------------------------------
@pytest.fixture
def data():
    scale = np.array([1.0, 5.0, 0.1])
    return (R.normal(size=(200, 4, 3)) * scale + [3.0, -2.0, 10.0]).astype(np.float32)


def stats(x, axes):
    x = x.astype(np.float64)
    return x.mean(axis=axes), x.var(axis=axes)


def assert_adapted(layer, x, axes):
    mean, var = stats(x, axes)
    np.testing.assert_allclose(layer.adapt_mean.numpy(), mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.adapt_variance.numpy(), var, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis, reduce, shape", [(-1, (0, 1), (3,)), (None, (0, 1, 2), ()),
                                                 ((1, 2), (0,), (4, 3)), (1, (0, 2), (4,))])
def test_adapt_array(data, axis, reduce, shape):
    layer = Normalization(axis=axis)
    layer.adapt(data)
    assert layer.adapt_mean.shape == shape
    assert_adapted(layer, data, reduce)
    out = layer(data).numpy()
    np.testing.assert_allclose(out.mean(axis=reduce), 0, atol=1e-4)
    np.testing.assert_allclose(out.std(axis=reduce), 1, atol=1e-4)


def test_adapt_streams_batches(data):
    expected = Normalization()
    expected.adapt(data)
    sources = {
        "dataset of (x, y)": Dataset.from_tensor_slices((data, np.zeros(200))).batch(33),
        "dataset of x": Dataset.from_tensor_slices(data).batch(64).prefetch(2),
        "dataloader": DataLoader(TensorDataset(data), batch_size=50),
        "generator": (data[i:i + 7] for i in range(0, 200, 7)),
        "tensor": Tensor(data),
    }
    for what, source in sources.items():
        layer = Normalization()
        layer.adapt(source)
        assert_adapted(layer, data, (0, 1))
    chunked = Normalization()
    chunked.adapt(data, batch_size=3)
    assert_adapted(chunked, data, (0, 1))


def test_adapt_steps_and_resets(data):
    layer = Normalization()
    layer.adapt(Dataset.from_tensor_slices(data).batch(50).repeat(), steps=2)
    assert_adapted(layer, data[:100], (0, 1))
    layer.adapt(data[100:])  # a second adapt starts afresh
    assert_adapted(layer, data[100:], (0, 1))
    with pytest.raises(ValueError, match="infinite Dataset.*steps="):
        layer.adapt(Dataset.from_tensor_slices(data).batch(50).repeat())
    with pytest.raises(ValueError, match="got no data"):
        Normalization().adapt(np.zeros((0, 3)))
    with pytest.raises(TypeError, match="expects a numpy array, a Tensor, or an iterable"):
        Normalization().adapt(3.0)
    with pytest.raises(TypeError, match="dict batch"):
        Normalization().adapt([{"x": data}].__iter__())
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        Normalization().adapt(data, steps=0)


def test_adapted_statistics_are_saved_weights(data, tmp_path):
    layer = Normalization()
    layer.adapt(data)
    assert [w.name for w in layer.non_trainable_weights] == ["mean", "variance"]
    assert layer.trainable_weights == [] and layer.count_params() == 6
    fresh = Normalization()
    fresh.build((None, 4, 3))
    fresh.load_state_dict(layer.state_dict())
    np.testing.assert_allclose(fresh(data).numpy(), layer(data).numpy())
    from kerasish.models.sequential import Sequential
    model = Sequential([Normalization(input_shape=(4, 3))])
    model.layers[0].adapt(data)
    model.save_weights(tmp_path / "norm.weights.h5")
    other = Sequential([Normalization(input_shape=(4, 3))])
    other.load_weights(tmp_path / "norm.weights.h5")
    np.testing.assert_allclose(other.layers[0].adapt_variance.numpy(), model.layers[0].adapt_variance.numpy())


def test_normalization_config_roundtrip():
    clone = roundtrip(Normalization(axis=(1, 2), mean=[[1.0], [2.0]], variance=4.0, invert=True))
    assert clone.axis == (1, 2) and clone.invert
    np.testing.assert_allclose(clone(np.zeros((1, 2, 1))).numpy()[0, :, 0], [1.0, 2.0])
    assert roundtrip(Normalization(axis=None)).axis == ()


def test_normalization_grad(data):
    layer = Normalization(dtype="float64")
    layer.adapt(data)
    layer.adapt_variance.data[...] = [0.5, 2.0, 3.0]  # away from the 1e-7 floor, both sides of 1
    x = R.normal(size=(2, 3, 3))
    check_layer_grad(layer, x, names=["mean", "variance"])
    check_grad(Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0], invert=True, dtype="float64"), x)


# --- RandomFlip ----------------------------------------------------------------------------------------
FLIPS = {"horizontal": lambda im: [im, im[:, ::-1]],
         "vertical": lambda im: [im, im[::-1]],
         "horizontal_and_vertical": lambda im: [im, im[:, ::-1], im[::-1], im[::-1, ::-1]]}


@pytest.mark.parametrize("mode", sorted(FLIPS))
def test_random_flip_training_and_eval(mode):
    x = R.normal(size=(32, 3, 4, 2)).astype(np.float32)
    layer = RandomFlip(mode)
    out = layer(x)
    assert out.shape == x.shape and out.dtype == np.float32
    kinds = set()
    for im, o in zip(x, out.numpy()):
        matches = [k for k, cand in enumerate(FLIPS[mode](im)) if np.array_equal(o, cand)]
        assert matches, "each output is the image or one of its flips"
        kinds.add(matches[0])
    assert kinds == set(range(len(FLIPS[mode](x[0]))))  # every outcome occurs in 32 draws
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)
    assert layer.training  # restored after the call
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x)


def test_random_flip_hand_made_and_seeds(images):
    out = RandomFlip("horizontal", seed=3)(images).numpy()
    expected = random_flip(images, "horizontal", rng=3)  # the same draws and index arithmetic
    np.testing.assert_array_equal(out, expected)
    flipped = [i for i in range(4) if not np.array_equal(out[i], images[i])]
    assert flipped
    for i in flipped:
        np.testing.assert_array_equal(out[i, 0, :, 0], np.array([6.0, 4.0, 2.0, 0.0]) + 24.0 * i)
    set_random_seed(5)
    a = RandomFlip()(images).numpy()
    set_random_seed(5)
    np.testing.assert_array_equal(RandomFlip()(images).numpy(), a)
    assert RandomFlip(seed=1)(images[0]).shape == images.shape[1:]


def test_random_flip_errors_and_config():
    with pytest.raises(ValueError, match=r"mode must be one of \('horizontal', 'vertical', 'horizontal_and_vertical'\)"):
        RandomFlip("diagonal")
    with pytest.raises(ValueError, match=r"expects images of shape \(N, H, W, C\) or \(H, W, C\), got shape \(2, 3\)"):
        RandomFlip()(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        RandomFlip(seed=-1)
    with pytest.raises(ValueError, match="channels_last"):
        RandomFlip(data_format="channels_first")
    clone = roundtrip(RandomFlip("vertical", seed=4))
    assert clone.mode == "vertical" and clone.seed == 4


# --- RandomTranslation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("fill_mode, row", [("constant", [7, 7, 1, 2]), ("nearest", [1, 1, 1, 2]),
                                            ("reflect", [2, 1, 1, 2]), ("wrap", [3, 4, 1, 2])])
def test_random_translation_fill_modes(fill_mode, row):
    x = np.array([1, 2, 3, 4], np.float32).reshape(1, 1, 4, 1)
    layer = RandomTranslation(0.0, (0.5, 0.5), fill_mode=fill_mode, fill_value=7)  # 2 pixels right
    np.testing.assert_array_equal(layer(x).numpy().ravel(), row)
    np.testing.assert_array_equal(layer(x, training=False).numpy(), x)


def test_random_translation_hand_made_2d():
    x = np.arange(1, 10, dtype=np.float32).reshape(1, 3, 3, 1)
    down_left = RandomTranslation((1 / 3, 1 / 3), (-1 / 3, -1 / 3))(x).numpy()[0, :, :, 0]
    np.testing.assert_array_equal(down_left, [[0, 0, 0], [2, 3, 0], [5, 6, 0]])


def test_random_translation_random_shifts_match_data_function(images):
    layer = RandomTranslation(0.34, 0.25, seed=2)
    out = layer(images).numpy()
    np.testing.assert_array_equal(out, random_translation(images, 0.34, 0.25, rng=2))
    uint8 = RandomTranslation(0.5, 0.5, fill_value=9)(images.astype(np.uint8))
    assert uint8.dtype == np.uint8
    layer.eval()
    np.testing.assert_array_equal(layer(images).numpy(), images)


def test_random_translation_errors_and_config():
    for factor in (1.5, (0.3, 0.1), "a"):
        with pytest.raises(ValueError, match="height_factor"):
            RandomTranslation(factor, 0.1)
    with pytest.raises(ValueError, match=r"fill_mode must be one of \('constant', 'nearest', 'reflect', 'wrap'\)"):
        RandomTranslation(0.1, 0.1, fill_mode="mirror")
    with pytest.raises(ValueError, match="interpolation"):
        RandomTranslation(0.1, 0.1, interpolation="cubic")
    clone = roundtrip(RandomTranslation((-0.1, 0.2), 0.3, fill_mode="wrap", fill_value=1.5, seed=1))
    assert clone.fill_mode == "wrap" and clone.height_factor == [-0.1, 0.2] and clone.fill_value == 1.5


# --- RandomCrop --------------------------------------------------------------------------------------------
def test_random_crop_training(images):
    out = RandomCrop(2, 3, seed=0)(images).numpy()
    assert out.shape == (4, 2, 3, 2)
    np.testing.assert_array_equal(out, random_crop(images, 2, 3, rng=0))
    for im, o in zip(images, out):
        assert any(np.array_equal(o, im[t:t + 2, l:l + 3]) for t in range(2) for l in range(2))
    offsets = {tuple(o[0, 0]) for o in RandomCrop(2, 2)(np.repeat(images[:1], 64, axis=0)).numpy()}
    assert len(offsets) == 6  # all (top, left) in {0, 1} x {0, 1, 2} occur


def test_random_crop_eval_center(images):
    layer = RandomCrop(1, 2)
    layer.eval()
    out = layer(images).numpy()
    np.testing.assert_array_equal(out, images[:, 1:2, 1:3])
    np.testing.assert_array_equal(out[0, 0, :, 0], [10.0, 12.0])
    assert layer(images[0]).shape == (1, 2, 2)
    assert layer.compute_output_shape((None, 3, 4, 2)) == (None, 1, 2, 2)


def test_random_crop_errors_and_config(images):
    with pytest.raises(ValueError, match=r"height must be an integer in \[1, 3\]"):
        RandomCrop(5, 2)(images)
    with pytest.raises(ValueError, match="width must be a positive integer"):
        RandomCrop(2, 0)
    clone = roundtrip(RandomCrop(2, 3, seed=9))
    assert (clone.height, clone.width, clone.seed) == (2, 3, 9)


# --- gradients through the random layers --------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: RandomFlip(seed=3, dtype="float64"),
    lambda: RandomTranslation(0.5, 0.5, fill_mode="constant", fill_value=2.0, seed=3, dtype="float64"),
    lambda: RandomTranslation(0.7, 0.7, fill_mode="reflect", seed=1, dtype="float64"),
    lambda: RandomCrop(2, 2, seed=3, dtype="float64"),
], ids=["flip", "translate-constant", "translate-reflect", "crop"])
def test_random_layers_pass_gradients(make):
    x = R.normal(size=(3, 3, 4, 2))
    check_grad(lambda t: make()(t), x)  # a fresh seeded layer per call: the same draws each time
    layer = make()
    layer.eval()
    check_grad(layer, x)


# --- devices and models ----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: Rescaling([1.0, 2.0], offset=1.0, device="fake"),
    lambda: Normalization(mean=[1.0, 2.0], variance=[4.0, 1.0], device="fake"),
    lambda: RandomFlip(device="fake"),
    lambda: RandomFlip(seed=2, device="fake"),
    lambda: RandomTranslation(0.4, 0.4, fill_value=3.0, device="fake"),
    lambda: RandomTranslation(0.4, 0.4, fill_mode="reflect", device="fake"),
    lambda: RandomCrop(2, 3, device="fake"),
], ids=["rescaling", "normalization", "flip", "flip-seeded", "translate", "translate-reflect", "crop"])
def test_layers_run_on_device_arrays(images, make):
    """The 'fake' device refuses any numpy call on its data, as CuPy does."""
    x = Tensor(images, device="fake", requires_grad=True)
    layer = make()
    out = layer(x)  # the differentiable path
    assert isinstance(out.data, FakeArray)
    out.sum().backward()
    assert isinstance(x.grad, FakeArray)
    plain = layer(Tensor(images, device="fake"))  # the no-gradient path (raw-array gathers)
    assert isinstance(plain.data, FakeArray) and plain.shape == out.shape
    layer.eval()
    assert isinstance(layer(x).data, FakeArray)


def test_seeded_layers_draw_the_same_on_every_device(images):
    for make in (lambda d: RandomFlip(seed=4, device=d), lambda d: RandomTranslation(0.5, 0.5, seed=4, device=d),
                 lambda d: RandomCrop(2, 2, seed=4, device=d)):
        np.testing.assert_array_equal(make("fake")(Tensor(images, device="fake")).numpy(),
                                      make("cpu")(images).numpy())


def test_adapt_on_device_tensor(data):
    layer = Normalization()
    layer.adapt(Tensor(data, device="fake"))
    assert_adapted(layer, data, (0, 1))


def test_in_a_sequential_model_fit_and_predict():
    from kerasish.layers.core import Dense, Flatten
    from kerasish.models.sequential import Sequential
    x = R.integers(0, 256, size=(24, 6, 6, 1)).astype(np.uint8)
    y = R.integers(0, 2, size=24)
    norm = Normalization(axis=None)
    model = Sequential([Rescaling(1 / 255, input_shape=(6, 6, 1)), norm, RandomFlip("horizontal"),
                        RandomTranslation(0.2, 0.2), RandomCrop(4, 4), Flatten(),
                        Dense(2, activation="softmax")])
    norm.adapt(x / 255)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)  # inference: no augmentation
    assert first.shape == (24, 2)
