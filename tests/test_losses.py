"""Losses: gradients (float64 check_grad), values, reductions, stability, errors, lookup."""
import math

import numpy as np
import pytest

from kerasish import losses as L
from kerasish.tensor import Tensor
from kerasish.utils import check_grad

RNG = np.random.default_rng(0)
N, C = 4, 3
LOGITS = RNG.normal(size=(N, C)) * 2
PROBS = np.exp(LOGITS) / np.exp(LOGITS).sum(-1, keepdims=True)
LABELS = np.array([0, 2, 1, 2])
ONEHOT = np.eye(C)[LABELS]
REG_TRUE = RNG.uniform(0.5, 2.0, size=(N, 2))
REG_PRED = REG_TRUE + np.array([[0.3, -1.7], [0.6, 0.4], [-0.8, 2.5], [0.25, -0.35]])
BIN_TRUE = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]])
BIN_PROB = RNG.uniform(0.1, 0.9, size=(N, 2))
SW = np.array([0.5, 1.0, 2.0, 0.0])


def _softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# --- every loss passes check_grad w.r.t. y_pred (float64) ------------------------------
KERAS_CASES = [
    ("mse", L.MeanSquaredError(), REG_TRUE, REG_PRED),
    ("mae", L.MeanAbsoluteError(), REG_TRUE, REG_PRED),
    ("mape", L.MeanAbsolutePercentageError(), REG_TRUE, REG_PRED),
    ("msle", L.MeanSquaredLogarithmicError(), REG_TRUE, np.abs(REG_PRED) + 0.1),
    ("huber", L.Huber(delta=1.0), REG_TRUE, REG_PRED),
    ("huber_small_delta", L.Huber(delta=0.5), REG_TRUE, REG_PRED),
    ("log_cosh", L.LogCosh(), REG_TRUE, REG_PRED),
    ("kld", L.KLDivergence(), _softmax(RNG.normal(size=(N, C))), PROBS),
    ("poisson", L.Poisson(), REG_TRUE, np.abs(REG_PRED) + 0.1),
    ("hinge_01", L.Hinge(), BIN_TRUE, LOGITS[:, :2] * 0.3),
    ("hinge_pm1", L.Hinge(), 2 * BIN_TRUE - 1, LOGITS[:, :2] * 0.3),
    ("squared_hinge", L.SquaredHinge(), BIN_TRUE, LOGITS[:, :2] * 0.3),
    ("categorical_hinge", L.CategoricalHinge(), ONEHOT, LOGITS),
    ("cosine", L.CosineSimilarity(), REG_TRUE, REG_PRED),
    ("cosine_axis0", L.CosineSimilarity(axis=0), REG_TRUE, REG_PRED),
    ("bce", L.BinaryCrossentropy(), BIN_TRUE, BIN_PROB),
    ("bce_smooth", L.BinaryCrossentropy(label_smoothing=0.2), BIN_TRUE, BIN_PROB),
    ("bce_logits", L.BinaryCrossentropy(from_logits=True), BIN_TRUE, LOGITS[:, :2]),
    ("bce_logits_smooth", L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1), BIN_TRUE, LOGITS[:, :2]),
    ("bce_1d", L.BinaryCrossentropy(), BIN_TRUE[:, 0], BIN_PROB[:, 0]),
    ("cce", L.CategoricalCrossentropy(), ONEHOT, PROBS),
    ("cce_unnormalised", L.CategoricalCrossentropy(), ONEHOT, PROBS * 3.0),
    ("cce_smooth", L.CategoricalCrossentropy(label_smoothing=0.1), ONEHOT, PROBS),
    ("cce_logits", L.CategoricalCrossentropy(from_logits=True), ONEHOT, LOGITS),
    ("cce_logits_smooth", L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), ONEHOT, LOGITS),
    ("cce_axis1", L.CategoricalCrossentropy(axis=1), np.moveaxis(np.eye(C)[RNG.integers(0, C, (2, 4))], -1, 1),
     np.moveaxis(_softmax(RNG.normal(size=(2, 4, C))), -1, 1)),
    ("scce", L.SparseCategoricalCrossentropy(), LABELS, PROBS),
    ("scce_column", L.SparseCategoricalCrossentropy(), LABELS[:, None], PROBS),
    ("scce_logits", L.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS),
    ("scce_ignore", L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2), LABELS, LOGITS),
    ("mse_sum", L.MeanSquaredError(reduction="sum"), REG_TRUE, REG_PRED),
    ("mse_none", L.MeanSquaredError(reduction="none"), REG_TRUE, REG_PRED),
    ("custom_function", L.get(lambda t, p: ((p - t) ** 2).sum(axis=-1)), REG_TRUE, REG_PRED),
]


