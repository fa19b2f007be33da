"""Regularising noise layers active only in training: GaussianNoise, GaussianDropout and the
channel-wise SpatialDropout1D/2D/3D."""
import math
import numbers

import numpy as np

from kerasish import backend
from kerasish.layers.base import Layer
from kerasish.layers.core import Dropout
from kerasish.ops.dropout import ApplyMask


def _rate(layer, value, what, high=1, include_high=False):
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real) and value >= 0
          and (value <= high if include_high else value < high))
    if not ok:
        bound = f"[0, {high}]" if include_high else f"[0, {high})"
        raise ValueError(f"{type(layer).__name__} '{layer.name}': {what} must be a number in {bound}, got {value!r}")
    return float(value)


class _NoiseLayer(Layer):
    """Shared pieces: the training switch and the normal draws (own generator when seeded)."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = None if seed is None else int(seed)
        self._generator_state = None

    def _normal(self, x):
        """Standard normal draws of x's shape and dtype on x's device."""
        if self.seed is None:
            gen = backend.rng(x.device)
        else:  # a host generator, copied to the device (only for seeded layers)
            if self._generator_state is None:
                self._generator_state = np.random.default_rng(self.seed)
            gen = self._generator_state
        return backend.to_device(gen.standard_normal(x.shape, dtype=np.float32), x.device, x.dtype)

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return tuple(input_shape)


class GaussianNoise(_NoiseLayer):
    """Adds zero-mean Gaussian noise of standard deviation `stddev` in training; identity otherwise.

    Args:
        stddev: standard deviation of the noise (>= 0).
        seed: gives the layer its own generator (default the device's seeded one).
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _rate(self, stddev, "stddev", high=math.inf)

    def forward(self, x, training=None):
        """x + N(0, stddev^2) when training."""
        training = self.training if training is None else training
        if not training or self.stddev == 0:
            return x
        noise = self._normal(x)
        noise *= self.stddev
        return x + noise

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(_NoiseLayer):
    """Multiplies by Gaussian noise of mean 1 and standard deviation sqrt(rate / (1 - rate)) in
    training; identity otherwise.

    Args:
        rate: drop probability of the equivalent dropout, in [0, 1).
        seed: gives the layer its own generator (default the device's seeded one).
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.rate = _rate(self, rate, "rate")

    def forward(self, x, training=None):
        """x * N(1, rate / (1 - rate)) when training."""
        training = self.training if training is None else training
        if not training or self.rate == 0:
            return x
        noise = self._normal(x)
        noise *= math.sqrt(self.rate / (1.0 - self.rate))
        noise += 1.0
        return ApplyMask.apply(x, mask=noise)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class _SpatialDropout(Dropout):
    """Dropout of whole feature maps: one mask value per (sample, channel)."""

    _rank = None  # spatial axes

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        data_format = "channels_last" if data_format is None else data_format
        if data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"{type(self).__name__} '{self.name}': data_format must be 'channels_last' or "
                             f"'channels_first', got {data_format!r}")
        self.data_format = data_format

    def forward(self, x, training=None):
        """x with whole channels zeroed (and the rest rescaled) when training."""
        want = self._rank + 2
        if x.ndim != want:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects inputs of rank {want} (batch, "
                             f"{self._rank} spatial axes, channels), got shape {x.shape}")
        ones = (1,) * self._rank
        self.noise_shape = ((None, *ones, None) if self.data_format == "channels_last"
                            else (None, None, *ones))
        return super().forward(x, training=training)

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape", None)
        config["data_format"] = self.data_format
        return config


class SpatialDropout1D(_SpatialDropout):
    """Drops whole channels of (batch, steps, channels) inputs (training only).

    Args:
        rate: fraction of channels dropped, in [0, 1).
        seed: gives the layer its own generator.
    """

    _rank = 1

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]
        return config


class SpatialDropout2D(_SpatialDropout):
    """Drops whole feature maps of (batch, H, W, C) inputs (or (batch, C, H, W) with
    data_format='channels_first'); training only.

    Args:
        rate: fraction of channels dropped, in [0, 1).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: gives the layer its own generator.
    """

    _rank = 2


class SpatialDropout3D(_SpatialDropout):
    """Drops whole feature volumes of (batch, D, H, W, C) inputs (training only).

    Args:
        rate: fraction of channels dropped, in [0, 1).
        data_format: 'channels_last' (default) or 'channels_first'.
        seed: gives the layer its own generator.
    """

    _rank = 3
