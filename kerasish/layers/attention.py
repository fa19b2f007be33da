"""Attention layers: MultiHeadAttention, Attention (dot-product / concat) and AdditiveAttention.

Weights use Keras 3's layouts and order, so `set_weights(keras_layer.get_weights())` and
Keras's '.h5' / '.weights.h5' files load: MultiHeadAttention holds the sub-layers
`query_dense`, `key_dense`, `value_dense`, `output_dense` (Keras's attribute names), each with a
kernel and a bias: query/key kernels (d_model, num_heads, key_dim), value kernel
(d_model, num_heads, value_dim), output kernel (num_heads, value_dim, *output_shape).
"""
import math
import numbers

import numpy as np

from kerasish import backend, initializers, ops, regularizers
from kerasish.layers.base import Layer
from kerasish.layers.core import _no_constraint, _positive_int
from kerasish.ops.attention import causal_mask, masked_softmax
from kerasish.ops.dropout import dropout
from kerasish.tensor import Tensor


class _HeadProjection(Layer):
    """Keras's EinsumDense as MultiHeadAttention uses it: contracts the last `n_in` input axes
    with a kernel of shape (*in_sizes, *out_sizes) and adds a bias of shape out_sizes.

    Computed as one 2-D matrix product on reshaped views.
    """

    def __init__(self, n_in, out_sizes, use_bias, kernel_initializer, bias_initializer,
                 kernel_regularizer=None, bias_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.n_in, self.out_sizes, self.use_bias = n_in, tuple(out_sizes), use_bias
        self.kernel_initializer, self.bias_initializer = kernel_initializer, bias_initializer
        self.kernel_regularizer, self.bias_regularizer = kernel_regularizer, bias_regularizer
        self.kernel = self.bias = None

    def build(self, input_shape):
        """Creates `kernel` (*input_shape[-n_in:], *out_sizes) and `bias` (out_sizes)."""
        if self.kernel is not None:
            return
        in_sizes = tuple(int(n) for n in input_shape[-self.n_in:])
        self.kernel = self.add_weight(in_sizes + self.out_sizes, self.kernel_initializer, name="kernel",
                                      regularizer=self.kernel_regularizer)
        if self.use_bias:
            self.bias = self.add_weight(self.out_sizes, self.bias_initializer, name="bias",
                                        regularizer=self.bias_regularizer)
        self.built = True

    def forward(self, x):
        """x contracted with the kernel over its last `n_in` axes, plus the bias."""
        lead = x.shape[:x.ndim - self.n_in]
        n_in, n_out = math.prod(x.shape[len(lead):]), math.prod(self.out_sizes)
        out = x.reshape(-1, n_in) @ self.kernel.reshape(n_in, n_out)
        if self.bias is not None:
            out = out + self.bias.reshape(n_out)
        return out.reshape(*lead, *self.out_sizes)


def _as_mask(layer, mask):
    """A boolean array on the layer's device from a Tensor / array mask (None stays None)."""
    if mask is None:
        return None
    data = mask.data if isinstance(mask, Tensor) else mask
    if not hasattr(data, "shape"):
        data = np.asarray(data)
    data = backend.to_device(data, layer.device)
    if data.dtype != bool:
        data = data > 0.5 if data.dtype.kind == "f" else data != 0
    return data


def _check_rate(layer_name, rate):
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 1:
        raise ValueError(f"{layer_name}: dropout must be a number in [0, 1), got {rate!r}")
    return float(rate)


class MultiHeadAttention(Layer):
    """Multi-head scaled dot-product attention (Keras 3's MultiHeadAttention).

    Projects `query`, `key` and `value` into `num_heads` heads, attends in each head with
    `softmax(q k^T / sqrt(key_dim))`, and projects the concatenated heads back to the query's
    last size (or `output_shape`).

    Args:
        num_heads: number of attention heads.
        key_dim: size of each head for query and key.
        value_dim: size of each head for value (default `key_dim`).
        dropout: dropout rate on the attention probabilities (training only).
        use_bias: whether the four projections have biases.
        output_shape: size (int or tuple) of the output's trailing axes; default the query's last size.
        attention_axes: only the default (attend over every axis between batch and features) is
            supported; None or the explicit default tuple.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer: as for Dense.
        seed: seed for the dropout draws (default the device's seeded generator).

    Call arguments:
        query: (batch, T, dim) Tensor. value: (batch, S, dim). key: (batch, S, dim), default `value`.
        attention_mask: boolean (batch, T, S) (or broadcastable); False = may not attend.
        return_attention_scores: also return the (batch, num_heads, T, S) probabilities.
        training: apply dropout (default: the layer's training mode).
        use_causal_mask: position t only attends to positions <= t.

    Example:
        >>> x = Input((10, 16))
        >>> y = MultiHeadAttention(num_heads=2, key_dim=8)(x, x)   # (None, 10, 16)
    """

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True, output_shape=None,
                 attention_axes=None, kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, seed=None, use_gate=False,
                 sliding_window=None, flash_attention=None, **kwargs):
        _no_constraint("MultiHeadAttention", kernel_constraint=kernel_constraint,
                       bias_constraint=bias_constraint)
        if use_gate:
            raise ValueError("MultiHeadAttention: use_gate=True is not supported by kerasish")
        if sliding_window is not None:
            raise ValueError(f"MultiHeadAttention: sliding_window is not supported by kerasish "
                             f"(got {sliding_window!r}); pass an attention_mask instead")
        super().__init__(**kwargs)
        where = f"MultiHeadAttention '{self.name}'"
        self.num_heads = _positive_int(num_heads, "num_heads", where)
        self.key_dim = _positive_int(key_dim, "key_dim", where)
        self.value_dim = self.key_dim if value_dim is None else _positive_int(value_dim, "value_dim", where)
        self.dropout = _check_rate(where, dropout)
        self.use_bias = bool(use_bias)
        if output_shape is not None:
            sizes = (output_shape,) if isinstance(output_shape, numbers.Integral) else tuple(output_shape)
            output_shape = tuple(_positive_int(n, "output_shape", where) for n in sizes)
        self._output_shape = output_shape
        if attention_axes is not None:
            axes = (attention_axes,) if isinstance(attention_axes, numbers.Integral) else attention_axes
            attention_axes = tuple(int(a) for a in axes)
        self.attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self.seed = None if seed is None else int(seed)
        self._generator_state = None
        self._weights_built = False
        dtype = "mixed_float16" if self.compute_dtype != self.dtype else self.dtype
        common = dict(use_bias=self.use_bias, kernel_initializer=self.kernel_initializer,
                      bias_initializer=self.bias_initializer, kernel_regularizer=self.kernel_regularizer,
                      bias_regularizer=self.bias_regularizer, dtype=dtype, device=self.device)
        h = self.num_heads
        self.query_dense = _HeadProjection(1, (h, self.key_dim), name="query", **common)
        self.key_dense = _HeadProjection(1, (h, self.key_dim), name="key", **common)
        self.value_dense = _HeadProjection(1, (h, self.value_dim), name="value", **common)
        self.output_dense = _HeadProjection(2, output_shape or (), name="attention_output", **common)

    @property
    def output_shape(self):
        """The `output_shape` argument (None: the query's last size)."""
        return self._output_shape

    def build(self, query_shape, value_shape=None, key_shape=None):
        """Creates the four projections once the query and value shapes are known.

        `layer(query, value)` calls this itself; `build(query_shape)` alone defers the
        weights to the first call (the value's size is not known yet).
        """
        if value_shape is None or self._weights_built:
            self.built = True
            return
        key_shape = value_shape if key_shape is None else key_shape
        ranks = {len(query_shape), len(value_shape), len(key_shape)}
        if min(ranks) < 3 or len(ranks) > 1:
            raise ValueError(f"MultiHeadAttention '{self.name}' needs query, value and key of the same rank "
                             f">= 3 (batch, positions..., features), got shapes query {tuple(query_shape)}, "
                             f"value {tuple(value_shape)}, key {tuple(key_shape)}")
        rank = len(query_shape)
        default = tuple(range(1, rank - 1))
        if self.attention_axes is not None:
            given = tuple(sorted(a % rank for a in self.attention_axes))
            if given != default:
                raise ValueError(f"MultiHeadAttention '{self.name}': attention_axes={self.attention_axes} is not "
                                 f"supported; kerasish attends over every axis between batch and features "
                                 f"(attention_axes=None, i.e. {default} for rank-{rank} inputs)")
        for which, shape in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if shape[-1] is None:
                raise ValueError(f"MultiHeadAttention '{self.name}' needs a known last {which} dimension, "
                                 f"got shape {tuple(shape)}")
        if self._output_shape is None:
            self.output_dense.out_sizes = (int(query_shape[-1]),)
        self.query_dense.build(query_shape)
        self.key_dense.build(key_shape)
        self.value_dense.build(value_shape)
        self.output_dense.build((None, self.num_heads, self.value_dim))
        self._weights_built = self.built = True

    def forward(self, query, value=None, key=None, query_mask=None, value_mask=None, key_mask=None,
                attention_mask=None, return_attention_scores=False, training=None, use_causal_mask=False):
        """Attention of `query` over `value` (keyed by `key`); see the class docstring."""
        if value is None:
            raise ValueError(f"MultiHeadAttention '{self.name}' must be called as layer(query, value) "
                             "(or with key=...): value is missing")
        value = self._cast_inputs(value)
        key_given = key is not None and key is not value
        key = self._cast_inputs(key) if key is not None else value
        if not self._weights_built:
            self.build(query.shape, value.shape, key.shape)
        q_dim, v_dim, k_dim = (self.query_dense.kernel.shape[0], self.value_dense.kernel.shape[0],
                               self.key_dense.kernel.shape[0])
        if (query.shape[-1], value.shape[-1], key.shape[-1]) != (q_dim, v_dim, k_dim) or not (
                query.ndim == value.ndim == key.ndim) or value.shape[:-1] != key.shape[:-1]:
            raise ValueError(f"MultiHeadAttention '{self.name}' was built for query (..., {q_dim}), value "
                             f"(..., {v_dim}), key (..., {k_dim}) of one rank with matching value/key "
                             f"positions, got query {query.shape}, value {value.shape}, key {key.shape}")
        batch, q_pos, kv_pos = query.shape[0], query.shape[1:-1], value.shape[1:-1]
        if query.ndim > 3:  # several attention axes: attend over them flattened
            query, value, key = (x.reshape(batch, -1, x.shape[-1]) for x in (query, value, key))
        mask = self._attention_mask(batch, q_pos, kv_pos, query_mask, value_mask,
                                    key_mask if key_given else None, attention_mask, use_causal_mask)
        h = self.num_heads
        q = self.query_dense(query).transpose(0, 2, 1, 3) * (1.0 / math.sqrt(self.key_dim))  # (B, H, T, K)
        k = self.key_dense(key).transpose(0, 2, 3, 1)                                       # (B, H, K, S)
        v = self.value_dense(value).transpose(0, 2, 1, 3)                                   # (B, H, S, V)
        probs = masked_softmax(q @ k, mask)                                                 # (B, H, T, S)
        training = self.training if training is None else training
        used = probs
        if training and self.dropout > 0:
            used = dropout(probs, self.dropout, generator=self._generator())
        heads = (used @ v).transpose(0, 2, 1, 3)                                            # (B, T, H, V)
        out = self.output_dense(heads)
        if len(q_pos) > 1:
            out = out.reshape(batch, *q_pos, *out.shape[2:])
        if return_attention_scores:
            if len(q_pos) > 1 or len(kv_pos) > 1:
                probs = probs.reshape(batch, h, *q_pos, *kv_pos)
            return out, probs
        return out

    def _attention_mask(self, batch, q_pos, kv_pos, query_mask, value_mask, key_mask, attention_mask, causal):
        """The combined boolean mask, broadcastable to (B, 1, T, S), or None."""
        t, s = math.prod(q_pos), math.prod(kv_pos)
        mask = None
        if attention_mask is not None:
            mask = _as_mask(self, attention_mask)
            want = (batch, *q_pos, *kv_pos)
            if mask.ndim != len(want) or any(m not in (1, w) for m, w in zip(mask.shape, want)):
                if mask.ndim == len(want) - 1 and all(m in (1, w) for m, w in zip(mask.shape, want[1:])):
                    mask = mask[None]
                else:
                    raise ValueError(f"MultiHeadAttention '{self.name}': attention_mask of shape {mask.shape} "
                                     f"does not match (batch, query positions, key positions) = {want}")
            if len(q_pos) > 1 or len(kv_pos) > 1:
                xp = backend.get_array_module(mask)
                mask = xp.broadcast_to(mask, (mask.shape[0], *want[1:])).reshape(mask.shape[0], t, s)
        for m, axis, positions in ((query_mask, -1, q_pos), (value_mask, -2, kv_pos), (key_mask, -2, kv_pos)):
            if m is None:
                continue
            m = _as_mask(self, m)
            if m.shape != (batch, *positions):
                raise ValueError(f"MultiHeadAttention '{self.name}': an input mask of shape {m.shape} does not "
                                 f"match its input's positions {(batch, *positions)}")
            m = m.reshape(batch, -1)
            m = m[:, :, None] if axis == -1 else m[:, None, :]
            mask = m if mask is None else mask & m
        if causal:
            tri = causal_mask(t, s, self.device)[None]
            mask = tri if mask is None else mask & tri
        return None if mask is None else mask[:, None]

    def _generator(self):
        if self.seed is None:
            return None
        if self._generator_state is None:
            self._generator_state = np.random.default_rng(self.seed)
        return self._generator_state

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        """The query's shape with its last axis replaced by `output_shape`."""
        tail = self._output_shape or (query_shape[-1],)
        return (*tuple(query_shape)[:-1], *tail)

    def get_config(self):
        config = super().get_config()
        config.update(
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, dropout=self.dropout,
            use_bias=self.use_bias,
            output_shape=None if self._output_shape is None else list(self._output_shape),
            attention_axes=None if self.attention_axes is None else list(self.attention_axes),
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            activity_regularizer=regularizers.serialize(self._activity_regularizer),
            kernel_constraint=None, bias_constraint=None, seed=self.seed)
        return config


