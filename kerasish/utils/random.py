"""Global seeding."""
from kerasish import backend


def set_random_seed(seed):
    """Seeds kerasish's generators (one per device), NumPy's legacy global one and `random`."""
    import numpy as np
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")
    backend.set_seed(seed)
    np.random.seed(seed)
