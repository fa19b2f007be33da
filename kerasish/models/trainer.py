"""The training loop: compile / fit / evaluate / predict, written once.

`Model(Trainer, Layer)` inherits this mixin. One loop (`Trainer._run`) serves fit's
epochs, validation, evaluate and predict; `train_step` / `test_step` / `predict_step`
are the override points (as in Keras), each getting one batch packed `(x,)`, `(x, y)`
or `(x, y, sample_weight)` whose arrays are already Tensors on the model's device.

Logged values follow Keras: batch logs are running means over the epoch so far, weighted
by batch size (the last partial batch is kept and counts for its real size); an epoch's
'loss' is therefore the mean over the epoch while the weights changed, not `evaluate`'s.
"""
import numpy as np

from kerasish import backend
from kerasish._config import no_grad
from kerasish.callbacks.callback_list import CallbackList
from kerasish.callbacks.progbar import resolve_verbose
from kerasish.data.adapters import flatten, is_array_structure, pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerasish.data.epoch_iterator import EpochIterator, _apply_class_weight, train_validation_split
from kerasish.metrics.base import prefetched
from kerasish.models.compile_utils import (CompileLoss, CompileMetrics, RunningMean, flat_outputs,
                                           flush_running_means, output_names, pending_values, per_output,
                                           targets_per_output, to_float)
from kerasish.models.legacy import LegacyTrainingMixin
from kerasish.tensor import Tensor


# --- small helpers ------------------------------------------------------------------------------
def _to_device(data, device):
    """Every array leaf of a batch as a Tensor on `device` (float data in floatx)."""
    if isinstance(data, Tensor):
        return data if data.device == device else data.to(device)
    if isinstance(data, tuple):
        return tuple(_to_device(d, device) for d in data)
    if isinstance(data, list):
        return [_to_device(d, device) for d in data]
    if isinstance(data, dict):
        return {k: _to_device(v, device) for k, v in data.items()}
    if data is None:
        return None
    return Tensor(data, device=device)


def _to_host(out):
    """Model outputs as host numpy arrays (lists / dicts kept)."""
    if isinstance(out, Tensor):
        return backend.to_numpy(out.data)
    if isinstance(out, (list, tuple)):
        return type(out)(_to_host(o) for o in out)
    if isinstance(out, dict):
        return {k: _to_host(v) for k, v in out.items()}
    return backend.to_numpy(out)


def _concat(batches):
    """Joins per-batch outputs (arrays, or lists / dicts of arrays) along the sample axis."""
    first = batches[0]
    if isinstance(first, dict):
        return {k: _concat([b[k] for b in batches]) for k in first}
    if isinstance(first, (list, tuple)):
        return [_concat([b[i] for b in batches]) for i in range(len(first))]
    return np.concatenate(batches, axis=0) if len(batches) > 1 else first


class _CompiledMetrics:
    """`model.compiled_metrics` of Keras 2 custom steps: updates the compiled metrics."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds one batch to every compiled metric."""
        self._model.compute_metrics(None, y_true, y_pred, sample_weight)

    @property
    def metrics(self):
        """The compiled metric objects."""
        return list(self._model._compile_metrics.metrics)


def _num_samples(x):
    """Batch size of a batch's x (its first array leaf)."""
    if isinstance(x, Tensor) or hasattr(x, "shape"):
        return int(x.shape[0]) if len(x.shape) else 1
    leaves = flatten(x)
    return int(leaves[0][1].shape[0]) if leaves else 0


def _shapes(x):
    """Shapes of a batch's x with the batch axis as None (lists / dicts kept)."""
    if isinstance(x, (list, tuple)):
        return [_shapes(v) for v in x]
    if isinstance(x, dict):
        return {k: _shapes(v) for k, v in x.items()}
    return (None,) + tuple(x.shape[1:])


