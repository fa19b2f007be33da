"""In-place writes to tensors a graph saved for backward (PyTorch's version-counter check).

A write without a graph (`x += 1`, `assign*`, `x[i] = v`) after an op saved `x` makes
backward raise, naming the op and the tensor, instead of using the new values silently.
"""
import numpy as np
import pytest

from kerasish import Tensor, no_grad
from kerasish.function import Function
from kerasish.layers.core import Dense
from kerasish.models.sequential import Sequential
from kerasish.optimizers.sgd import SGD

MODIFIED = "modified by an inplace operation"


def _w():
    return Tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)


def _x(name=None):
    return Tensor(np.array([4.0, 5.0, 6.0]), name=name)


@pytest.mark.parametrize("write", [
    lambda x: x.__iadd__(1.0),
    lambda x: x.__isub__(np.ones(3)),
    lambda x: x.__imul__(Tensor([2.0, 2.0, 2.0])),
    lambda x: x.__itruediv__(2.0),
    lambda x: x.assign(np.zeros(3)),
    lambda x: x.assign_add(1.0),
    lambda x: x.assign_sub(Tensor([1.0, 1.0, 1.0])),
    lambda x: x.__setitem__(0, 9.0),
], ids=["iadd", "isub", "imul", "itruediv", "assign", "assign_add", "assign_sub", "setitem"])
def test_write_to_saved_input_raises_naming_op_and_tensor(write):
    w, x = _w(), _x(name="x")
    y = (w * x).sum()  # Mul saved x for w's gradient
    write(x)
    with pytest.raises(RuntimeError, match=MODIFIED) as info:
        y.backward()
    msg = str(info.value)
    assert "'x'" in msg and "input 1 of Mul" in msg and "shape (3,)" in msg and "float32" in msg
    assert w._grad is None  # nothing was accumulated from the stale graph


def test_iadd_on_unsaved_input_keeps_the_correct_gradient():
    w, x = _w(), _x()
    y = (w + x).sum()  # Add keeps nothing of x: the write cannot change the gradient (as PyTorch)
    x += 1
    y.backward()
    np.testing.assert_array_equal(w.grad, np.ones(3, np.float32))


def test_write_before_the_forward_is_fine():
    w, x = _w(), _x()
    x += 1
    x.assign_add(1.0)
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad, [6.0, 7.0, 8.0])


def test_write_then_new_forward_uses_new_values():
    w, x = _w(), _x()
    (w * x).sum().backward()
    x.assign(np.ones(3))
    w.zero_grad()
    (w * x).sum().backward()
    np.testing.assert_array_equal(w.grad, np.ones(3, np.float32))


def test_write_to_saved_output_raises():
    w = _w()
    y = w.exp()  # Exp saves its output for backward
    z = (y + 1).sum()
    y.assign(np.zeros(3))
    with pytest.raises(RuntimeError, match=MODIFIED) as info:
        z.backward()
    assert "output 0 of Exp" in str(info.value)


def test_no_grad_iadd_on_saved_output_raises():
    w = _w()
    y = w.tanh()
    z = (y + 1).sum()
    with no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="output 0 of Tanh"):
        z.backward()


def test_write_to_leaf_parameter_between_forward_and_backward_raises():
    w, x = _w(), _x()
    y = (w * x).sum()  # Mul saved w too (for x's gradient if it had one)
    with no_grad():
        w -= 0.1  # a hand-written SGD step before backward
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        y.backward()


def test_deep_graph_raises_at_the_node_that_saved_the_tensor():
    w, x = _w(), _x(name="inp")
    h = (w * 2.0).tanh()
    y = (h * x).sum() + (w * w).sum()
    x[1] = 0.0
    with pytest.raises(RuntimeError, match="'inp'.*input 1 of Mul"):
        y.backward()


def test_untracked_write_then_tracked_setitem_still_raises():
    w, x = _w(), _x()
    v = Tensor([7.0], requires_grad=True)
    y = (w * x).sum()
    x += 1            # written in place: Mul's saved x is stale
    x[0] = v[0]       # with a graph: x becomes a new node, its old array stays the one Mul holds
    with pytest.raises(RuntimeError, match="input 1 of Mul"):
        y.backward()


