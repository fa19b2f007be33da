"""The seed's section-9 training loop, verbatim plus imports: a hand-written PyTorch-style loop."""
import numpy as np

from kerasish import Dense, MSELoss, ReLU, SGD, Sequential, Tensor

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

print("Training complete!")
