"""MultiHeadAttention, Attention and AdditiveAttention: Keras parity, gradients, masks, devices,
the functional API with two inputs, training, saving."""
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor
from kerasish.layers.attention import AdditiveAttention, Attention, MultiHeadAttention
from kerasish.utils import check_grad, set_random_seed

R = np.random.default_rng(0)


def _normal(*shape, dtype="float32"):
    return R.standard_normal(shape).astype(dtype)


@pytest.fixture(scope="module")
def keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def _weights_of(layer):
    """(owner layer, weight name) of every trainable weight, sub-layers included."""
    return [(m, n) for m in layer.modules() for n in m._weights if n in m._trainable_names]


def check_multi_input_grad(layer, inputs, call, **kwargs):
    """check_grad of `call(layer, *inputs)` w.r.t. the inputs and every weight (sub-layers too)."""
    slots = _weights_of(layer)
    originals = [m._weights[n] for m, n in slots]

    def put(values):
        for (m, n), w in zip(slots, values):
            old = m._weights[n]
            m._weights[n] = w
            for key, v in list(vars(m).items()):
                if v is old:
                    object.__setattr__(m, key, w)

    def fn(*args):
        xs, ws = args[:len(inputs)], args[len(inputs):]
        put(ws)
        try:
            return call(layer, *xs)
        finally:
            put(originals)

    return check_grad(fn, *inputs, *originals, **kwargs)


# --- Keras parity ------------------------------------------------------------------------------
MHA_CASES = [
    (dict(num_heads=2, key_dim=4), dict()),
    (dict(num_heads=3, key_dim=2, value_dim=5, output_shape=6, use_bias=False), dict(use_causal_mask=True)),
    (dict(num_heads=2, key_dim=3), dict(mask=True, use_causal_mask=True)),
]


@pytest.mark.parametrize("cfg,call", MHA_CASES)
def test_multi_head_attention_matches_keras_with_copied_weights(keras, cfg, call):
    q, v, k = _normal(2, 5, 8), _normal(2, 6, 7), _normal(2, 6, 4)
    call = dict(call)
    if call.pop("mask", False):
        call["attention_mask"] = R.random((2, 5, 6)) > 0.3
        call["attention_mask"][1, 0] = False  # a row attending nowhere: zeros (Keras's explicit path)
    ref = keras.layers.MultiHeadAttention(**cfg)
    ref_out, ref_scores = ref(q, v, key=k, return_attention_scores=True, **call)
    ours = MultiHeadAttention(**cfg)
    ours(q, v, key=k)
    assert [w.shape for w in ours.weights] == [tuple(w.shape) for w in ref.weights]
    ours.set_weights([w.numpy() for w in ref.weights])
    out, scores = ours(q, v, key=k, return_attention_scores=True, **call)
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(scores.numpy(), ref_scores.detach().numpy(), atol=1e-6)
    if "attention_mask" in call:  # Keras's fused path gives a uniform row there instead: avoid it
        call["attention_mask"][:, :, 0] = True
        out = ours(q, v, key=k, **call)
        assert np.all(scores.numpy()[1, :, 0] == 0)
    fused = ref(q, v, key=k, **call)  # Keras's other code path (no scores returned)
    np.testing.assert_allclose(ours(q, v, key=k, **call).numpy(), fused.detach().numpy(), atol=1e-5)
    assert ours.count_params() == ref.count_params()


