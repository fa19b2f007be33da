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
