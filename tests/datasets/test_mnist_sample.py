"""The bundled MNIST sample loads offline with real-looking digits, and is packaged to install."""

import sys
from pathlib import Path

import numpy as np
import pytest

from kerasish.datasets import mnist_sample

ROOT = Path(__file__).resolve().parents[2]


def test_loads_offline_with_shapes_dtypes_and_plausible_content(monkeypatch):
    monkeypatch.setattr("socket.socket.connect", lambda *a: (_ for _ in ()).throw(OSError("no network")))
    (x_train, y_train), (x_test, y_test) = mnist_sample.load_data()
    assert x_train.shape == (8000, 28, 28) and y_train.shape == (8000,)
    assert x_test.shape == (2000, 28, 28) and y_test.shape == (2000,)
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype(np.uint8)}
    assert set(np.unique(y_train)) == set(range(10)) == set(np.unique(y_test))
    assert 30 < x_train.mean() < 37 and x_train.max() == 255 and x_train.min() == 0
    assert (x_train[:, :2, :] == 0).mean() > 0.95  # digits are centred: the border is background
    counts = np.bincount(y_train, minlength=10)
    assert counts.min() > 600 and counts.max() < 1000
    assert not any(np.array_equal(x_train[0], t) for t in x_test[:200])


def test_data_path_is_the_top_level_datasets_folder_in_a_checkout():
    path = mnist_sample.data_path()
    assert path.name == "mnist_sample.npz" and path.is_file()


@pytest.mark.skipif(sys.version_info < (3, 11), reason="tomllib needs Python 3.11")
def test_pyproject_ships_the_sample_with_the_package():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    target = ROOT / config["package-dir"]["kerasish.datasets._bundled"]
    assert (target / "mnist_sample.npz").is_file() and (target / "LICENSE.md").is_file()
    assert "*.npz" in config["package-data"]["kerasish.datasets._bundled"]
    # package discovery finds the package through its placeholder folder
    assert (ROOT / "kerasish" / "datasets" / "_bundled").is_dir()
    assert any("kerasish" in p for p in config["packages"]["find"]["include"])


@pytest.mark.slow
def test_built_wheel_contains_the_sample(tmp_path):
    import shutil
    import subprocess
    import zipfile

    pytest.importorskip("setuptools")
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        if (ROOT / name).is_file():
            shutil.copy(ROOT / name, src / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    shutil.copytree(ROOT / "kerasish", src / "kerasish", ignore=ignore)
    shutil.copytree(ROOT / "datasets", src / "datasets", ignore=ignore)
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps",
                             "-q", "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "kerasish/datasets/_bundled/mnist_sample.npz" in names
    assert "kerasish/datasets/_bundled/LICENSE.md" in names
    assert "kerasish/datasets/mnist_sample.py" in names
