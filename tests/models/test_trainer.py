"""The training loop: learning, return shapes, logs, modes, hooks, errors."""
import warnings

import numpy as np
import pytest

from kerasish import is_grad_enabled
from kerasish.callbacks import Callback, LambdaCallback
from kerasish.layers.base import Layer
from kerasish.layers.core import Dense, Flatten
from kerasish.metrics import RootMeanSquaredError
from kerasish.models.sequential import Sequential
from kerasish.models.trainer import Trainer
from kerasish.optimizers import SGD, Adam


# --- data with a known ceiling ---------------------------------------------------------------------
def blobs(n=600, classes=3, dim=8, spread=0.6, seed=0):
    """Gaussian blobs around orthogonal centres 3 apart: Bayes accuracy > 0.999."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * np.eye(dim)[:classes]
    y = rng.integers(0, classes, n)
    x = centres[y] + spread * rng.standard_normal((n, dim))
    return x.astype(np.float32), y


def bars(n=300, size=8, seed=0):
    """Images with one horizontal (class 0) or vertical (class 1) bright bar, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = 0.3 * rng.standard_normal((n, size, size, 1)).astype(np.float32)
    pos = rng.integers(1, size - 1, n)
    for cls in (0, 1):
        idx = np.nonzero(y == cls)[0]
        if cls == 0:
            x[idx, pos[idx], :, 0] += 2.0
        else:
            x[idx, :, pos[idx], 0] += 2.0
    return x, y


def mlp(classes=3, activation="softmax"):
    return Sequential([Dense(32, activation="relu"), Dense(classes, activation=activation)])


class Recorder(Callback):
    """Records every hook call as (hook, index-or-None, sorted log keys)."""

    def __init__(self):
        super().__init__()
        self.calls = []

    def _rec(self, name, index=None, logs=None):
        assert isinstance(logs, dict), f"{name} got logs={logs!r}"
        self.calls.append((name, index, tuple(sorted(logs))))


for _hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin",
              "on_predict_end"):
    setattr(Recorder, _hook, (lambda h: lambda self, logs=None: self._rec(h, None, logs))(_hook))
for _hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin", "on_train_batch_end",
              "on_test_batch_begin", "on_test_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
    setattr(Recorder, _hook, (lambda h: lambda self, i, logs=None: self._rec(h, i, logs))(_hook))


# --- learning ---------------------------------------------------------------------------------------
def test_mlp_learns_blobs_keras_style():
    x, y = blobs()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=8, validation_split=0.2, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in history.history.values())
    assert history.epoch == list(range(8))
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] >= 0.95
    loss, acc = model.evaluate(x, y, verbose=0)
    assert acc >= 0.95 and loss < 0.3
    assert model.history is history


def test_convnet_learns_bars():
    from kerasish.layers.conv import Conv2D
    from kerasish.layers.pooling import MaxPooling2D
    x, y = bars()
    model = Sequential([Conv2D(4, 3, activation="relu", padding="same"), MaxPooling2D(2), Flatten(),
                        Dense(2, activation="softmax")])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x[:240], y[:240], batch_size=32, epochs=6, verbose=0)
    _, acc = model.evaluate(x[240:], y[240:], verbose=0)
    assert acc >= 0.9


def test_seed_loss_and_seed_style_layers_train():
    from kerasish.losses import CrossEntropy
    x, y = blobs(300)
    model = Sequential([Dense(8, 16), Dense(16, 3)])  # logits out
    model.compile(optimizer=SGD(lr=0.1, momentum=0.9), loss=CrossEntropy(), metrics=["accuracy"])
    history = model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    assert history.history["accuracy"][-1] >= 0.95


