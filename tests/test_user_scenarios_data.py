"""UAT, data-pipeline power user: behaviours found while driving Dataset / DataLoader / preprocessing."""

import numpy as np

from kerasish.layers.preprocessing import Normalization
from kerasish.utils import to_categorical


def test_normalization_exposes_mean_and_variance_after_adapt_on_dataset():
    from kerasish.data import Dataset
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(64, 4, 3)).astype("float32")
    norm = Normalization()
    assert norm.mean is None and norm.variance is None  # before build, as Keras
    norm.adapt(Dataset.from_tensor_slices(x).batch(10))
    assert norm.mean.shape == (1, 1, 3) and norm.variance.shape == (1, 1, 3)
    np.testing.assert_allclose(norm.mean.ravel(), x.reshape(-1, 3).mean(0), rtol=1e-5)
    np.testing.assert_allclose(norm.variance.ravel(), x.reshape(-1, 3).var(0), rtol=1e-4)


def test_normalization_given_statistics_read_back_as_given():
    norm = Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    norm.build((None, 2))
    np.testing.assert_array_equal(norm.mean, [[1.0, 2.0]])
    np.testing.assert_array_equal(norm.variance, [[4.0, 0.0]])  # not the floored std


def test_to_categorical_accepts_boolean_labels():
    y = np.array([True, False, True])
    out = to_categorical(y)
    np.testing.assert_array_equal(out, [[0, 1], [1, 0], [0, 1]])
    np.testing.assert_array_equal(out.argmax(-1), y.astype(int))  # round trip


def _dense_model():
    import kerasish as K
    model = K.Sequential([K.Input(shape=(3,)), K.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    return model


def test_fit_on_unbatched_dataset_warns_to_add_batch():
    import pytest
    from kerasish.data import Dataset
    from kerasish.data.adapters import get_adapter
    x, y = np.zeros((8, 3), "float32"), np.zeros(8, "int64")
    ds = Dataset.from_tensor_slices((x, y))
    for unbatched in (ds, ds.shuffle(8).map(lambda a, b: (a, b)).take(4),
                      Dataset.zip((Dataset.from_tensor_slices(x), Dataset.from_tensor_slices(y)))):
        with pytest.warns(UserWarning, match=r"add \.batch\(batch_size\)"):
            get_adapter(unbatched)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for batched in (ds.batch(4), ds.batch(4).map(lambda a, b: (a, b)).repeat(2), ds.map(lambda a, b: (a, b)).batch(4),
                        Dataset.from_generator(lambda: iter([(x, y)]))):
            get_adapter(batched)
        _dense_model().fit(ds.batch(4), epochs=1, verbose=0)


def test_y_given_with_a_dataset_names_dataset_not_internal_class():
    import pytest
    from kerasish.data import Dataset
    ds = Dataset.from_tensor_slices((np.zeros((8, 3), "float32"), np.zeros(8, "int64"))).batch(4)
    with pytest.raises(ValueError, match="when x is a Dataset:") as info:
        _dense_model().fit(ds, np.zeros(8), verbose=0)
    assert "_Batch" not in str(info.value)


def test_hdf5_dataset_releases_the_file_between_passes(tmp_path):
    """A notebook user rewrites the HDF5 file while the old Dataset object is still alive."""
    import h5py
    from kerasish.data import Dataset
    path = tmp_path / "d.h5"
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = np.arange(20, dtype="float32")[:, None], np.arange(20)
    ds = Dataset.from_hdf5(path).shuffle(20, seed=0).batch(6)
    first = [b[1] for b in ds]
    assert sorted(np.concatenate(first).tolist()) == list(range(20))
    with h5py.File(path, "a") as f:  # h5py refuses this while any handle is open
        f["y"][...] = np.arange(20) + 100
    second = np.concatenate([b[1] for b in ds])
    assert sorted(second.tolist()) == list(range(100, 120))
    # two passes at once over the same source (zip of two views), and an abandoned pass
    both = Dataset.zip((Dataset.from_hdf5(path, keys="y"),) * 2)
    assert [tuple(map(int, e)) for e in both.take(3)] == [(100, 100), (101, 101), (102, 102)]
    it = iter(ds.prefetch(2))
    next(it)
    del it
    import gc
    gc.collect()
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = np.zeros((4, 1), "float32"), np.zeros(4)
