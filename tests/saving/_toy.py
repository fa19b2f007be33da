"""Small layers and models defined here, so the saving tests do not depend on other layers."""
import numpy as np

from kerasish.layers.base import Layer


class ToyDense(Layer):
    """x @ kernel + bias with Keras's (in, out) kernel; builds lazily."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], self.units), name="kernel")
        self.bias = self.add_weight((self.units,), initializer="zeros", name="bias")

    def forward(self, x):
        return x @ self.kernel + self.bias


class ToyNorm(Layer):
    """Keras BatchNormalization's four weights (inference formula only)."""

    def build(self, input_shape):
        n = input_shape[-1]
        self.gamma = self.add_weight((n,), initializer="ones", name="gamma")
        self.beta = self.add_weight((n,), initializer="zeros", name="beta")
        self.moving_mean = self.add_weight((n,), initializer="zeros", name="moving_mean", trainable=False)
        self.moving_variance = self.add_weight((n,), initializer="ones", name="moving_variance",
                                               trainable=False)

    def forward(self, x):
        return (x - self.moving_mean) / (self.moving_variance + 1e-3).sqrt() * self.gamma + self.beta


class ToyFlat(Layer):
    """No weights."""

    def forward(self, x):
        return x


class ToyNet(Layer):
    """A model-like container: `layers` are its direct sub-layers, called in order."""

    def __init__(self, widths=(5, 3), norm=True, in_dim=4, **kwargs):
        super().__init__(**kwargs)
        self.in_dim = in_dim
        stack = [ToyDense(widths[0], name="dense")]
        if norm:
            stack.append(ToyNorm(name="norm"))
        stack.append(ToyFlat(name="flat"))
        stack += [ToyDense(w, name=f"dense_{i + 1}") for i, w in enumerate(widths[1:])]
        self.stack = stack

    def forward(self, x):
        for layer in self.stack:
            x = layer(x)
        return x


def built(net, seed=0):
    """Builds `net` and gives every weight distinct random values."""
    net(np.zeros((1, net.in_dim), dtype="float32"))
    rng = np.random.default_rng(seed)
    for w in net.weights:
        w.data[...] = rng.uniform(0.5, 1.5, size=w.shape)
    return net


def state(net):
    return {k: v.copy() for k, v in net.state_dict().items()}
