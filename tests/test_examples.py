"""The example scripts run end to end (short settings)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(script, *args):
    out = subprocess.run([sys.executable, os.path.join(ROOT, "examples", script), *args],
                         capture_output=True, text=True, timeout=300, env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


def test_regression_example():
    out = run("regression.py")
    assert "Epoch 90, Loss:" in out and out.strip().endswith("Training complete!")


def test_callbacks_example(tmp_path):
    out = run("callbacks.py", "--epochs", "2", "--out", str(tmp_path))
    assert "test accuracy" in out and (tmp_path / "log.csv").read_text().count("\n") == 3


@pytest.mark.slow
def test_mnist_mlp_example(tmp_path):
    out = run("mnist_mlp.py", "--epochs", "2", "--out", str(tmp_path))
    assert "predictions match" in out
