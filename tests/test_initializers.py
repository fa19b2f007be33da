"""Weight initializers: shapes, dtypes, statistics, fan rules, seeds, get() and configs."""
import json
import math

import numpy as np
import pytest

from kerasish import initializers as I

SHAPE = (200, 300)  # fan_in 200, fan_out 300
CONV = (3, 3, 16, 32)  # receptive field 9: fan_in 144, fan_out 288


def test_compute_fans():
    assert I.compute_fans(()) == (1, 1)
    assert I.compute_fans((7,)) == (7, 7)
    assert I.compute_fans(SHAPE) == (200, 300)
    assert I.compute_fans(CONV) == (144, 288)


@pytest.mark.parametrize("name, shape, limit", [
    ("glorot_uniform", SHAPE, math.sqrt(6 / 500)),
    ("xavier", SHAPE, math.sqrt(6 / 500)),
    ("he_uniform", SHAPE, math.sqrt(6 / 200)),
    ("lecun_uniform", SHAPE, math.sqrt(3 / 200)),
    ("glorot_uniform", CONV, math.sqrt(6 / (144 + 288))),
    ("he_uniform", CONV, math.sqrt(6 / 144)),
])
def test_uniform_families(name, shape, limit):
    w = I.get(name)(shape, dtype="float32")
    assert w.shape == shape and w.dtype == np.float32
    assert np.abs(w).max() <= limit
    np.testing.assert_allclose(w.std(), limit / math.sqrt(3), rtol=0.03)  # std of U(-a, a) is a/sqrt(3)
    assert abs(w.mean()) < 0.02 * limit


@pytest.mark.parametrize("name, shape, std", [
    ("glorot_normal", SHAPE, math.sqrt(2 / 500)),
    ("he_normal", SHAPE, math.sqrt(2 / 200)),
    ("lecun_normal", SHAPE, math.sqrt(1 / 200)),
    ("he_normal", CONV, math.sqrt(2 / 144)),
])
def test_truncated_normal_families(name, shape, std):
    w = I.get(name)(shape, dtype="float64")
    assert w.dtype == np.float64
    np.testing.assert_allclose(w.std(), std, rtol=0.03)  # the truncation is corrected for
    assert np.abs(w).max() <= 2 * std / 0.87962566103423978 + 1e-12


def test_basic_initializers():
    assert (I.Zeros()((2, 3), "float32") == 0).all()
    assert (I.get("ones")((4,), "float64") == 1).all()
    np.testing.assert_array_equal(I.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    n = I.RandomNormal(mean=1.0, stddev=0.5)((100_000,))
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01
    u = I.get("uniform")((100_000,))
    assert u.min() >= -0.05 and u.max() <= 0.05 and abs(u.std() - 0.1 / math.sqrt(12)) < 0.001
    t = I.TruncatedNormal(stddev=1.0)((100_000,))
    assert np.abs(t).max() <= 2.0
    np.testing.assert_array_equal(I.Identity(2.0)((2, 3)), 2 * np.eye(2, 3))
    assert I.TruncatedNormal()((), "float32").shape == ()


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (3, 3, 2, 5)])
def test_orthogonal(shape):
    w = I.Orthogonal(gain=2.0)(shape, dtype="float64")
    flat = w.reshape(-1, shape[-1])
    gram = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(gram, 4.0 * np.eye(gram.shape[0]), atol=1e-10)
    with pytest.raises(ValueError, match="at least 2 dims"):
        I.Orthogonal()((3,))


def test_seeds_and_global_seed():
    a = I.GlorotUniform(seed=1)((5, 5))
    np.testing.assert_array_equal(a, I.GlorotUniform(seed=1)((5, 5)))
    assert not np.array_equal(a, I.GlorotUniform(seed=2)((5, 5)))
    from kerasish.utils import set_random_seed
    set_random_seed(11)
    b = I.get("he_normal")((4, 4))
    set_random_seed(11)
    np.testing.assert_array_equal(b, I.get("he_normal")((4, 4)))


def test_get_errors_and_forms():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'; valid names are: .*glorot_uniform"):
        I.get("glorot")
    with pytest.raises(ValueError, match="Unknown initializer class 'Foo'"):
        I.get({"class_name": "Foo", "config": {}})
    with pytest.raises(TypeError, match="Could not interpret initializer"):
        I.get(3)
    with pytest.raises(ValueError, match="mode must be"):
        I.VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match="scale must be positive"):
        I.VarianceScaling(scale=0)
    init = I.HeNormal(seed=3)
    assert I.get(init) is init
    assert isinstance(I.get(I.Zeros), I.Zeros)
    fn = lambda shape, dtype=None: np.ones(shape)  # noqa: E731
    assert I.get(fn) is fn


@pytest.mark.parametrize("init", [I.Zeros(), I.Constant(3.0), I.RandomNormal(0.1, 0.2, seed=4),
                                  I.RandomUniform(-1, 1), I.TruncatedNormal(seed=5),
                                  I.VarianceScaling(2.0, "fan_out", "uniform", seed=6), I.GlorotUniform(seed=7),
                                  I.HeNormal(), I.LecunUniform(), I.Orthogonal(gain=0.5), I.Identity()])
def test_serialize_roundtrip(init):
    config = I.serialize(init)
    json.dumps(config)
    back = I.get(config)
    assert type(back) is type(init) and back.get_config() == init.get_config()


def test_reads_keras_configs():
    keras = {"module": "keras.initializers", "class_name": "GlorotUniform",
             "config": {"seed": None, "input_axes": None, "output_axes": None}, "registered_name": None}
    assert isinstance(I.get(keras), I.GlorotUniform)
    with pytest.raises(ValueError, match="unsupported arguments"):
        I.get({"class_name": "GlorotUniform", "config": {"input_axes": [0]}})


def test_keras_class_names_work_as_strings():
    # keras.initializers.get('HeNormal') resolves class names as well as snake_case names
    assert isinstance(I.get("HeNormal"), I.HeNormal)
    assert isinstance(I.get("GlorotUniform"), I.GlorotUniform)
    assert isinstance(I.get("Zeros"), I.Zeros)
    with pytest.raises(ValueError, match="valid names are"):
        I.get("HeNormall")


def test_numpy_scalar_arguments_serialize_to_json():
    for init in (I.Constant(np.float32(0.5)), I.RandomNormal(np.float32(0.0), np.float64(0.1), seed=np.int64(2)),
                 I.HeNormal(seed=np.int64(1))):
        config = json.loads(json.dumps(I.serialize(init)))
        clone = I.get(config)
        np.testing.assert_array_equal(clone((3, 2)), init((3, 2)))
