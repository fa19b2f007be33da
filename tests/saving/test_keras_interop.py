"""kerasish-written weight files load in Keras 3 (torch backend) and predict the same.
Skipped when keras (and torch) are not installed."""
import os
import sys
import pathlib

import numpy as np
import pytest

os.environ.setdefault("KERAS_BACKEND", "torch")
pytest.importorskip("torch")
keras = pytest.importorskip("keras")

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "fixtures"))
import make_keras_fixtures as keras_models  # noqa: E402
from kerasish.saving.weights_io import save_weights  # noqa: E402
from tests.saving.test_keras_fixtures import BUILDERS, predict  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
SHAPES = {"mlp": (8,), "cnn": (8, 8, 3)}


@pytest.mark.parametrize("kind", ["mlp", "cnn"])
@pytest.mark.parametrize("suffix", [".h5", ".weights.h5"])
def test_kerasish_weights_load_in_keras(tmp_path, kind, suffix):
    model = BUILDERS[kind]()
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.data[...] = rng.uniform(0.2, 1.2, size=w.shape)
    save_weights(model, tmp_path / f"w{suffix}")
    theirs = getattr(keras_models, kind)()
    theirs.load_weights(str(tmp_path / f"w{suffix}"))
    x = rng.normal(size=(4,) + SHAPES[kind]).astype("float32")
    np.testing.assert_allclose(np.asarray(theirs.predict(x, verbose=0)), predict(model, x), atol=1e-5)
