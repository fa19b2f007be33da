"""EpochIterator: steps per epoch, per-epoch passes, class weights and validation_split.

Who owns what in the data path of `fit` / `evaluate` / `predict`:

- DataAdapter (`adapters.py`, picked by `get_adapter`) knows the input type: how to cut
  arrays into batches (shuffled with one permutation per pass), how to index a Sequence,
  how to iterate a Dataset / DataLoader / generator. It knows nothing about epochs.
- EpochIterator (this module) knows epochs: how many steps one has (`steps_per_epoch`,
  or the adapter's batch count), whether to start a fresh pass or continue the previous
  one (with `steps_per_epoch` set, a pass continues across epochs, as in Keras), what to do
  when a source runs dry (warn and end the epoch; a one-shot generator then stops
  training), `class_weight` (turned into per-sample weights), and calling the source's
  `on_epoch_end`. `train_validation_split` implements `validation_split`.
- The Trainer (`kerasish/models/trainer.py`) owns the loop: it moves each batch to the
  model's device as Tensors, calls `train_step` / `test_step` / `predict_step`, and the
  callbacks. Neither module here touches devices, models or callbacks.
"""
import math
import warnings

import numpy as np

from kerasish import backend
from kerasish.data._threads import close_iterator
from kerasish.data.adapters import (flatten, get_adapter, is_array_structure,
                                    is_infinite, map_structure, pack_x_y_sample_weight,
                                    unpack_x_y_sample_weight)

_RAN_OUT = ("Your input ran out of data after {done} of {steps} steps of this epoch; the epoch ends here.{hint}")
_ONE_SHOT_HINT = (" A generator can be consumed only once: give a re-iterable source (a Dataset, DataLoader or "
                  "Sequence), or make sure it yields at least steps_per_epoch * epochs batches.")
_REITERABLE_HINT = (" The next epoch starts a new pass over the data; lower steps_per_epoch to at most "
                    "{total} (batches in one pass) to avoid short epochs.")


class EpochIterator:
    """Yields `(step, batch)` for each epoch of a run.

    Args:
        x, y, sample_weight, batch_size, shuffle: see `get_adapter`.
        steps_per_epoch: batches per epoch; None runs one full pass of the source per epoch.
            Needed only for infinite sources.
        class_weight: {class index: weight}, multiplied into the per-sample weights of
            every batch (labels are integers, one-hot rows or 0/1 values).
        steps_name: the argument name used in messages ('steps_per_epoch', 'steps', ...).

    Attributes:
        num_batches: steps per epoch (None when unknown until the source runs dry).
        exhausted: True once a one-shot source has nothing left; the trainer then stops.
    """

    def __init__(self, x, y=None, sample_weight=None, batch_size=None, steps_per_epoch=None,
                 shuffle=False, class_weight=None, steps_name="steps_per_epoch"):
        if steps_per_epoch is not None and (isinstance(steps_per_epoch, bool) or
                                            not isinstance(steps_per_epoch, (int, np.integer))
                                            or steps_per_epoch < 1):
            raise ValueError(f"{steps_name} must be a positive integer or None, got {steps_per_epoch!r}")
        self.adapter = get_adapter(x, y, sample_weight, batch_size, steps_per_epoch, shuffle)
        if steps_per_epoch is None and is_infinite(x):
            raise ValueError(f"The input is infinite (e.g. Dataset.repeat() without a count): pass "
                             f"{steps_name}= to say how many batches make one epoch")
        self.steps_per_epoch = None if steps_per_epoch is None else int(steps_per_epoch)
        self.steps_name = steps_name
        self.num_batches = self.steps_per_epoch or self.adapter.num_batches
        self.class_weight = _class_weight_table(class_weight)
        self.exhausted = False
        self._iterator = None

    def enumerate_epoch(self):
        """Yields (step, batch) for one epoch, batches packed (x,), (x, y) or (x, y, sw)."""
        steps = self.steps_per_epoch
        step = 0
        if steps is None:
            for batch in self.adapter.get_iterator():
                yield step, self._finish(batch)
                step += 1
            self._ran_dry(step, None)
            return
        restarted = False
        while step < steps:
            if self._iterator is None:
                self._iterator = iter(self.adapter.get_iterator())
            try:
                batch = next(self._iterator)
            except StopIteration:
                self._iterator = None
                if step == 0 and not restarted and self.adapter.reiterable:
                    restarted = True  # the previous epoch ended exactly at the end of a pass
                    continue
                self._ran_dry(step, steps)
                return
            yield step, self._finish(batch)
            step += 1

    def _finish(self, batch):
        if self.class_weight is not None:
            return _apply_class_weight(batch, self.class_weight)
        return batch

    def _ran_dry(self, step, steps):
        """Bookkeeping when the source stopped before the epoch's planned end (or after a full pass)."""
        one_shot = not self.adapter.reiterable
        if step == 0:
            self.exhausted = True
            hint = (" A generator can be consumed only once: give a re-iterable source (a Dataset, "
                    "DataLoader or Sequence) or make sure it yields steps_per_epoch * epochs batches."
                    if one_shot else "")
            warnings.warn(f"Your input ran out of data: no batch was produced for this epoch, so the run "
                          f"stops here.{hint}", RuntimeWarning, stacklevel=3)
        elif steps is not None:
            hint = _ONE_SHOT_HINT if one_shot else _REITERABLE_HINT.format(total=self.adapter.num_batches or "?")
            warnings.warn(_RAN_OUT.format(done=step, steps=steps, hint=hint), RuntimeWarning, stacklevel=3)
            self.exhausted = one_shot
        elif self.num_batches is None:
            self.num_batches = step  # learnt from the first full pass

    def on_epoch_end(self):
        """Runs the source's end-of-epoch hook (a Sequence's `on_epoch_end`)."""
        self.adapter.on_epoch_end()

    def close(self):
        """Closes a pass kept open across epochs (`steps_per_epoch`), stopping its worker threads now."""
        iterator, self._iterator = self._iterator, None
        if iterator is not None:
            close_iterator(iterator)


