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


def conv_model(device):
    return K.Sequential([
        K.Input(shape=(8, 8, 1)), K.Conv2D(4, 3, padding="same", activation="relu"),
        K.MaxPool2D(3, strides=2), K.BatchNormalization(), K.Conv2D(4, 2, dilation_rate=2),
        K.Flatten(), K.Dense(2, activation="softmax")], device=device)


@pytest.mark.parametrize("device", DEVICES)
def test_same_weights_give_the_same_numbers_as_on_cpu(device):
    """Forward, loss and every gradient after one train step match the CPU's (cuda: float32 rounding apart)."""
    x, y = images(32)
    models = {d: conv_model(d) for d in ("cpu", device)}
    models[device].set_weights(models["cpu"].get_weights())
    results = {}
    for d, model in models.items():
        model.compile(optimizer=K.SGD(learning_rate=0.1, momentum=0.9), loss="sparse_categorical_crossentropy")
        loss = model.train_on_batch(x, y)
        results[d] = [loss, model.predict(x, verbose=0)] + model.get_weights()
    for ours, cpu in zip(results[device], results["cpu"]):
        np.testing.assert_allclose(ours, cpu, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("device", ["cpu"] + DEVICES)
def test_mixed_precision_fit_learns(device):
    K.mixed_precision.set_global_policy("mixed_float16")
    try:
        x, y = blobs()
        model = K.Sequential([K.Dense(16, activation="relu", input_shape=(2,)), K.Dense(3)], device=device)
        model.compile(optimizer=K.Adam(learning_rate=0.02), loss=K.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        assert isinstance(model.optimizer, K.mixed_precision.LossScaleOptimizer)
        model.fit(x, y, batch_size=32, epochs=15, verbose=0)
        assert model.predict(x[:4], verbose=0).dtype == np.float16
        assert all(p.dtype == np.float32 and p.device == model.device for p in model.parameters)
        assert model.evaluate(x, y, verbose=0)[1] > 0.9
    finally:
        K.mixed_precision.set_global_policy(None)


def test_work_on_a_second_gpu_runs_inside_its_device_scope(tmp_path):
    """'fake' acts as 'cuda:1' while GPU 0 is CuPy's current one (tests/fake_device.py): any kernel
    or allocation outside `device_scope` raises, so every path below enters the device itself."""
    x, y = images(64)
    model = conv_model("fake")
    model.compile(optimizer=K.Adam(learning_rate=0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_crossentropy"])
    history = model.fit(x, y, batch_size=16, epochs=2, validation_split=0.25, verbose=0,
                        callbacks=[K.callbacks.EarlyStopping(monitor="val_loss", patience=3)])
    assert len(history.history["loss"]) == 2
    model.evaluate(x, y, verbose=0)
    assert model.predict(x[:4], verbose=0).shape == (4, 2)
    model.train_on_batch(x[:8], y[:8])
    model.test_on_batch(x[:8], y[:8])
    model.predict_on_batch(x[:8])
    # the seed's hand-written loop: forward, loss, backward, step
    opt = K.SGD(model.parameters, lr=0.01, momentum=0.9)
    pred, target = model(K.Tensor(x[:8], device="fake")), K.Tensor(y[:8], device="fake")
    loss = K.CrossEntropy()(pred, target)
    model.zero_grad()
    loss.backward()
    opt.step()
    assert 0 <= K.Accuracy()(pred, target) <= 1  # metrics in a hand loop
    assert 0 <= K.metrics.SparseCategoricalAccuracy()(target, pred) <= 1
    path = str(tmp_path / "m.weights.h5")
    model.save_weights(path)
    model.load_weights(path)
    K.Tensor(x[:2], requires_grad=True).to("fake").sum().backward()  # a graph spanning cpu and the GPU
    t = K.Tensor(np.zeros(3), device="fake")  # in-place writes
    t += 1
    t.assign_add(np.ones(3))
    t[0] = 5.0
    t.assign(t * 2)
    np.testing.assert_array_equal(t.numpy(), [10.0, 4.0, 4.0])