@pytest.mark.parametrize("name,loss,y_true,y_pred", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_keras_loss_gradients(name, loss, y_true, y_pred):
    assert check_grad(lambda p: loss(y_true, p), y_pred) < 1e-6


WEIGHTED_CASES = [c for c in KERAS_CASES if np.shape(c[3])[0] == N and "axis0" not in c[0]]


@pytest.mark.parametrize("name,loss,y_true,y_pred", WEIGHTED_CASES, ids=[c[0] for c in WEIGHTED_CASES])
def test_keras_loss_gradients_with_sample_weight(name, loss, y_true, y_pred):
    assert check_grad(lambda p: loss(y_true, p, sample_weight=SW), y_pred) < 1e-6


SEED_CASES = [
    ("MSELoss", L.MSELoss(), REG_PRED, REG_TRUE),
    ("MSELoss_column", L.MSELoss(), REG_PRED[:, :1], REG_TRUE[:, 0]),
    ("CrossEntropy_index", L.CrossEntropy(), LOGITS, LABELS),
    ("CrossEntropy_onehot", L.CrossEntropy(), LOGITS, ONEHOT),
    ("CrossEntropy_smooth", L.CrossEntropy(label_smoothing=0.1), LOGITS, LABELS),
    ("SoftmaxCrossEntropyLoss", L.SoftmaxCrossEntropyLoss(), LOGITS, LABELS),
    ("BCELoss", L.BCELoss(), BIN_PROB, BIN_TRUE),
]


@pytest.mark.parametrize("name,loss,prediction,target", SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_seed_loss_gradients(name, loss, prediction, target):
    assert check_grad(lambda p: loss(p, target), prediction) < 1e-6
    assert check_grad(lambda p: loss(p, target, sample_weight=SW), prediction) < 1e-6


def test_fused_ops_gradient_wrt_targets():
    from kerasish.ops import losses_ops
    assert check_grad(losses_ops.SigmoidBinaryCrossentropy.apply, LOGITS, BIN_PROB[:, :1] * np.ones(C)) < 1e-6
    assert check_grad(losses_ops.ClippedBinaryCrossentropy.apply, BIN_PROB, BIN_TRUE * 0.8) < 1e-6


# --- values ----------------------------------------------------------------------------
def test_closed_form_values():
    assert L.MeanSquaredError()([[0.0, 1.0]], Tensor([[1.0, 1.0]])).item() == pytest.approx(0.5)
    assert L.BinaryCrossentropy(from_logits=True)([[1.0]], Tensor([[0.0]])).item() == pytest.approx(math.log(2))
    # uniform prediction over 4 classes: -log(1/4)
    assert L.CategoricalCrossentropy()([[0, 0, 1, 0]], Tensor([[0.25] * 4])).item() == pytest.approx(math.log(4))
    assert L.SparseCategoricalCrossentropy(from_logits=True)([3], Tensor([[0.0] * 4])).item() == \
        pytest.approx(math.log(4), rel=1e-6)
    # huber: errors 0.5 (quadratic: 0.125) and 3 (linear: 3 - 0.5 = 2.5)
    assert L.Huber()([[0.0, 0.0]], Tensor([[0.5, 3.0]])).item() == pytest.approx((0.125 + 2.5) / 2)
    assert L.Hinge()([[1.0, 0.0]], Tensor([[0.3, 0.2]])).item() == pytest.approx((0.7 + 1.2) / 2)
    assert L.SquaredHinge()([[-1.0]], Tensor([[0.5]])).item() == pytest.approx(2.25)
    assert L.CategoricalHinge()([[0.0, 1.0, 0.0]], Tensor([[0.5, 0.2, 0.1]])).item() == pytest.approx(1.3)
    assert L.CosineSimilarity()([[1.0, 0.0]], Tensor([[2.0, 0.0]])).item() == pytest.approx(-1.0)
    assert L.MeanAbsolutePercentageError()([[2.0, 4.0]], Tensor([[1.0, 5.0]])).item() == pytest.approx(37.5)
    assert L.LogCosh()([[0.0]], Tensor([[1.0]])).item() == pytest.approx(math.log(math.cosh(1.0)), rel=1e-6)
    assert L.Poisson()([[2.0]], Tensor([[1.0]])).item() == pytest.approx(1.0 - 2.0 * math.log(1.0 + 1e-7))
    assert L.MeanSquaredLogarithmicError()([[0.0]], Tensor([[math.e - 1]])).item() == pytest.approx(1.0, rel=1e-6)
    t, p = np.array([[0.2, 0.8]]), np.array([[0.5, 0.5]])
    assert L.KLDivergence()(t, Tensor(p)).item() == pytest.approx(float((t * np.log(t / p)).sum()), rel=1e-6)


def test_numpy_reference_values():
    y_pred = Tensor(REG_PRED, dtype="float64")
    err = REG_PRED - REG_TRUE
    assert L.mean_squared_error(REG_TRUE, y_pred).numpy() == pytest.approx((err ** 2).mean(-1))
    assert L.log_cosh(REG_TRUE, y_pred).numpy() == pytest.approx(np.log(np.cosh(err)).mean(-1))
    assert L.mape(REG_TRUE, y_pred).numpy() == pytest.approx(100 * np.abs(err / REG_TRUE).mean(-1))
    assert L.msle(REG_TRUE, y_pred).numpy() == pytest.approx(
        ((np.log1p(np.maximum(REG_PRED, 1e-7)) - np.log1p(REG_TRUE)) ** 2).mean(-1))
    expected = -(ONEHOT * np.log(PROBS)).sum(-1)
    assert L.categorical_crossentropy(ONEHOT, Tensor(PROBS, dtype="float64")).numpy() == pytest.approx(expected)
    assert L.sparse_categorical_crossentropy(LABELS, Tensor(PROBS, dtype="float64")).numpy() == \
        pytest.approx(expected)


def test_values_match_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    tt = torch.tensor

    def ours(loss, t, p):
        return loss(t, Tensor(p, dtype="float64")).item()

    assert ours(L.MeanSquaredError(), REG_TRUE, REG_PRED) == pytest.approx(F.mse_loss(tt(REG_PRED), tt(REG_TRUE)).item())
    assert ours(L.MeanAbsoluteError(), REG_TRUE, REG_PRED) == pytest.approx(F.l1_loss(tt(REG_PRED), tt(REG_TRUE)).item())
    assert ours(L.Huber(delta=0.7), REG_TRUE, REG_PRED) == pytest.approx(
        F.huber_loss(tt(REG_PRED), tt(REG_TRUE), delta=0.7).item())
    assert ours(L.BinaryCrossentropy(), BIN_TRUE, BIN_PROB) == pytest.approx(
        F.binary_cross_entropy(tt(BIN_PROB), tt(BIN_TRUE)).item())
    assert ours(L.BinaryCrossentropy(from_logits=True), BIN_TRUE, LOGITS[:, :2]) == pytest.approx(
        F.binary_cross_entropy_with_logits(tt(LOGITS[:, :2]), tt(BIN_TRUE)).item())
    for ls in (0.0, 0.2):
        expected = F.cross_entropy(tt(LOGITS), tt(LABELS), label_smoothing=ls).item()
        assert ours(L.CategoricalCrossentropy(from_logits=True, label_smoothing=ls), ONEHOT, LOGITS) == \
            pytest.approx(expected)
        assert L.CrossEntropy(label_smoothing=ls)(Tensor(LOGITS, dtype="float64"), LABELS).item() == \
            pytest.approx(expected)
    assert ours(L.SparseCategoricalCrossentropy(from_logits=True), LABELS, LOGITS) == pytest.approx(
        F.cross_entropy(tt(LOGITS), tt(LABELS)).item())
    target = _softmax(LOGITS[::-1].copy())
    assert ours(L.KLDivergence(), target, PROBS) == pytest.approx(
        F.kl_div(tt(np.log(PROBS)), tt(target), reduction="batchmean").item())
    rate = np.abs(REG_PRED) + 0.1
    assert ours(L.Poisson(), REG_TRUE, rate) == pytest.approx(
        F.poisson_nll_loss(tt(rate), tt(REG_TRUE), log_input=False, eps=1e-7).item())
    assert ours(L.CosineSimilarity(), REG_TRUE, REG_PRED) == pytest.approx(
        -F.cosine_similarity(tt(REG_PRED), tt(REG_TRUE), dim=-1).mean().item())
    assert L.BCELoss()(Tensor(BIN_PROB, dtype="float64"), BIN_TRUE).item() == pytest.approx(
        F.binary_cross_entropy(tt(BIN_PROB), tt(BIN_TRUE)).item())
    assert L.MSELoss()(Tensor(REG_PRED, dtype="float64"), REG_TRUE).item() == pytest.approx(
        F.mse_loss(tt(REG_PRED), tt(REG_TRUE)).item())


def test_from_logits_equals_probabilities():
    logits = Tensor(LOGITS, dtype="float64")
    probs = Tensor(PROBS, dtype="float64")
    for ls in (0.0, 0.3):
        a = L.CategoricalCrossentropy(from_logits=True, label_smoothing=ls)(ONEHOT, logits).item()
        b = L.CategoricalCrossentropy(label_smoothing=ls)(ONEHOT, probs).item()
        assert a == pytest.approx(b, rel=1e-9)
        a = L.BinaryCrossentropy(from_logits=True, label_smoothing=ls)(BIN_TRUE, LOGITS[:, :2]).item()
        b = L.BinaryCrossentropy(label_smoothing=ls)(BIN_TRUE, 1 / (1 + np.exp(-LOGITS[:, :2]))).item()
        assert a == pytest.approx(b, rel=1e-5)
    assert L.SparseCategoricalCrossentropy(from_logits=True)(LABELS, logits).item() == \
        pytest.approx(L.SparseCategoricalCrossentropy()(LABELS, probs).item(), rel=1e-9)
    # a softmax op's output gives the same value and gradient as the fused logits path
    x1 = Tensor(LOGITS, dtype="float64", requires_grad=True)
    x2 = Tensor(LOGITS, dtype="float64", requires_grad=True)
    L.CategoricalCrossentropy()(ONEHOT, x1.softmax()).backward()
    L.CategoricalCrossentropy(from_logits=True)(ONEHOT, x2).backward()
    np.testing.assert_allclose(x1.grad, x2.grad, atol=1e-12)


# --- stability -------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda p: L.CategoricalCrossentropy(from_logits=True)(np.eye(3)[[0, 1]], p),
    lambda p: L.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(np.eye(3)[[0, 1]], p),
    lambda p: L.SparseCategoricalCrossentropy(from_logits=True)([0, 1], p),
    lambda p: L.BinaryCrossentropy(from_logits=True)(np.array([[1.0, 0, 1], [0, 1, 1]]), p),
    lambda p: L.CrossEntropy()(p, [0, 1]),
    lambda p: L.SoftmaxCrossEntropyLoss()(p, np.eye(3)[[0, 1]]),
    lambda p: L.LogCosh()(np.zeros((2, 3)), p),
], ids=["cce", "cce_smooth", "scce", "bce", "seed_ce", "seed_softmax_ce", "log_cosh"])
def test_extreme_logits_give_finite_loss_and_gradient(make):
    x = Tensor([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 1000.0]], requires_grad=True)
    loss = make(x)
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad).all()
    y = Tensor([[-1000.0, 1000.0, 0.0], [1000.0, -1000.0, -1000.0]], requires_grad=True)
    loss = make(y)
    loss.backward()
    assert np.isfinite(loss.item()) and loss.item() > 100
    assert np.isfinite(y.grad).all()


