"""to_categorical, plot_history and check_grad's failure report."""
import numpy as np
import pytest

from kerasish import Tensor
from kerasish.utils import check_grad, plot_history, to_categorical


def test_to_categorical():
    out = to_categorical([0, 2, 1], 3)
    np.testing.assert_array_equal(out, np.eye(3, dtype=np.float32)[[0, 2, 1]])
    assert to_categorical(np.array([[1], [0]])).shape == (2, 2)
    with pytest.raises(ValueError, match="num_classes=2"):
        to_categorical([0, 5], 2)
    with pytest.raises(ValueError, match=">= 0"):
        to_categorical([-1, 0])


def test_check_grad_reports_the_bad_element():
    from kerasish.function import Function

    class WrongSquare(Function):
        def forward(self, a):
            self.a = a
            return a * a

        def backward(self, g):
            return g * self.a  # should be 2 * a

    with pytest.raises(AssertionError, match=r"input 0, element \(0,\): analytic .* vs numeric"):
        check_grad(lambda x: WrongSquare.apply(x), np.array([1.5, -2.0]))
    assert check_grad(lambda x: x * x, np.array([1.5, -2.0])) < 1e-6


def test_check_grad_leaves_inputs_untouched():
    t = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    check_grad(lambda x: x.exp(), t)
    assert t.dtype == np.float32 and t._grad is None


def test_plot_history_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib
    matplotlib.use("Agg")
    path = tmp_path / "curves.png"
    plot_history({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}, str(path))
    assert path.stat().st_size > 1000
    with pytest.raises(TypeError, match="History"):
        plot_history([1, 2])


def test_sequence_under_its_keras2_name():
    from kerasish.data import Sequence as DataSequence
    from kerasish.utils import Sequence
    assert Sequence is DataSequence
