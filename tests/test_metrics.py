"""Metrics: hand-made cases, streaming with a partial last batch, AUC by hand, lookup, config."""
import json
import math

import numpy as np
import pytest

from kerasish import backend
from kerasish import losses as L
from kerasish import metrics as M
from kerasish.tensor import Tensor

RNG = np.random.default_rng(0)


def _stream(metric, y_true, y_pred, batch_size, sample_weight=None):
    """Feeds the data batch by batch (the last one partial) and returns result()."""
    metric.reset_state()
    for i in range(0, len(y_true), batch_size):
        sw = None if sample_weight is None else sample_weight[i:i + batch_size]
        metric.update_state(y_true[i:i + batch_size], y_pred[i:i + batch_size], sample_weight=sw)
    return metric.result()


# --- the seed's Accuracy -----------------------------------------------------------------
def test_seed_accuracy_index_and_onehot_targets():
    prediction = Tensor([[0.1, 2.0, -1.0], [3.0, 0.0, 0.5], [0.2, 0.1, 0.9], [1.0, 0.0, 2.0]])
    index = np.array([1, 0, 2, 0])
    acc = M.Accuracy()
    for target in (index, np.eye(3)[index], index[:, None], Tensor(index), index.tolist()):
        value = acc(prediction, target)
        assert type(value) is float and value == pytest.approx(0.75)
    # the seed's call is stateless: streaming state stays untouched
    assert acc.result() == 0.0
    assert M.Accuracy()(prediction.numpy(), np.eye(3)[index], sample_weight=[1, 1, 1, 5]) == pytest.approx(3 / 8)


def test_seed_accuracy_rejects_keras_order():
    with pytest.raises(ValueError, match="prediction first"):
        M.Accuracy()([1, 0], Tensor([[0.1, 0.9], [0.8, 0.2]]))


def test_seed_accuracy_in_a_training_loop_with_graph_tensors():
    w = Tensor(RNG.normal(size=(5, 3)), requires_grad=True)
    x = Tensor(RNG.normal(size=(8, 5)))
    scores = x @ w
    acc = M.Accuracy()(scores, scores.numpy().argmax(-1))
    assert acc == 1.0 and w.grad is not None and not w.grad.any()


def test_accuracy_streaming_is_weighted_by_sample_count():
    y_pred = RNG.normal(size=(10, 4))
    y_true = RNG.integers(0, 4, size=10)
    correct = y_pred.argmax(-1) == y_true
    acc = M.Accuracy()
    assert _stream(acc, y_true, y_pred, 4) == pytest.approx(correct.mean())   # batches 4, 4, 2
    assert _stream(acc, np.eye(4)[y_true], y_pred, 3) == pytest.approx(correct.mean())
    weights = RNG.uniform(0, 2, size=10)
    assert _stream(acc, y_true, y_pred, 4, weights) == pytest.approx((correct * weights).sum() / weights.sum())
    acc.reset_state()
    assert acc.result() == 0.0 and acc.count == 0


def test_accuracy_without_class_axis_is_exact_match():
    m = M.Accuracy()
    m.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    assert m.result() == pytest.approx(0.75)
    m.reset_state()
    m.update_state([1, 2, 3, 4], [0, 2, 3, 4], sample_weight=[1, 1, 0, 0])
    assert m.result() == pytest.approx(0.5)


# --- Keras accuracies ----------------------------------------------------------------------
def test_binary_accuracy():
    m = M.BinaryAccuracy()
    assert m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]]) == pytest.approx(0.75)
    m.reset_state()
    assert m([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], sample_weight=[1, 0, 0, 1]) == pytest.approx(0.5)
    # (N,) labels against (N, 1) scores, logits with threshold 0
    assert M.BinaryAccuracy(threshold=0.0)([1, 0, 1], Tensor([[2.0], [-1.0], [-0.5]])) == pytest.approx(2 / 3)
    # multi-label rows: the per-sample mean, then the mean over samples
    assert M.BinaryAccuracy()([[1, 0], [1, 1]], [[0.9, 0.2], [0.1, 0.8]]) == pytest.approx(0.75)


