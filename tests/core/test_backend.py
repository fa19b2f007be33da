"""backend.py: CuPy code paths (against a stub with CuPy's behaviour), import guard, generators."""
import contextlib
import inspect
import subprocess
import sys
import textwrap
import types

import numpy as np
import pytest

from kerasish import backend


class _StubArray:
    """Mimics cupy.ndarray's device placement; asarray keeps it on its own GPU, as CuPy does."""

    __module__ = "cupy._core.core"

    def __init__(self, a, device):
        self.a, self.device = a, types.SimpleNamespace(id=device)
        self.shape, self.dtype = a.shape, a.dtype

    def astype(self, dtype, copy=True):
        return _StubArray(self.a.astype(dtype), self.device.id)


def _stub_cupy():
    current = [0]

    class Device:
        def __init__(self, i):
            self.i = i

        def __enter__(self):
            self.prev, current[0] = current[0], self.i

        def __exit__(self, *exc):
            current[0] = self.prev

    def asarray(x, dtype=None):
        if isinstance(x, _StubArray):  # no copy, even from another device (CuPy's rule)
            return x if dtype is None or np.dtype(dtype) == x.dtype else x.astype(dtype)
        return _StubArray(np.asarray(x, dtype), current[0])

    return types.SimpleNamespace(
        ndarray=_StubArray, asarray=asarray, copy=lambda x: _StubArray(x.a.copy(), current[0]),
        cuda=types.SimpleNamespace(Device=Device, runtime=types.SimpleNamespace(getDeviceCount=lambda: 2)))


def test_to_device_moves_between_gpus(monkeypatch):
    monkeypatch.setattr(backend, "_cupy", _stub_cupy())
    a = backend.to_device(np.arange(3.0), "cuda:0")
    assert backend.device_of(a) == "cuda:0"
    b = backend.to_device(a, "cuda:1")
    assert backend.device_of(b) == "cuda:1" and b is not a
    assert backend.to_device(b, "cuda:1") is b
    assert backend.device_of(backend.to_device(a, "cuda:1", "float32")) == "cuda:1"


def test_device_of_a_cupy_array_made_before_kerasish_imported_cupy(monkeypatch):
    stub = _stub_cupy()
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setitem(sys.modules, "cupy", stub)
    arr = _StubArray(np.zeros(2), 1)
    assert backend.device_of(arr) == "cuda:1"


def test_import_kerasish_never_imports_cupy_until_cuda_is_asked_for():
    code = textwrap.dedent("""
        import sys
        attempts = []

        class Block:
            def find_spec(self, name, path=None, target=None):
                if name.split('.')[0] in ('cupy', 'cupyx'):
                    attempts.append(name)
                    raise ImportError('cupy is blocked by this test')

        sys.meta_path.insert(0, Block())
        import numpy as np
        import kerasish as K
        model = K.Sequential([K.Dense(4, 3), K.ReLU(), K.Dense(3, 2)])
        model.compile(optimizer='adam', loss='mse', metrics=['mae'])
        model.fit(np.ones((8, 4)), np.ones((8, 2)), epochs=1, verbose=0)
        model.predict(np.ones((2, 4)), verbose=0)
        K.Tensor([1.0], requires_grad=True).to('cpu').sum().backward()
        assert attempts == [], attempts
        try:
            K.Tensor([1.0], device='cuda')
        except RuntimeError as exc:
            assert 'pip install kerasish[gpu]' in str(exc), exc
        assert attempts, 'cuda did not try to import cupy'
        print('OK')
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip().endswith("OK"), out.stderr[-2000:]


# CuPy's RandomState signatures (cupy/random/_generator.py), the methods _CupyGenerator calls.
class _CupyRandomState:
    def __init__(self, seed=None): ...
    def random_sample(self, size=None, dtype=float): return ("random_sample", size, dtype)
    def standard_normal(self, size=None, dtype=float): return ("standard_normal", size, dtype)
    def uniform(self, low=0.0, high=1.0, size=None, dtype=float): return ("uniform", size)
    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float): return ("normal", size)
    def randint(self, low, high=None, size=None, dtype=int): return ("randint", size)
    def permutation(self, a): return ("permutation", a)


def test_random_state_stand_in_has_cupys_recorded_signatures():
    from fake_device import CUPY_API
    recorded = CUPY_API["random.RandomState"]
    for name, method in vars(_CupyRandomState).items():
        if not name.startswith("_"):
            assert list(inspect.signature(method).parameters)[1:] == recorded[name], name


def test_cuda_without_a_gpu_says_what_to_check(monkeypatch):
    def no_device():
        raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")
    cupy = types.SimpleNamespace(__version__="14.2.0", cuda=types.SimpleNamespace(
        runtime=types.SimpleNamespace(getDeviceCount=no_device)))
    monkeypatch.setitem(sys.modules, "cupy", cupy)
    monkeypatch.setattr(backend, "_cupy", None)
    with pytest.raises(RuntimeError, match=r"needs an NVIDIA GPU, but CuPy 14.2.0 found none.*cudaErrorNoDevice"
                                           r".*nvidia-smi.*device 'cpu'"):
        backend.array_module_for("cuda")
    assert backend._cupy is None and not backend.cupy_available()


def test_cupy_generator_matches_numpy_generator_and_cupy_random_state():
    scopes = []

    @contextlib.contextmanager
    def device(device_id):  # cupy.cuda.Device as a context manager
        scopes.append(device_id)
        yield
    gen = backend._CupyGenerator(types.SimpleNamespace(random=types.SimpleNamespace(
        RandomState=_CupyRandomState), cuda=types.SimpleNamespace(Device=device)), 0, device_id=1)
    assert gen.random((2,), dtype=np.float32) == ("random_sample", (2,), np.float32)
    assert gen.standard_normal(3)[0] == "standard_normal"
    assert gen.uniform(0, 1, size=4) == ("uniform", 4) and gen.normal(0, 1, 4) == ("normal", 4)
    assert gen.integers(0, 5, size=2) == ("randint", 2) and gen.permutation(3) == ("permutation", 3)
    assert scopes == [1] * 7  # made and drawn on its own GPU
    numpy_gen = np.random.default_rng(0)
    for name, method in vars(backend._CupyGenerator).items():
        if name.startswith("_"):
            continue
        ours = list(inspect.signature(method).parameters)[1:]
        theirs = list(inspect.signature(getattr(numpy_gen, name)).parameters)
        assert theirs[:len(ours)] == ours, (name, ours, theirs)


def test_fake_device_generator_offers_only_what_the_cupy_generator_has():
    gen = backend.rng("fake")
    with backend.device_scope("fake"):
        gen.random((2,), dtype=np.float32)
        gen.integers(0, 3, size=2)
        with pytest.raises(AttributeError, match="choice"):
            gen.choice(3)
        with pytest.raises(TypeError):
            gen.integers(0, 3, size=2, endpoint=True)