def test_multi_head_attention_weight_layout_and_config_match_keras(keras):
    ref = keras.layers.MultiHeadAttention(2, 4, value_dim=3)
    ref(_normal(1, 5, 8), _normal(1, 6, 8))
    ours = MultiHeadAttention(2, 4, value_dim=3)
    ours(_normal(1, 5, 8), _normal(1, 6, 8))
    assert [w.shape for w in ours.weights] == [(8, 2, 4), (2, 4), (8, 2, 4), (2, 4), (8, 2, 3), (2, 3),
                                               (2, 3, 8), (8,)]
    keras_config = ref.get_config()
    for key, value in ours.get_config().items():
        if key in ("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "output_shape", "seed"):
            assert keras_config[key] == value, key
    clone = MultiHeadAttention.from_config({k: v for k, v in keras_config.items() if k != "dtype"})
    assert clone.attention_axes == (1,)


@pytest.mark.parametrize("cls_name,cfg", [("Attention", dict(use_scale=True)),
                                          ("Attention", dict(score_mode="concat", use_scale=True)),
                                          ("Attention", dict()),
                                          ("AdditiveAttention", dict())])
def test_attention_layers_match_keras_with_masks(keras, cls_name, cfg):
    q, v, k = _normal(2, 5, 4), _normal(2, 6, 3), _normal(2, 6, 4)
    masks = [np.array([[1, 1, 1, 0, 0], [1] * 5], bool), np.array([[1, 1, 0, 1, 1, 1], [1] * 5 + [0]], bool)]
    ref = getattr(keras.layers, cls_name)(**cfg)
    ours = {"Attention": Attention, "AdditiveAttention": AdditiveAttention}[cls_name](**cfg)
    ref([q, v, k])
    ours([q, v, k])
    weights = [_normal(*w.shape) for w in ref.weights]
    ref.set_weights(weights)
    ours.set_weights(weights)
    for causal in (False, True):
        r_out, r_sc = ref([q, v, k], mask=masks, return_attention_scores=True, use_causal_mask=causal)
        out, sc = ours([q, v, k], mask=masks, return_attention_scores=True, use_causal_mask=causal)
        np.testing.assert_allclose(out.numpy(), r_out.detach().numpy(), atol=1e-5)
        np.testing.assert_allclose(sc.numpy(), r_sc.detach().numpy(), atol=1e-6)
    assert ours.get_config() | {"dtype": None, "name": None} == \
        {k: v for k, v in ref.get_config().items()} | {"dtype": None, "name": None}


# --- gradients ------------------------------------------------------------------------------------
@pytest.mark.parametrize("cfg,call", [
    (dict(num_heads=2, key_dim=3), dict()),
    (dict(num_heads=2, key_dim=2, value_dim=3, output_shape=(2, 2)), dict(use_causal_mask=True)),
])
def test_multi_head_attention_gradients(cfg, call):
    layer = MultiHeadAttention(dtype="float64", **cfg)
    q, v, k = _normal(2, 4, 5, dtype="float64"), _normal(2, 3, 5, dtype="float64"), _normal(2, 3, 4,
                                                                                                dtype="float64")
    mask = np.array([[[1, 1, 0]] * 4, [[1, 0, 1]] * 4], bool)
    layer(q, v, key=k)
    check_multi_input_grad(layer, [q, v, k],
                           lambda m, a, b, c: m(a, b, key=c, attention_mask=mask, **call))


def test_multi_head_attention_gradients_over_two_attention_axes():
    layer = MultiHeadAttention(2, 2, dtype="float64")
    q, v = _normal(2, 2, 3, 4, dtype="float64"), _normal(2, 2, 2, 4, dtype="float64")
    out, scores = layer(q, v, return_attention_scores=True)
    assert out.shape == (2, 2, 3, 4) and scores.shape == (2, 2, 2, 3, 2, 2)
    check_multi_input_grad(layer, [q, v], lambda m, a, b: m(a, b))


@pytest.mark.parametrize("cls,cfg", [(Attention, dict(use_scale=True)),
                                     (Attention, dict(score_mode="concat", use_scale=True)),
                                     (AdditiveAttention, dict())])
def test_attention_layer_gradients(cls, cfg):
    layer = cls(dtype="float64", **cfg)
    q, v = _normal(2, 3, 4, dtype="float64"), _normal(2, 5, 4, dtype="float64")
    layer([q, v])
    vmask = np.array([[1, 1, 1, 0, 1], [1, 1, 1, 1, 1]], bool)
    check_multi_input_grad(layer, [q, v], lambda m, a, b: m([a, b], mask=[None, vmask], use_causal_mask=True))


# --- behaviour ---------------------------------------------------------------------------------
def test_causal_mask_blocks_the_future_and_dropout_only_in_training():
    set_random_seed(0)
    layer = MultiHeadAttention(2, 4, dropout=0.5)
    x = _normal(3, 6, 8)
    _, scores = layer(x, x, use_causal_mask=True, return_attention_scores=True, training=False)
    s = scores.numpy()
    assert np.all(s[..., np.triu_indices(6, 1)[0], np.triu_indices(6, 1)[1]] == 0)
    np.testing.assert_allclose(s.sum(-1), 1, rtol=1e-6)
    a = layer(x, x, training=False).numpy()
    np.testing.assert_array_equal(a, layer(x, x, training=False).numpy())
    assert not np.allclose(layer(x, x, training=True).numpy(), a)
    later = layer(x[:, :3], x[:, :3], use_causal_mask=True, training=False).numpy()
    full = layer(x, x, use_causal_mask=True, training=False).numpy()
    np.testing.assert_allclose(full[:, :3], later, atol=1e-6)  # the future does not leak back


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="attention_axes"):
        MultiHeadAttention(2, 4, attention_axes=2)(_normal(1, 3, 4, 5), _normal(1, 3, 4, 5))
    with pytest.raises(ValueError, match="value is missing"):
        MultiHeadAttention(2, 4)(_normal(1, 3, 4))
    with pytest.raises(ValueError, match="same rank"):
        MultiHeadAttention(2, 4)(_normal(1, 3, 4), _normal(3, 4))
    mha = MultiHeadAttention(2, 4)
    mha(_normal(1, 3, 4), _normal(1, 3, 4))
    with pytest.raises(ValueError, match="was built for query"):
        mha(_normal(1, 3, 5), _normal(1, 3, 4))
    with pytest.raises(ValueError, match="attention_mask of shape"):
        mha(_normal(1, 3, 4), _normal(1, 3, 4), attention_mask=np.ones((1, 2, 3), bool))
    with pytest.raises(ValueError, match="num_heads must be a positive integer"):
        MultiHeadAttention(0, 4)
    with pytest.raises(ValueError, match="dropout must be"):
        MultiHeadAttention(2, 4, dropout=1.5)
    with pytest.raises(ValueError, match=r"score_mode must be one of \['dot', 'concat'\]"):
        Attention(score_mode="general")
    with pytest.raises(ValueError, match=r"list \[query, value\]"):
        Attention()(_normal(1, 3, 4))
    with pytest.raises(ValueError, match="expects query"):
        Attention()([_normal(1, 3, 4), _normal(1, 3, 5), _normal(1, 3, 4, 1)])


