"""Whole models on every available device: the CuPy-like 'fake' device always, 'cuda' with a GPU.

Any `np.` call on device data raises on 'fake', so these prove the layers, losses,
metrics, optimizers, the fit loop and saving are device-agnostic without a GPU.
"""
import numpy as np
import pytest

import kerasish as K
from conftest import available_devices

DEVICES = [d for d in available_devices() if d != "cpu"]


def blobs(n=256, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[2.0, 0.0], [-2.0, 2.0], [0.0, -2.5]])
    return (centers[y] + rng.normal(0, 0.6, (n, 2))).astype(np.float32), y


def images(n=96, seed=0):
    """8x8 images: class 1 has a bright vertical bar, class 0 a horizontal one."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    x = rng.normal(0, 0.1, (n, 8, 8, 1)).astype(np.float32)
    x[y == 1, :, 3:5, 0] += 1.0
    x[y == 0, 3:5, :, 0] += 1.0
    return x, y


@pytest.mark.parametrize("device", DEVICES)
def test_mlp_fit_evaluate_predict_on_device(device):
    x, y = blobs()
    model = K.Sequential([K.Dense(16, activation="relu", input_shape=(2,)), K.Dropout(0.1),
                          K.BatchNormalization(), K.Dense(3, activation="softmax")], device=device)
    model.compile(optimizer=K.Adam(learning_rate=0.02), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=8, validation_split=0.25, verbose=0)
    assert history.history["val_accuracy"][-1] > 0.9
    assert all(p.device == model.device for p in model.parameters)
    loss, acc, _ = model.evaluate(x, y, verbose=0)
    assert acc > 0.9
    probs = model.predict(x[:10], verbose=0)
    assert isinstance(probs, np.ndarray) and probs.shape == (10, 3)


@pytest.mark.parametrize("device", DEVICES)
def test_convnet_trains_on_device_with_every_conv_layer(device):
    x, y = images()
    model = K.Sequential([
        K.Input(shape=(8, 8, 1)),
        K.Conv2D(8, 3, padding="same", activation="relu"), K.MaxPool2D(2),
        K.ZeroPadding2D(1), K.Conv2D(8, 3, strides=2), K.AveragePooling2D(2, strides=1, padding="same"),
        K.LayerNormalization(), K.GlobalAveragePooling2D(), K.Dense(2)], device=device)
    model.compile(optimizer=K.SGD(learning_rate=0.1, momentum=0.9),
                  loss=K.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x, y, batch_size=16, epochs=10, verbose=0)
    assert model.evaluate(x, y, verbose=0)[1] > 0.9


@pytest.mark.parametrize("device", DEVICES)
def test_seed_loop_and_saving_across_devices(device, tmp_path):
    x, y = blobs(64)
    model = K.Sequential([K.Dense(2, 8), K.Tanh(), K.Dense(8, 3)], device=device)
    opt = K.Adam(model.parameters, lr=0.05)
    loss_fn = K.CrossEntropy()
    first = None
    for _ in range(30):
        loss = loss_fn(model(K.Tensor(x, device=device)), K.Tensor(y, device=device))
        model.zero_grad()
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < first / 2
    path = str(tmp_path / "w.weights.h5")
    model.save_weights(path)
    on_cpu = K.Sequential([K.Dense(2, 8), K.Tanh(), K.Dense(8, 3)])
    on_cpu.load_weights(path)
    np.testing.assert_allclose(on_cpu(x).numpy(), model(K.Tensor(x, device=device)).numpy(), rtol=1e-5)
    model.set_device("cpu")
    assert model.parameters[0].device == "cpu"


def test_mixed_precision_fit_learns():
    K.mixed_precision.set_global_policy("mixed_float16")
    try:
        x, y = blobs()
        model = K.Sequential([K.Dense(16, activation="relu", input_shape=(2,)), K.Dense(3)])
        model.compile(optimizer=K.Adam(learning_rate=0.02), loss=K.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        assert isinstance(model.optimizer, K.mixed_precision.LossScaleOptimizer)
        model.fit(x, y, batch_size=32, epochs=15, verbose=0)
        assert model.predict(x[:4], verbose=0).dtype == np.float16
        assert all(p.dtype == np.float32 for p in model.parameters)
        assert model.evaluate(x, y, verbose=0)[1] > 0.9
    finally:
        K.mixed_precision.set_global_policy(None)
