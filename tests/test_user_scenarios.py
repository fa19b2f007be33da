"""User-acceptance scenarios: Keras and PyTorch scripts ported to kerasish, as their users write them."""
import numpy as np
import pytest

import kerasish as keras
from kerasish import Tensor, layers, ops


def _data(n=64, d=5, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, d)).astype("float32"), rng.integers(0, classes, n)


def test_custom_metric_with_variable_arithmetic_as_in_keras_docs():
    """Keras's Metric docs: `self.v.assign(self.v + ops.sum(values))` and `return self.a / self.b`."""
    class HitRate(keras.metrics.Metric):
        def __init__(self, name="hit_rate", **kw):
            super().__init__(name=name, **kw)
            self.hits = self.add_variable(shape=(), initializer="zeros", name="hits")
            self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            pred = ops.argmax(y_pred, axis=-1)
            hit = ops.astype(pred == ops.astype(ops.reshape(y_true, (-1,)), pred.dtype), "float32")
            self.hits.assign(self.hits + ops.sum(hit))
            self.seen.assign(self.seen + hit.shape[0])

        def result(self):
            return self.hits / self.seen

    x, y = _data()
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=[HitRate(), "accuracy"])
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert logs["hit_rate"] == pytest.approx(logs["accuracy"])
    m = HitRate()
    m.update_state(np.array([0, 1]), np.array([[1.0, 0.0], [1.0, 0.0]]))
    assert float(m.result()) == 0.5
    assert float(2 - m.hits) == 1.0 and float(-m.seen) == -2.0 and float(m.hits * 3) == 3.0


@pytest.mark.parametrize("make", [lambda: keras.optimizers.Adam(1e-3), lambda: keras.optimizers.SGD(0.05),
                                  lambda: keras.optimizers.RMSprop(1e-3)])