def test_forward_backward_and_fit_on_the_fake_device():
    from fake_device import FakeArray
    from kerasish.layers.input import Input
    from kerasish.models import Model
    x = _normal(4, 5, 6, dtype="float64")
    outs = []
    for device in ("cpu", "fake"):
        set_random_seed(0)
        layer = MultiHeadAttention(2, 3, dtype="float64", device=device)
        t = Tensor(x, dtype="float64", device=device, requires_grad=True)
        y = layer(t, t, use_causal_mask=True, attention_mask=np.ones((4, 5, 5), bool))
        (y * y).sum().backward()
        outs.append((y, t.grad, [w.grad for w in layer.weights]))
        att = Attention(use_scale=True, device=device, dtype="float64")
        (att([t, t], use_causal_mask=True) ** 2).sum().backward()
    assert isinstance(outs[1][0].data, FakeArray)
    np.testing.assert_allclose(outs[1][0].numpy(), outs[0][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(outs[1][1]), outs[0][1], rtol=1e-9)
    for a, b in zip(outs[0][2], outs[1][2]):
        np.testing.assert_allclose(K.backend.to_numpy(b), a, rtol=1e-9, atol=1e-12)
    inp = Input((5, 6))
    model = Model(inp, _pool(MultiHeadAttention(2, 3)(inp, inp)))
    model.set_device("fake")
    model.compile(optimizer="adam", loss="mse")
    model.fit(x.astype("float32"), np.zeros((4, 6), "float32"), epochs=1, verbose=0)


def _pool(t):
    from kerasish.layers.pooling1d import GlobalAveragePooling1D
    return GlobalAveragePooling1D()(t)


def _encoder_model(seq_len=8, vocab=6, dim=16):
    from kerasish.layers.core import Dense, Dropout
    from kerasish.layers.embedding import Embedding
    from kerasish.layers.input import Input
    from kerasish.layers.merge import Add
    from kerasish.layers.normalization import LayerNormalization
    from kerasish.models import Model
    tokens = Input((seq_len,), dtype="int64")
    mask = Input((seq_len, seq_len), dtype="bool")
    x = Embedding(vocab, dim)(tokens)
    att = MultiHeadAttention(num_heads=2, key_dim=8, dropout=0.1)(x, x, attention_mask=mask)
    x = LayerNormalization()(Add()([x, Dropout(0.1)(att)]))
    ff = Dense(dim)(Dense(32, activation="relu")(x))
    x = LayerNormalization()(Add()([x, ff]))
    out = Dense(2, activation="softmax")(_pool(x))
    return Model([tokens, mask], out)


def _toy_data(n, seq_len=8, vocab=6):
    # label: token 1 appears more often than token 2
    rng = np.random.default_rng(1)
    tokens = rng.integers(0, vocab, size=(n, seq_len))
    labels = ((tokens == 1).sum(1) > (tokens == 2).sum(1)).astype("int64")
    return tokens, np.ones((n, seq_len, seq_len), bool), labels


def test_transformer_encoder_block_trains_with_fit_and_saves(tmp_path):
    set_random_seed(0)
    model = _encoder_model()
    tokens, mask, labels = _toy_data(1200)
    model.compile(optimizer=K.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit([tokens, mask], labels, epochs=12, batch_size=64, verbose=0)
    t_test, m_test, y_test = _toy_data(400)
    t_test, y_test = t_test[::-1].copy(), y_test[::-1].copy()
    acc = model.evaluate([t_test, m_test], y_test, verbose=0, return_dict=True)["accuracy"]
    assert acc > 0.9
    expected = model.predict([t_test[:16], m_test[:16]], verbose=0)
    for name in ("m.keras", "m.h5"):
        model.save(str(tmp_path / name))
        loaded = K.models.load_model(str(tmp_path / name))
        np.testing.assert_allclose(loaded.predict([t_test[:16], m_test[:16]], verbose=0), expected, atol=1e-5)
    assert any(isinstance(layer, MultiHeadAttention) for layer in loaded.layers)


def test_causal_self_attention_model_and_summary_params_match_keras(keras):
    from kerasish.layers.input import Input
    from kerasish.models import Model
    inp = Input((7, 12))
    out = MultiHeadAttention(3, 4, value_dim=5)(inp, inp, use_causal_mask=True)
    model = Model(inp, out)
    k_inp = keras.Input((7, 12))
    k_model = keras.Model(k_inp, keras.layers.MultiHeadAttention(3, 4, value_dim=5)(k_inp, k_inp,
                                                                                   use_causal_mask=True))
    assert model.count_params() == k_model.count_params()
    model.set_weights([w.numpy() for w in k_model.weights])
    x = _normal(2, 7, 12)
    np.testing.assert_allclose(model.predict(x, verbose=0), k_model.predict(x, verbose=0), atol=1e-5)


def test_keras_weight_files_load_into_the_same_model(keras, tmp_path):
    from kerasish.layers.input import Input
    from kerasish.models import Model
    from kerasish.saving.weights_io import load_weights
    q_in, v_in = keras.Input((5, 8)), keras.Input((6, 4))
    k_model = keras.Model([q_in, v_in], keras.layers.MultiHeadAttention(2, 3)(q_in, v_in))
    q, v = Input((5, 8)), Input((6, 4))
    model = Model([q, v], MultiHeadAttention(2, 3)(q, v))
    xq, xv = _normal(2, 5, 8), _normal(2, 6, 4)
    expected = k_model.predict([xq, xv], verbose=0)
    for name in ("k.weights.h5", "k.h5"):
        path = str(tmp_path / name)
        k_model.save_weights(path) if name.endswith(".weights.h5") else k_model.save(path)
        load_weights(model, path)
        np.testing.assert_allclose(model.predict([xq, xv], verbose=0), expected, atol=1e-5)
        model.set_weights([np.zeros_like(w) for w in model.get_weights()])


def test_configs_round_trip_through_json():
    for layer in (MultiHeadAttention(2, 4, value_dim=3, dropout=0.1, output_shape=5, seed=3, name="m"),
                  Attention(use_scale=True, score_mode="concat", dropout=0.2), AdditiveAttention(use_scale=False)):
        config = json.loads(json.dumps(layer.get_config()))
        assert type(layer).from_config(config).get_config() == layer.get_config()
