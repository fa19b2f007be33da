"""Embedding: integer indices -> rows of a trainable table."""
import numbers
import warnings

from kerasish import initializers, regularizers
from kerasish.layers.base import Layer


class Embedding(Layer):
    """Looks up rows of an (input_dim, output_dim) table: (N, ...) ints -> (N, ..., output_dim).

    Args:
        input_dim: vocabulary size (indices lie in [0, input_dim)).
        output_dim: size of each vector.
        embeddings_initializer: default 'uniform' (RandomUniform(-0.05, 0.05), as Keras).
        embeddings_regularizer: penalty added to `losses`.
        mask_zero, input_length: accepted for Keras compatibility. Masks are not propagated:
            with mask_zero=True the next layers still see the padded positions (a warning
            says so); pass masks explicitly (`attention_mask=`) where a layer takes one.

    The backward pass scatter-adds into the table, so repeated indices accumulate.
    """

    def __init__(self, input_dim, output_dim, embeddings_initializer="uniform",
                 embeddings_regularizer=None, embeddings_constraint=None, mask_zero=False,
                 input_length=None, activity_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        for what, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
                raise ValueError(f"Embedding '{self.name}': {what} must be a positive integer, got {value!r}")
        if embeddings_constraint is not None:
            raise ValueError(f"Embedding '{self.name}': embeddings_constraint is not supported")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.mask_zero = bool(mask_zero)
        if self.mask_zero:
            warnings.warn(f"Embedding '{self.name}': mask_zero=True makes no mask in kerasish (masks are not "
                          "propagated), so the following layers also process the padded positions, unlike "
                          "Keras; pass masks explicitly (e.g. MultiHeadAttention's attention_mask=)",
                          stacklevel=2)
        self.input_length = input_length
        self.build(None)

    def build(self, input_shape):
        """Creates the table (its size does not depend on the input)."""
        if self.built:
            return
        self.embeddings = self.add_weight((self.input_dim, self.output_dim), self.embeddings_initializer,
                                          name="embeddings", regularizer=self.embeddings_regularizer)
        self.built = True

    def forward(self, x):
        """The rows of the table picked by the integer indices `x`."""
        idx = x.data
        if idx.dtype.kind == "f":
            idx = idx.astype("int64")
        elif idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding '{self.name}' needs integer indices, got dtype {idx.dtype}")
        if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= self.input_dim):
            raise ValueError(f"Embedding '{self.name}': indices must lie in [0, {self.input_dim - 1}], "
                             f"got min {int(idx.min())}, max {int(idx.max())}")
        return self.embeddings[idx]

    def compute_output_shape(self, input_shape):
        """The input shape with `output_dim` appended."""
        return (*tuple(input_shape), self.output_dim)

    def get_config(self):
        config = super().get_config()
        config.update(input_dim=self.input_dim, output_dim=self.output_dim,
                      embeddings_initializer=initializers.serialize(self.embeddings_initializer),
                      embeddings_regularizer=regularizers.serialize(self.embeddings_regularizer),
                      activity_regularizer=regularizers.serialize(self._activity_regularizer),
                      embeddings_constraint=None, mask_zero=self.mask_zero)
        if self.input_length is not None:
            config["input_length"] = self.input_length
        return config
