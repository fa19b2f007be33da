"""BatchNormalization and LayerNormalization (fused forward/backward ops in ops/normalization.py)."""
import numbers

from kerasish import initializers, regularizers
from kerasish.layers.base import LAYER_REGISTRY, InputSpec, Layer
from kerasish.ops.normalization import AffineNormalize, Normalize


def _axes(axis, ndim, layer):
    axes = [axis] if isinstance(axis, numbers.Integral) else list(axis)
    out = []
    for a in axes:
        if not -ndim <= a < ndim:
            raise ValueError(f"{type(layer).__name__} '{layer.name}': axis {a} is out of range for "
                             f"inputs with {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{type(layer).__name__} '{layer.name}': repeated axis in {axis}")
    return tuple(sorted(out))


def _check_constraints(layer, **kwargs):
    for key, value in kwargs.items():
        if value not in (None, False):
            raise ValueError(f"{type(layer).__name__} '{layer.name}': {key}={value!r} is not supported")


class _Normalization(Layer):
    """Shared parts: axis handling, gamma/beta creation, float16 inputs computed in float32."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                 beta_regularizer, gamma_regularizer, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(axis, numbers.Integral):
            axis = [int(a) for a in axis]
        self.axis = int(axis) if isinstance(axis, numbers.Integral) else axis
        if not epsilon > 0:
            raise ValueError(f"{type(self).__name__} '{self.name}': epsilon must be positive, got {epsilon}")
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.gamma = self.beta = None

    def _build_params(self, input_shape):
        ndim = len(input_shape)
        self._param_axes = _axes(self.axis, ndim, self)
        shape = tuple(input_shape[a] for a in self._param_axes)
        if any(n is None for n in shape):
            raise ValueError(f"{type(self).__name__} '{self.name}': the normalized axes {self.axis} need "
                             f"known sizes, got input shape {tuple(input_shape)}")
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_initializer, name="gamma",
                                         regularizer=self.gamma_regularizer)
        if self.center:
            self.beta = self.add_weight(shape, self.beta_initializer, name="beta",
                                        regularizer=self.beta_regularizer)
        return ndim, shape

    @staticmethod
    def _upcast(x):
        return x.astype("float32") if x.dtype.itemsize < 4 else x

    def compute_output_shape(self, input_shape):
        """The input shape."""
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(axis=self.axis, epsilon=self.epsilon, center=self.center, scale=self.scale,
                      beta_initializer=initializers.serialize(self.beta_initializer),
                      gamma_initializer=initializers.serialize(self.gamma_initializer),
                      beta_regularizer=regularizers.serialize(self.beta_regularizer),
                      gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
                      beta_constraint=None, gamma_constraint=None)
        return config


LAYER_REGISTRY.pop("_Normalization", None)  # a shared base, not a layer to rebuild from configs


class BatchNormalization(_Normalization):
    """Normalizes each feature with batch statistics in training and moving averages in inference.

    Training mode (`layer.train()`, `fit`): y = (x - mean_B) / sqrt(var_B + eps) * gamma + beta over
    every axis but `axis`, and the moving statistics become
    `moving = moving * momentum + batch * (1 - momentum)`. Inference mode (`layer.eval()`,
    `predict`, or `trainable=False`, as in Keras) uses the moving statistics.

    Args:
        axis: the feature axis (or a list of axes); -1 for channels-last images (N, H, W, C).
        momentum: moving-average momentum (default 0.99).
        epsilon: variance offset (default 1e-3).
        center, scale: learn `beta` / `gamma`.
        *_initializer, *_regularizer: for gamma, beta, moving_mean and moving_variance.

    Weights, in order: gamma, beta (trainable), moving_mean, moving_variance (not trainable).
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", moving_mean_initializer="zeros",
                 moving_variance_initializer="ones", beta_regularizer=None, gamma_regularizer=None,
                 beta_constraint=None, gamma_constraint=None, synchronized=False, renorm=False,
                 renorm_clipping=None, renorm_momentum=0.99, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        _check_constraints(self, beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                           renorm=renorm, renorm_clipping=renorm_clipping)
        if not 0 <= momentum <= 1:
            raise ValueError(f"BatchNormalization '{self.name}': momentum must be in [0, 1], got {momentum}")
        self.momentum = float(momentum)
        self.synchronized = bool(synchronized)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        """Creates gamma, beta, moving_mean and moving_variance sized by the feature axes."""
        if self.built:
            return
        ndim, shape = self._build_params(input_shape)
        self.moving_mean = self.add_weight(shape, self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight(shape, self.moving_variance_initializer, trainable=False,
                                               name="moving_variance")
        self._reduce_axes = tuple(i for i in range(ndim) if i not in self._param_axes)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._param_axes})
        self.built = True

    def forward(self, x, training=None):
        """Normalized x (batch statistics when training, moving statistics otherwise)."""
        training = (self.training if training is None else bool(training)) and self.trainable
        xf = self._upcast(x)
        # the master copies: under mixed precision the attributes are cast copies during forward
        moving_mean, moving_var = self._weights["moving_mean"], self._weights["moving_variance"]
        if training:
            stats = {}
            out = Normalize.apply(xf, self.gamma, self.beta, reduce_axes=self._reduce_axes,
                                  param_axes=self._param_axes, epsilon=self.epsilon, stats=stats)
            m = self.momentum
            shape = moving_mean.shape
            moving_mean.data *= m
            moving_mean.data += (stats["mean"].reshape(shape) * (1.0 - m)).astype(moving_mean.dtype)
            moving_var.data *= m
            moving_var.data += (stats["var"].reshape(shape) * (1.0 - m)).astype(moving_var.dtype)
        else:
            out = AffineNormalize.apply(xf, self.gamma, self.beta, mean=moving_mean.data,
                                        var=moving_var.data, param_axes=self._param_axes,
                                        epsilon=self.epsilon)
        return out if xf is x else out.astype(x.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, synchronized=self.synchronized,
                      moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
                      moving_variance_initializer=initializers.serialize(self.moving_variance_initializer))
        return config


class LayerNormalization(_Normalization):
    """Normalizes each sample over `axis` (default the last): (x - mean) / sqrt(var + eps) * gamma + beta.

    Same in training and inference. gamma and beta run along `axis`.

    Args:
        axis: int or list of axes to normalize over.
        epsilon: variance offset (default 1e-3).
        center, scale: learn `beta` / `gamma`.
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer,
                         beta_regularizer, gamma_regularizer, **kwargs)
        _check_constraints(self, beta_constraint=beta_constraint, gamma_constraint=gamma_constraint,
                           rms_scaling=rms_scaling)

    def build(self, input_shape):
        """Creates gamma and beta sized by the normalized axes."""
        if self.built:
            return
        ndim, _ = self._build_params(input_shape)
        self.input_spec = InputSpec(ndim=ndim, axes={a: input_shape[a] for a in self._param_axes})
        self.built = True

    def get_config(self):
        config = super().get_config()
        config["rms_scaling"] = False
        return config

    def forward(self, x):
        """Normalized x."""
        xf = self._upcast(x)
        out = Normalize.apply(xf, self.gamma, self.beta, reduce_axes=self._param_axes,
                              param_axes=self._param_axes, epsilon=self.epsilon)
        return out if xf is x else out.astype(x.dtype)