# --- class weights ------------------------------------------------------------------------------
def _class_weight_table(class_weight):
    if class_weight is None:
        return None
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"class_weight must be a non-empty dict {{class index: weight}}, got {class_weight!r}")
    keys = list(class_weight)
    if any(isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 0 for k in keys):
        raise ValueError(f"class_weight keys must be class indices (integers >= 0), got {keys}")
    table = np.ones(max(keys) + 1, dtype=np.float64)
    for k, w in class_weight.items():
        table[int(k)] = float(w)
    return table


def _labels_of(y):
    """Integer class labels (host numpy) from integer labels, one-hot rows or 0/1 values."""
    y = backend.to_numpy(getattr(y, "data", y))
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(len(y), -1)[:, 0] if y.ndim > 2 else np.argmax(y, axis=-1)
    y = y.reshape(len(y), -1)[:, 0] if y.ndim >= 2 else y
    return np.rint(y).astype(np.int64) if y.dtype.kind == "f" else y.astype(np.int64)


def _apply_class_weight(batch, table):
    x, y, sw = unpack_x_y_sample_weight(batch)
    if y is None:
        return batch
    if not (y is not None and not isinstance(y, (list, tuple, dict))):
        raise ValueError("class_weight is only supported for models with a single output; for several "
                         "outputs pass sample_weight per output instead")
    labels = _labels_of(y)
    if labels.size and (labels.min() < 0 or labels.max() >= len(table)):
        missing = sorted(set(np.unique(labels).tolist()) - set(range(len(table))))
        raise ValueError(f"class_weight has no entry for classes {missing} found in y; "
                         f"give a weight for every class")
    weights = table[labels]
    if sw is not None:
        weights = weights * backend.to_numpy(getattr(sw, "data", sw)).reshape(weights.shape)
    return pack_x_y_sample_weight(x, y, weights.astype(np.float32))


# --- validation_split -----------------------------------------------------------------------------
def train_validation_split(arrays, validation_split):
    """Splits (x, y, sample_weight) into training and validation parts, Keras's way.

    The validation part is the LAST `validation_split` fraction of the samples, taken before
    any shuffling (so data sorted by class gives a validation set of the last classes: a
    warning says so when validation labels hold classes absent from the training labels).

    Args:
        arrays: tuple (x, y, sample_weight) of arrays / structures (None allowed).
        validation_split: float in (0, 1).

    Returns:
        (train_arrays, val_arrays), two tuples like `arrays`.

    Raises:
        ValueError: for a split outside (0, 1), for inputs that are not arrays (generators,
            Datasets...), or when either part would be empty.
    """
    if not 0.0 < validation_split < 1.0:
        raise ValueError(f"validation_split must be a float in (0, 1), got {validation_split!r}")
    x = arrays[0]
    if not is_array_structure(x) and not _numeric_list(x):
        raise ValueError(f"validation_split is only supported for arrays and Tensors, not "
                         f"{type(x).__name__}: a generator, Dataset, DataLoader or Sequence cannot be "
                         "split. Pass validation_data= instead.")
    leaves = [leaf for part in arrays for _, leaf in flatten(part)]
    n = len(leaves[0])
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise ValueError(f"validation_split={validation_split} leaves {split_at} training and {n - split_at} "
                         f"validation samples out of {n}: both parts need at least one sample")

    def cut(part, sl):
        return map_structure(lambda a: _rows(a, sl), part)

    train = tuple(cut(p, slice(0, split_at)) for p in arrays)
    val = tuple(cut(p, slice(split_at, None)) for p in arrays)
    _warn_unseen_classes(train[1], val[1])
    return train, val


def _numeric_list(x):
    try:
        return isinstance(x, (list, tuple)) and np.asarray(x).dtype.kind in "biuf"
    except Exception:
        return False


def _rows(a, sl):
    if isinstance(a, (list, tuple)) or not hasattr(a, "shape"):
        a = np.asarray(a)
    return a[sl]


def _looks_categorical(y):
    arr = backend.to_numpy(getattr(y, "data", y))
    if arr.dtype.kind in "biu":
        return arr.ndim == 1 or (arr.ndim == 2 and arr.shape[1] == 1)
    if arr.dtype.kind != "f" or arr.ndim != 2:
        return False
    if arr.shape[1] == 1:
        return bool(np.isin(arr, (0.0, 1.0)).all())
    return bool(np.isin(arr, (0.0, 1.0)).all() and np.allclose(arr.sum(axis=1), 1.0))


def _warn_unseen_classes(y_train, y_val):
    """Warns when validation labels hold classes that the training labels never show."""
    if y_train is None or isinstance(y_train, (list, tuple, dict)):
        return
    if not (_looks_categorical(y_train) and _looks_categorical(y_val)):
        return
    unseen = sorted(set(np.unique(_labels_of(y_val)).tolist()) - set(np.unique(_labels_of(y_train)).tolist()))
    if unseen:
        warnings.warn(f"validation_split takes the LAST fraction of the samples before shuffling, and the "
                      f"validation labels hold classes {unseen[:20]} that never occur in the training part. "
                      "Shuffle the data before fit() (or pass validation_data=).", UserWarning, stacklevel=4)