def test_tracked_setitem_is_not_an_inplace_write():
    w = _w()
    h = w * 2.0
    z = (h * h).sum()
    h[0] = 5.0         # records a graph and copies: the saved h is untouched
    z.backward()
    np.testing.assert_allclose(w.grad, 8.0 * w.data)


def test_retain_graph_twice_without_writes():
    w, x = _w(), _x()
    y = (w * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(w.grad, 2 * x.data)


def test_retain_graph_write_between_backwards_raises():
    w, x = _w(), _x()
    y = (w * x).sum()
    y.backward(retain_graph=True)
    x += 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_ordinary_loop_with_optimizer_is_unaffected():
    w = Tensor(np.zeros(3), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    opt = SGD([w], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        loss = ((w * x).sum() - 1.0) ** 2
        loss.backward()
        opt.step()
        with no_grad():
            x *= 1.0  # writes after backward are fine
    assert np.isfinite(w.data).all() and w.data.any()


def test_hand_written_sgd_loop_is_unaffected():
    w = Tensor(np.zeros(3), requires_grad=True)
    x = Tensor(np.array([1.0, 2.0, 3.0]))
    for _ in range(5):
        w.zero_grad()
        loss = ((w * x).sum() - 1.0) ** 2
        loss.backward()
        with no_grad():
            w -= 0.01 * w.grad
    assert 0.0 < float((w * x).sum().item()) < 1.0


def test_mark_written_lets_a_raw_update_be_detected():
    w, x = _w(), _x()
    y = (w * x).sum()
    opt = SGD([w], lr=0.1)
    w.grad = np.ones(3, np.float32)
    opt.step()          # writes w.data directly
    w._mark_written()   # what an optimizer step calls to be seen by backward
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        y.backward()


def test_optimizer_step_between_forward_and_backward_raises():
    w, x = _w(), _x()
    y = (w * x).sum()
    w.grad = np.ones(3, np.float32)
    SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_fit_and_metrics_between_forward_and_backward_are_unaffected():
    # fit updates metric state (assign_add) between the forward and backward of each step
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 3)).astype("float32")
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = Sequential([Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_custom_train_step_is_unaffected():
    class Custom(Sequential):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:  # metric writes before backward
                metric.update_state(loss) if metric.name == "loss" else metric.update_state(y, y_pred)
            self.optimizer.zero_grad()
            loss.backward()
            weights = self.trainable_weights
            self.optimizer.apply_gradients(zip([v.grad for v in weights], weights))
            return {m.name: m.result() for m in self.metrics}

    rng = np.random.default_rng(1)
    x = rng.standard_normal((32, 2)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = Custom([Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, epochs=3, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_raw_data_write_is_not_detected():
    # Documented limitation, as PyTorch's `.data`: writing the raw array bypasses the check,
    # and backward uses the new values.
    w, x = _w(), _x()
    y = (w * x).sum()
    x.data[...] = 1.0
    y.backward()
    np.testing.assert_array_equal(w.grad, np.ones(3, np.float32))


def test_write_through_an_alias_is_not_detected():
    # Documented limitation (PyTorch shares the version counter with detach() and views; here
    # only writes through the Tensor object the op was given are seen).
    w, x = _w(), _x()
    y = (w * x).sum()
    x.detach().assign(np.ones(3))
    y.backward()
    np.testing.assert_array_equal(w.grad, np.ones(3, np.float32))


def test_custom_function_holding_a_view_of_the_input_raises():
    class Scale(Function):
        def forward(self, a, b):
            self.saved = (b[::1],)  # a view inside a tuple
            return a * b

        def backward(self, g):
            return g * self.saved[0], None

    w, x = _w(), _x()
    y = Scale.apply(w, x).sum()
    x.assign_add(1.0)
    with pytest.raises(RuntimeError, match="input 1 of Scale"):
        y.backward()


def test_write_records_stay_bounded():
    from kerasish import tensor as tensor_mod
    for _ in range(5000):
        t = Tensor(np.zeros(2))
        t += 1.0
    assert len(tensor_mod._WRITES) <= 2 * 1024 + 10