def test_plain_function_loss_and_metric():
    def my_mse(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype=np.float32)
    model = Sequential([Dense(1)])
    model.compile(optimizer=SGD(lr=0.1), loss=my_mse, metrics=["mae"])
    history = model.fit(x, y, epochs=20, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.01
    assert "mae" in history.history


# --- return shapes and semantics ------------------------------------------------------------------
def test_evaluate_and_predict_return_keras_shapes():
    x, y = blobs(100)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=1, verbose=0)
    out = model.evaluate(x, y, verbose=0)
    assert isinstance(out, list) and len(out) == 2 and all(isinstance(v, float) for v in out)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy"] == model.metrics_names
    assert logs["loss"] == pytest.approx(out[0])
    probs = model.predict(x, batch_size=16, verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (100, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)
    assert isinstance(model.train_on_batch(x[:10], y[:10]), float)
    assert isinstance(model.test_on_batch(x[:10], y[:10]), float)
    assert model.predict_on_batch(x[:10]).shape == (10, 3)


def test_on_batch_methods_with_metrics():
    x, y = blobs(64)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["acc"])
    out = model.train_on_batch(x, y)
    assert isinstance(out, list) and len(out) == 2
    logs = model.test_on_batch(x, y, return_dict=True)
    assert set(logs) == {"loss", "acc"}
    np.testing.assert_allclose(model.predict_on_batch(x), model.predict(x, verbose=0), rtol=1e-6)


def test_epoch_loss_is_sample_weighted_mean_including_partial_batch():
    x, y = blobs(100)  # batch 32: last batch has 4 samples
    model = mlp()
    model.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    batch_losses = []
    cb = LambdaCallback(on_train_batch_end=lambda b, logs: batch_losses.append(logs["loss"]))
    history = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0, callbacks=[cb])
    assert len(batch_losses) == 4
    full = model.evaluate(x, y, batch_size=100, verbose=0, return_dict=True)
    # with lr=0 the weights never change, so the epoch's running mean is the exact mean
    assert history.history["loss"][0] == pytest.approx(full["loss"], rel=1e-5)
    assert history.history["accuracy"][0] == pytest.approx(full["accuracy"], rel=1e-6)
    assert batch_losses[-1] == pytest.approx(full["loss"], rel=1e-5)
    per = [model.evaluate(x[i:i + 32], y[i:i + 32], verbose=0)[0] for i in range(0, 100, 32)]
    assert batch_losses[1] == pytest.approx((per[0] + per[1]) / 2, rel=1e-5)


def test_validation_split_takes_the_tail_before_shuffling():
    x, y = blobs(100)
    model = mlp()
    model.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x[80:], y[80:], verbose=0), rel=1e-5)
    assert history.history["loss"][0] == pytest.approx(model.evaluate(x[:80], y[:80], verbose=0), rel=1e-5)


def test_validation_split_warns_about_classes_missing_from_training():
    x, _ = blobs(100)
    y = np.repeat([0, 1, 2], [40, 40, 20])  # sorted by class: the last 20% is class 2 only
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match=r"classes \[2\] that never occur in the training part"):
        model.fit(x, y, validation_split=0.2, epochs=1, verbose=0)
    onehot = np.eye(3, dtype=np.float32)[y]
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.warns(UserWarning, match=r"classes \[2\]"):
        model.fit(x, onehot, validation_split=0.2, epochs=1, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, onehot, validation_split=0.1, epochs=1, verbose=0)


def test_validation_data_and_freq():
    x, y = blobs(120)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:90], y[:90], validation_data=(x[90:], y[90:]), epochs=4, validation_freq=2,
                        verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_sample_weight_and_class_weight():
    x, y = blobs(90)
    model = mlp()
    model.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    keep = y != 0
    w = keep.astype(np.float32)
    # 'sum_over_batch_size': weighted sum divided by the batch size
    weighted = model.evaluate(x, y, sample_weight=w, batch_size=90, verbose=0)
    only = model.evaluate(x[keep], y[keep], batch_size=90, verbose=0)
    assert weighted == pytest.approx(only * keep.sum() / len(y), rel=1e-5)
    h = model.fit(x, y, class_weight={0: 0.0, 1: 1.0, 2: 1.0}, batch_size=90, epochs=1, shuffle=False, verbose=0)
    assert h.history["loss"][0] == pytest.approx(weighted, rel=1e-5)


