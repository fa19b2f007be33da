"""`Sequence`: Keras's base class for batch-indexed data (`keras.utils.Sequence` / `PyDataset`)."""


class Sequence:
    """Base class for data given batch by batch: `seq[i]` is batch `i`, `len(seq)` the batch count.

    Subclasses implement `__len__` and `__getitem__`; `on_epoch_end` (optional) runs
    after each epoch, e.g. to reshuffle. `fit` reads `len(seq)` batches per epoch.

    Args:
        workers, use_multiprocessing, max_queue_size: accepted for compatibility with
            Keras 3's `PyDataset`; stored as attributes for the training loop to read.

    Example:

    ```python
    class Batches(Sequence):
        def __init__(self, x, y, batch_size):
            super().__init__()
            self.x, self.y, self.batch_size = x, y, batch_size

        def __len__(self):
            return -(-len(self.x) // self.batch_size)

        def __getitem__(self, i):
            s = slice(i * self.batch_size, (i + 1) * self.batch_size)
            return self.x[s], self.y[s]
    ```
    """

    def __init__(self, workers=1, use_multiprocessing=False, max_queue_size=10):
        self.workers = workers
        self.use_multiprocessing = use_multiprocessing
        self.max_queue_size = max_queue_size

    def __getitem__(self, index):
        """Return batch `index` (an array, or a tuple `(x, y)` / `(x, y, sample_weight)`)."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __getitem__(self, index) returning batch `index`.")

    def __len__(self):
        """Return the number of batches in one epoch."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement __len__(self) returning the number of batches.")

    def on_epoch_end(self):
        """Called at the end of every epoch; override to reshuffle or augment. Does nothing here."""

    def __iter__(self):
        """Yield the batches of one epoch in order."""
        for i in range(len(self)):
            yield self[i]