def test_wrong_confident_logits_cost_their_margin():
    x = Tensor([[1000.0, -1000.0]], requires_grad=True)
    assert L.SparseCategoricalCrossentropy(from_logits=True)([1], x).item() == pytest.approx(2000.0)
    assert L.BinaryCrossentropy(from_logits=True)([[0.0, 1.0]], x).item() == pytest.approx(1000.0)


def test_probabilities_of_zero_and_one_are_clipped():
    p = Tensor([[0.0, 1.0], [1.0, 0.0]], requires_grad=True)
    t = np.array([[1.0, 0.0], [1.0, 0.0]])
    for loss in (L.BinaryCrossentropy()(t, p), L.CategoricalCrossentropy()(t, p), L.BCELoss()(p, t),
                 L.SparseCategoricalCrossentropy()([0, 0], p), L.KLDivergence()(t, p)):
        loss.backward()
        assert np.isfinite(loss.item()) and np.isfinite(p.grad).all()
    # the worst sample costs -log(1e-7), as in Keras
    assert L.CategoricalCrossentropy(reduction="none")(t, p).numpy()[0] == pytest.approx(-math.log(1e-7), rel=1e-3)


# --- reductions, sample weights, inputs -------------------------------------------------
def test_reductions_and_sample_weight():
    per_sample = ((REG_PRED - REG_TRUE) ** 2).mean(-1)
    p = Tensor(REG_PRED, dtype="float64")
    assert L.MeanSquaredError(reduction="none")(REG_TRUE, p).numpy() == pytest.approx(per_sample)
    assert L.MeanSquaredError(reduction=None)(REG_TRUE, p).numpy() == pytest.approx(per_sample)
    assert L.MeanSquaredError(reduction="sum")(REG_TRUE, p).item() == pytest.approx(per_sample.sum())
    for red in ("sum_over_batch_size", "mean"):
        assert L.MeanSquaredError(reduction=red)(REG_TRUE, p).item() == pytest.approx(per_sample.mean())
        # Keras divides the weighted sum by the batch size, not by the sum of weights
        for sw in (SW, SW[:, None], list(SW), Tensor(SW)):
            assert L.MeanSquaredError(reduction=red)(REG_TRUE, p, sample_weight=sw).item() == \
                pytest.approx((per_sample * SW).sum() / N)
    assert L.MeanSquaredError()(REG_TRUE, p, sample_weight=2.0).item() == pytest.approx(2 * per_sample.mean())
    assert L.MeanSquaredError(reduction="mean_with_sample_weight")(REG_TRUE, p, sample_weight=SW).item() == \
        pytest.approx((per_sample * SW).sum() / SW.sum())
    assert L.MeanSquaredError(reduction="none")(REG_TRUE, p, sample_weight=SW).numpy() == \
        pytest.approx(per_sample * SW)
    assert L.MSELoss(reduction="sum")(p, REG_TRUE).item() == pytest.approx(per_sample.sum())
    assert L.MSELoss()(p, REG_TRUE, sample_weight=SW).item() == pytest.approx((per_sample * SW).sum() / N)
    assert L.MSELoss(reduction="none")(p, REG_TRUE).shape == (N,)


