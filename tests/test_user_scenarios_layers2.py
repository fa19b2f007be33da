"""User-acceptance scenarios: the Keras guides' sequence, attention and conv-autoencoder models
built from this round's layers, end to end on 'cpu' and the CuPy-like 'fake' device."""
import numpy as np
import pytest

import kerasish as K
from kerasish.layers.base import clear_session
from kerasish.models import clone_model, model_from_json

L = K.layers
N, T, V = 24, 8, 30
_rng = np.random.default_rng(0)
XI = _rng.integers(1, V, (N, T))
YC = _rng.integers(0, 3, N)
XS = _rng.standard_normal((N, T, 4)).astype("float32")
XIMG = _rng.random((N, 12, 12, 1)).astype("float32")
XSEQ = _rng.random((N, 3, 8, 8, 1)).astype("float32")
SPARSE = "sparse_categorical_crossentropy"


def _text_cnn():
    return K.Sequential([K.Input((T,), dtype="int32"), L.Embedding(V, 8), L.Conv1D(8, 3, activation="relu"),
                         L.MaxPooling1D(2), L.GlobalMaxPooling1D(), L.Dense(3, activation="softmax")])


def _bidirectional():
    return K.Sequential([K.Input((T,), dtype="int32"), L.Embedding(V, 8),
                         L.Bidirectional(L.LSTM(6, return_sequences=True)), L.Bidirectional(L.GRU(4)),
                         L.Dense(3, activation="softmax")])


def _stacked_lstm():
    return K.Sequential([K.Input((T, 4)), L.LSTM(6, return_sequences=True), L.LSTM(4), L.Dense(1)])


def _seq2seq():
    enc, dec = K.Input((T, 4)), K.Input((T, 3))
    _, state = L.SimpleRNN(6, return_state=True)(enc)
    seq = L.SimpleRNN(6, return_sequences=True)(dec, initial_state=state)
    return K.Model([enc, dec], L.TimeDistributed(L.Dense(3, activation="softmax"))(seq))


def _transformer():
    inp = K.Input((T,), dtype="int32")
    x = L.Embedding(V, 8)(inp)
    att = L.MultiHeadAttention(num_heads=2, key_dim=4, dropout=0.1)(x, x, use_causal_mask=True)
    x = L.LayerNormalization()(L.Add()([x, att]))
    ffn = L.Dropout(0.1)(L.Dense(8)(L.Dense(16, activation="relu")(x)))
    x = L.GlobalAveragePooling1D()(L.LayerNormalization()(L.Add()([x, ffn])))
    return K.Model(inp, L.Dense(3, activation="softmax")(x))


def _two_input_attention():
    q, v = K.Input((T, 4)), K.Input((T, 4))
    dot = L.Flatten()(L.Dot(axes=(2, 2))([q, v]))
    x = L.Concatenate()([L.GlobalAveragePooling1D()(L.Attention()([q, v])),
                         L.GlobalAveragePooling1D()(L.AdditiveAttention()([q, v])), dot])
    return K.Model([q, v], L.Dense(3, activation="softmax")(x))


def _autoencoder():
    inp = K.Input((12, 12, 1))
    x = L.MaxPooling2D(2, padding="same")(L.Conv2D(4, 3, activation="relu", padding="same")(inp))   # 6
    x = L.MaxPooling2D(2, padding="same")(L.Conv2D(4, 3, activation="relu", padding="same")(x))     # 3
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same", activation="relu")(x)                    # 6
    x = L.Conv2D(1, 3, activation="sigmoid", padding="same")(L.UpSampling2D(2)(x))                  # 12
    x = L.Cropping2D(1)(L.ZeroPadding2D(1)(x))
    return K.Model(inp, x)


def _time_distributed_conv():
    return K.Sequential([K.Input((3, 8, 8, 1)), L.TimeDistributed(L.Conv2D(4, 3, activation="relu")),
                         L.TimeDistributed(L.MaxPooling2D(2)), L.TimeDistributed(L.Flatten()),
                         L.TimeDistributed(L.Dense(6)), L.LSTM(6), L.Dense(3, activation="softmax")])


def _repeat_decoder():
    return K.Sequential([K.Input((4,)), L.Dense(6, activation="relu"), L.RepeatVector(T),
                         L.LSTM(6, return_sequences=True), L.TimeDistributed(L.Dense(4))])


CASES = {
    "text_cnn": (_text_cnn, XI, YC, SPARSE),
    "bidirectional": (_bidirectional, XI, YC, SPARSE),
    "stacked_lstm": (_stacked_lstm, XS, XS[:, 0, :1], "mse"),
    "seq2seq": (_seq2seq, [XS, XS[..., :3]], _rng.integers(0, 3, (N, T)), SPARSE),
    "transformer": (_transformer, XI, YC, SPARSE),
    "two_input_attention": (_two_input_attention, [XS, XS[:, ::-1]], YC, SPARSE),
    "autoencoder": (_autoencoder, XIMG, XIMG, "mse"),
    "time_distributed_conv": (_time_distributed_conv, XSEQ, YC, SPARSE),
    "repeat_decoder": (_repeat_decoder, XS[:, 0], XS, "mse"),
}


