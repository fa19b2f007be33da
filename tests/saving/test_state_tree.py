"""Nested state in HDF5 (optimizer / callback / RNG state) round-trips exactly, with no pickling."""
import h5py
import numpy as np
import pytest

from kerasish.saving.state_tree import is_tree, read_tree, write_tree


def test_round_trip(tmp_path):
    rng = np.random.default_rng(3)
    rng.normal(size=5)
    state = {"iterations": 7, "lr": 0.5, "name": "adam", "flag": True, "none": None,
             "slots": {0: {"m": np.arange(6.0).reshape(2, 3)}, 1: {"m": np.zeros(2, "float32")}},
             "pair": (1, "a"), "list": [np.int64(3), np.float32(0.25)], (1, 2): "tuple key",
             "rng": rng.bit_generator.state, "nan": float("nan")}
    with h5py.File(tmp_path / "s.h5", "w") as f:
        write_tree(f.create_group("g"), state)
    with h5py.File(tmp_path / "s.h5", "r") as f:
        assert is_tree(f["g"])
        back = read_tree(f["g"])
    np.testing.assert_array_equal(back["slots"][0]["m"], state["slots"][0]["m"])
    assert back["slots"][1]["m"].dtype == np.float32
    assert back["pair"] == (1, "a") and back[(1, 2)] == "tuple key"
    assert back["list"][0] == 3 and back["list"][0].dtype == np.int64
    assert back["list"][1].dtype == np.float32
    assert back["rng"] == state["rng"] and np.isnan(back["nan"])
    assert {k: back[k] for k in ("iterations", "lr", "name", "flag", "none")} == \
        {k: state[k] for k in ("iterations", "lr", "name", "flag", "none")}
    again = np.random.default_rng()
    again.bit_generator.state = back["rng"]
    np.testing.assert_array_equal(again.normal(size=4), rng.normal(size=4))


def test_unsupported_values_named(tmp_path):
    with h5py.File(tmp_path / "s.h5", "w") as f:
        with pytest.raises(TypeError, match=r"state\['fn'\].*function"):
            write_tree(f.create_group("g"), {"fn": lambda: 0})
        with pytest.raises(TypeError, match="dtype"):
            write_tree(f.create_group("h"), {"s": np.array(["a"])})
        with pytest.raises(ValueError, match="does not hold saved kerasish state"):
            read_tree(f.create_group("plain"))
