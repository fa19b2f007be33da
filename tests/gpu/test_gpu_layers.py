"""Layer gradients and a training run on a real GPU; skipped without CuPy and a GPU."""
import os
import sys

import numpy as np
import pytest

import kerasish as K
from kerasish import backend

pytestmark = pytest.mark.skipif(not backend.cupy_available(), reason="needs CuPy and an NVIDIA GPU")

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "layers"))
from layer_grad import check_layer_grad  # noqa: E402

R = np.random.default_rng(0)

LAYERS = {
    "dense": (lambda: K.Dense(3, dtype="float64", device="cuda"), (4, 5)),
    "conv_same_stride2": (lambda: K.Conv2D(3, 3, strides=2, padding="same", dtype="float64", device="cuda"),
                          (2, 7, 7, 2)),
    "conv_dilated_channels_first": (lambda: K.Conv2D(2, 3, dilation_rate=2, data_format="channels_first",
                                                     dtype="float64", device="cuda"), (2, 2, 7, 7)),
    "maxpool_overlap": (lambda: K.MaxPool2D(3, strides=2, dtype="float64", device="cuda"), (2, 7, 7, 2)),
    "avgpool": (lambda: K.AveragePooling2D(2, dtype="float64", device="cuda"), (2, 4, 4, 2)),
    "batchnorm": (lambda: K.BatchNormalization(dtype="float64", device="cuda"), (6, 3)),
    "layernorm": (lambda: K.LayerNormalization(dtype="float64", device="cuda"), (4, 5)),
    "conv1d_causal": (lambda: K.Conv1D(3, 3, padding="causal", dilation_rate=2, dtype="float64", device="cuda"),
                      (2, 9, 2)),
    "conv2d_transpose": (lambda: K.Conv2DTranspose(2, 3, strides=2, padding="same", dtype="float64",
                                                   device="cuda"), (2, 4, 4, 3)),
    "upsampling_bilinear": (lambda: K.UpSampling2D(2, interpolation="bilinear", dtype="float64", device="cuda"),
                            (2, 3, 3, 2)),
    "lstm": (lambda: K.LSTM(3, return_sequences=True, dtype="float64", device="cuda"), (2, 4, 3)),
    "gru": (lambda: K.GRU(3, go_backwards=True, dtype="float64", device="cuda"), (2, 4, 3)),
    "simple_rnn": (lambda: K.SimpleRNN(3, dtype="float64", device="cuda"), (2, 4, 3)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_layer_grad_on_cuda(name):
    make, shape = LAYERS[name]
    layer = make()
    x = K.Tensor(R.standard_normal(shape), dtype="float64", device="cuda")
    check_layer_grad(layer, x)


def test_convnet_fit_on_cuda():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 128)
    x = rng.normal(0, 0.1, (128, 8, 8, 1)).astype(np.float32)
    x[y == 1, :, 3:5, 0] += 1.0
    x[y == 0, 3:5, :, 0] += 1.0
    model = K.Sequential([K.Input(shape=(8, 8, 1)), K.Conv2D(8, 3, activation="relu"), K.MaxPool2D(2),
                          K.Flatten(), K.Dropout(0.2), K.Dense(2, activation="softmax")], device="cuda")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=32, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
    assert isinstance(model.predict(x[:3], verbose=0), np.ndarray)


def _gpu_count():
    return backend.array_module_for("cuda").cuda.runtime.getDeviceCount()


def test_second_gpu_trains_and_saves(tmp_path):
    """'cuda:1' while GPU 0 is CuPy's current device: every kernel must run on GPU 1."""
    if _gpu_count() < 2:
        pytest.skip("needs two GPUs")
    import cupy
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 64)
    x = rng.normal(0, 0.1, (64, 8, 8, 1)).astype(np.float32)
    x[y == 1, :, 3:5, 0] += 1.0
    x[y == 0, 3:5, :, 0] += 1.0
    model = K.Sequential([K.Input(shape=(8, 8, 1)), K.Conv2D(4, 3, activation="relu"), K.BatchNormalization(),
                          K.Flatten(), K.Dropout(0.1), K.Dense(2, activation="softmax")], device="cuda:1")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    assert cupy.cuda.runtime.getDevice() == 0
    model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert all(p.data.device.id == 1 for p in model.parameters)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9
    model.save_weights(str(tmp_path / "w.weights.h5"))
    on_cpu = K.models.clone_model(model)
    on_cpu.set_device("cpu")
    on_cpu.load_weights(str(tmp_path / "w.weights.h5"))
    np.testing.assert_allclose(on_cpu.predict(x[:8], verbose=0), model.predict(x[:8], verbose=0), atol=1e-5)