def test_optimizer_learning_rate_as_first_positional_argument(make):
    """Keras scripts write `Adam(1e-3)`: a number where the parameter list goes is the learning rate."""
    opt = make()
    assert opt.params == []
    x, y = _data()
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile(opt, "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=1, verbose=0)
    assert opt.iterations == 2 and opt.learning_rate == make().learning_rate


def test_optimizer_schedule_positional_and_conflicting_learning_rates():
    sched = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert keras.optimizers.SGD(sched).lr_is_schedule
    with pytest.raises(ValueError, match="learning rate"):
        keras.optimizers.Adam(1e-3, learning_rate=1e-2)
    with pytest.raises(ValueError, match="momentum=0.9"):
        keras.optimizers.SGD(0.1, 0.9)    # Keras's SGD(lr, momentum) order is not this one
    with pytest.raises(TypeError):
        keras.optimizers.Adam(True)


def test_sequential_given_several_inputs_names_the_problem():
    x, y = _data()
    model = keras.Sequential([keras.Input((5,)), layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(ValueError, match="expects 1 input, but it received 2"):
        model.fit([x, x], y, verbose=0)
    assert model.predict([x], verbose=0).shape == (64, 3)   # a list of one is the input itself


def test_load_model_on_missing_file_does_not_call_it_a_weights_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="No such file") as info:
        keras.load_model(tmp_path / "missing.h5")
    assert "weights" not in str(info.value)


def test_pytorch_style_parameters_call():
    """`optimizer = SGD(model.parameters(), lr=...)` as a PyTorch user writes it."""
    model = keras.Sequential([layers.Dense(4, 8), layers.ReLU(), layers.Dense(8, 2)])
    assert model.parameters() == model.parameters and len(model.parameters()) == 4
    opt = keras.SGD(model.parameters(), lr=0.1)
    x = Tensor(np.random.default_rng(0).standard_normal((8, 4)))
    before = model.parameters[0].numpy().copy()
    loss = keras.CrossEntropy()(model(x), Tensor(np.arange(8) % 2))
    opt.zero_grad()
    loss.backward()
    opt.step()
    assert not np.array_equal(before, model.parameters[0].numpy())


def test_add_loss_in_call_joins_the_training_loss_for_that_pass_only():
    """Keras's `self.add_loss(...)` inside `call`: in `model.losses` and in fit's loss, one pass at a time."""
    class ActivityPenalty(layers.Layer):
        def call(self, x):
            self.add_loss(10.0 * ops.mean(x * x))
            return x

    x, _ = _data(32, 4)
    y = np.zeros((32, 1), dtype="float32")
    inp = keras.Input((4,))
    out = layers.Dense(1, kernel_initializer="ones")(ActivityPenalty()(layers.Dense(3, kernel_initializer="ones")(inp)))
    model = keras.Model(inp, out)
    model.compile("sgd", "mse")
    pred = model(x)
    assert len(model.losses) == 1
    hidden = x @ np.ones((4, 3), dtype="float32")
    assert model.losses[0].item() == pytest.approx(10 * np.mean(hidden ** 2), rel=1e-5)
    mse = float(np.mean(pred.numpy() ** 2))
    assert model.evaluate(x, y, batch_size=32, verbose=0) == pytest.approx(mse + model.losses[0].item(), rel=1e-5)
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert len(model.losses) == 1                     # not one per batch
    model(x[:2])
    assert model.losses[0].item() == pytest.approx(
        10 * np.mean((x[:2] @ model.layers[1].get_weights()[0] + model.layers[1].get_weights()[1]) ** 2), rel=1e-4)


def test_checkpoint_on_max_metric_reports_improvement_from_minus_inf(tmp_path, capsys):
    x, y = _data(40, 5, classes=2)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    ckpt = keras.ModelCheckpoint(str(tmp_path / "best.weights.h5"), monitor="val_accuracy", mode="max",
                                 save_best_only=True, save_weights_only=True, verbose=1)
    model.fit(x, y, epochs=1, validation_split=0.25, callbacks=[ckpt], verbose=0)
    out = capsys.readouterr().out
    assert "val_accuracy improved from -inf to" in out and (tmp_path / "best.weights.h5").exists()


def test_utils_clear_session_resets_layer_names():
    layers.Dense(2)
    keras.utils.clear_session()
    assert layers.Dense(2).name == "dense"


def _regression(n=64):
    x = np.random.default_rng(1).standard_normal((n, 3)).astype("float32")
    return x, x @ np.array([[1.0], [2.0], [3.0]], dtype="float32")


def test_keras3_torch_backend_custom_train_step():
    """Keras 3's 'customizing fit' guide (torch backend) ported as is."""
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            trainable_weights = [v for v in self.trainable_weights]
            gradients = [v.grad for v in trainable_weights]
            with keras.no_grad():
                self.optimizer.apply(gradients, trainable_weights)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
                else:
                    metric.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _regression()
    inp = keras.Input((3,))
    model = CustomModel(inp, layers.Dense(1)(inp))
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=4, verbose=0).history
    assert history["loss"][-1] < history["loss"][0] and set(history) == {"loss", "mae"}


def test_keras2_custom_train_step_with_compiled_loss_and_metrics():
    """tf.keras's custom train_step: compiled_loss, compiled_metrics, trainable_variables, apply_gradients."""
    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compiled_loss(y, y_pred, regularization_losses=self.losses)
            self.optimizer.zero_grad()
            loss.backward()
            trainable_vars = self.trainable_variables
            self.optimizer.apply_gradients(zip([v.grad for v in trainable_vars], trainable_vars))
            self.compiled_metrics.update_state(y, y_pred)
            return {m.name: m.result() for m in self.metrics}

    x, y = _regression()
    inp = keras.Input((3,))
    model = CustomModel(inp, layers.Dense(1, kernel_regularizer="l2")(inp))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, batch_size=64, verbose=0, validation_data=(x, y)).history
    assert history["loss"][-1] < history["loss"][0]
    assert history["loss"][0] > 0 and history["mae"][0] > 0     # the loss tracker saw compiled_loss
    assert model.variables == model.weights and model.non_trainable_variables == []


def test_optimizer_apply_checks_lengths():
    w = Tensor(np.ones(3, dtype="float32"), requires_grad=True)
    opt = keras.SGD([w], lr=0.5)
    opt.apply([np.ones(3, dtype="float32")])
    np.testing.assert_allclose(w.numpy(), 0.5)
    with pytest.raises(ValueError, match="2 gradients for 1"):
        opt.apply([np.ones(3), np.ones(3)])


def test_sequential_one_feature_regression_on_1d_x():
    """The beginner's `y = 2x + 1` script: x of shape (N,) into Dense(1, input_shape=(1,)), as Keras allows."""
    keras.utils.set_random_seed(0)
    x = np.arange(20, dtype="float32") / 10
    model = keras.Sequential([layers.Dense(1, input_shape=(1,))])
    model.compile(keras.optimizers.SGD(learning_rate=0.1), "mse")
    history = model.fit(x, 2 * x + 1, epochs=40, verbose=0).history
    assert history["loss"][-1] < 0.01
    assert model.predict(np.array([1.0]), verbose=0).shape == (1, 1)
    assert model.predict(x, verbose=0).shape == (20, 1)


def test_functional_dict_input_missing_key_is_named():
    a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
    model = keras.Model({"a": a, "b": b}, layers.Dense(1)(layers.Concatenate()([a, b])))
    model.compile("adam", "mse")
    with pytest.raises(ValueError, match=r"missing \['b'\]"):
        model.fit({"a": np.zeros((4, 3))}, np.zeros(4), verbose=0)