def test_regularization_losses_are_added():
    x, y = blobs(60)
    plain = mlp()
    plain.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    base = plain.evaluate(x, y, verbose=0)
    reg = Sequential([Dense(32, activation="relu", kernel_regularizer="l2"), Dense(3, activation="softmax")])
    reg.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    reg(x[:1])
    reg.set_weights(plain.get_weights())
    penalty = sum(float(p.item()) for p in reg.losses)
    assert penalty > 0
    assert reg.evaluate(x, y, verbose=0) == pytest.approx(base + penalty, rel=1e-5)


def test_multi_output_functional_model_losses_weights_and_metrics():
    from kerasish.layers.input import Input
    from kerasish.layers.merge import Concatenate
    from kerasish.models.model import Model
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((120, 3)).astype(np.float32), rng.standard_normal((120, 2)).astype(np.float32)
    cls = (xa[:, 0] + xb[:, 0] > 0).astype(np.int64)
    reg = (xa.sum(1, keepdims=True) - xb.sum(1, keepdims=True)).astype(np.float32)
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = Dense(16, activation="relu")(Concatenate()([a, b]))
    model = Model([a, b], [Dense(2, activation="softmax", name="cls")(h), Dense(1, name="reg")(h)])
    model.compile(optimizer="adam", loss={"cls": "sparse_categorical_crossentropy", "reg": "mse"},
                  loss_weights={"cls": 1.0, "reg": 0.5}, metrics={"cls": ["accuracy"]})
    history = model.fit([xa, xb], {"cls": cls, "reg": reg}, epochs=3, batch_size=32, validation_split=0.25,
                        verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy",
                                    "val_loss", "val_cls_loss", "val_reg_loss", "val_cls_accuracy"}
    logs = model.evaluate([xa, xb], [cls, reg], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + logs["reg_loss"], rel=1e-4)
    out = model.predict([xa, xb], verbose=0)
    assert isinstance(out, list) and out[0].shape == (120, 2) and out[1].shape == (120, 1)
    assert model.evaluate({"a": xa, "b": xb}, [cls, reg], verbose=0)[0] == pytest.approx(logs["loss"], rel=1e-5)


