"""Tests of the vectorised batch preprocessing functions."""

import numpy as np
import pytest

from kerasish.data import Dataset
from kerasish.data.preprocessing import normalize, random_crop, random_flip, random_translation, rescale


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 255, size=(16, 6, 5, 2), dtype=np.uint8)


def test_rescale():
    x = np.array([[0, 255]], np.uint8)
    out = rescale(x, 1 / 255)
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 1.0]]
    np.testing.assert_allclose(rescale(x, 1 / 127.5, offset=-1), [[-1.0, 1.0]], atol=1e-6)
    assert rescale(np.ones(2, np.float64), 2).dtype == np.float64


def test_normalize():
    x = np.stack([np.arange(4.0), np.arange(4.0) * 10], axis=-1)[None]  # (1, 4, 2)
    mean, var = x.mean(axis=(0, 1)), x.var(axis=(0, 1))
    out = normalize(x, mean, var)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), 0, atol=1e-6)
    np.testing.assert_allclose(out.std(axis=(0, 1)), 1, atol=1e-6)
    assert np.isfinite(normalize(np.ones((2, 3)), 1.0, 0.0)).all()
    with pytest.raises(ValueError, match="variance must be >= 0"):
        normalize(x, 0, -1)
    with pytest.raises(ValueError, match="broadcast"):
        normalize(x, np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="broadcast"):
        normalize(np.zeros(2), np.zeros((2, 2)), 1)


@pytest.mark.parametrize("mode, flips", [
    ("horizontal", lambda im: [im, im[:, ::-1]]),
    ("vertical", lambda im: [im, im[::-1]]),
    ("horizontal_and_vertical", lambda im: [im, im[:, ::-1], im[::-1], im[::-1, ::-1]]),
])
def test_random_flip(images, mode, flips):
    out = random_flip(images, mode, rng=1)
    assert out.shape == images.shape and out.dtype == images.dtype
    kinds = []
    for im, o in zip(images, out):
        matches = [k for k, cand in enumerate(flips(im)) if np.array_equal(o, cand)]
        assert matches, "each output is the image or one of its flips"
        kinds.append(matches[0])
    assert len(set(kinds)) > 1  # some images flipped, some not
    np.testing.assert_array_equal(out, random_flip(images, mode, rng=1))
    assert random_flip(images[0], mode, rng=np.random.default_rng(0)).shape == images.shape[1:]


def test_random_flip_errors(images):
    with pytest.raises(ValueError, match="mode must be one of"):
        random_flip(images, "diagonal")
    with pytest.raises(ValueError, match=r"\(N, H, W, C\)"):
        random_flip(images[0, 0])


def _translate(im, dy, dx, fill):
    out = np.full_like(im, fill)
    h, w = im.shape[:2]
    for r in range(h):
        for c in range(w):
            if 0 <= r - dy < h and 0 <= c - dx < w:
                out[r, c] = im[r - dy, c - dx]
    return out


def test_random_translation_fixed_shift(images):
    out = random_translation(images, (0.5, 0.5), (-0.2, -0.2), fill_value=7, rng=0)  # dy=3, dx=-1
    for im, o in zip(images, out):
        np.testing.assert_array_equal(o, _translate(im, 3, -1, 7))
    assert out.dtype == np.uint8


def test_random_translation_random_shifts_within_range(images):
    out = random_translation(images, 0.34, 0.4, rng=2)  # |dy| <= 2, |dx| <= 2
    shifts = set()
    for im, o in zip(images, out):
        found = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)
                 if np.array_equal(o, _translate(im, dy, dx, 0))]
        assert found, "each output is a translation of its image within the range"
        shifts.add(found[0])
    assert len(shifts) > 3
    assert random_translation(images[0], 0.1, 0.1, rng=0).shape == images.shape[1:]


@pytest.mark.parametrize("factor", [1.5, (0.3, 0.1), "a"])
def test_random_translation_errors(images, factor):
    with pytest.raises(ValueError, match="height_factor"):
        random_translation(images, factor, 0.1)


def test_random_crop(images):
    out = random_crop(images, 4, 3, rng=0)
    assert out.shape == (16, 4, 3, 2) and out.dtype == np.uint8
    offsets = set()
    for im, o in zip(images, out):
        found = [(t, l) for t in range(3) for l in range(3) if np.array_equal(o, im[t:t + 4, l:l + 3])]
        assert found
        offsets.add(found[0])
    assert len(offsets) > 2
    assert random_crop(images[0], 6, 5, rng=0).shape == (6, 5, 2)
    with pytest.raises(ValueError, match=r"height must be an integer in \[1, 6\]"):
        random_crop(images, 7, 3)
    with pytest.raises(ValueError, match="width"):
        random_crop(images, 2, 0)


def test_preprocessing_in_dataset_map(images):
    labels = np.arange(16)
    rng = np.random.default_rng(0)
    ds = Dataset.from_tensor_slices((images, labels)).batch(8).map(
        lambda x, y: (random_flip(rescale(x, 1 / 255), rng=rng), y))
    xb, yb = next(iter(ds))
    assert xb.dtype == np.float32 and xb.shape == (8, 6, 5, 2) and xb.max() <= 1


@pytest.mark.parametrize("fill_mode, row", [("constant", [7, 7, 1, 2]), ("nearest", [1, 1, 1, 2]),
                                            ("reflect", [2, 1, 1, 2]), ("wrap", [3, 4, 1, 2])])
def test_random_translation_fill_modes(fill_mode, row):
    image = np.array([1, 2, 3, 4], np.int16).reshape(1, 4, 1)  # one row; shifted 2 pixels right
    out = random_translation(image, 0.0, (0.5, 0.5), fill_value=7, rng=0, fill_mode=fill_mode)
    assert out.dtype == np.int16 and out.ravel().tolist() == row
    with pytest.raises(ValueError, match=r"fill_mode must be one of \('constant', 'nearest', 'reflect', 'wrap'\)"):
        random_translation(image, 0.1, 0.1, fill_mode="mirror")
