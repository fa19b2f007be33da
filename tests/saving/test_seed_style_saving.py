"""Seed-style models (sizes given up front) save and load before they were ever called."""
import numpy as np

import kerasish as K


def test_uncalled_seed_style_convnet_round_trips(tmp_path):
    model = K.Sequential([K.Conv2D(in_channels=1, out_channels=2, kernel_size=3), K.Flatten(), K.Dense(8, 2)])
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = K.load_model(path)
    x = np.random.default_rng(0).random((3, 4, 4, 1)).astype(np.float32)
    np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())
    weights = str(tmp_path / "w.weights.h5")
    model.save_weights(weights)
    fresh = K.Sequential([K.Conv2D(in_channels=1, out_channels=2, kernel_size=3), K.Flatten(), K.Dense(8, 2)])
    fresh.load_weights(weights)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())
