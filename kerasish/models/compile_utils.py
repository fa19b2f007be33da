"""The compiled loss and metrics of `Model.compile`, spread over a model's outputs.

`CompileLoss` resolves `compile(loss=...)` (one loss, a list, or a dict by output name) into
one loss per output, weighted by `loss_weights` and summed; `CompileMetrics` does the same
for `metrics` / `weighted_metrics`. Both are built at the first batch, when the output
names and shapes are known. `RunningMean` is the sample-weighted mean behind the 'loss'
and per-output '<name>_loss' logs. The training loop itself is in `trainer.py`.
"""
import copy
import numbers
import warnings

from kerasish import backend
from kerasish.metrics.base import host_values
from kerasish.tensor import Tensor


def to_float(value):
    """A Python float from a float, a Tensor, or an array scalar."""
    if type(value) is float:
        return value
    if hasattr(value, "item"):
        return float(value.item())
    return float(value)


def output_names(y_pred, model):
    """Output names: dict keys, the model's `output_names`, or output_0, output_1, ...; [None] for one."""
    if isinstance(y_pred, dict):
        return list(y_pred)
    if isinstance(y_pred, (list, tuple)):
        if len(y_pred) == 1:
            return [None]
        try:
            names = list(getattr(model, "output_names", None) or [])
        except (AttributeError, ValueError):
            names = []
        if len(names) == len(y_pred) and len(set(names)) == len(names):
            return [str(n) for n in names]
        return [f"output_{i}" for i in range(len(y_pred))]
    return [None]


def flat_outputs(y_pred, names):
    """The outputs as a list in `names` order (one output: a list of one)."""
    if isinstance(y_pred, dict):
        return [y_pred[n] for n in names]
    if isinstance(y_pred, (list, tuple)):
        return list(y_pred)
    return [y_pred]