def test_sequence_losses_weight_per_timestep():
    y_true = RNG.integers(0, C, size=(2, 5))
    logits = RNG.normal(size=(2, 5, C))
    values = L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(y_true, logits)
    assert values.shape == (2, 5)
    sw = np.array([1.0, 0.0])
    assert L.SparseCategoricalCrossentropy(from_logits=True)(y_true, logits, sample_weight=sw).item() == \
        pytest.approx(values.numpy()[0].sum() / 10, rel=1e-6)


def test_ignore_class_averages_over_valid_entries():
    labels = np.array([0, 2, 1, 2])
    values = L.SparseCategoricalCrossentropy(from_logits=True, reduction="none")(labels, LOGITS).numpy()
    loss = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=2)
    assert loss(labels, LOGITS).item() == pytest.approx(values[[0, 2]].mean(), rel=1e-6)
    assert L.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True, ignore_class=2).numpy()[1] == 0
    ignore_neg = L.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1)
    assert ignore_neg([0, -1, 1, -1], LOGITS).item() == pytest.approx(values[[0, 2]].mean(), rel=1e-6)


def test_input_kinds_devices_and_dtypes():
    p32 = Tensor(REG_PRED, dtype="float32")
    a = L.MeanSquaredError()(REG_TRUE, p32)                      # float64 numpy target
    b = L.MeanSquaredError()(REG_TRUE.tolist(), p32)             # list
    c = L.MeanSquaredError()(Tensor(REG_TRUE), p32)              # Tensor
    d = L.MeanSquaredError()(REG_TRUE, REG_PRED.astype("float32"))  # array prediction
    assert a.dtype == np.float32
    assert a.item() == pytest.approx(b.item()) == pytest.approx(c.item()) == pytest.approx(d.item())
    assert L.SparseCategoricalCrossentropy()(LABELS.astype("float32"), PROBS).item() == \
        pytest.approx(L.SparseCategoricalCrossentropy()(LABELS, PROBS).item())
    # (N,) targets against (N, 1) predictions, both ways
    col = Tensor(REG_PRED[:, :1])
    assert L.MeanSquaredError()(REG_TRUE[:, 0], col).item() == pytest.approx(
        float(((REG_PRED[:, 0] - REG_TRUE[:, 0]) ** 2).mean()), rel=1e-5)
    assert L.BinaryCrossentropy()(BIN_TRUE[:, :1], BIN_PROB[:, 0]).item() == pytest.approx(
        L.BinaryCrossentropy()(BIN_TRUE[:, 0], BIN_PROB[:, :1]).item())


