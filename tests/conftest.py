"""Shared test setup: deterministic seeds and fresh layer names for every test."""
import numpy as np
import pytest


@pytest.fixture(autouse=True)
def _fresh_state():
    from kerasish.layers.base import clear_session
    from kerasish.utils import set_random_seed
    clear_session()
    set_random_seed(0)
    yield


@pytest.fixture
def rng():
    return np.random.default_rng(0)


import fake_device  # noqa: E402  (tests/ is on sys.path through this conftest)

fake_device.register()


def available_devices():
    """'cpu', the CuPy-like test device 'fake', and 'cuda' when CuPy sees a GPU."""
    from kerasish import backend
    return ["cpu", "fake"] + (["cuda"] if backend.cupy_available() else [])
