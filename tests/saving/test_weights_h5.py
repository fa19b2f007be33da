"""save_weights / load_weights on both layouts with toy layers: round trips, mismatches
refused with nothing changed, damaged files, by_name, skip_mismatch, unbuilt models."""
import h5py
import numpy as np
import pytest

from kerasish.saving.weights_io import load_weights, save_weights
from tests.saving._toy import ToyDense, ToyNet, built, state

FORMATS = ["w.h5", "w.weights.h5"]


def _same(a, b):
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("name", FORMATS)
def test_round_trip(tmp_path, name):
    src, dst = built(ToyNet(name="net"), 1), built(ToyNet(name="other"), 2)
    save_weights(src, tmp_path / name)
    assert load_weights(dst, tmp_path / name) == len(src.weights)
    _same(state(src), state(dst))
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_legacy_layout_matches_keras(tmp_path):
    net = built(ToyNet(name="net"))
    save_weights(net, tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5") as f:
        assert [n.decode() for n in f.attrs["layer_names"]] == ["dense", "norm", "flat", "dense_1"]
        assert "keras_version" in f.attrs and "backend" in f.attrs
        assert [n.decode() for n in f["dense"].attrs["weight_names"]] == ["dense/kernel:0", "dense/bias:0"]
        assert [n.decode() for n in f["norm"].attrs["weight_names"]] == [
            "norm/gamma:0", "norm/beta:0", "norm/moving_mean:0", "norm/moving_variance:0"]
        assert f["dense"]["dense/kernel:0"].shape == (4, 5)
        assert len(f["flat"].attrs["weight_names"]) == 0


def test_keras3_layout(tmp_path):
    net = built(ToyNet(name="net"))
    save_weights(net, tmp_path / "w.weights.h5")
    with h5py.File(tmp_path / "w.weights.h5") as f:
        # subclassed: attribute name, then the list's entries by snake-case class name
        assert f["stack/toy_dense/vars"].attrs["name"] == "dense"
        assert f["stack/toy_dense/vars/0"].shape == (4, 5)
        assert f["stack/toy_dense_1/vars/0"].shape == (5, 3)
        assert sorted(f["stack/toy_norm/vars"].keys()) == ["0", "1", "2", "3"]
        np.testing.assert_array_equal(f["stack/toy_norm/vars/2"][()], net.stack[1].moving_mean.numpy())
        assert f["vars"].attrs["name"] == "net"


def test_trainable_flip_does_not_swap_weights(tmp_path):
    src = built(ToyNet(name="net"), 1)
    save_weights(src, tmp_path / "w.h5")
    dst = built(ToyNet(name="net"), 2)
    dst.stack[1].trainable = False    # gamma/beta become non-trainable: legacy order changes
    load_weights(dst, tmp_path / "w.h5")
    _same(state(src), state(dst))


@pytest.mark.parametrize("name", FORMATS)
def test_shape_mismatch_lists_all_and_changes_nothing(tmp_path, name):
    save_weights(built(ToyNet((5, 3), name="net")), tmp_path / name)
    dst = built(ToyNet((6, 2), name="net"), 3)
    before = state(dst)
    with pytest.raises(ValueError) as info:
        load_weights(dst, tmp_path / name)
    msg = str(info.value)
    assert "nothing was changed" in msg and str(tmp_path / name) in msg
    assert "Shape mismatch in layer" in msg and "for weight kernel: expected (4, 6), got (4, 5)" in msg
    assert "for weight kernel: expected (6, 2), got (5, 3)" in msg
    assert "for weight gamma: expected (6,), got (5,)" in msg
    _same(before, state(dst))


@pytest.mark.parametrize("name", FORMATS)
def test_layer_count_mismatch(tmp_path, name):
    save_weights(built(ToyNet((5, 3), name="net")), tmp_path / name)
    dst = built(ToyNet((5, 4, 3), name="net"))
    before = state(dst)
    with pytest.raises(ValueError, match=r"Layer count mismatch.*expected 4 layers.*found 3"):
        load_weights(dst, tmp_path / name)
    _same(before, state(dst))


def test_dtype_kind_mismatch(tmp_path):
    net = built(ToyNet(name="net"))
    save_weights(net, tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "a") as f:
        del f["dense"]["dense/bias:0"]
        f["dense"]["dense/bias:0"] = np.arange(5)
    before = state(net)
    with pytest.raises(ValueError, match=r"Dtype mismatch in layer .*dense.* bias: expected float32, got int64"):
        load_weights(net, tmp_path / "w.h5")
    _same(before, state(net))


def test_float64_file_casts(tmp_path):
    src = built(ToyNet(name="net", dtype="float64"))
    save_weights(src, tmp_path / "w.h5")
    dst = built(ToyNet(name="net"), 5)
    load_weights(dst, tmp_path / "w.h5")
    assert dst.stack[0].kernel.dtype == np.float32
    np.testing.assert_allclose(dst.stack[0].kernel.numpy(), src.stack[0].kernel.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", FORMATS)
def test_by_name_and_skip_mismatch(tmp_path, name):
    src = built(ToyNet((5, 3), name="net"), 1)
    save_weights(src, tmp_path / name)
    dst = built(ToyNet((5, 2), name="net"), 2)     # dense_1 differs
    before = state(dst)
    with pytest.raises(ValueError, match="dense_1"):
        load_weights(dst, tmp_path / name, by_name=True)
    _same(before, state(dst))
    with pytest.warns(UserWarning, match="Skipping loading weights of layer 'dense_1'"):
        load_weights(dst, tmp_path / name, by_name=True, skip_mismatch=True)
    after = state(dst)
    np.testing.assert_array_equal(after["stack.0.kernel"], src.stack[0].kernel.numpy())
    np.testing.assert_array_equal(after["stack.1.moving_variance"], src.stack[1].moving_variance.numpy())
    np.testing.assert_array_equal(after["stack.3.kernel"], before["stack.3.kernel"])


def test_by_name_matches_reordered_layers(tmp_path):
    class Swapped(ToyNet):
        def __init__(self, **kw):
            super().__init__((5, 5), norm=False, in_dim=5, **kw)
            self.stack = [self.stack[2], self.stack[1], self.stack[0]]   # dense_1, flat, dense

    src = built(ToyNet((5, 5), norm=False, in_dim=5, name="net"), 1)
    save_weights(src, tmp_path / "w.h5")
    dst = built(Swapped(name="net"), 2)
    load_weights(dst, tmp_path / "w.h5", by_name=True)
    np.testing.assert_array_equal(dst.stack[0].kernel.numpy(), src.stack[2].kernel.numpy())
    np.testing.assert_array_equal(dst.stack[2].bias.numpy(), src.stack[0].bias.numpy())
    with pytest.raises(ValueError, match="No layer names in common"):
        other = built(ToyNet((5, 5), norm=False, in_dim=5, name="x"))
        for i, layer in enumerate(other.stack):
            layer.name = f"renamed_{i}"
        load_weights(other, tmp_path / "w.h5", by_name=True)


@pytest.mark.parametrize("content", [b"", b"not an hdf5 file at all" * 10])
def test_bad_files_name_the_file(tmp_path, content):
    path = tmp_path / "bad.h5"
    path.write_bytes(content)
    with pytest.raises(OSError, match="bad.h5"):
        load_weights(built(ToyNet()), path)


def test_truncated_file(tmp_path):
    net = built(ToyNet(name="net"))
    save_weights(net, tmp_path / "w.h5")
    data = (tmp_path / "w.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(data[: len(data) // 2])
    before = state(net)
    with pytest.raises(OSError, match="cut.h5"):
        load_weights(built(net), tmp_path / "cut.h5")
    _same(before, state(net))


def test_missing_and_foreign_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.h5"):
        load_weights(built(ToyNet()), tmp_path / "nope.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="holds no Keras or kerasish weights"):
        load_weights(built(ToyNet()), tmp_path / "other.h5")


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        save_weights(built(ToyNet()), tmp_path / "w.bin")
    with pytest.raises(TypeError, match="kerasish Model"):
        save_weights(object(), tmp_path / "w.h5")
    save_weights(built(ToyNet()), tmp_path / "w.h5")
    with pytest.raises(FileExistsError):
        save_weights(built(ToyNet()), tmp_path / "w.h5", overwrite=False)


@pytest.mark.parametrize("name", FORMATS)
def test_unbuilt_model(tmp_path, name):
    src = built(ToyNet(name="net"), 1)
    save_weights(src, tmp_path / name)
    with pytest.raises(ValueError, match="not built yet.*call it on a batch"):
        load_weights(ToyNet(name="net"), tmp_path / name)
    src._build_input_shape = (None, 4)       # a model that knows its input shape
    save_weights(src, tmp_path / name)
    dst = ToyNet(name="net")
    load_weights(dst, tmp_path / name)     # built from the shape recorded in the file
    _same(state(src), state(dst))


def test_unbuilt_save_refused(tmp_path):
    with pytest.raises(ValueError, match="no weights yet"):
        save_weights(ToyNet(), tmp_path / "w.h5")


def test_single_layer(tmp_path):
    src, dst = ToyDense(3, name="d"), ToyDense(3, name="d")
    src(np.ones((1, 2), "float32")), dst(np.zeros((1, 2), "float32"))
    for name in FORMATS:
        save_weights(src, tmp_path / name)
        dst.kernel.data[...] = 0
        load_weights(dst, tmp_path / name)
        np.testing.assert_array_equal(dst.kernel.numpy(), src.kernel.numpy())


def test_duplicate_or_slashed_layer_names_refused(tmp_path):
    net = built(ToyNet(name="net"))
    net.stack[3].name = "dense"
    with pytest.raises(ValueError, match=r"unique.*\['dense'\]"):
        save_weights(net, tmp_path / "w.h5")
    net.stack[3].name = "a/b"
    with pytest.raises(ValueError, match="contains '/'"):
        save_weights(net, tmp_path / "w.h5")
    assert not (tmp_path / "w.h5").exists()


def test_long_name_lists_are_chunked(tmp_path):
    from kerasish.saving._common import read_str_list, write_str_list
    names = [f"layer_with_a_long_name_{i}" for i in range(4000)]
    with h5py.File(tmp_path / "a.h5", "w") as f:
        write_str_list(f, "layer_names", names)
        assert "layer_names" not in f.attrs and "layer_names0" in f.attrs
        assert read_str_list(f, "layer_names") == names
        write_str_list(f, "empty", [])
        assert read_str_list(f, "empty") == []
