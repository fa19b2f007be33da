"""Tests of Dataset.from_hdf5: lazy reads, key forms, errors, memory well below the file size."""

import tracemalloc

import h5py
import numpy as np
import pytest

from kerasish.data import Dataset


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "small.h5"
    with h5py.File(path, "w") as f:
        f["x"] = np.arange(60, dtype=np.float32).reshape(20, 3)
        f["y"] = np.arange(20)
        f["group/z"] = np.arange(20) * 2
        f["short"] = np.arange(5)
        f["scalar"] = 1.0
    return path


def test_hdf5_matches_in_memory_pipeline(small_file):
    x = np.arange(60, dtype=np.float32).reshape(20, 3)
    y = np.arange(20)
    lazy = Dataset.from_hdf5(small_file).shuffle(20, seed=5).batch(6)
    eager = Dataset.from_tensor_slices((x, y)).shuffle(20, seed=5).batch(6)
    assert len(lazy) == 4
    for (lx, ly), (ex, ey) in zip(lazy, eager, strict=True):
        np.testing.assert_array_equal(lx, ex)
        np.testing.assert_array_equal(ly, ey)
        np.testing.assert_array_equal(lx, x[ly])


def test_hdf5_key_forms(small_file):
    assert [int(v) for v in Dataset.from_hdf5(small_file, keys="y").take(3)] == [0, 1, 2]
    d = next(iter(Dataset.from_hdf5(small_file, keys={"img": "x", "z": "group/z"}).skip(2).batch(2)))
    assert set(d) == {"img", "z"} and d["z"].tolist() == [4, 6]
    # repeat + small shuffle buffer can put one row twice in a batch
    batch = next(iter(Dataset.from_hdf5(small_file, keys="y").take(2).repeat(3).batch(6)))
    assert batch.tolist() == [0, 1, 0, 1, 0, 1]


def test_hdf5_errors(small_file, tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        Dataset.from_hdf5(tmp_path / "missing.h5")
    with pytest.raises(KeyError, match=r"no dataset 'w'.*'x'"):
        Dataset.from_hdf5(small_file, keys=("x", "w"))
    with pytest.raises(ValueError, match="different lengths"):
        Dataset.from_hdf5(small_file, keys=("x", "short"))
    with pytest.raises(ValueError, match="scalar"):
        Dataset.from_hdf5(small_file, keys="scalar")
    with pytest.raises(TypeError, match="keys"):
        Dataset.from_hdf5(small_file, keys=3)
    not_hdf5 = tmp_path / "text.h5"
    not_hdf5.write_text("hello")
    with pytest.raises(OSError, match="not a readable HDF5"):
        Dataset.from_hdf5(not_hdf5)


def test_hdf5_reads_lazily_with_small_peak_memory(tmp_path):
    n, width = 10_000, 1000  # 40 MB of float32
    path = tmp_path / "big.h5"
    with h5py.File(path, "w") as f:
        dset = f.create_dataset("x", shape=(n, width), dtype=np.float32)
        for start in range(0, n, 2000):
            block = np.zeros((2000, width), np.float32)
            block[:, 0] = np.arange(start, start + 2000)
            dset[start:start + 2000] = block
        f["y"] = np.arange(n)
    file_size = path.stat().st_size
    assert file_size > 40e6
    seen = 0
    tracemalloc.start()
    try:
        for xb, yb in Dataset.from_hdf5(path).shuffle(n, seed=0).batch(250):
            np.testing.assert_array_equal(xb[:, 0], yb)  # rows read match their labels
            seen += len(yb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == n
    assert peak < file_size / 4, f"peak {peak / 1e6:.1f} MB for a {file_size / 1e6:.1f} MB file"