@pytest.mark.parametrize("functional", [False, True])
def test_clone_model_has_fresh_weights_of_the_same_shapes(functional):
    x, _ = _data(6, 4)
    if functional:
        inp = keras.Input((4,))
        model = keras.Model(inp, layers.Dense(2)(layers.Dense(3, activation="relu")(inp)))
    else:
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(2)])
    clone = keras.models.clone_model(model)
    assert type(clone) is type(model) and clone is not model
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    assert not np.array_equal(clone.get_weights()[0], model.get_weights()[0])
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(TypeError, match="expects a Model"):
        keras.models.clone_model("model")


def test_labels_as_list_of_numpy_scalars_and_string_labels():
    x, y = _data(20, 4, classes=2)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert len(model.fit(x, list(y), verbose=0).history["loss"]) == 1      # list(np_array): numpy scalars
    assert model.evaluate(x, list(y), verbose=0, return_dict=True)["accuracy"] >= 0
    with pytest.raises(ValueError, match="class labels must be integers"):
        model.fit(x, np.array(["cat", "dog"] * 10), verbose=0)


def test_text_classifier_embedding_global_average_pooling1d(tmp_path):
    """Keras's text-classification tutorial shape: Embedding -> GlobalAveragePooling1D -> Dense."""
    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).integers(1, 50, (64, 12))
    y = (x[:, 0] > 25).astype("float32")
    model = keras.Sequential([keras.Input((12,)), layers.Embedding(50, 8), layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    assert model.output_shape == (None, 1) and model.layers[1].name.startswith("global_average_pooling1d")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    model.save(tmp_path / "text.h5")
    np.testing.assert_array_equal(keras.load_model(tmp_path / "text.h5").predict(x, verbose=0),
                                  model.predict(x, verbose=0))


@pytest.mark.parametrize("cls", [layers.GlobalAveragePooling1D, layers.GlobalMaxPooling1D])
def test_global_pooling1d_shapes_and_gradients(cls):
    x = np.random.default_rng(2).standard_normal((2, 5, 3))
    assert cls()(x).shape == (2, 3)
    assert cls(keepdims=True)(x).shape == (2, 1, 3)
    assert cls(data_format="channels_first")(x).shape == (2, 5)
    assert cls().compute_output_shape((None, 7, 3)) == (None, 3)
    layer = cls(dtype="float64")
    keras.check_grad(lambda t: layer(t), Tensor(x, dtype="float64", requires_grad=True))
    with pytest.raises(ValueError, match="expected input of shape"):
        cls()(np.ones((2, 3)))
    clone = cls.from_config(cls(keepdims=True).get_config())
    assert type(clone) is cls and clone.keepdims


@pytest.mark.parametrize("how", ["fit", "build", "call"])
def test_subclassed_model_build_calling_super_build(how):
    """A Keras 3 subclass whose build() adds a weight and then calls super().build(input_shape)."""
    class Scaled(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def build(self, input_shape):
            self.scale = self.add_weight(shape=(2,), initializer="ones", name="scale")
            super().build(input_shape)

        def call(self, x):
            return self.dense(x) * self.scale

    x, _ = _data(16, 5)
    model = Scaled()
    if how == "fit":
        model.compile("adam", "mse")
        model.fit(x, np.zeros((16, 2)), verbose=0)
    elif how == "build":
        model.build((None, 5))
    else:
        model(x)
    assert model.built and len(model.trainable_weights) == 3 and model.count_params() == 14


def test_softmax_over_a_single_unit_warns():
    """Dense(1, activation='softmax') always outputs 1: warn, naming the fixes (as Keras 3 does)."""
    with pytest.warns(UserWarning, match="always 1.*sigmoid"):
        model = keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="softmax")])
        model.compile("adam", "binary_crossentropy")
        model.fit(np.ones((8, 4)), np.ones(8), verbose=0)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Softmax()(np.ones((1, 3)))            # a batch of one is fine
        layers.Dense(2, activation="softmax")(np.ones((5, 4)))


def test_model_checkpoint_refuses_unsavable_names_before_training(tmp_path):
    """Keras 3 scripts write ModelCheckpoint('best.keras'): fail at once, not after an epoch of training."""
    keras.ModelCheckpoint(str(tmp_path / "best.keras"), save_best_only=True)  # Keras 3's zip format
    with pytest.raises(ValueError, match=r"must end in '\.keras' or '\.h5'"):
        keras.ModelCheckpoint(str(tmp_path / "best.pt"), save_best_only=True)
    with pytest.raises(ValueError, match="must end in '.weights.h5'"):
        keras.ModelCheckpoint(str(tmp_path / "ckpt"), save_weights_only=True)
    keras.ModelCheckpoint(str(tmp_path / "m-{epoch:02d}.h5"))
    keras.ModelCheckpoint(str(tmp_path / "w-{epoch:02d}.weights.h5"), save_weights_only=True)
