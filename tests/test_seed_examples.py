"""Every code example of the seed document (sections 2-7 and 9) runs verbatim, plus imports.

The example lines are copied exactly; only the names they assume (input_tensor,
image_tensor, linear_output, prediction, target, model) are set up before them.
"""
import numpy as np
import pytest

from kerasish import (SGD, Accuracy, Adam, BCELoss, Conv2D, CrossEntropy, Dense, ELU, Flatten, LeakyReLU,
                      MaxPool2D, MSELoss, ReLU, Sequential, Sigmoid, Softmax, SoftmaxCrossEntropyLoss, Tanh,
                      Tensor, backend, parse_dtype)


def test_section_2_tensor_and_autograd(capsys):
    # Create a tensor with gradient tracking.
    a = Tensor([1, 2, 3], device='cpu', dtype=np.float32, requires_grad=True)
    b = Tensor([4, 5, 6], requires_grad=True)

    # Perform a computation.
    c = a + b
    c.backward(Tensor(1.0))

    print("Gradient of a:", a.grad)
    assert capsys.readouterr().out == "Gradient of a: [1. 1. 1.]\n"


def test_section_3_layers():
    input_tensor = Tensor(np.random.randn(32, 128))
    image_tensor = Tensor(np.random.randn(4, 8, 8, 3))

    dense = Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)
    output = dense(input_tensor)

    conv = Conv2D(in_channels=3, out_channels=16, kernel_size=3, stride=1, padding=1)
    conv_out = conv(image_tensor)

    pool = MaxPool2D(kernel_size=2, stride=2)
    pooled = pool(conv_out)

    flatten = Flatten()
    flat = flatten(pooled)

    assert output.shape == (32, 10) and output.dtype == np.float32
    assert conv_out.shape == (4, 8, 8, 16)
    assert pooled.shape == (4, 4, 4, 16)
    assert flat.shape == (4, 256)


def test_section_4_activations():
    linear_output = Tensor(np.linspace(-2, 2, 12).reshape(3, 4))
    tanh = Tanh(device='cpu')
    activated = tanh(linear_output)
    np.testing.assert_allclose(activated.numpy(), np.tanh(linear_output.numpy()), rtol=1e-6)
    relu = ReLU(device='cpu')
    activated = relu(linear_output)
    np.testing.assert_allclose(activated.numpy(), np.maximum(linear_output.numpy(), 0))
    for act in (Sigmoid(), Softmax(), LeakyReLU(), ELU()):
        out = act(linear_output)
        assert out.shape == (3, 4)
        assert act.state_dict() == {} and act.load_state_dict({}) is not None


def test_section_5_sequential():
    input_tensor = Tensor(np.random.randn(16, 784))
    model = Sequential([
        Dense(784, 128, initialization='xavier', device='cpu', dtype=np.float32),
        ReLU(),
        Dense(128, 10, initialization='xavier', device='cpu', dtype=np.float32)
    ], device='cpu')

    output = model(input_tensor)
    assert output.shape == (16, 10)
    assert len(model.parameters) == 4
    state = model.state_dict()
    model.zero_grad()
    model.set_device('cpu')
    model.load_state_dict(state)


def test_section_6_losses_and_accuracy():
    prediction = Tensor(np.random.randn(8, 3), requires_grad=True)
    target = Tensor(np.random.randn(8, 3))
    loss_fn = MSELoss()
    loss = loss_fn(prediction, target)
    assert loss.shape == () and loss.item() > 0

    labels = np.array([0, 1, 2, 1, 0, 2, 1, 0])
    for loss_fn in (CrossEntropy(), SoftmaxCrossEntropyLoss()):
        assert loss_fn(prediction, labels).item() > 0
        assert np.isclose(loss_fn(prediction, np.eye(3)[labels]).item(), loss_fn(prediction, labels).item())
    probs = Tensor(np.random.rand(8, 1))
    assert BCELoss()(probs, Tensor((np.random.rand(8, 1) > 0.5).astype(np.float32))).item() > 0

    target = labels
    accuracy_metric = Accuracy()
    acc = accuracy_metric(prediction, target)
    expected = float(np.mean(prediction.numpy().argmax(-1) == labels))
    assert acc == pytest.approx(expected)
    assert accuracy_metric(prediction, np.eye(3)[labels]) == pytest.approx(expected)


def test_section_7_optimizers():
    model = Sequential([Dense(4, 3), ReLU(), Dense(3, 1)])
    for make in (lambda: SGD(model.parameters, lr=0.01, momentum=0.9),
                 lambda: Adam(model.parameters, lr=0.001)):
        optimizer = make()
        before = [p.numpy().copy() for p in model.parameters]
        model(Tensor(np.random.randn(5, 4))).sum().backward()
        optimizer.step()  # Update parameters after backward pass.
        assert any(not np.allclose(b, p.numpy()) for b, p in zip(before, model.parameters))
        model.zero_grad()


def test_section_8_devices_and_dtypes():
    assert parse_dtype("float32") == np.dtype("float32")
    if not backend.cupy_available():
        with pytest.raises(RuntimeError, match="CuPy"):
            Tensor([1, 2, 3], device='cuda', dtype=np.float32)
        return
    # Create a tensor on GPU (if CuPy is installed) and then move it back to CPU.
    a = Tensor([1, 2, 3], device='cuda', dtype=np.float32)
    a_cpu = a.to('cpu')
    assert a_cpu.device == 'cpu'


def test_section_9_training_loop_lowers_the_loss(capsys):
    np.random.seed(0)
    # Generate dummy data (e.g., for regression)
    X = np.random.randn(100, 10)  # 100 samples, 10 features
    y = np.random.randn(100, 1)   # 100 target values

    # Convert to Tensors
    X_tensor = Tensor(X, device='cpu', dtype=np.float32, requires_grad=False)
    y_tensor = Tensor(y, device='cpu', dtype=np.float32, requires_grad=False)

    # Build a simple model: 10 -> 50 -> 1
    model = Sequential([
        Dense(10, 50, initialization='xavier', device='cpu', dtype=np.float32),
        ReLU(),
        Dense(50, 1, initialization='xavier', device='cpu', dtype=np.float32)
    ], device='cpu')

    # Define loss and optimizer
    loss_fn = MSELoss()
    optimizer = SGD(model.parameters, lr=0.01, momentum=0.9)

    # Training loop
    epochs = 100
    losses = []
    for epoch in range(epochs):
        # Forward pass
        predictions = model(X_tensor)
        loss = loss_fn(predictions, y_tensor)

        # Zero gradients, backward pass, and update parameters
        model.zero_grad()
        loss.backward()
        optimizer.step()
        optimizer.decay_lr()  # Apply learning rate decay if needed

        if epoch % 10 == 0:
            print(f"Epoch {epoch}, Loss: {loss.data}")
        losses.append(loss.item())

    print("Training complete!")
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 10 and out.endswith("Training complete!\n")
    assert losses[-1] * 2 <= losses[0], f"loss fell only from {losses[0]:.3f} to {losses[-1]:.3f}"