def test_seed_example_loop_decreases_loss():
    from kerasish.utils import set_random_seed
    set_random_seed(0)
    x = np.random.default_rng(1).normal(size=(64, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    w = Tensor(np.zeros((3, 1)), requires_grad=True)
    loss_fn = L.MSELoss()
    first = None
    for _ in range(50):
        loss = loss_fn(Tensor(x) @ w, Tensor(y))
        first = first or loss.item()
        w.zero_grad()
        loss.backward()
        w.data -= 0.1 * w.grad
    assert loss.item() < 0.01 * first


# --- errors ----------------------------------------------------------------------------
def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3\).*\(4, 2\)"):
        L.MeanSquaredError()(np.zeros((4, 3)), REG_PRED)
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 2\)"):
        L.BinaryCrossentropy()(np.zeros(4), BIN_PROB)
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        L.MSELoss()(Tensor(np.zeros((4, 2))), np.zeros((2, 4)))
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        L.CategoricalCrossentropy()(LABELS, PROBS)
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        L.SparseCategoricalCrossentropy()(ONEHOT, PROBS)
    with pytest.raises(ValueError, match=r"class indices of shape \(4,\)"):
        L.CrossEntropy()(LOGITS, np.zeros((4, 5)))
    with pytest.raises(ValueError, match="sample_weight"):
        L.MeanSquaredError()(REG_TRUE, REG_PRED, sample_weight=np.ones(3))


