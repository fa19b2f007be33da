"""Bidirectional and TimeDistributed: Keras 3 numerics, gradients, configs, saving, errors."""
import json
import os

import numpy as np
import pytest

import kerasish as K
from kerasish import Tensor, ops
from kerasish.layers.core import Dense
from kerasish.layers.recurrent import GRU, LSTM, SimpleRNN
from kerasish.layers.wrappers import Bidirectional, TimeDistributed
from kerasish.utils import check_grad

R = np.random.default_rng(5)


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    pytest.importorskip("torch")
    return pytest.importorskip("keras")


def _flat(out):
    out = out if isinstance(out, (list, tuple)) else [out]
    return [o.numpy() for o in out]


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("inner", ["LSTM_seq", "GRU_state", "SimpleRNN_seq_state"])
def test_matches_keras(merge_mode, inner):
    keras = _keras()
    name, *flags = inner.split("_")
    kwargs = {"return_sequences": "seq" in flags, "return_state": "state" in flags}
    x = R.standard_normal((3, 6, 4)).astype("float32")
    theirs = keras.layers.Bidirectional(getattr(keras.layers, name)(5, **kwargs), merge_mode=merge_mode)
    theirs(x)
    ours = Bidirectional({"LSTM": LSTM, "GRU": GRU, "SimpleRNN": SimpleRNN}[name](5, **kwargs),
                         merge_mode=merge_mode)
    ours(x)
    weights = [keras.ops.convert_to_numpy(w) + R.uniform(-0.2, 0.2, tuple(w.shape)).astype("float32")
               for w in theirs.weights]
    ours.set_weights(weights)
    theirs.set_weights(weights)
    want = theirs(x)
    want = [keras.ops.convert_to_numpy(w) for w in (want if isinstance(want, (list, tuple)) else [want])]
    got = _flat(ours(x))
    assert len(got) == len(want)
    for a, b in zip(want, got):
        np.testing.assert_allclose(b, a, atol=1e-5)
    shape = ours.compute_output_shape(x.shape)
    shapes = [shape] if isinstance(shape[0], int) else list(shape)
    assert [tuple(s) for s in shapes] == [g.shape for g in got]


def test_names_layout_and_config_round_trip():
    layer = Bidirectional(LSTM(3, return_sequences=True, name="enc"), merge_mode="sum", name="bi")
    assert layer.forward_layer.name == "forward_enc" and layer.backward_layer.name == "backward_enc"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    x = R.standard_normal((2, 4, 2)).astype("float32")
    y = layer(x)
    config = json.loads(json.dumps(layer.get_config()))
    clone = Bidirectional.from_config(config)
    assert clone.get_config() == layer.get_config()
    assert clone.forward_layer.name == "forward_enc" and clone.backward_layer.name == "backward_enc"
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x).numpy(), y.numpy())
    assert layer.count_params() == 2 * (2 * 12 + 3 * 12 + 12)


def test_keras_config_loads():
    keras = _keras()
    config = keras.layers.Bidirectional(keras.layers.GRU(2), merge_mode="ave").get_config()
    from kerasish.saving import keras_config, serialization
    layer = serialization.deserialize_layer(keras_config.convert({"class_name": "Bidirectional",
                                                                  "config": config}))
    assert isinstance(layer.forward_layer, GRU) and layer.merge_mode == "ave"
    assert layer.forward_layer.name.startswith("forward_gru") and layer.backward_layer.go_backwards


def test_gradients_float64():
    K.utils.set_random_seed(2)
    for merge_mode in ("concat", "mul"):
        layer = Bidirectional(GRU(2, return_sequences=True, return_state=True, dtype="float64"),
                              merge_mode=merge_mode, dtype="float64")
        x = Tensor(R.standard_normal((2, 3, 2)), dtype="float64")
        layer(x)
        cells = [layer.forward_layer.cell, layer.backward_layer.cell]
        slots = [(c, n) for c in cells for n in c._weights]
        originals = [c._weights[n] for c, n in slots]

        def fn(xt, *ws):
            for (c, n), w in zip(slots, ws):
                c._weights[n] = w
                object.__setattr__(c, n, w)
            try:
                out = layer(xt)
            finally:
                for (c, n), w in zip(slots, originals):
                    c._weights[n] = w
                    object.__setattr__(c, n, w)
            return ops.concatenate([ops.reshape(o, (o.shape[0], -1)) for o in out], axis=1)

        assert check_grad(fn, x, *originals) < 1e-6