def test_categorical_and_sparse_accuracy_accept_both_label_forms():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    onehot, index = [[0, 0, 1], [0, 1, 0]], [2, 1]
    for cls in (M.CategoricalAccuracy, M.SparseCategoricalAccuracy):
        for labels in (onehot, index, [[2], [1]]):
            m = cls()
            assert m(labels, y_pred) == pytest.approx(0.5)
            m.reset_state()
            assert m(labels, y_pred, sample_weight=[0.7, 0.3]) == pytest.approx(0.3)


def test_top_k_accuracy():
    y_pred = [[0.1, 0.9, 0.8], [0.05, 0.95, 0]]
    assert M.TopKCategoricalAccuracy(k=1)([[0, 0, 1], [0, 1, 0]], y_pred) == pytest.approx(0.5)
    assert M.TopKCategoricalAccuracy(k=2)([[0, 0, 1], [0, 1, 0]], y_pred) == pytest.approx(1.0)
    assert M.SparseTopKCategoricalAccuracy(k=1)([2, 1], y_pred) == pytest.approx(0.5)
    assert M.SparseTopKCategoricalAccuracy(k=1)([2, 1], y_pred, sample_weight=[0.7, 0.3]) == pytest.approx(0.3)
    # a tie at the boundary counts as in the top k (tf.math.in_top_k)
    assert M.SparseTopKCategoricalAccuracy(k=1)([1], [[0.5, 0.5, 0.1]]) == 1.0
    scores = RNG.normal(size=(12, 7))
    labels = RNG.integers(0, 7, size=12)
    expected = [labels[i] in np.argsort(-scores[i])[:3] for i in range(12)]
    assert _stream(M.SparseTopKCategoricalAccuracy(k=3), labels, scores, 5) == pytest.approx(np.mean(expected))


def test_accuracy_label_shape_error():
    with pytest.raises(ValueError, match=r"\(2, 4\)"):
        M.CategoricalAccuracy().update_state(np.zeros((2, 4)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(3, 1\)"):
        M.BinaryAccuracy().update_state(np.zeros((3, 2)), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="sample_weight"):
        M.BinaryAccuracy().update_state([1, 0], [0.2, 0.7], sample_weight=[1.0, 2.0, 3.0])


# --- Mean, Sum, regression -------------------------------------------------------------------
def test_mean_and_sum():
    m = M.Mean()
    m.update_state([1, 3, 5, 7])
    assert m.result() == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert m.result() == 2.0
    m.update_state(Tensor([10.0]), sample_weight=[2.0])
    assert m.result() == pytest.approx((4 + 20) / 4)
    s = M.Sum()
    s.update_state([1, 3, 5, 7])
    s.update_state([1], sample_weight=[10])
    assert s.result() == 26.0
    assert M.Mean().result() == 0.0


def test_regression_metrics_stream_with_partial_batch_and_weights():
    y_true = RNG.normal(size=(11, 2))
    y_pred = y_true + RNG.normal(size=(11, 2))
    w = RNG.uniform(0.1, 2.0, size=11)
    err = y_pred - y_true
    per_mse, per_mae = (err ** 2).mean(-1), np.abs(err).mean(-1)
    assert _stream(M.MeanSquaredError(), y_true, y_pred, 4) == pytest.approx(per_mse.mean())
    assert _stream(M.MeanAbsoluteError(), y_true, y_pred, 4) == pytest.approx(per_mae.mean())
    assert _stream(M.MeanSquaredError(), y_true, y_pred, 4, w) == pytest.approx((per_mse * w).sum() / w.sum())
    # RMSE is the root of the overall mean, not a mean of per-batch roots
    assert _stream(M.RootMeanSquaredError(), y_true, y_pred, 4) == pytest.approx(math.sqrt(per_mse.mean()))
    assert _stream(M.RootMeanSquaredError(), y_true, y_pred, 4, w) == \
        pytest.approx(math.sqrt((per_mse * w).sum() / w.sum()))
    assert M.MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]]) == pytest.approx(37.5)
    assert M.CosineSimilarity()([[1.0, 0.0], [0.0, 1.0]], [[2.0, 0.0], [1.0, 0.0]]) == pytest.approx(0.5)
    assert M.LogCoshError()([[0.0]], [[1.0]]) == pytest.approx(math.log(math.cosh(1.0)))
    assert M.MeanSquaredLogarithmicError()([[0.0]], [[math.e - 1]]) == pytest.approx(1.0)