@pytest.mark.parametrize("call", [
    lambda: L.SparseCategoricalCrossentropy()([0, 3, 1, 2], PROBS),
    lambda: L.SparseCategoricalCrossentropy(from_logits=True)([0, -1, 1, 2], LOGITS),
    lambda: L.CrossEntropy()(LOGITS, [0, 1, 2, 7]),
])
def test_label_out_of_range_names_the_range(call):
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        call()


def test_bad_arguments():
    with pytest.raises(ValueError, match="sum_over_batch_size"):
        L.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match="label_smoothing"):
        L.CategoricalCrossentropy(label_smoothing=1.5)(ONEHOT, PROBS)
    with pytest.raises(ValueError, match="valid names are: .*mean_squared_error"):
        L.get("mean_sqared_error")
    with pytest.raises(TypeError):
        L.get(42)


# --- lookup, config, argument order ------------------------------------------------------
@pytest.mark.parametrize("name,cls", [
    ("mse", L.MeanSquaredError), ("mean_squared_error", L.MeanSquaredError), ("MSE", L.MeanSquaredError),
    ("mae", L.MeanAbsoluteError), ("mape", L.MeanAbsolutePercentageError), ("msle", L.MeanSquaredLogarithmicError),
    ("huber", L.Huber), ("huber_loss", L.Huber), ("logcosh", L.LogCosh), ("kld", L.KLDivergence),
    ("kullback_leibler_divergence", L.KLDivergence), ("poisson", L.Poisson), ("hinge", L.Hinge),
    ("squared_hinge", L.SquaredHinge), ("categorical_hinge", L.CategoricalHinge),
    ("cosine_similarity", L.CosineSimilarity), ("binary_crossentropy", L.BinaryCrossentropy),
    ("categorical_crossentropy", L.CategoricalCrossentropy),
    ("sparse_categorical_crossentropy", L.SparseCategoricalCrossentropy),
    ("MeanSquaredError", L.MeanSquaredError), ("MSELoss", L.MSELoss), ("CrossEntropy", L.CrossEntropy),
    ("SoftmaxCrossEntropyLoss", L.SoftmaxCrossEntropyLoss), ("BCELoss", L.BCELoss),
])
def test_get_by_name(name, cls):
    assert type(L.get(name)) is cls