def test_time_distributed_dense_matches_keras_and_grads():
    keras = _keras()
    x = R.standard_normal((2, 5, 3)).astype("float32")
    theirs = keras.layers.TimeDistributed(keras.layers.Dense(4))
    theirs(x)
    ours = TimeDistributed(Dense(4))
    y = ours(x)
    assert y.shape == (2, 5, 4) == ours.compute_output_shape(x.shape)
    ours.set_weights([keras.ops.convert_to_numpy(w) for w in theirs.weights])
    np.testing.assert_allclose(ours(x).numpy(), keras.ops.convert_to_numpy(theirs(x)), atol=1e-5)
    td = TimeDistributed(Dense(2, dtype="float64"), dtype="float64")
    xt = Tensor(R.standard_normal((2, 3, 3)), dtype="float64")
    td(xt)
    dense = td.layer

    def fn(xx, k, b):
        dense._weights["kernel"], dense._weights["bias"] = k, b
        object.__setattr__(dense, "kernel", k)
        object.__setattr__(dense, "bias", b)
        return td(xx)

    assert check_grad(fn, xt, dense.kernel, dense.bias) < 1e-6
    clone = TimeDistributed.from_config(json.loads(json.dumps(ours.get_config())))
    assert clone.get_config() == ours.get_config()


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="merge_mode must be one of"):
        Bidirectional(LSTM(2), merge_mode="max")
    with pytest.raises(ValueError, match="needs a recurrent layer|needs a Layer"):
        Bidirectional(Dense(2))
    with pytest.raises(ValueError, match="go_backwards must differ"):
        Bidirectional(LSTM(2), backward_layer=LSTM(2))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, time, features\)"):
        Bidirectional(GRU(2))(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"TimeDistributed\) expected input of shape \(batch, time, \.\.\.\)"):
        TimeDistributed(Dense(2))(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="TimeDistributed needs a Layer"):
        TimeDistributed("dense")


def test_custom_backward_layer_and_fake_device():
    from fake_device import FakeArray
    layer = Bidirectional(LSTM(2, return_sequences=True), backward_layer=GRU(2, return_sequences=True,
                                                                              go_backwards=True))
    assert layer(np.zeros((1, 3, 2), np.float32)).shape == (1, 3, 4)
    outs = {}
    for device in ("cpu", "fake"):
        K.utils.set_random_seed(0)
        bi = Bidirectional(GRU(2, return_sequences=True), dtype="float64", device=device)
        td = TimeDistributed(Dense(1, dtype="float64", device=device), dtype="float64", device=device)
        x = Tensor(np.random.default_rng(0).standard_normal((2, 3, 2)), dtype="float64", device=device,
                   requires_grad=True)
        y = td(bi(x))
        y.sum().backward()
        outs[device] = (y, x.grad)
    assert isinstance(outs["fake"][0].data, FakeArray)
    np.testing.assert_allclose(outs["fake"][0].numpy(), outs["cpu"][0].numpy(), rtol=1e-10)
    np.testing.assert_allclose(K.backend.to_numpy(outs["fake"][1]), outs["cpu"][1], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("suffix", [".keras", ".h5"])
def test_save_and_load_with_time_distributed(tmp_path, suffix):
    from kerasish.layers.input import Input
    from kerasish.models.sequential import Sequential
    from kerasish.saving.model_io import load_model
    model = Sequential([Input((4, 3)), Bidirectional(SimpleRNN(2, return_sequences=True)),
                        TimeDistributed(Dense(2))])
    x = R.standard_normal((2, 4, 3)).astype("float32")
    model.save(str(tmp_path / f"m{suffix}"))
    np.testing.assert_allclose(load_model(str(tmp_path / f"m{suffix}"))(x).numpy(), model(x).numpy(), atol=1e-6)
