"""Dataset.from_generator(length=N) checks that the generator really yields N elements."""
import numpy as np
import pytest

from kerasish.data.dataset import Dataset


def counting(n):
    for i in range(n):
        yield np.float32(i)


def test_matching_length_passes_every_epoch():
    ds = Dataset.from_generator(counting, args=(5,), length=5)
    for _ in range(2):
        assert [float(v) for v in ds] == [0, 1, 2, 3, 4]
    assert len(ds.batch(2)) == 3 and [len(b) for b in ds.batch(2)] == [2, 2, 1]


def test_fewer_elements_than_length_raises_at_the_end_of_the_epoch():
    seen = []
    with pytest.raises(ValueError, match=r"length=5.*yielded 3 elements"):
        for v in Dataset.from_generator(counting, args=(3,), length=5):
            seen.append(float(v))
    assert seen == [0, 1, 2]  # every element came through before the error


def test_more_elements_than_length_raises_without_reading_everything():
    def endless():
        i = 0
        while True:
            yield np.float32(i)
            i += 1

    with pytest.raises(ValueError, match=r"length=4.*more than 4.*at least 5"):
        list(Dataset.from_generator(endless, length=4))
    with pytest.raises(ValueError, match=r"length=4"):
        list(Dataset.from_generator(endless, length=4).batch(3))


def test_stopping_early_is_not_an_error():
    ds = Dataset.from_generator(counting, args=(3,), length=5)
    assert [float(v) for v in ds.take(2)] == [0, 1]
    it = iter(ds)
    next(it)
    it.close()


def test_without_length_any_count_is_fine():
    assert len(list(Dataset.from_generator(counting, args=(3,)))) == 3
