"""Tests of the Keras-style Sequence base class."""

import numpy as np
import pytest

from kerasish.data import Sequence


class Batches(Sequence):
    def __init__(self, x, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.batch_size, self.epochs = x, batch_size, 0

    def __len__(self):
        return -(-len(self.x) // self.batch_size)

    def __getitem__(self, i):
        return self.x[i * self.batch_size:(i + 1) * self.batch_size]

    def on_epoch_end(self):
        self.epochs += 1


def test_subclass_batches_and_iteration():
    seq = Batches(np.arange(10), 4, workers=2)
    assert len(seq) == 3 and seq[2].tolist() == [8, 9] and seq.workers == 2
    assert [b.tolist() for b in seq] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    seq.on_epoch_end()
    assert seq.epochs == 1


def test_abstract_methods_say_what_to_implement():
    class Incomplete(Sequence):
        pass

    seq = Incomplete()
    with pytest.raises(NotImplementedError, match=r"Incomplete must implement __len__"):
        len(seq)
    with pytest.raises(NotImplementedError, match=r"Incomplete must implement __getitem__"):
        seq[0]
    assert seq.on_epoch_end() is None  # the optional hook is a no-op
    assert seq.use_multiprocessing is False and seq.max_queue_size == 10