def test_get_other_identifiers_and_argument_order():
    inst = L.Huber(delta=2.0)
    assert L.get(inst) is inst
    assert isinstance(L.get(L.Poisson), L.Poisson)
    assert L.get(None) is None
    assert isinstance(L.get(L.mean_squared_error), L.MeanSquaredError)

    def my_loss(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1) * 2

    wrapped = L.get(my_loss)
    assert isinstance(wrapped, L.LossFunctionWrapper) and wrapped.name == "my_loss"
    assert wrapped(REG_TRUE, REG_PRED).item() == pytest.approx(2 * ((REG_PRED - REG_TRUE) ** 2).mean(), rel=1e-6)
    assert L.is_seed_loss(L.MSELoss()) and L.is_seed_loss(L.CrossEntropy) and L.is_seed_loss(L.get("BCELoss"))
    assert not L.is_seed_loss(L.MeanSquaredError()) and not L.is_seed_loss(wrapped)
    assert not L.is_seed_loss(my_loss) and not L.is_seed_loss("mse")


@pytest.mark.parametrize("loss", [
    L.MeanSquaredError(reduction="sum", name="m"), L.Huber(delta=0.3), L.CosineSimilarity(axis=0),
    L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
    L.CategoricalCrossentropy(label_smoothing=0.2), L.SparseCategoricalCrossentropy(ignore_class=1),
    L.MSELoss(reduction="sum"), L.CrossEntropy(label_smoothing=0.1), L.BCELoss(eps=1e-5),
    L.LossFunctionWrapper(L.mean_absolute_error),
], ids=lambda l: type(l).__name__)
def test_serialize_round_trip(loss):
    import json
    config = json.loads(json.dumps(L.serialize(loss)))
    clone = L.get(config)
    assert type(clone) is type(loss) and clone.get_config() == loss.get_config()


def test_deserialize_custom_function():
    def scaled(y_true, y_pred):
        return ((y_pred - y_true) ** 2).mean(axis=-1) * 3

    config = L.serialize(L.LossFunctionWrapper(scaled))
    with pytest.raises(ValueError, match="custom_objects"):
        L.deserialize(config)
    clone = L.deserialize(config, custom_objects={"scaled": scaled})
    assert clone(REG_TRUE, REG_PRED).item() == pytest.approx(3 * ((REG_PRED - REG_TRUE) ** 2).mean(), rel=1e-6)