def per_output(value, names, what, allow_missing=False):
    """Spreads `value` (one for all, a list, or a dict by output name) over the outputs."""
    k = len(names)
    if names == [None]:
        if isinstance(value, (list, tuple)) and len(value) == 1:
            return [value[0]]
        if isinstance(value, dict) and len(value) == 1:
            return [next(iter(value.values()))]
        if isinstance(value, (list, tuple, dict)):
            raise ValueError(f"The model has a single output, but {what} is a {type(value).__name__} of "
                             f"{len(value)} items; pass one {what} (not a list or dict)")
        return [value]
    if isinstance(value, dict):
        unknown = [n for n in value if n not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not output names; the outputs are {names}")
        missing = [n for n in names if n not in value]
        if missing and not allow_missing:
            raise ValueError(f"{what} has no entry for outputs {missing}; the outputs are {names}")
        return [value.get(n) for n in names]
    if isinstance(value, (list, tuple)):
        if len(value) != k:
            raise ValueError(f"The model has {k} outputs {names}, but {what} is a list of {len(value)}; "
                             f"pass {k} items (or a dict keyed by output name)")
        return list(value)
    return [value] * k


def targets_per_output(y, names):
    """y spread over the outputs (None where an output has no target); one array for many outputs raises."""
    if names != [None] and y is not None and not isinstance(y, (list, tuple, dict)):
        raise ValueError(f"The model has {len(names)} outputs {names}, but y is a single array; pass a list "
                         f"of {len(names)} arrays or a dict keyed by output name")
    if y is None:
        return [None] * len(names)
    return per_output(y, names, "y", allow_missing=True)


class RunningMean:
    """A scalar mean weighted by sample count (the loss trackers); `update_state(value, n)`.

    Values on a GPU stay there until read: `flush_running_means` brings every pending value
    of several trackers to the host in one transfer (one sync per batch for all losses).
    """

    def __init__(self, name):
        self.name = name
        self.total = 0.0
        self.count = 0.0
        self._pending = []   # (0-d device array, weight) not yet added to total

    def update_state(self, values, sample_weight=None):
        """Adds `values` (a scalar, Tensor or array mean) with weight `sample_weight` (default 1)."""
        n = 1.0 if sample_weight is None else float(sample_weight)
        data = values.data if isinstance(values, Tensor) else values
        if hasattr(data, "shape") and backend.device_of(data) != "cpu":
            self._pending.append((data, n))
        else:
            self.total += to_float(values) * n
        self.count += n

    def result(self):
        """The weighted mean so far (0.0 before any update)."""
        if self._pending:
            flush_running_means([self])
        return self.total / self.count if self.count else 0.0

    def reset_state(self):
        """Forgets all updates."""
        self.total = 0.0
        self.count = 0.0
        self._pending = []


def pending_values(trackers):
    """(tracker, device value, weight) for every value the RunningMeans in `trackers` hold back."""
    return [(t, v, n) for t in trackers if isinstance(t, RunningMean) for v, n in t._pending]


def flush_running_means(trackers):
    """Adds the device-resident values pending in `trackers` to their totals, in one transfer."""
    pending = pending_values(trackers)
    if not pending:
        return
    host = host_values(*(v for _, v, _ in pending))
    for (tracker, _, n), value in zip(pending, host):
        tracker.total += float(value) * n
    for tracker in trackers:
        if isinstance(tracker, RunningMean):
            tracker._pending = []


# --- compiled loss and metrics ------------------------------------------------------------------
def _call_loss(fn, y_true, y_pred, sample_weight):
    from kerasish.losses import is_seed_loss
    if is_seed_loss(fn):
        value = fn(y_pred, y_true) if sample_weight is None else fn(y_pred, y_true, sample_weight=sample_weight)
    else:
        value = fn(y_true, y_pred) if sample_weight is None else fn(y_true, y_pred, sample_weight=sample_weight)
    if not isinstance(value, Tensor):
        raise TypeError(f"The loss {fn!r} returned {type(value).__name__}; a loss must return a Tensor "
                        "computed from y_pred with kerasish ops (so that gradients flow)")
    return value if value.ndim == 0 else value.mean()


class CompileLoss:
    """The compiled loss: one loss per output, weighted, summed; built at the first batch."""

    def __init__(self, loss, loss_weights):
        from kerasish import losses
        self.spec = loss
        if isinstance(loss, dict):
            self.resolved = {k: losses.get(v) for k, v in loss.items()}
        elif isinstance(loss, (list, tuple)):
            self.resolved = [losses.get(v) for v in loss]
        else:
            self.resolved = losses.get(loss)
        if loss_weights is not None and not isinstance(loss_weights, (dict, list, tuple, numbers.Real)):
            raise TypeError(f"loss_weights must be a number, a list or a dict, got {type(loss_weights).__name__}")
        self.loss_weights = loss_weights
        self.names = None
        self.fns = None
        self.trackers = []
        self._checked = False

    def build(self, names):
        self.names = names
        self.fns = per_output(self.resolved, names, "loss", allow_missing=True)
        weights = per_output(self.loss_weights, names, "loss_weights", allow_missing=True)
        self.weights = [1.0 if w is None else float(w) for w in weights]
        multi = names != [None]
        self.trackers = [RunningMean(f"{n}_loss") if multi and fn is not None else None
                         for n, fn in zip(names, self.fns)]

    def __call__(self, y_true, y_pred, sample_weight, n):
        """The weighted sum of the per-output losses (a scalar Tensor), or None when no output has one."""
        if not self._checked:
            self._checked = True
            for name, fn, pred in zip(self.names, self.fns, y_pred):
                _warn_if_not_probabilities(fn, name, pred)
        total = None
        for i, fn in enumerate(self.fns):
            if fn is None:
                continue
            if y_true[i] is None:
                raise ValueError(f"No target given for output {self.names[i] or 0!r}, which has a loss: "
                                 "pass y for it, or compile with loss=None for that output")
            value = _call_loss(fn, y_true[i], y_pred[i], sample_weight[i])
            if self.weights[i] != 1.0:
                value = value * self.weights[i]
            if self.trackers[i] is not None:
                self.trackers[i].update_state(value, n)
            total = value if total is None else total + value
        return total


def _warn_if_not_probabilities(fn, name, y_pred):
    """Warns (once, at the first batch) when a loss that takes probabilities gets values outside [0, 1].

    A last layer without softmax under loss='sparse_categorical_crossentropy' runs but trains
    badly (Keras gives no hint either); one min/max read from the device, once, says why.
    """
    from kerasish import backend, losses
    binary = isinstance(fn, (losses.BinaryCrossentropy, losses.BCELoss))
    if not (binary or isinstance(fn, (losses.CategoricalCrossentropy, losses.SparseCategoricalCrossentropy))) \
            or getattr(fn, "from_logits", False) or not isinstance(y_pred, Tensor) or not y_pred.size:
        return
    data = y_pred.data
    lo, hi = (float(v) for v in backend.to_numpy(backend.get_array_module(data).stack([data.min(), data.max()])))
    if not (lo < -1e-3 or hi > 1.0 + 1e-3):  # NaN compares False: not this warning's business
        return
    activation, keras_loss = ("sigmoid", "BinaryCrossentropy") if binary else ("softmax", type(fn).__name__)
    where = "the model's output" if name is None else f"output {name!r}"
    warnings.warn(f"The loss {type(fn).__name__} takes probabilities (from_logits=False), but {where} has "
                  f"values from {lo:.3g} to {hi:.3g}: these look like logits, and training on them goes wrong. "
                  f"Add activation='{activation}' to the last layer, or compile with "
                  f"loss={keras_loss}(from_logits=True).", UserWarning, stacklevel=2)


def _metric_list(spec, what):
    if spec is None:
        return []
    if isinstance(spec, (str, dict)) or callable(spec) or not isinstance(spec, (list, tuple)):
        if isinstance(spec, dict):
            return spec
        raise TypeError(f"{what} must be a list (or a dict keyed by output name), got {type(spec).__name__}: "
                        f"write {what}=[{spec!r}]")
    return list(spec)


class CompileMetrics:
    """The compiled metrics, one set per output; built at the first batch (accuracy needs shapes)."""

    def __init__(self, metrics, weighted_metrics):
        self.spec = _metric_list(metrics, "metrics")
        self.weighted_spec = _metric_list(weighted_metrics, "weighted_metrics")
        for item in _leaves_of(self.spec) + _leaves_of(self.weighted_spec):
            _check_metric_identifier(item)
        self.entries = []     # (output index, metric, weighted)
        self.built = False

    def build(self, names, loss_fns):
        entries, seen_ids = [], set()
        for spec, weighted in ((self.spec, False), (self.weighted_spec, True)):
            per_output = self._spread(spec, names)
            for i, items in enumerate(per_output):
                for item in items:
                    metric = _make_metric(item, loss_fns[i])
                    if id(metric) in seen_ids:
                        metric = copy.deepcopy(metric)
                    seen_ids.add(id(metric))
                    if names[i] is not None:
                        metric.name = f"{names[i]}_{metric.name}"
                    if weighted and any(m.name == metric.name for _, m, _ in entries):
                        metric.name = "weighted_" + metric.name
                    entries.append((i, metric, weighted))
        self.entries = entries
        self.built = True

    @staticmethod
    def _spread(spec, names):
        k = len(names)
        if isinstance(spec, dict):
            per = per_output(spec, names, "metrics", allow_missing=True)
            return [[] if v is None else (list(v) if isinstance(v, (list, tuple)) else [v]) for v in per]
        if k > 1 and spec and all(isinstance(s, (list, tuple)) or s is None for s in spec):
            if len(spec) != k:
                raise ValueError(f"metrics is a list of {len(spec)} lists, but the model has {k} outputs {names}")
            return [list(s or []) for s in spec]
        return [list(spec) for _ in range(k)]

    def update_state(self, y_true, y_pred, sample_weight):
        for i, metric, weighted in self.entries:
            if y_true[i] is None:
                continue
            if weighted and sample_weight[i] is not None:
                metric.update_state(y_true[i], y_pred[i], sample_weight=sample_weight[i])
            else:
                metric.update_state(y_true[i], y_pred[i])

    @property
    def metrics(self):
        return [m for _, m, _ in self.entries]


def _leaves_of(spec):
    if isinstance(spec, dict):
        spec = list(spec.values())
    out = []
    for s in spec:
        out.extend(_leaves_of(s) if isinstance(s, (list, tuple, dict)) else [s])
    return out


def _check_metric_identifier(item):
    """Raises at compile time for an unknown metric name (listing the valid ones)."""
    if item is None or not isinstance(item, str) or item.lower() in ("accuracy", "acc"):
        return
    from kerasish import metrics
    metrics.get(item)


def _make_metric(item, loss_fn):
    """A metric object for one output ('accuracy' / 'acc' pick binary / categorical / sparse by the loss)."""
    from kerasish import metrics
    return metrics.get(item, loss=loss_fn)
