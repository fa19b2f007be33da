"""Pooling layers and ZeroPadding2D: shapes, aliases, errors, config, gradients."""
import json

import numpy as np
import pytest

from kerasish import Tensor
from kerasish.layers.base import LAYER_REGISTRY
from kerasish.layers.padding import ZeroPadding2D
from kerasish.layers.pooling import (AveragePooling2D, AvgPool2D, GlobalAveragePooling2D, GlobalMaxPooling2D,
                                     MaxPool2D, MaxPooling2D)
from kerasish.utils import check_grad
from layer_grad import check_layer_grad

R = np.random.default_rng(11)


def roundtrip(layer):
    config = layer.get_config()
    json.dumps(config)
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    return clone


def distinct(shape):
    return Tensor(R.permutation(int(np.prod(shape))).reshape(shape) * 0.01, dtype="float64")


def test_seed_maxpool_and_aliases():
    conv_out = Tensor(R.standard_normal((2, 8, 6, 4)), dtype=np.float32)
    pool = MaxPool2D(kernel_size=2, stride=2)
    pooled = pool(conv_out)
    assert pooled.shape == (2, 4, 3, 4) and pooled.dtype == np.float32
    np.testing.assert_array_equal(pooled.numpy(), conv_out.numpy().reshape(2, 4, 2, 3, 2, 4).max(axis=(2, 4)))
    assert MaxPool2D is MaxPooling2D and AvgPool2D is AveragePooling2D
    assert LAYER_REGISTRY["MaxPool2D"] is MaxPooling2D and LAYER_REGISTRY["AvgPool2D"] is AveragePooling2D
    assert pool.name == "max_pooling2d" and AveragePooling2D().name == "average_pooling2d"
    assert MaxPool2D(3).strides == (3, 3) and MaxPool2D((3, 2), stride=1).strides == (1, 1)


@pytest.mark.parametrize("cls", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize("kwargs,in_shape,out_shape", [
    (dict(pool_size=2), (2, 7, 9, 3), (2, 3, 4, 3)),
    (dict(pool_size=3, strides=2), (2, 9, 7, 3), (2, 4, 3, 3)),
    (dict(pool_size=2, padding="same"), (2, 7, 5, 3), (2, 4, 3, 3)),
    (dict(pool_size=(3, 2), strides=(1, 2), padding="same"), (2, 5, 5, 3), (2, 5, 3, 3)),
    (dict(pool_size=2, data_format="channels_first"), (2, 3, 6, 4), (2, 3, 3, 2)),
])
def test_shapes_and_gradients(cls, kwargs, in_shape, out_shape):
    layer = cls(dtype="float64", **kwargs)
    x = distinct(in_shape)
    assert layer(x).shape == out_shape
    assert layer.compute_output_shape((None, *in_shape[1:])) == (None, *out_shape[1:])
    check_layer_grad(layer, x)


def test_maxpool_layer_ties_give_one_winner_per_window():
    x = Tensor(np.zeros((1, 6, 6, 2)), requires_grad=True)
    MaxPool2D(3, strides=2, padding="same")(x).sum().backward()
    assert np.count_nonzero(x.grad) == 2 * 3 * 3 and np.isclose(x.grad.sum(), 2 * 3 * 3)


def test_average_pooling_same_uses_real_elements_only():
    y = AveragePooling2D(3, strides=2, padding="same")(np.ones((1, 5, 5, 1)))
    np.testing.assert_allclose(y.numpy(), 1.0)


def test_pooling_errors_and_config():
    with pytest.raises(ValueError, match=r"Layer 'max_pooling2d' \(MaxPooling2D\) expected 4-D input \(batch, "
                                         r"height, width, channels\) for data_format='channels_last', got shape"):
        MaxPool2D()(np.zeros((4, 4, 1)))
    with pytest.raises(ValueError, match="pool_size must be positive"):
        MaxPool2D(0)
    with pytest.raises(ValueError, match="both pool_size=2 and kernel_size=3"):
        MaxPool2D(pool_size=2, kernel_size=3)
    clone = roundtrip(AveragePooling2D((3, 2), strides=1, padding="same", data_format="channels_first"))
    assert clone.pool_size == (3, 2) and clone.strides == (1, 1) and clone.data_format == "channels_first"
    assert roundtrip(MaxPool2D(kernel_size=2, stride=2)).strides == (2, 2)


@pytest.mark.parametrize("cls,reduce", [(GlobalAveragePooling2D, np.mean), (GlobalMaxPooling2D, np.max)])
def test_global_pooling(cls, reduce):
    x = distinct((2, 4, 5, 3))
    np.testing.assert_allclose(cls()(x).numpy(), reduce(x.numpy(), axis=(1, 2)), rtol=1e-6)
    kept = cls(keepdims=True)(x)
    assert kept.shape == (2, 1, 1, 3)
    first = cls(data_format="channels_first")
    np.testing.assert_allclose(first(x.transpose(0, 3, 1, 2)).numpy(), reduce(x.numpy(), axis=(1, 2)), rtol=1e-6)
    assert first.compute_output_shape((None, 3, 4, 5)) == (None, 3)
    assert cls(keepdims=True).compute_output_shape((None, 4, 5, 3)) == (None, 1, 1, 3)
    assert roundtrip(cls(keepdims=True)).keepdims is True
    check_layer_grad(cls(dtype="float64"), x)
    with pytest.raises(ValueError, match="expected 4-D input"):
        cls()(np.zeros((2, 3)))


@pytest.mark.parametrize("padding,pads", [(1, ((1, 1), (1, 1))), ((1, 2), ((1, 1), (2, 2))),
                                          (((1, 0), (2, 3)), ((1, 0), (2, 3)))])
def test_zero_padding(padding, pads):
    x = R.standard_normal((2, 3, 4, 2))
    layer = ZeroPadding2D(padding, dtype="float64")
    y = layer(x).numpy()
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), *pads, (0, 0))))
    assert layer.compute_output_shape((None, 3, 4, 2)) == (None, *y.shape[1:])
    first = ZeroPadding2D(padding, data_format="channels_first", dtype="float64")
    np.testing.assert_array_equal(first(x.transpose(0, 3, 1, 2)).numpy(), y.transpose(0, 3, 1, 2))
    assert roundtrip(layer).padding == pads
    check_grad(lambda a: layer(a), x)
    assert layer.name.startswith("zero_padding2d")


def test_zero_padding_errors():
    with pytest.raises(ValueError, match="ZeroPadding2D padding must be"):
        ZeroPadding2D("same")
    with pytest.raises(ValueError, match="padding must be"):
        ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="expected 4-D input"):
        ZeroPadding2D(1)(np.zeros((3, 3, 1)))