def test_loss_subclass():
    class Scaled(L.Loss):
        def call(self, y_true, y_pred):
            return ((y_pred - y_true) ** 2).mean(axis=-1) * 10

    assert Scaled().name == "scaled"
    assert Scaled()(REG_TRUE, REG_PRED, sample_weight=SW).item() == pytest.approx(
        10 * (((REG_PRED - REG_TRUE) ** 2).mean(-1) * SW).sum() / N, rel=1e-6)


# --- device-agnostic: the CuPy-like 'fake' test device refuses any numpy call on its data ---
@pytest.mark.parametrize("name,loss,y_true,y_pred", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_keras_losses_on_the_fake_device(name, loss, y_true, y_pred):
    expected = loss(y_true, Tensor(y_pred, dtype="float64")).numpy()
    pred = Tensor(y_pred, dtype="float64", device="fake")
    weighted = name in {c[0] for c in WEIGHTED_CASES}
    out = loss(y_true, pred, sample_weight=np.ones(N) if weighted else None)
    assert out.device == "fake"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    check_grad(lambda p: loss(Tensor(y_true, device="fake"), p), pred)


@pytest.mark.parametrize("name,loss,prediction,target", SEED_CASES, ids=[c[0] for c in SEED_CASES])
def test_seed_losses_on_the_fake_device(name, loss, prediction, target):
    pred = Tensor(prediction, dtype="float64", device="fake")
    out = loss(pred, target, sample_weight=SW)
    assert out.device == "fake"
    assert out.item() == pytest.approx(loss(Tensor(prediction, dtype="float64"), target, sample_weight=SW).item())
    check_grad(lambda p: loss(p, target), pred)


def test_deserialize_keras_config_with_unsupported_keys_warns():
    config = {"class_name": "CategoricalCrossentropy",
              "config": {"name": "categorical_crossentropy", "reduction": "sum_over_batch_size",
                         "from_logits": True, "label_smoothing": 0.0, "axis": -1, "fn": "categorical_crossentropy"}}
    with pytest.warns(UserWarning, match="fn"):
        loss = L.deserialize(config)
    assert isinstance(loss, L.CategoricalCrossentropy) and loss.from_logits


# --- host syncs: on a GPU every device -> host transfer waits for the GPU ---------------
def _syncs(fn):
    from host_syncs import count_host_syncs
    with count_host_syncs() as syncs:
        fn()
    return syncs.count


@pytest.mark.parametrize("name,loss,y_true,y_pred", KERAS_CASES, ids=[c[0] for c in KERAS_CASES])
def test_keras_losses_sync_only_for_the_label_check(name, loss, y_true, y_pred):
    pred = Tensor(y_pred, dtype="float64", device="fake", requires_grad=True)
    target = Tensor(y_true, device="fake")
    expected = 1 if isinstance(loss, L.SparseCategoricalCrossentropy) else 0  # one label-range check
    assert _syncs(lambda: loss(target, pred).sum().backward()) == expected


@pytest.mark.parametrize("loss", [L.CrossEntropy(), L.SoftmaxCrossEntropyLoss()])
def test_seed_crossentropy_checks_index_labels_once(loss):
    pred = Tensor(LOGITS, device="fake", requires_grad=True)
    assert _syncs(lambda: loss(pred, Tensor(LABELS, device="fake")).backward()) == 1
    assert _syncs(lambda: loss(pred, Tensor(ONEHOT, device="fake")).backward()) == 0
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        loss(pred, Tensor(LABELS + 1, device="fake"))


def test_softmax_cross_entropy_op_label_check_can_be_skipped():
    from kerasish import ops
    logits = Tensor(LOGITS, device="fake")
    labels = Tensor(LABELS, device="fake")
    assert _syncs(lambda: ops.softmax_cross_entropy(logits, labels)) >= 1
    assert _syncs(lambda: ops.softmax_cross_entropy(logits, labels, check_labels=False)) == 0
    with pytest.raises(ValueError, match="out of range"):
        ops.softmax_cross_entropy(Tensor(LOGITS), LABELS + 1)
