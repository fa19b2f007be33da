"""End to end: each optimizer fits a linear regression built from Tensors; the loss falls."""
import numpy as np
import pytest

import kerasish.optimizers as ko
from kerasish.optimizers import schedules
from kerasish.tensor import Tensor

# Learning rates that suit 150 full-batch steps on this problem.
CASES = [(ko.SGD, dict(lr=0.1, momentum=0.9)), (ko.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
         (ko.Adam, dict(lr=0.1)), (ko.AdamW, dict(lr=0.1)), (ko.RMSprop, dict(lr=0.05)),
         (ko.Adagrad, dict(lr=0.5)), (ko.Adadelta, dict(lr=1.0, epsilon=1e-3)), (ko.Adamax, dict(lr=0.2)),
         (ko.Nadam, dict(lr=0.1)),
         (ko.SGD, dict(learning_rate=schedules.CosineDecay(0.2, 150), global_clipnorm=5.0))]


def regression_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3))
    y = x @ np.array([[1.5], [-2.0], [0.5]]) + 0.3 + 0.01 * rng.normal(size=(64, 1))
    return Tensor(x, dtype="float64"), Tensor(y, dtype="float64")


@pytest.mark.parametrize("cls, kwargs", CASES, ids=lambda c: getattr(c, "__name__", ""))
def test_linear_regression_loss_falls(cls, kwargs):
    x, y = regression_data()
    w = Tensor(np.zeros((3, 1)), dtype="float64", requires_grad=True)
    b = Tensor(np.zeros(1), dtype="float64", requires_grad=True)
    opt = cls([w, b], **kwargs)
    losses = []
    for _ in range(150):
        loss = ((x @ w + b - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0], (losses[0], losses[-1])


@pytest.mark.parametrize("optimizer", ["adam", ko.Adam(lr=1e-2), ko.SGD(learning_rate=0.05, momentum=0.9)],
                         ids=["string", "Adam(lr=)", "SGD(learning_rate=)"])
def test_compile_supplies_the_parameters(optimizer):
    """DESIGN §5: compile(optimizer='adam') or compile(optimizer=Adam(lr=1e-3)) needs no parameter list."""
    from kerasish import Dense, Sequential
    x, y = regression_data()
    model = Sequential([Dense(4), Dense(1)])
    model.compile(optimizer=optimizer, loss="mse")
    history = model.fit(x.numpy(), y.numpy(), batch_size=16, epochs=5, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert [id(p) for p in model.optimizer.params] == [id(p) for p in model.parameters]
