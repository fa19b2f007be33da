"""BackupAndRestore: resume an interrupted `fit()` exactly where the last backup left it."""
import copy
import os
import random
import warnings

import numpy as np

from kerasish import backend
from kerasish.callbacks.callback import Callback
from kerasish.callbacks.history import HistoryDict

_FILE = "backup.h5"
_PREVIOUS = "backup.previous.h5"


class BackupAndRestore(Callback):
    """Backs up the training state regularly; the next `fit()` after a crash resumes from it.

    A backup holds the weights, the optimizer state, the epoch and step reached, the
    random generators' states (kerasish's, NumPy's global one, Python's and any layer's own),
    the `History` so far, the state of the other callbacks and the running metrics. With the
    same data and the same script, a run killed at any moment (even with SIGKILL) and started
    again ends with the same weights, bit for bit on CPU, as a run never interrupted.
    Backups are written atomically, so a kill during a write leaves the previous one intact.
    When `fit()` ends normally the backup is deleted (unless `delete_checkpoint=False`).

    Args:
        backup_dir: folder for the backup file (created if needed). Use one folder per run.
        save_freq: 'epoch' (back up at every epoch boundary) or an int N (every N batches;
            with data of unknown length, int backups happen at epoch boundaries only).
        delete_checkpoint: delete the backup when training ends normally. If False, the final
            state is backed up instead and a next `fit()` continues after the last epoch run.
        double_checkpoint: keep the previous backup too, and fall back to it if the latest
            one cannot be read.

    Put it first in the `callbacks` list: callbacks before it start each resumed epoch with
    the state they had just before its restore.

    Example:

    ```python
    model.fit(x, y, epochs=10, callbacks=[BackupAndRestore('/tmp/run1_backup')])
    # killed during epoch 6; running the same script again continues from the last backup
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True, double_checkpoint=False):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ValueError(f"BackupAndRestore needs a backup_dir (a folder path), got {backup_dir!r}")
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, (int, np.integer))
                                     or save_freq < 1):
            raise ValueError(f"save_freq must be 'epoch' or a positive number of batches, got {save_freq!r}")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq if save_freq == "epoch" else int(save_freq)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.double_checkpoint = bool(double_checkpoint)
        self._path = os.path.join(self.backup_dir, _FILE)
        self._reset()

    def _reset(self):
        self._pending = None        # restored state still to apply (history, callbacks, ...)
        self._first_epoch = None    # first epoch of this run
        self._epoch = 0
        self._epoch_rng = None      # generator states at the start of the current epoch
        self._since_save = 0
        self._save_at_boundary = False

    # --- hooks ----------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._reset()
        if getattr(self.model, "optimizer", None) is None:
            raise ValueError("BackupAndRestore needs a compiled model (call model.compile first)")
        candidates = [self._path] + ([os.path.join(self.backup_dir, _PREVIOUS)] if self.double_checkpoint else [])
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                self._restore(path)
                return
            except OSError as exc:
                if path == candidates[-1]:
                    raise
                warnings.warn(f"Backup '{path}' is unreadable ({exc}); trying the previous one",
                              RuntimeWarning, stacklevel=2)

    def on_epoch_begin(self, epoch, logs=None):
        if self._first_epoch is None:
            self._first_epoch = epoch
            if self._pending is not None:
                self._apply_pending(epoch)
        elif self.save_freq == "epoch" or self._save_at_boundary:
            # Saved here rather than in on_epoch_end: every callback (History, EarlyStopping, ...)
            # has then processed the finished epoch, and the generators are at this epoch's start.
            self._save(epoch, 0)
            self._save_at_boundary = False
            self._since_save = 0
        self._epoch = epoch
        self._epoch_rng = _rng_states(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._since_save += 1
        if self._since_save < self.save_freq:
            return
        steps = self.params.get("steps")
        if steps is not None and batch + 1 < steps:
            self._save(self._epoch, batch + 1)
            self._since_save = 0
        else:   # the epoch's last batch (or an unknown length): back up at the boundary
            self._save_at_boundary = True

    def on_train_end(self, logs=None):
        if self._pending is not None:   # resumed after the last epoch: nothing ran, keep the History
            self._apply_pending(self._pending["epoch"], resume_step=False)
        if not self.delete_checkpoint:
            # Kept for later: a next fit() resumes after the last epoch that ran (as in Keras).
            if self._first_epoch is not None:
                self._save(self._epoch + 1, 0)
            return
        for name in (_FILE, _PREVIOUS):
            path = os.path.join(self.backup_dir, name)
            if os.path.exists(path):
                os.remove(path)
        try:
            os.rmdir(self.backup_dir)
        except OSError:
            pass    # not empty (other files are the user's) or already gone

    # --- saving ---------------------------------------------------------------------------------
    def _state(self, epoch, step):
        model = self.model
        history = getattr(model, "history", None)
        others = [cb for cb in _callbacks_of(model) if cb is not self and not _is_default(cb)]
        return {
            "epoch": int(epoch), "step": int(step),
            "rng": _rng_states(model),
            "rng_epoch_start": self._epoch_rng if step else None,
            "history": None if history is None else {"history": history.history, "epoch": history.epoch},
            "callbacks": [[type(cb).__name__, _plain_state(cb)] for cb in others],
            "metrics": [_numeric_state(m) for m in getattr(model, "metrics", [])] if step else None,
        }

    def _save(self, epoch, step):
        import h5py
        from kerasish.saving import h5_weights, state_tree
        from kerasish.saving.atomic import atomic_write
        state = self._state(epoch, step)
        optimizer_state = self.model.optimizer.state_dict()
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self._path):
            os.replace(self._path, os.path.join(self.backup_dir, _PREVIOUS))
        with atomic_write(self._path) as tmp:
            with h5py.File(tmp, "w") as f:
                h5_weights.write_weights_group(f.create_group("model_weights"), self.model, self._path)
                state_tree.write_tree(f.create_group("optimizer"), optimizer_state, "optimizer state")
                state_tree.write_tree(f.create_group("state"), state, "training state")

    # --- restoring ------------------------------------------------------------------------------
    def _restore(self, path):
        from kerasish.saving import _common, h5_weights, state_tree
        with _common.open_h5(path) as f:
            try:
                state = state_tree.read_tree(f["state"])
                optimizer_state = state_tree.read_tree(f["optimizer"])
                plan = _common.LoadPlan(path, self.model)
                h5_weights.plan_weights_group(f["model_weights"], self.model, plan)
                if plan.problems:
                    raise ValueError(f"The backup '{path}' does not fit this model (delete "
                                     f"'{self.backup_dir}' to start afresh):\n  - " + "\n  - ".join(plan.problems))
                plan.execute()
            except KeyError as exc:
                raise OSError(f"Backup '{path}' is incomplete or damaged: {exc}") from exc
        self.model.optimizer.load_state_dict(optimizer_state)
        epoch, step = int(state["epoch"]), int(state["step"])
        # Mid-epoch: replay the epoch's start so the data order (a shuffle draws from the
        # generators) is the same; the state at the backup itself is set before the next batch.
        _set_rng_states(self.model, state["rng_epoch_start"] if step else state["rng"])
        object.__setattr__(self.model, "_resume_at", (epoch, step))
        self._pending = state

    def _apply_pending(self, epoch, resume_step=True):
        state, self._pending = self._pending, None
        model = self.model
        if getattr(model, "_resume_at", None) is not None:
            object.__delattr__(model, "_resume_at")
            raise RuntimeError("BackupAndRestore could not resume: this model's fit() does not honour "
                               "model._resume_at (epoch, step)")
        if epoch != state["epoch"]:
            warnings.warn(f"BackupAndRestore: the backup is at epoch {state['epoch']} but fit() started "
                          f"at epoch {epoch}", RuntimeWarning, stacklevel=3)
        history = getattr(model, "history", None)
        if history is not None and state["history"] is not None:
            history.history = HistoryDict((k, list(v)) for k, v in state["history"]["history"].items())
            history.epoch = list(state["history"]["epoch"])
        others = [cb for cb in _callbacks_of(model) if cb is not self and not _is_default(cb)]
        saved = state["callbacks"] or []
        for cb, (name, values) in zip(others, saved):
            if type(cb).__name__ != name:
                warnings.warn(f"BackupAndRestore: callback {type(cb).__name__} is where {name} was when "
                              "the backup was made; its state is not restored", RuntimeWarning, stacklevel=3)
                continue
            if "__state__" in values:
                cb.set_state(values["__state__"])
                continue
            for key, value in values.items():
                object.__setattr__(cb, key, value)
        if state["step"] and resume_step:
            self._install_resumed_step(state)

    def _install_resumed_step(self, state):
        """The first batch after a mid-epoch resume runs with the generators and running
        metrics as they were at the backup."""
        model = self.model
        original = model.train_step
        first = [True]

        def train_step(data):
            if not first[0]:    # the loop may hold on to this function for the rest of the epoch
                return original(data)
            first[0] = False
            if model.__dict__.get("train_step") is train_step:
                object.__delattr__(model, "train_step")
            _set_rng_states(model, state["rng"])
            logs = original(data)
            if state["metrics"] is not None and _merge_metrics(model, state["metrics"]):
                logs = {**logs, **model.get_metrics_result()}
            return logs

        object.__setattr__(model, "train_step", train_step)


# --- helpers ------------------------------------------------------------------------------------
def _callbacks_of(model):
    callbacks = getattr(model, "_fit_callbacks", None)
    return list(getattr(callbacks, "callbacks", callbacks) or [])


def _is_default(cb):
    from kerasish.callbacks.history import History
    from kerasish.callbacks.progbar import ProgbarLogger
    return isinstance(cb, (History, ProgbarLogger))


def _layer_generators(model):
    from kerasish.saving._common import walk_layers
    out = {}
    for i, layer in enumerate(walk_layers(model)):
        for key, value in vars(layer).items():
            if isinstance(value, np.random.Generator):
                out[f"{i}.{key}"] = value
    return out


def _rng_states(model):
    return {"kerasish": backend.get_rng_state(), "numpy": np.random.get_state(),
            "python": random.getstate(),
            "layers": {k: g.bit_generator.state for k, g in _layer_generators(model).items()}}


def _set_rng_states(model, states):
    backend.set_rng_state(states["kerasish"])
    np.random.set_state(tuple(states["numpy"]))
    py = states["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    generators = _layer_generators(model)
    for key, value in (states.get("layers") or {}).items():
        if key in generators:
            generators[key].bit_generator.state = value


def _plain(value, depth=0):
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return True
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "biuf"
    if depth > 3:
        return False
    if isinstance(value, (list, tuple)):
        return all(_plain(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v, depth + 1) for k, v in value.items())
    return False


def _plain_state(callback):
    """A callback's attributes that are plain data (counters, best values, saved weights)."""
    if hasattr(callback, "get_state") and hasattr(callback, "set_state"):
        return {"__state__": callback.get_state()}
    return {k: copy.deepcopy(v) for k, v in vars(callback).items()
            if k not in ("model", "params") and _plain(v)}


def _numeric_state(metric):
    out = {k: v for k, v in vars(metric).items()
           if not isinstance(v, bool) and (isinstance(v, (int, float, np.number)) or
                                          (isinstance(v, np.ndarray) and v.dtype.kind in "iuf"))}
    for i, var in enumerate(getattr(metric, "variables", None) or []):
        out[f"__var{i}"] = np.array(var.value)
    return out


def _merge_metrics(model, saved):
    """Adds the running sums saved at the backup to the metrics' state after one batch
    (metric states are sums, so saved + this batch = the uninterrupted run's state)."""
    metrics = list(getattr(model, "metrics", []))
    if len(metrics) != len(saved):
        return False
    for metric, before in zip(metrics, saved):
        fresh = copy.deepcopy(metric)
        fresh.reset_state()
        initial, current = _numeric_state(fresh), _numeric_state(metric)
        if set(before) != set(current):
            return False
        for key, value in before.items():
            merged = current[key] + value - initial[key]
            if key.startswith("__var"):
                metric.variables[int(key[5:])].assign(merged)
            else:
                object.__setattr__(metric, key, type(current[key])(merged)
                                   if isinstance(current[key], (int, float)) else merged)
    return True