# --- modes, gradients, devices ------------------------------------------------------------------------
class ModeProbe(Layer):
    """Records (training flag, grad enabled) at each forward."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, is_grad_enabled()))
        return x


def test_modes_no_grad_and_restore():
    x, y = blobs(40)
    probe = ModeProbe()
    model = Sequential([Dense(3), probe])
    model.compile(optimizer="sgd", loss="mse")
    yy = np.eye(3, dtype=np.float32)[y]
    model.fit(x, yy, batch_size=20, epochs=1, validation_data=(x, yy), verbose=0)
    # fit builds the model from the data's shapes first (one inference call on zeros)
    assert probe.seen == [(False, False)] + [(True, True)] * 2 + [(False, False)] * 2
    for start_mode in (True, False):
        model.train(start_mode)
        probe.seen.clear()
        model.evaluate(x, yy, batch_size=40, verbose=0)
        model.predict(x, batch_size=40, verbose=0)
        assert probe.seen == [(False, False)] * 2
        assert model.training is start_mode
        model.fit(x, yy, batch_size=40, epochs=1, verbose=0)
        assert model.training is start_mode


def test_zero_grad_inside_train_step_no_accumulation():
    x, y = blobs(32)
    model = mlp()
    model.compile(optimizer=SGD(lr=0.0), loss="sparse_categorical_crossentropy")
    model.train_on_batch(x, y)
    first = [p.grad.copy() for p in model.parameters]
    model.train_on_batch(x, y)
    for g1, p in zip(first, model.parameters):
        np.testing.assert_allclose(p.grad, g1, rtol=1e-6)


def test_optimizer_gets_parameters_lazily():
    x, y = blobs(64)
    model = mlp()
    opt = Adam(learning_rate=1e-3)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")
    assert not model.built and opt.params == []
    model.fit(x, y, epochs=1, verbose=0)
    assert [id(p) for p in opt.params] == [id(p) for p in model.parameters] and len(opt.params) == 4


def test_fit_moves_batches_to_the_model_device():
    x, y = blobs(64)
    model = Sequential([Dense(16, activation="relu"), Dense(3)], device="fake")
    model.compile(optimizer="adam", loss="mse")
    yy = np.eye(3, dtype=np.float32)[y]
    history = model.fit(x, yy, batch_size=16, epochs=2, validation_split=0.25, verbose=0)
    assert np.isfinite(history.history["val_loss"]).all()
    assert model.parameters[0].device == "fake"
    assert isinstance(model.predict(x, verbose=0), np.ndarray)


def test_trainer_mixin_on_a_bare_layer_subclass():
    class TinyModel(Trainer, Layer):
        def build(self, input_shape):
            self.kernel = self.add_weight((input_shape[-1], 1), initializer="zeros", name="kernel")

        def forward(self, x):
            return x @ self.kernel

    rng = np.random.default_rng(0)
    x = rng.standard_normal((128, 3)).astype(np.float32)
    y = x @ np.array([[2.0], [-1.0], [0.5]], dtype=np.float32)
    model = TinyModel()
    model.compile(optimizer=SGD(lr=0.1), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 1e-3
    np.testing.assert_allclose(model.kernel.numpy().ravel(), [2.0, -1.0, 0.5], atol=0.02)


def test_custom_train_step_override():
    class Custom(Sequential):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred)
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            return {"my_loss": float(loss.item())}

    x, y = blobs(64)
    for data in ((x, y), (((x[i:i + 16], y[i:i + 16]) for i in range(0, 64, 16)),)):
        model = Custom([Dense(3, activation="softmax")])
        model.compile(optimizer=SGD(lr=0.5), loss="sparse_categorical_crossentropy")
        history = model.fit(*data, epochs=1 if len(data) == 1 else 3, verbose=0)
        assert set(history.history) == {"my_loss"}
        # the optimizer got the parameters before the first custom step
        assert len(model.optimizer.params) == 2 and model.optimizer.iterations > 0


# --- hooks and stop_training ----------------------------------------------------------------------------
def test_callback_hook_order_and_counts():
    x, y = blobs(50)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rec = Recorder()
    model.fit(x[:40], y[:40], batch_size=20, epochs=2, validation_data=(x[40:], y[40:]), callbacks=[rec],
              verbose=0)
    names = [c[0] for c in rec.calls]
    epoch = (["on_epoch_begin"] + ["on_train_batch_begin", "on_train_batch_end"] * 2 + ["on_test_begin"]
             + ["on_test_batch_begin", "on_test_batch_end"] + ["on_test_end", "on_epoch_end"])
    assert names == ["on_train_begin"] + epoch * 2 + ["on_train_end"]
    assert [c[1] for c in rec.calls if c[0] == "on_train_batch_end"] == [0, 1, 0, 1]
    assert [c[1] for c in rec.calls if c[0] == "on_epoch_end"] == [0, 1]
    end = [c for c in rec.calls if c[0] == "on_epoch_end"][0]
    assert end[2] == ("accuracy", "loss", "val_accuracy", "val_loss")
    assert rec.params == {"epochs": 2, "steps": 2, "verbose": 0}
    assert rec.model is model
    rec.calls.clear()
    model.evaluate(x, y, batch_size=25, callbacks=[rec], verbose=0)
    assert [c[0] for c in rec.calls] == ["on_test_begin"] + ["on_test_batch_begin", "on_test_batch_end"] * 2 \
        + ["on_test_end"]
    rec.calls.clear()
    model.predict(x, batch_size=50, callbacks=[rec], verbose=0)
    assert [c[0] for c in rec.calls] == ["on_predict_begin", "on_predict_batch_begin", "on_predict_batch_end",
                                         "on_predict_end"]


def test_stop_training_checked_after_each_batch_and_epoch():
    x, y = blobs(100)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    seen = []

    def stop(batch, logs):
        seen.append(batch)
        if batch == 1:
            model.stop_training = True

    history = model.fit(x, y, batch_size=10, epochs=5, verbose=0,
                        callbacks=[LambdaCallback(on_train_batch_end=stop)])
    assert seen == [0, 1] and len(history.history["loss"]) == 1

    def stop_epoch(epoch, logs):
        model.stop_training = epoch == 1

    history = model.fit(x, y, batch_size=50, epochs=5, verbose=0,
                        callbacks=[LambdaCallback(on_epoch_end=stop_epoch)])
    assert history.epoch == [0, 1]


def test_initial_epoch():
    x, y = blobs(40)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert history.epoch == [2, 3]


# --- bad input ------------------------------------------------------------------------------------------
def test_fit_before_compile():
    x, y = blobs(10)
    with pytest.raises(RuntimeError, match=r"call compile\(\) before fit\(\)"):
        mlp().fit(x, y, verbose=0)
    with pytest.raises(RuntimeError, match=r"compile\(\) before evaluate"):
        mlp().evaluate(x, y, verbose=0)


def test_length_mismatch_names_both_lengths():
    x, y = blobs(10)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"x has 10.*y has 9"):
        model.fit(x, y[:9], verbose=0)


def test_unknown_loss_metric_optimizer_names():
    model = mlp()
    with pytest.raises(ValueError, match="Unknown loss 'msee'.*mse"):
        model.compile(optimizer="adam", loss="msee")
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'.*accuracy"):
        model.compile(optimizer="adam", loss="mse", metrics=["acuracy"])
    with pytest.raises(ValueError, match="Unknown optimizer 'adamm'"):
        model.compile(optimizer="adamm", loss="mse")
    with pytest.raises(TypeError, match=r"metrics=\['accuracy'\]"):
        model.compile(optimizer="adam", loss="mse", metrics="accuracy")


def test_labels_out_of_range_message_reaches_user():
    x, y = blobs(40)
    y = y.copy()
    y[5] = 7
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match=r"labels must be integers in \[0, 2\].*to 7"):
        model.fit(x, y, verbose=1)


def test_wrong_number_of_inputs():
    from kerasish.layers.input import Input
    from kerasish.layers.merge import Concatenate
    from kerasish.models.model import Model
    a, b = Input(shape=(3,)), Input(shape=(2,))
    model = Model([a, b], Dense(1)(Concatenate()([a, b])))
    model.compile(optimizer="adam", loss="mse")
    x = np.zeros((8, 3), np.float32)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) but got a single array"):
        model.fit(x, np.zeros((8, 1)), verbose=0)
    with pytest.raises(ValueError, match=r"expects 2 input\(s\) but got 3 arrays"):
        model.predict([x, x, x], verbose=0)


def test_y_structure_must_match_outputs():
    x, y = blobs(20)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="single output"):
        model.fit(x, [y, y], verbose=0)


def test_validation_split_with_generator_raises():
    x, y = blobs(20)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    gen = ((x[i:i + 5], y[i:i + 5]) for i in range(0, 20, 5))
    with pytest.raises(ValueError, match="validation_split is only supported for arrays.*validation_data"):
        model.fit(gen, validation_split=0.2, verbose=0)


def test_bad_arguments():
    x, y = blobs(20)
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=0, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(x, y, validation_split=1.5, verbose=0)
    with pytest.raises(ValueError, match="validation_data"):
        model.fit(x, y, validation_data=(x,), verbose=0)
    with pytest.raises(ValueError, match="steps_per_epoch"):
        model.fit(x, y, steps_per_epoch=0, verbose=0)


# --- review round: syncs, compile forms ---------------------------------------------------------------
def _count_device_reads(monkeypatch):
    """Counts device -> host reads (float/int/bool/.item()/asnumpy) of 'fake' arrays."""
    import fake_device
    from fake_device import FakeArray
    calls = []
    for name in ("__float__", "__int__", "__bool__", "get"):
        fn = FakeArray.__dict__[name]
        monkeypatch.setattr(FakeArray, name, lambda *a, _fn=fn, **k: calls.append(1) or _fn(*a, **k))
    getattr_ = FakeArray.__dict__["__getattr__"]
    monkeypatch.setattr(FakeArray, "__getattr__", lambda self, name: (
        (lambda *a, **k: calls.append(1) or self._a.item(*a, **k)) if name == "item" else getattr_(self, name)))
    asnumpy = fake_device.fake_numpy.asnumpy
    monkeypatch.setattr(fake_device.fake_numpy, "asnumpy", lambda x: calls.append(1) or asnumpy(x))
    return calls


def test_multi_output_losses_read_the_device_once_per_batch(monkeypatch):
    from kerasish.layers.input import Input
    from kerasish.models.model import Model
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    ys = [rng.standard_normal((64, 1)).astype(np.float32) for _ in range(3)]
    inp = Input(shape=(4,))
    model = Model(inp, [Dense(1, name=f"o{i}")(inp) for i in range(3)])
    model.set_device("fake")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, ys, batch_size=16, verbose=0)                  # builds everything
    calls = _count_device_reads(monkeypatch)
    history = model.fit(x, ys, batch_size=16, epochs=1, verbose=0)
    assert len(calls) == 4                                       # 4 batches: one read each for 4 losses
    logs = {k: v[0] for k, v in history.history.items()}
    assert logs["loss"] == pytest.approx(logs["o0_loss"] + logs["o1_loss"] + logs["o2_loss"], rel=1e-5)


def test_losses_and_metric_states_are_read_together_once_per_batch(monkeypatch):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 4)).astype(np.float32)
    y = (x[:, :2] * [1.0, -1.0] + 0.1).astype(np.float32)
    model = Sequential([Dense(2)], device="fake")
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse", RootMeanSquaredError()])
    model.fit(x, y, batch_size=16, verbose=0)                   # builds everything
    calls = _count_device_reads(monkeypatch)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert len(calls) == 4                                       # 4 batches: one read each, 1 loss + 3 metrics
    logs = {k: v[0] for k, v in history.history.items()}
    assert logs["loss"] == pytest.approx(logs["mse"], rel=1e-6)
    assert logs["root_mean_squared_error"] == pytest.approx(logs["mse"] ** 0.5, rel=0.2)


def test_multi_output_compile_with_lists_of_losses_and_of_metrics():
    from kerasish.layers.input import Input
    from kerasish.models.model import Model
    rng = np.random.default_rng(0)
    x = rng.standard_normal((96, 4)).astype(np.float32)
    cls, reg = (x[:, 0] > 0).astype(np.int64), x[:, 1:2] * 2.0
    inp = Input(shape=(4,))
    h = Dense(16, activation="relu")(inp)
    model = Model(inp, [Dense(2, activation="softmax", name="cls")(h), Dense(1, name="reg")(h)])
    model.compile(optimizer="adam", loss=["sparse_categorical_crossentropy", "mse"], loss_weights=[1.0, 2.0],
                  metrics=[["accuracy"], ["mae"]])
    history = model.fit(x, [cls, reg], epochs=2, batch_size=32, verbose=0)
    assert set(history.history) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_mae"}
    logs = model.evaluate(x, [cls, reg], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(logs["cls_loss"] + logs["reg_loss"], rel=1e-4)
    raw_mse = float(((model.predict(x, verbose=0)[1] - reg) ** 2).mean())
    assert logs["reg_loss"] == pytest.approx(2.0 * raw_mse, rel=1e-4)   # logged weighted, as Keras 3
    with pytest.raises(ValueError, match="2 outputs"):
        model.compile(optimizer="adam", loss=["mse"] * 3)
        model.fit(x, [cls, reg], verbose=0)


def test_custom_loss_as_a_loss_subclass():
    from kerasish.losses import Loss

    class ScaledMSE(Loss):
        def __init__(self, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.scale = scale

        def call(self, y_true, y_pred):
            return ((y_pred - y_true) ** 2).mean(axis=-1) * self.scale

    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 4)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype=np.float32)
    model = Sequential([Dense(1)])
    model.compile(optimizer=SGD(lr=0.05), loss=ScaledMSE(scale=2.0), metrics=[ScaledMSE(name="smse")])
    history = model.fit(x, y, epochs=20, batch_size=20, verbose=0)
    assert history.history["loss"][-1] < 0.01
    loss, smse = model.evaluate(x, y, verbose=0)
    assert loss == pytest.approx(smse, rel=1e-5)
    assert loss == pytest.approx(2.0 * float(((model.predict(x, verbose=0) - y) ** 2).mean()), rel=1e-4)