def _on(model, device):
    if device != "cpu":
        model.set_device(device)
    return model


def _close(a, b, **kw):
    for p, q in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b]):
        np.testing.assert_allclose(np.asarray(p), np.asarray(q), **kw)


@pytest.mark.parametrize("device", ["cpu", "fake"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_guide_model_end_to_end(case, device, tmp_path):
    """build, summary, compile, fit (validation + callbacks), evaluate, predict, save/load both
    formats and continue training, save_weights/load_weights into a fresh build."""
    build, x, y, loss = CASES[case]
    model = _on(build(), device)
    lines = []
    model.summary(print_fn=lambda s, **_: lines.append(s))
    assert "Total params" in "\n".join(lines)
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"] if loss == SPARSE else ["mae"])
    history = model.fit(x, y, batch_size=8, epochs=2, validation_split=0.25, verbose=0,
                        callbacks=[K.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                                   K.callbacks.ReduceLROnPlateau(patience=1)])
    assert np.all(np.isfinite(history.history["val_loss"]))
    assert np.isfinite(model.evaluate(x, y, verbose=0)[0])
    pred = model.predict(x, verbose=0)
    for ext in (".keras", ".h5"):
        model.save(tmp_path / f"m{ext}")
        loaded = _on(K.load_model(tmp_path / f"m{ext}"), device)
        _close(loaded.predict(x, verbose=0), pred, rtol=1e-4, atol=1e-6)
        loaded.fit(x, y, batch_size=8, epochs=1, verbose=0)
    model.save_weights(tmp_path / "m.weights.h5")
    fresh = _on(build(), device)
    fresh.load_weights(tmp_path / "m.weights.h5")
    _close(fresh.predict(x, verbose=0), pred, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("device", ["cpu", "fake"])
@pytest.mark.parametrize("case", ["seq2seq", "transformer", "bidirectional"])
def test_clone_json_and_config_rebuild_same_function(case, device):
    build, x, y, loss = CASES[case]
    model = _on(build(), device)
    pred = model.predict(x, verbose=0)
    for copy in (clone_model(model), model_from_json(model.to_json()), type(model).from_config(model.get_config())):
        copy = _on(copy, device)
        copy.set_weights(model.get_weights())
        _close(copy.predict(x, verbose=0), pred, rtol=1e-5, atol=1e-6)
        copy.compile("adam", loss)
        copy.fit(x, y, epochs=1, verbose=0)


@pytest.mark.parametrize("device", ["cpu", "fake"])
def test_frozen_lstm_stays_put_and_stays_frozen_after_reload(device, tmp_path):
    model = _on(_stacked_lstm(), device)
    model.layers[0].trainable = False
    before = model.layers[0].get_weights()
    assert len(model.trainable_weights) == len(model.weights) - 3
    model.compile("adam", "mse")
    model.fit(XS, XS[:, 0, :1], epochs=2, verbose=0)
    for a, b in zip(before, model.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "f.keras")
    assert not K.load_model(tmp_path / "f.keras").layers[0].trainable


@pytest.mark.parametrize("device", ["cpu", "fake"])
@pytest.mark.parametrize("case", ["stacked_lstm", "transformer"])
def test_mixed_float16_lstm_and_attention_train(case, device, tmp_path):
    build, x, y, loss = CASES[case]
    K.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _on(build(), device)
        model.compile("adam", loss)
        history = model.fit(x, y, epochs=2, batch_size=8, verbose=0, validation_split=0.25)
        assert np.all(np.isfinite(history.history["loss"]))
        pred = model.predict(x, verbose=0)
        model.save(tmp_path / "mp.keras")
        loaded = _on(K.load_model(tmp_path / "mp.keras"), device)
        _close(np.asarray(loaded.predict(x, verbose=0), "float32"), np.asarray(pred, "float32"), atol=1e-2)
    finally:
        K.mixed_precision.set_global_policy("float32")


@pytest.mark.parametrize("layer", [L.LSTM, L.GRU, L.SimpleRNN])
def test_recurrent_layers_refuse_an_explicit_mask_instead_of_ignoring_it(layer):
    """Keras skips masked steps; kerasish would silently run them, so it must say so."""
    mask = np.arange(T)[None] < np.array([[3], [8]])
    with pytest.raises(NotImplementedError, match="mask"):
        layer(3)(K.Tensor(XS[:2]), mask=K.Tensor(mask))


@pytest.mark.parametrize("kwargs", [dict(use_scale=True), dict(score_mode="concat")])
def test_attention_with_scalar_weights_trains_with_adam(kwargs):
    q = K.Input((T, 4))
    model = K.Model(q, L.Attention(**kwargs)([q, q]))
    model.compile("adam", "mse")
    model.fit(XS, XS, epochs=1, verbose=0)


def test_generic_rnn_layer_over_a_cell():
    out = L.RNN(L.LSTMCell(3), return_sequences=True)(K.Tensor(XS[:2]))
    assert out.shape == (2, T, 3)
