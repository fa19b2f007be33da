"""Direct unit tests of modules otherwise exercised only through the public API."""
import h5py
import numpy as np
import pytest

import kerasish as K
from kerasish.callbacks.lr_scheduler import LearningRateScheduler
from kerasish.metrics.confusion import AUC, Precision, Recall
from kerasish.metrics.probabilistic import BinaryCrossentropy, KLDivergence
from kerasish.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
from kerasish.models.cloning import clone_model
from kerasish.models.compile_utils import RunningMean
from kerasish.saving.h5_weights import is_legacy_group, write_weights_group
from kerasish.utils.data_utils import to_categorical
from kerasish.utils.gradcheck import check_grad


def test_confusion_metrics_count_thresholded_predictions():
    y_true, y_pred = [0, 1, 1, 0, 1], [0.2, 0.9, 0.4, 0.7, 0.8]
    p, r = Precision(), Recall()
    p.update_state(y_true, y_pred)
    r.update_state(y_true, y_pred)
    assert p.result() == pytest.approx(2 / 3) and r.result() == pytest.approx(2 / 3)
    auc = AUC(num_thresholds=1000)
    auc.update_state(y_true, y_pred)
    assert auc.result() == pytest.approx(5 / 6, abs=1e-2)  # 5 of 6 positive/negative pairs ordered


def test_probabilistic_metrics_average_the_loss_over_samples():
    m = BinaryCrossentropy()
    m.update_state([[1.0], [0.0]], [[0.9], [0.2]])
    assert m.result() == pytest.approx(-(np.log(0.9) + np.log(0.8)) / 2, rel=1e-5)
    kl = KLDivergence()
    kl.update_state([[0.5, 0.5]], [[0.5, 0.5]])
    assert kl.result() == pytest.approx(0.0, abs=1e-6)


def test_running_mean_weights_by_sample_count():
    mean = RunningMean("loss")
    mean.update_state(1.0, 3)
    mean.update_state(K.Tensor(3.0), 1)
    assert mean.result() == pytest.approx(1.5)
    mean.reset_state()
    assert mean.result() == 0.0


def test_lr_scheduler_sets_the_rate_each_epoch():
    model = K.Sequential([K.Input(shape=(2,)), K.Dense(1)])
    model.compile(optimizer=K.SGD(learning_rate=0.1), loss="mse")
    seen = []
    cb = LearningRateScheduler(lambda epoch, lr: 0.1 / (epoch + 1))
    record = K.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(model.optimizer.learning_rate))
    model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=3, verbose=0, callbacks=[cb, record])
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3])


def test_loss_scale_optimizer_module_wraps_an_optimizer():
    w = K.Tensor([1.0], requires_grad=True)
    opt = LossScaleOptimizer(K.SGD([w], lr=0.5), initial_scale=8.0)
    opt.scale_loss(w * 2).sum().backward()
    assert opt.step()
    np.testing.assert_allclose(w.numpy(), [0.0])


def test_clone_model_copies_architecture_not_weights():
    model = K.Sequential([K.Input(shape=(3,)), K.Dense(4), K.Dense(2)])
    clone = clone_model(model)
    assert [type(l) for l in clone.layers] == [type(l) for l in model.layers]
    assert [w.shape for w in clone.weights] == [w.shape for w in model.weights]
    assert clone.layers[0].kernel is not model.layers[0].kernel


def test_h5_weights_writes_the_legacy_layout(tmp_path):
    model = K.Sequential([K.Input(shape=(3,)), K.Dense(2, name="d")])
    with h5py.File(tmp_path / "w.h5", "w") as f:
        write_weights_group(f, model)
        assert is_legacy_group(f)
        names = [n.decode() if isinstance(n, bytes) else n for n in f["d"].attrs["weight_names"]]
        assert names == ["d/kernel:0", "d/bias:0"]
        np.testing.assert_array_equal(f["d"]["d/kernel:0"][()], model.layers[0].kernel.numpy())


def test_data_utils_to_categorical_and_gradcheck_module():
    np.testing.assert_array_equal(to_categorical([1, 0], 2), [[0, 1], [1, 0]])
    assert check_grad(lambda x: (x * x).sum(), np.array([1.0, -2.0])) < 1e-6