def test_loss_based_metrics_match_the_losses():
    logits = RNG.normal(size=(6, 3))
    labels = RNG.integers(0, 3, size=6)
    probs = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = L.SparseCategoricalCrossentropy(from_logits=True)(labels, Tensor(logits, dtype="float64")).item()
    assert _stream(M.SparseCategoricalCrossentropy(from_logits=True), labels, logits, 4) == pytest.approx(expected)
    assert _stream(M.CategoricalCrossentropy(), np.eye(3)[labels], probs, 4) == pytest.approx(expected)
    y = (RNG.uniform(size=(6, 1)) > 0.5).astype(float)
    p = RNG.uniform(0.05, 0.95, size=(6, 1))
    assert M.BinaryCrossentropy()(y, p) == pytest.approx(L.BinaryCrossentropy()(y, Tensor(p, dtype="float64")).item())


def test_metrics_build_no_graph():
    p = Tensor(RNG.uniform(size=(4, 3)), requires_grad=True)
    for m in (M.CategoricalAccuracy(), M.MeanSquaredError(), M.CategoricalCrossentropy(), M.AUC()):
        value = m(np.eye(3)[[0, 1, 2, 0]], p)
        assert type(value) is float
    assert p.grad is not None and not p.grad.any()


# --- Precision, Recall, AUC -------------------------------------------------------------------
def test_precision_and_recall():
    p = M.Precision()
    assert p([0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    p.reset_state()
    assert p([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == pytest.approx(1.0)
    r = M.Recall()
    assert r([0, 1, 1, 1], [1, 0, 1, 1]) == pytest.approx(2 / 3)
    r.reset_state()
    assert r([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0]) == pytest.approx(1.0)
    # y_pred > threshold; several thresholds give one value each
    multi = M.Precision(thresholds=[0.3, 0.7])
    np.testing.assert_allclose(multi([1, 0, 1, 1], [0.5, 0.4, 0.8, 0.2]), [2 / 3, 1.0])
    # class_id scores one column; nothing predicted positive gives 0.0
    assert M.Recall(class_id=1)([[0, 1], [1, 0], [0, 1]], [[0.9, 0.6], [0.1, 0.2], [0.2, 0.1]]) == pytest.approx(0.5)
    assert M.Precision()([1, 1], [0.1, 0.2]) == 0.0
    # top_k: only each row's best score may count
    assert M.Precision(top_k=1)([[0, 1, 1]], [[0.2, 0.9, 0.8]]) == pytest.approx(1.0)
    assert M.Recall(top_k=1)([[0, 1, 1]], [[0.2, 0.9, 0.8]]) == pytest.approx(0.5)


def test_precision_recall_streaming_equals_one_batch():
    y = (RNG.uniform(size=13) > 0.4).astype(int)
    s = RNG.uniform(size=13)
    for cls in (M.Precision, M.Recall):
        whole = cls()(y, s)
        assert _stream(cls(), y, s, 5) == pytest.approx(whole)


# y_true = [0, 0, 1, 1], y_pred = [0, 0.5, 0.3, 0.9], weights = [1, 2, 3, 4], thresholds [-eps, 0.5, 1 + eps]
# predicted positive (y_pred > t): t=-eps: all four; t=0.5: only 0.9; t=1+eps: none
# weighted: tp = [3+4, 4, 0] = [7, 4, 0], fp = [1+2, 0, 0], fn = [0, 3, 7], tn = [0, 3, 3]
# tpr = [1, 4/7, 0], fpr = [1, 0, 0], precision = [0.7, 1, 0]
AUC_TRUE, AUC_PRED, AUC_W = [0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [1, 2, 3, 4]


@pytest.mark.parametrize("curve,method,expected", [
    ("ROC", "interpolation", (1 + 4 / 7) / 2),           # widths [1, 0]
    ("ROC", "majoring", 1.0),
    ("ROC", "minoring", 4 / 7),
    ("PR", "majoring", 1.0),                             # widths [3/7, 4/7], heights [1, 1]
    ("PR", "minoring", 0.7 * 3 / 7),                     # heights [0.7, 0]
    # Davis-Goadrich: slope dTP/dP = [3/6, 4/4], intercept [4 - 0.5 * 4, 0] = [2, 0],
    # area = sum(slope * (dTP + intercept * log(P_a / P_b))) / total positives
    ("PR", "interpolation", (0.5 * (3 + 2 * math.log(10 / 4)) + 4) / 7),
])
def test_auc_by_hand(curve, method, expected):
    auc = M.AUC(num_thresholds=3, curve=curve, summation_method=method)
    assert auc(AUC_TRUE, AUC_PRED, sample_weight=AUC_W) == pytest.approx(expected, abs=1e-6)


def test_auc_unweighted_logits_and_explicit_thresholds():
    # tp = [2, 1, 0], fp = [2, 0, 0]: tpr [1, .5, 0], fpr [1, 0, 0] -> 0.75
    assert M.AUC(num_thresholds=3)(AUC_TRUE, AUC_PRED) == pytest.approx(0.75)
    logits = np.log(np.array([1e-12, 0.5, 0.3, 0.9]) / (1 - np.array([1e-12, 0.5, 0.3, 0.9])))
    assert M.AUC(num_thresholds=3, from_logits=True)(AUC_TRUE, logits) == pytest.approx(0.75)
    auc = M.AUC(thresholds=[0.5])
    assert auc.num_thresholds == 3 and auc(AUC_TRUE, AUC_PRED) == pytest.approx(0.75)
    assert M.AUC()(AUC_TRUE, AUC_TRUE) == 1.0


def test_auc_matches_the_exact_roc_area():
    y = (RNG.uniform(size=300) > 0.6).astype(int)
    scores = np.clip(0.3 * y + RNG.uniform(size=300) * 0.7, 0, 1)
    pos, neg = scores[y == 1], scores[y == 0]
    exact = ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (pos.size * neg.size)
    auc = M.AUC(num_thresholds=2000)
    assert auc(y, scores) == pytest.approx(exact, abs=2e-3)
    # streaming over uneven batches gives the same counts as one batch
    assert _stream(M.AUC(num_thresholds=2000), y, scores, 64) == pytest.approx(auc.result(), abs=1e-12)
    # a distinct-score example resolved exactly by 200 thresholds: pairs (0.35 > 0.1), (0.8 > both) -> 3/4
    assert M.AUC()([0, 0, 1, 1], [0.1, 0.6, 0.35, 0.8]) == pytest.approx(0.75)


def test_auc_extra_dims_and_errors():
    labels = np.array([[[1, 0, 0], [1, 0, 0]], [[0, 1, 1], [0, 1, 1]]])
    assert M.AUC()(labels, 1 - labels.astype(float)) == 0.0
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="XY")
    with pytest.raises(ValueError, match="summation_method"):
        M.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match="num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        M.Precision(thresholds=1.5)


# --- lookup, resolve_accuracy, config ---------------------------------------------------------
@pytest.mark.parametrize("name,cls", [
    ("binary_accuracy", M.BinaryAccuracy), ("categorical_accuracy", M.CategoricalAccuracy),
    ("sparse_categorical_accuracy", M.SparseCategoricalAccuracy),
    ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy),
    ("sparse_top_k_categorical_accuracy", M.SparseTopKCategoricalAccuracy),
    ("precision", M.Precision), ("recall", M.Recall), ("auc", M.AUC), ("mse", M.MeanSquaredError),
    ("mae", M.MeanAbsoluteError), ("rmse", M.RootMeanSquaredError), ("mape", M.MeanAbsolutePercentageError),
    ("binary_crossentropy", M.BinaryCrossentropy), ("kld", M.KLDivergence), ("AUC", M.AUC),
])
def test_get_by_name(name, cls):
    metric = M.get(name)
    # named by the string given (the log key), class names keep the default name
    assert type(metric) is cls and metric.name == (name if name.islower() else name.lower())


@pytest.mark.parametrize("loss,cls,threshold", [
    ("sparse_categorical_crossentropy", M.SparseCategoricalAccuracy, None),
    (L.SparseCategoricalCrossentropy(from_logits=True), M.SparseCategoricalAccuracy, None),
    ("categorical_crossentropy", M.CategoricalAccuracy, None),
    (L.CategoricalCrossentropy, M.CategoricalAccuracy, None),
    (L.CrossEntropy(), M.CategoricalAccuracy, None),
    (L.SoftmaxCrossEntropyLoss, M.CategoricalAccuracy, None),
    ("binary_crossentropy", M.BinaryAccuracy, 0.5),
    (L.BinaryCrossentropy(from_logits=True), M.BinaryAccuracy, 0.0),
    (L.BCELoss(), M.BinaryAccuracy, 0.5),
    (L.binary_crossentropy, M.BinaryAccuracy, 0.5),
    ("mse", M.InferredAccuracy, None),
    (None, M.InferredAccuracy, None),
    (lambda t, p: (p - t) ** 2, M.InferredAccuracy, None),
])
def test_resolve_accuracy(loss, cls, threshold):
    for name in ("accuracy", "acc"):
        metric = M.get(name, loss=loss)
        assert type(metric) is cls and metric.name == name
        if threshold is not None:
            assert metric.threshold == threshold
    assert type(M.resolve_accuracy(loss)) is cls


def test_categorical_accuracy_from_seed_loss_takes_index_targets():
    metric = M.resolve_accuracy(L.CrossEntropy())
    metric.update_state([1, 0], [[0.1, 0.9], [0.2, 0.8]])
    metric.update_state(np.eye(2)[[0]], [[0.7, 0.3]])
    assert metric.result() == pytest.approx(2 / 3)


def test_inferred_accuracy_follows_keras3_shape_rule():
    m = M.resolve_accuracy("mse")
    assert m([[1], [0], [1]], [[0.8], [0.3], [0.4]]) == pytest.approx(2 / 3)     # one column: binary
    m.reset_state()
    assert m([2, 0], [[0.1, 0.2, 0.7], [0.5, 0.4, 0.1]]) == 1.0                  # class axis: argmax


def test_get_other_identifiers():
    inst = M.AUC()
    assert M.get(inst) is inst and M.get(None) is None
    assert type(M.get(M.Recall)) is M.Recall

    def max_error(y_true, y_pred):
        return (y_pred - y_true).abs().max(axis=-1)

    custom = M.get(max_error)
    assert custom.name == "max_error"
    assert _stream(custom, np.zeros((5, 2)), np.arange(10.0).reshape(5, 2), 2) == pytest.approx(5.0)
    from_loss = M.get(L.MeanAbsoluteError())
    assert from_loss([[0.0, 0.0]], [[1.0, 3.0]]) == pytest.approx(2.0)
    with pytest.raises(ValueError, match="valid names are: .*binary_accuracy"):
        M.get("acuracy")
    with pytest.raises(TypeError):
        M.get(3.5)


@pytest.mark.parametrize("metric", [
    M.Accuracy(name="a"), M.BinaryAccuracy(threshold=0.3), M.CategoricalAccuracy(), M.SparseCategoricalAccuracy(),
    M.TopKCategoricalAccuracy(k=2), M.SparseTopKCategoricalAccuracy(k=3), M.Precision(thresholds=[0.2, 0.6]),
    M.Recall(class_id=1), M.AUC(num_thresholds=50, curve="PR"), M.AUC(thresholds=[0.25, 0.5]),
    M.MeanSquaredError(), M.RootMeanSquaredError(name="r"), M.Mean(), M.Sum(),
    M.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1), M.InferredAccuracy(name="acc"),
], ids=lambda m: type(m).__name__)
def test_config_round_trip(metric):
    config = json.loads(json.dumps(M.serialize(metric)))
    clone = M.deserialize(config)
    assert type(clone) is type(metric) and clone.get_config() == metric.get_config()


def test_custom_metric_with_variables():
    class PositiveCount(M.Metric):
        def __init__(self, name="positive_count", **kwargs):
            super().__init__(name=name, **kwargs)
            self.count = self.add_variable(shape=(), initializer="zeros", name="count")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.count.assign_add((M.base.raw(y_pred) > 0).sum())

        def result(self):
            return float(self.count)

    m = PositiveCount()
    m.update_state(None, [1.0, -1.0, 2.0])
    assert m([0], [3.0]) == 3.0
    m.reset_state()
    assert m.result() == 0.0 and len(m.variables) == 1


# --- device-agnostic: the CuPy-like 'fake' test device refuses any numpy call on its data ---
FAKE_CASES = [
    (M.Accuracy, [1, 0, 2], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (M.BinaryAccuracy, [[1], [0], [1]], [[0.7], [0.6], [0.2]]),
    (M.CategoricalAccuracy, np.eye(3)[[1, 0, 0]], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (M.SparseCategoricalAccuracy, [1, 0, 0], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (lambda: M.SparseTopKCategoricalAccuracy(k=2), [2, 0, 0], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (lambda: M.TopKCategoricalAccuracy(k=2), np.eye(3)[[2, 0, 0]], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (lambda: M.Precision(thresholds=[0.3, 0.5]), [1, 0, 1], [0.7, 0.6, 0.2]),
    (lambda: M.Recall(top_k=1), [[1, 0], [0, 1], [1, 1]], [[0.7, 0.6], [0.2, 0.4], [0.3, 0.9]]),
    (M.AUC, [1, 0, 1, 0], [0.7, 0.6, 0.2, 0.1]),
    (lambda: M.AUC(curve="PR", from_logits=True), [1, 0, 1, 0], [0.7, 0.6, -0.2, -0.1]),
    (M.MeanSquaredError, [[1.0], [2.0], [0.0]], [[1.5], [2.0], [1.0]]),
    (M.RootMeanSquaredError, [1.0, 2.0, 0.0], [[1.5], [2.0], [1.0]]),
    (M.MeanAbsolutePercentageError, [[1.0], [2.0], [4.0]], [[1.5], [2.0], [1.0]]),
    (M.CosineSimilarity, [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], [[2.0, 0.0], [1.0, 0.0], [1.0, 0.5]]),
    (lambda: M.SparseCategoricalCrossentropy(from_logits=True), [1, 0, 2], [[0.1, 0.9, 0.0], [0.8, 0.1, 0.1], [0.3, 0.3, 0.4]]),
    (M.InferredAccuracy, [[1], [0], [1]], [[0.7], [0.6], [0.2]]),
]


@pytest.mark.parametrize("make,y_true,y_pred", FAKE_CASES)
def test_metrics_on_the_fake_device(make, y_true, y_pred):
    weights = [1.0, 2.0, 0.5, 1.0][:len(y_true)]
    host, device = make(), make()
    host.update_state(y_true, np.asarray(y_pred), sample_weight=weights)
    device.update_state(y_true, Tensor(y_pred, dtype="float64", device="fake"), sample_weight=weights)
    np.testing.assert_allclose(device.result(), host.result(), rtol=1e-12)


def test_seed_accuracy_on_the_fake_device():
    pred = Tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]], device="fake")
    assert M.Accuracy()(pred, [1, 0, 0]) == pytest.approx(2 / 3)
    assert M.Accuracy()(pred, Tensor(np.eye(2)[[1, 0, 0]], device="fake")) == pytest.approx(2 / 3)


def test_deserialize_keras_config_with_unsupported_keys_warns():
    config = {"class_name": "AUC", "config": {"name": "auc", "dtype": "float32", "num_thresholds": 10,
                                              "curve": "ROC", "summation_method": "interpolation",
                                              "multi_label": False, "label_weights": None, "num_labels": None,
                                              "from_logits": False, "thresholds": None, "mystery": 1}}
    with pytest.warns(UserWarning, match="mystery"):
        auc = M.deserialize(config)
    assert auc.num_thresholds == 10


@pytest.mark.parametrize("make,y_true,y_pred", FAKE_CASES)
def test_streaming_metrics_stay_on_the_device_until_result(make, y_true, y_pred):
    from host_syncs import count_host_syncs
    weights = np.array([1.0, 2.0, 0.5, 1.0][:len(y_true)])
    host, device = make(), make()
    label_checks = 1 if isinstance(device, M.SparseCategoricalCrossentropy) else 0  # the loss's range check
    pred = Tensor(y_pred, dtype="float64", device="fake")
    target = Tensor(np.asarray(y_true), device="fake")
    for sw in (None, weights):
        host.update_state(y_true, np.asarray(y_pred), sample_weight=sw)
        with count_host_syncs() as syncs:
            device.update_state(target, pred, sample_weight=None if sw is None else Tensor(sw, device="fake"))
        assert syncs.count == label_checks
    with count_host_syncs() as syncs:
        result = device.result()
    assert syncs.count <= 1
    np.testing.assert_allclose(result, host.result(), rtol=1e-12)
    device.reset_state()
    host.reset_state()
    np.testing.assert_allclose(device.result(), host.result())


def test_metric_variables_accumulate_on_the_device():
    from host_syncs import count_host_syncs
    m = M.Mean()
    var = m.add_variable(shape=(), name="total")
    with count_host_syncs() as syncs, backend.device_scope("fake"):
        for _ in range(3):
            var.assign_add(Tensor([1.0, 2.0], device="fake").data.sum())
    assert syncs.count == 0 and float(var) == 9.0 and var.numpy() == 9.0
    m.reset_state()
    assert float(var) == 0.0


def test_custom_metric_arithmetic_stays_on_the_device_outside_fit():
    """Keras's custom-metric idiom on device data, read in a hand loop (no fit scope around it):
    'fake' refuses device work outside its scope, so the variables' arithmetic must enter it."""
    class PositiveRate(M.Metric):
        def __init__(self):
            super().__init__(name="positive_rate")
            self.hits = self.add_variable(name="hits")
            self.seen = self.add_variable(name="seen")

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.hits.assign_add((y_pred.data > 0.5).sum())
            self.seen.assign_add(y_pred.shape[0])

        def result(self):
            return self.hits / self.seen

    metric = PositiveRate()
    metric.update_state(None, Tensor([0.9, 0.2, 0.7], device="fake"))
    rate = metric.result()
    assert rate.device == "fake" and float(rate) == pytest.approx(2 / 3)
    assert (-metric.hits).device == "fake" and float(2 - metric.hits) == 0.0