# --- the mixin --------------------------------------------------------------------------------------
class Trainer(LegacyTrainingMixin):
    """Mixin giving a Model `compile`, `fit`, `evaluate`, `predict` and the `*_on_batch` calls.

    Override `train_step(data)` / `test_step(data)` / `predict_step(data)` to customise one
    step; `data` is the batch packed `(x,)`, `(x, y)` or `(x, y, sample_weight)` with Tensors
    on the model's device. `train_step` returns the logs dict (running means), e.g. via
    `compute_metrics(x, y, y_pred, sample_weight)`.
    """

    optimizer = None
    history = None
    stop_training = False
    _compiled = False
    _do_validation = None

    # --- compile ----------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, weighted_metrics=None,
                run_eagerly=None, steps_per_execution=None, jit_compile=None, **kwargs):
        """Configures training.

        Args:
            optimizer: name ('adam', 'sgd', 'rmsprop', ...) or an Optimizer instance; its
                parameters are the model's, given at the first batch if not given already.
            loss: name, Loss object (Keras-style, called (y_true, y_pred)), seed loss object
                (MSELoss(), CrossEntropy(), ... called (prediction, target)), a function
                fn(y_true, y_pred), or a list / dict (by output name) for several outputs.
            metrics: list of names ('accuracy' picks binary / categorical / sparse from the
                loss and shapes), Metric objects or functions; a dict or list of lists gives
                each output its own.
            loss_weights: number, list or dict scaling each output's loss in the total.
            weighted_metrics: metrics that receive `sample_weight` / `class_weight`.
            run_eagerly, steps_per_execution, jit_compile: accepted for Keras compatibility
                (this framework always runs eagerly, one step at a time).

        Example:

        ```python
        model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])
        ```
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments: {sorted(kwargs)}")
        from kerasish import optimizers
        self.optimizer = optimizers.get(optimizer)
        from kerasish.mixed_precision import LossScaleOptimizer, global_policy
        if global_policy().name == "mixed_float16" and not isinstance(self.optimizer, LossScaleOptimizer):
            self.optimizer = LossScaleOptimizer(self.optimizer)  # float16 gradients need loss scaling
        self.loss = loss
        self._compile_loss = CompileLoss(loss, loss_weights)
        self._compile_metrics = CompileMetrics(metrics, weighted_metrics)
        self._loss_tracker = RunningMean("loss")
        self._optimizer_ready = bool(self.optimizer.params)
        self._metrics_cache = None
        self._compiled = True
        self.stop_training = False

    def _assert_compiled(self, method):
        if not self._compiled:
            raise RuntimeError(f"You must call compile() before {method}(): e.g. model.compile("
                               "optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])")

    @property
    def metrics(self):
        """The metric objects whose results make the logs: the loss tracker(s) first."""
        if not self._compiled:
            return []
        cache = self.__dict__.get("_metrics_cache")
        if cache is None:
            cache = [self._loss_tracker] + [t for t in self._compile_loss.trackers if t is not None] + \
                self._compile_metrics.metrics
            if self._compile_metrics.built:
                object.__setattr__(self, "_metrics_cache", cache)
        return cache

    @property
    def metrics_names(self):
        """Names of the logged values, in the order `evaluate` returns them."""
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        """Resets the running means of the loss and every metric."""
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self):
        """The logs dict {name: float} of the current running means."""
        metrics = self.metrics
        device_state = [v for _, v, _ in pending_values(metrics)]
        device_state += [var.raw() for m in metrics for var in getattr(m, "variables", ())]
        with prefetched(device_state):  # every loss and metric state in one device read
            flush_running_means(metrics)
            return {m.name: to_float(m.result()) for m in metrics}

    # --- one step ---------------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The total loss Tensor: compiled loss(es), weighted, plus regularization (`self.losses`)."""
        names = self._ensure_built(y, y_pred)
        y_true = targets_per_output(y, names)
        preds = [p.astype("float32") if p.dtype == np.float16 else p  # losses in float32 under mixed precision
                 for p in flat_outputs(y_pred, names)]
        weights = per_output(sample_weight, names, "sample_weight", allow_missing=True)
        total = self._compile_loss(y_true, preds, weights, _num_samples(preds[0]))
        penalties = self.losses
        if penalties:
            reg = penalties[0]
            for p in penalties[1:]:
                reg = reg + p
            total = reg if total is None else total + reg
        if total is None:
            raise ValueError("No loss to compute: pass loss= to compile() (e.g. loss='mse'), or add "
                             "regularization losses to the model")
        return total

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics with one batch; returns the logs (running means)."""
        names = self._ensure_built(y, y_pred)
        if self._compile_metrics.entries and y is not None:
            with no_grad():
                self._compile_metrics.update_state(
                    targets_per_output(y, names), flat_outputs(y_pred, names),
                    per_output(sample_weight, names, "sample_weight", allow_missing=True))
        return self.get_metrics_result()

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        """Keras 2's name: `compute_loss(y=y, y_pred=y_pred, ...)`, also counted in the 'loss' log.

        `regularization_losses` is accepted for Keras 2 code; the model's own `losses` are
        always included, as in `compute_loss`.
        """
        loss = self.compute_loss(None, y, y_pred, sample_weight)
        self._loss_tracker.update_state(loss, _num_samples(flat_outputs(y_pred, self._compile_loss.names)[0]))
        return loss

    @property
    def compiled_metrics(self):
        """Keras 2's compiled metrics: `compiled_metrics.update_state(y, y_pred, sample_weight=None)`."""
        return _CompiledMetrics(self)

    def _ensure_built(self, y, y_pred):
        names = self._compile_loss.names
        if names is None:
            names = output_names(y_pred, self)
            self._compile_loss.build(names)
            self._metrics_cache = None
        if not self._compile_metrics.built and y is not None:
            self._compile_metrics.build(names, self._compile_loss.fns)
            self._metrics_cache = None
        return names

    def _ensure_optimizer(self):
        """Gives the optimizer the model's parameters once they exist (compile(optimizer='adam'))."""
        if not self._optimizer_ready and self.built:
            self.optimizer.set_parameters(self.parameters)
            self._optimizer_ready = True

    def train_step(self, data):
        """One training step on a batch: forward, loss, zero_grad, backward, optimizer step.

        Returns:
            The logs dict (running means of the loss and metrics over the epoch so far).
        """
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x, y, y_pred, sample_weight)
        self._loss_tracker.update_state(loss, _num_samples(x))
        self._ensure_optimizer()
        if loss.requires_grad:
            self.optimizer.zero_grad()
            scale = getattr(self.optimizer, "scale_loss", None)  # LossScaleOptimizer (mixed precision)
            if scale is None:
                loss.backward()
            else:
                # an overflowing float16 gradient is expected now and then: the step is skipped
                # and the scale halved, so numpy's overflow warnings are noise here
                with np.errstate(over="ignore", invalid="ignore"):
                    scale(loss).backward()
            self.optimizer.step()
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        """One evaluation step (inference mode, no graph); returns the logs (running means)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, _num_samples(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        """One prediction step: the model's output(s) for the batch's x."""
        x, _, _ = unpack_x_y_sample_weight(data)
        return self(x, training=False)

    # --- the loop ---------------------------------------------------------------------------------
    def _run(self, mode, iterator, callbacks, outputs=None, skip=0):
        """Runs one pass of `iterator` through `<mode>_step` with the batch callbacks.

        The first `skip` batches are drawn but not run (resuming mid-epoch keeps the data
        order). Returns (last logs, number of batches drawn). Predictions go to `outputs`.
        Everything runs in the model's device scope (its GPU is CuPy's current one).
        """
        with backend.device_scope(self.device):
            return self._run_batches(mode, iterator, callbacks, outputs, skip)

    def _run_batches(self, mode, iterator, callbacks, outputs, skip):
        step_fn = {"train": self.train_step, "test": self.test_step, "predict": self.predict_step}[mode]
        on_begin = getattr(callbacks, f"on_{mode}_batch_begin")
        on_end = getattr(callbacks, f"on_{mode}_batch_end")
        device = self.device
        train = mode == "train"
        setup = train and not self._optimizer_ready
        logs, steps = {}, 0
        for step, batch in iterator.enumerate_epoch():
            if step < skip:
                steps += 1
                continue
            on_begin(step)
            batch = _to_device(batch, device)
            if setup:  # before the first step, so that a custom train_step finds a ready optimizer
                self._build(_shapes(unpack_x_y_sample_weight(batch)[0]))
                self._ensure_optimizer()
                setup = False
            result = step_fn(batch)
            if outputs is not None:
                result = _to_host(result)
                outputs.append(result)
                on_end(step, {"outputs": result})
            else:
                logs = result
                on_end(step, logs)
            steps += 1
            if train and self.stop_training:
                break
        return logs, steps

    def _callbacks(self, callbacks, add_history, verbose, epochs, steps):
        params = {"epochs": epochs, "steps": steps, "verbose": verbose}
        if isinstance(callbacks, CallbackList):
            callbacks.set_model(self)
            callbacks.set_params(params)
            return callbacks
        return CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0, model=self, **params)

    def _test_loop(self, iterator, callbacks):
        """evaluate's loop, also used for validation: inference mode, no graph, metrics reset."""
        previous = self.training
        self.eval()
        try:
            with no_grad():
                self.reset_metrics()
                callbacks.on_test_begin({})
                logs, steps = self._run("test", iterator, callbacks)
                if steps == 0:
                    raise ValueError("evaluation got no batches: the validation / test data is empty "
                                     "or ran out of data")
                logs = {k: to_float(v) for k, v in logs.items()}
                iterator.on_epoch_end()  # a Sequence's on_epoch_end after each pass, as in Keras 2
                callbacks.on_test_end(logs)
        finally:
            self.train(previous)
        return logs

    # --- fit / evaluate / predict ---------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None, sample_weight=None,
            initial_epoch=0, steps_per_epoch=None, validation_steps=None, validation_batch_size=None,
            validation_freq=1, max_queue_size=10, workers=1, use_multiprocessing=False):
        """Trains the model for `epochs` epochs; returns the `History`.

        Args:
            x: numpy arrays / Tensors (a list or dict of them for several inputs), a Dataset,
                DataLoader or Sequence, or a generator of (x, y[, sample_weight]) batches.
            y: targets (arrays), only with array x.
            batch_size: samples per batch for array x (default 32). The last partial batch is used.
            epochs: index of the last epoch (trains epochs - initial_epoch epochs).
            verbose: 'auto' (1 on a terminal, else 2), 0 silent, 1 a tqdm bar per epoch,
                2 one line per epoch.
            callbacks: list of Callbacks (a History and the progress bar are added).
            validation_split: the LAST fraction of the array data (taken before shuffling) is
                held out for validation. Not for generators / Datasets.
            validation_data: (x_val, y_val[, sample_weight_val]) or a Dataset / DataLoader /
                Sequence / generator; takes precedence over validation_split.
            shuffle: reshuffle array data (or a Sequence's batch order) every epoch.
            class_weight: {class: weight} scaling each sample's loss by its class.
            sample_weight: per-sample weights for array x.
            initial_epoch: epoch to start from (for resuming).
            steps_per_epoch: batches per epoch; needed only for infinite sources.
            validation_steps: batches per validation run (default: all).
            validation_batch_size: batch size for validation arrays (default: batch_size).
            validation_freq: validate every N epochs (int) or at these epochs (1-based list).
            max_queue_size, workers, use_multiprocessing: Keras 2 arguments, accepted and ignored
                (use `Dataset.prefetch` / `DataLoader(num_workers=...)` for parallel loading).

        Returns:
            A `History` whose `history` dict holds one value per epoch for 'loss', each
            metric, and their 'val_' versions. Training values are means over the epoch.
        """
        self._assert_compiled("fit")
        verbose = resolve_verbose(verbose)
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = train_validation_split((x, y, sample_weight),
                                                                            validation_split)
        self._check_inputs(x)
        train_data = EpochIterator(x, y, sample_weight, batch_size, steps_per_epoch, shuffle, class_weight)
        val_data = None
        if validation_data is not None:
            vx, vy, vw = _unpack_validation(validation_data)
            val_data = EpochIterator(vx, vy, vw, validation_batch_size or batch_size, validation_steps,
                                     shuffle=False, steps_name="validation_steps")
        validate_at = _validation_epochs(validation_freq)
        # Build from the arrays' shapes before the callbacks start, so on_train_begin sees the
        # weights and optimizer (BackupAndRestore restores them there).
        self._build(getattr(train_data.adapter, "input_shape", None))
        self._ensure_optimizer()
        callbacks = self._callbacks(callbacks, True, verbose, int(epochs), train_data.num_batches)
        self.stop_training = False
        self._do_validation = val_data is not None
        self.history = callbacks.history
        previous = self.training
        self.train()
        logs = {}
        object.__setattr__(self, "_fit_callbacks", callbacks)  # for BackupAndRestore
        try:
            callbacks.on_train_begin({})
            first_epoch, skip = int(initial_epoch), 0
            resume = self.__dict__.pop("_resume_at", None)  # set by BackupAndRestore.on_train_begin
            if resume is not None:
                first_epoch, skip = int(resume[0]), int(resume[1])
            for epoch in range(first_epoch, int(epochs)):
                self.reset_metrics()
                callbacks.on_epoch_begin(epoch, {})
                batch_logs, steps = self._run("train", train_data, callbacks, skip=skip)
                skip = 0
                if steps == 0:
                    break
                epoch_logs = {k: to_float(v) for k, v in batch_logs.items()}
                if val_data is not None and validate_at(epoch):
                    val_logs = self._test_loop(val_data, callbacks)
                    epoch_logs.update({"val_" + k: v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                train_data.on_epoch_end()
                logs = epoch_logs
                if self.stop_training or train_data.exhausted:
                    break
            callbacks.on_train_end(logs)
        finally:
            self.__dict__.pop("_fit_callbacks", None)
            self.train(previous)
            _close_progbar(callbacks)
            train_data.close()  # worker threads stop now, even while a traceback keeps this frame
            if val_data is not None:
                val_data.close()
        return self.history

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None, steps=None,
                 callbacks=None, return_dict=False, max_queue_size=10, workers=1, use_multiprocessing=False):
        """Returns the loss (and metrics) on the data, in inference mode.

        Returns:
            The scalar loss when no metrics are compiled, else `[loss, *metrics]` in
            `metrics_names` order; a dict {name: value} with `return_dict=True`.
        """
        self._assert_compiled("evaluate")
        verbose = resolve_verbose(verbose)
        self._check_inputs(x)
        data = EpochIterator(x, y, sample_weight, batch_size, steps, shuffle=False, steps_name="steps")
        callbacks = self._callbacks(callbacks, False, verbose, 1, data.num_batches)
        try:
            logs = self._test_loop(data, callbacks)
        finally:
            _close_progbar(callbacks)
            data.close()
        return logs if return_dict else _flat_logs(logs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None, max_queue_size=10,
                workers=1, use_multiprocessing=False):
        """Returns the model's outputs on `x` as numpy (a list / dict of arrays for several outputs)."""
        verbose = resolve_verbose(verbose)
        self._check_inputs(x)
        data = EpochIterator(x, None, None, batch_size, steps, shuffle=False, steps_name="steps")
        callbacks = self._callbacks(callbacks, False, verbose, 1, data.num_batches)
        outputs = []
        previous = self.training
        self.eval()
        try:
            with no_grad():
                callbacks.on_predict_begin({})
                self._run("predict", data, callbacks, outputs)
                callbacks.on_predict_end({})
        finally:
            self.train(previous)
            _close_progbar(callbacks)
            data.close()
        if not outputs:
            raise ValueError("predict() got no batches: the input is empty or ran out of data")
        return _concat(outputs)

    # --- single batches ---------------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False,
                       reset_metrics=True):
        """One training step on one batch; returns its loss (and metrics) as `evaluate` does.

        With `reset_metrics=True` (default) the values are this batch's; False keeps running means.
        """
        self._assert_compiled("train_on_batch")
        if reset_metrics:
            self.reset_metrics()
        batch = pack_x_y_sample_weight(x, y, sample_weight)
        if class_weight is not None:
            from kerasish.data.epoch_iterator import _class_weight_table
            batch = _apply_class_weight(batch, _class_weight_table(class_weight))
        previous = self.training
        self.train()
        try:
            with backend.device_scope(self.device):
                logs = self.train_step(_to_device(batch, self.device))
        finally:
            self.train(previous)
        logs = {k: to_float(v) for k, v in logs.items()}
        return logs if return_dict else _flat_logs(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False, reset_metrics=True):
        """Evaluates one batch (inference mode, no graph); returns values as `evaluate` does."""
        self._assert_compiled("test_on_batch")
        if reset_metrics:
            self.reset_metrics()
        previous = self.training
        self.eval()
        try:
            with no_grad(), backend.device_scope(self.device):
                logs = self.test_step(_to_device(pack_x_y_sample_weight(x, y, sample_weight), self.device))
        finally:
            self.train(previous)
        logs = {k: to_float(v) for k, v in logs.items()}
        return logs if return_dict else _flat_logs(logs)

    def predict_on_batch(self, x):
        """The model's outputs on one batch, as numpy."""
        previous = self.training
        self.eval()
        try:
            with no_grad(), backend.device_scope(self.device):
                out = self.predict_step(_to_device((x,), self.device))
        finally:
            self.train(previous)
        return _to_host(out)

    # --- checks -----------------------------------------------------------------------------------
    def _build(self, input_shape):
        """Builds an unbuilt model from input shapes (batch axis None), as Keras does before
        training; models that only build on a real call (no `build` of their own) are left."""
        from kerasish.layers.base import Layer
        if self.built or input_shape is None or type(self).build is Layer.build:
            return
        self.build(input_shape)
        self.built = True

    def _check_inputs(self, x):
        """Wrong number of input arrays for a functional model raises before any work."""
        if x is None or not is_array_structure(x):
            return
        from kerasish.models.functional import Functional
        if not isinstance(self, Functional):  # (a Sequential's `inputs` would trace a graph)
            return
        try:
            inputs = self.inputs
        except (AttributeError, ValueError):
            inputs = None
        if not inputs or not isinstance(inputs, (list, tuple)):
            return
        given = len(x) if isinstance(x, (list, tuple, dict)) else 1
        if isinstance(x, dict):  # the model's own check names the missing keys
            return
        if given != len(inputs):
            what = "a single array" if given == 1 and not isinstance(x, (list, tuple, dict)) else \
                f"{given} arrays"
            raise ValueError(f"Model '{self.name}' expects {len(inputs)} input(s) but got {what}; pass a "
                             f"list of {len(inputs)} arrays (or a dict keyed by input name)")


def _close_progbar(callbacks):
    progbar = getattr(callbacks, "progbar", None)
    if progbar is not None:
        progbar.close()


def _flat_logs(logs):
    values = list(logs.values())
    return values[0] if len(values) == 1 else values


def _unpack_validation(data):
    if isinstance(data, (list, tuple)):
        if len(data) not in (2, 3):
            raise ValueError(f"validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                             f"got a {type(data).__name__} of {len(data)} items")
        return tuple(data) + (None,) * (3 - len(data))
    return data, None, None


def _validation_epochs(freq):
    if isinstance(freq, bool):
        raise ValueError(f"validation_freq must be a positive int or a list of epochs, got {freq!r}")
    if isinstance(freq, (int, np.integer)):
        if freq < 1:
            raise ValueError(f"validation_freq must be >= 1, got {freq}")
        return lambda epoch: (epoch + 1) % int(freq) == 0
    try:
        epochs = {int(e) for e in freq}
    except TypeError:
        raise ValueError(f"validation_freq must be a positive int or a list of epochs, got {freq!r}") from None
    return lambda epoch: epoch + 1 in epochs