def test_recurrent_scan_activations_on_raw_arrays_match_the_ops():
    from kerasish import activations
    from kerasish.layers.recurrent_scan import Act
    a = np.linspace(-6, 6, 25).reshape(5, 5)
    for fn in (activations.tanh, activations.sigmoid, activations.relu):
        np.testing.assert_allclose(Act(fn)(a), fn(K.Tensor(a, dtype="float64")).numpy(), rtol=1e-15)
    # an activation without a closed-form derivative goes through autograd
    selu, g = Act(activations.selu), np.ones_like(a)
    t = K.Tensor(a, dtype="float64", requires_grad=True)
    activations.selu(t).backward(g)
    np.testing.assert_allclose(selu.grad(g, selu(a), a), t.grad)


def test_lstm_scan_gradients_and_reverse_order():
    from kerasish import activations
    from kerasish.layers.recurrent_scan import LSTMScan
    rng = np.random.default_rng(0)
    x = K.Tensor(rng.standard_normal((2, 4, 8)), dtype="float64", requires_grad=True)
    u = K.Tensor(rng.standard_normal((2, 8)) * 0.5, dtype="float64", requires_grad=True)
    h0 = K.Tensor(rng.standard_normal((2, 2)), dtype="float64", requires_grad=True)
    c0 = K.Tensor(rng.standard_normal((2, 2)), dtype="float64", requires_grad=True)
    for reverse in (False, True):
        def scan(x, u, h0, c0, reverse=reverse):
            return LSTMScan.apply(x, u, h0, c0, activation=activations.tanh,
                                  recurrent_activation=activations.sigmoid, reverse=reverse)
        assert scan(x, u, h0, c0).shape == (2, 4, 4)  # [h, c] per step
        check_grad(scan, x, u, h0, c0)
    forward = LSTMScan.apply(x[:, ::-1], u, h0, c0, activation=activations.tanh,
                             recurrent_activation=activations.sigmoid)
    backward = LSTMScan.apply(x, u, h0, c0, activation=activations.tanh,
                              recurrent_activation=activations.sigmoid, reverse=True)
    np.testing.assert_allclose(forward.numpy(), backward.numpy())  # processing order


def test_recurrent_cell_step_equals_one_step_of_its_layer():
    from kerasish.layers.recurrent_cells import GRUCell, LSTMCell, SimpleRNNCell
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 1, 4)).astype("float32")
    for cell_cls, layer_cls, n_states in ((SimpleRNNCell, K.SimpleRNN, 1), (LSTMCell, K.LSTM, 2),
                                          (GRUCell, K.GRU, 1)):
        layer = layer_cls(5, return_state=True)
        expected = layer(x)
        cell = cell_cls(5)
        cell.build((None, 4))
        cell.set_weights(layer.get_weights())
        states = [np.zeros((3, 5), "float32")] * n_states
        out, new = cell(K.Tensor(x[:, 0]), states)
        assert cell.state_size == [5] * n_states and len(new) == n_states
        np.testing.assert_allclose(out.numpy(), expected[0].numpy(), atol=1e-6)
        for ours, theirs in zip(new, expected[1:]):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="units must be a positive integer"):
        LSTMCell(0)


def test_h5_keras_config_writes_keras_names_and_reads_them_back():
    from kerasish.saving import h5_keras_config
    training = {"optimizer_config": {"class_name": "Adam", "config": {"learning_rate": 0.01, "decay": 0}},
                "loss": {"out": "mse", "aux": "sparse_categorical_crossentropy"}, "metrics": ["mae"]}
    keras_form = h5_keras_config.training_config(training)
    assert keras_form["optimizer_config"]["module"] == "keras.optimizers"
    assert "decay" not in keras_form["optimizer_config"]["config"]  # Keras 3 warns on any decay
    assert keras_form["loss"] == {"out": "mean_squared_error", "aux": "sparse_categorical_crossentropy"}
    assert keras_form["loss_weights"] is None
    back = h5_keras_config.kerasish_training_config(keras_form)
    assert "module" not in back["optimizer_config"]
    model = K.Sequential([K.Dense(3)])
    model.build((None, 4))
    from kerasish.saving.serialization import serialize_layer
    config = h5_keras_config.model_config(serialize_layer(model), [None, 4])
    first, dense = config["config"]["layers"]
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert first["class_name"] == "InputLayer" and first["config"]["batch_shape"] == [None, 4]
    assert dense["module"] == "keras.layers" and dense["config"]["units"] == 3