class Attention(Layer):
    """Dot-product attention (Luong style), Keras 3's `Attention`.

    Called on `[query, value]` or `[query, value, key]` of shapes (batch, Tq, dim) and
    (batch, Tv, dim): scores `query @ key^T` (times `scale` if `use_scale`), or with
    `score_mode='concat'` `concat_score_weight * sum(tanh(scale * (q + k)))`; returns
    `softmax(scores) @ value`, shape (batch, Tq, dim).

    Args:
        use_scale: learn a scalar `scale` multiplying the scores (initialised to 1).
        score_mode: 'dot' or 'concat'.
        dropout: dropout rate on the attention probabilities (training only).
        seed: seed for the dropout draws.

    Call arguments:
        inputs: [query, value] or [query, value, key].
        mask: [query_mask, value_mask] booleans of shapes (batch, Tq), (batch, Tv).
        return_attention_scores: also return the (batch, Tq, Tv) probabilities.
        use_causal_mask: position i of the query only attends to positions <= i.
    """

    _SCORE_MODES = ("dot", "concat")

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in self._SCORE_MODES:
            raise ValueError(f"{type(self).__name__} '{self.name}': score_mode must be one of "
                             f"{list(self._SCORE_MODES)}, got {score_mode!r}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = _check_rate(f"{type(self).__name__} '{self.name}'", dropout)
        self.seed = None if seed is None else int(seed)
        self._generator_state = None
        self.scale = self.concat_score_weight = None

    def _check_list(self, inputs, what="inputs", allow_none=False):
        if not isinstance(inputs, (list, tuple)) or not 2 <= len(inputs) <= 3:
            raise ValueError(f"{type(self).__name__} '{self.name}' must be called on a list [query, value] or "
                             f"[query, value, key]; got {what} {type(inputs).__name__}"
                             + (f" of length {len(inputs)}" if isinstance(inputs, (list, tuple)) else ""))

    def build(self, input_shape):
        """Creates `scale` (if use_scale) and `concat_score_weight` (score_mode='concat'), both scalars."""
        self._check_list(input_shape)
        if self.use_scale:
            self.scale = self.add_weight((), "ones", name="scale")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight((), "ones", name="concat_score_weight")
        self.built = True

    def _scores(self, q, k):
        if self.score_mode == "dot":
            scores = q @ k.transpose(0, 2, 1)
            return scores * self.scale if self.scale is not None else scores
        summed = ops.expand_dims(q, -2) + ops.expand_dims(k, -3)     # (B, Tq, Tv, dim)
        if self.scale is not None:
            summed = summed * self.scale
        return ops.tanh(summed).sum(axis=-1) * self.concat_score_weight

    def forward(self, inputs, mask=None, training=None, return_attention_scores=False, use_causal_mask=False):
        """softmax(scores(query, key)) @ value; see the class docstring."""
        self._check_list(inputs)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        if q.ndim != 3 or v.ndim != 3 or k.ndim != 3 or q.shape[-1] != k.shape[-1] or v.shape[:2] != k.shape[:2] \
                or q.shape[0] != v.shape[0]:
            raise ValueError(f"{type(self).__name__} '{self.name}' expects query (batch, Tq, dim), value "
                             f"(batch, Tv, dim_v), key (batch, Tv, dim), got shapes {q.shape}, {v.shape}, "
                             f"{k.shape}")
        if mask is not None:
            self._check_list(mask, "mask")
        q_mask = _as_mask(self, mask[0]) if mask is not None else None
        v_mask = _as_mask(self, mask[1]) if mask is not None else None
        scores_mask = None if v_mask is None else v_mask[:, None, :]
        if use_causal_mask:
            tri = causal_mask(q.shape[1], k.shape[1], self.device)[None]
            scores_mask = tri if scores_mask is None else scores_mask & tri
        probs = masked_softmax(self._scores(q, k), scores_mask, shift=True)
        training = self.training if training is None else training
        used = probs
        if training and self.dropout > 0:
            gen = None
            if self.seed is not None:
                if self._generator_state is None:
                    self._generator_state = np.random.default_rng(self.seed)
                gen = self._generator_state
            used = dropout(probs, self.dropout, generator=gen)
        out = used @ v
        if q_mask is not None:
            out = ops.where(q_mask[:, :, None], out, 0.0)
        return (out, probs) if return_attention_scores else out

    def compute_output_shape(self, input_shape):
        """(batch, Tq, value dim)."""
        return (*tuple(input_shape[0])[:-1], input_shape[1][-1])

    def get_config(self):
        config = super().get_config()
        config.update(use_scale=self.use_scale, score_mode=self.score_mode, dropout=self.dropout, seed=self.seed)
        return config


class AdditiveAttention(Attention):
    """Additive (Bahdanau-style) attention, Keras 3's `AdditiveAttention`.

    Scores are `sum(scale * tanh(query + key), axis=-1)` with a learnt vector `scale` of the
    feature size (if `use_scale`, the default); then as `Attention`.

    Args:
        use_scale: learn the per-feature `scale` (glorot-uniform initialised).
        dropout: dropout rate on the attention probabilities (training only).
        seed: seed for the dropout draws.
    """

    def __init__(self, use_scale=True, dropout=0.0, seed=None, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape):
        """Creates `scale` of shape (dim,) if use_scale."""
        self._check_list(input_shape)
        if self.use_scale:
            self.scale = self.add_weight((int(input_shape[0][-1]),), "glorot_uniform", name="scale")
        self.built = True

    def _scores(self, q, k):
        summed = ops.tanh(ops.expand_dims(q, -2) + ops.expand_dims(k, -3))   # (B, Tq, Tv, dim)
        if self.scale is not None:
            summed = summed * self.scale
        return summed.sum(axis=-1)

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config
