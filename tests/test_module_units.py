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
