"""model.summary(): rows, output shapes, totals with thousands separators, unbuilt errors."""
import re

import numpy as np
import pytest

from kerasish.activations import ReLU
from kerasish.layers.base import Layer
from kerasish.layers.core import Dense
from kerasish.layers.input import Input
from kerasish.layers.merge import Concatenate
from kerasish.models.model import Model
from kerasish.models.sequential import Sequential
from kerasish.utils.summary import format_shape, format_summary


def _capture(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    assert len(lines) == 1
    return lines[0]


def _total(text, label):
    return int(re.search(rf"^{label} params: ([\d,]+)$", text, re.M).group(1).replace(",", ""))


def test_sequential_table_and_totals():
    model = Sequential([Input(shape=(784,)), Dense(128), ReLU(), Dense(10)])
    text = _capture(model)
    assert text.startswith('Model: "sequential"')
    assert re.search(r"Layer \(type\)\s+Output Shape\s+Param #", text)
    assert re.search(r"dense \(Dense\)\s+\(None, 128\)\s+100,480", text)
    assert re.search(r"re_lu \(ReLU\)\s+\(None, 128\)\s+0", text)
    assert re.search(r"dense_1 \(Dense\)\s+\(None, 10\)\s+1,290", text)
    assert "input_layer" not in text
    true_total = sum(w.size for w in model.weights)
    assert true_total == 101_770
    assert "Total params: 101,770" in text
    assert _total(text, "Total") == true_total
    assert _total(text, "Trainable") == true_total and _total(text, "Non-trainable") == 0


def test_seed_style_sequential_summary_after_call_and_before():
    model = Sequential([Dense(100, 128), ReLU(), Dense(128, 10)])
    text = _capture(model)  # the seed's Dense(in, out) gives the input shape
    assert re.search(r"\(None, 128\)\s+12,928", text) and "Total params: 14,218" in text


def test_non_trainable_weights_are_counted_apart():
    class WithStats(Layer):
        def build(self, input_shape):
            self.scale = self.add_weight((input_shape[-1],), "ones", name="scale")
            self.mean = self.add_weight((input_shape[-1],), "zeros", trainable=False, name="mean")

        def forward(self, x):
            return x * self.scale - self.mean

    model = Sequential([Input(shape=(1000,)), WithStats(), Dense(3)])
    model.layers[0].trainable = False
    text = _capture(model)
    assert "Total params: 5,003" in text
    assert "Trainable params: 3,003" in text and "Non-trainable params: 2,000" in text
    assert _total(text, "Total") == sum(w.size for w in model.weights)


def test_functional_summary_lists_inputs_and_connections():
    a, b = Input(shape=(5,), name="a"), Input(shape=(5,), name="b")
    shared = Dense(3, name="shared")
    out = Dense(1, name="head")(Concatenate(name="cat")([shared(a), shared(b)]))
    model = Model([a, b], out, name="two")
    text = _capture(model)
    assert text.startswith('Model: "two"') and "Connected to" in text
    assert re.search(r"a \(InputLayer\)\s+\(None, 5\)\s+0", text)
    assert re.search(r"shared \(Dense\)\s+\(None, 3\)\s+18\s+a\[0\]\[0\], b\[0\]\[0\]", text)
    assert re.search(r"cat \(Concatenate\)\s+\(None, 6\)\s+0\s+shared\[0\]\[0\], shared\[1\]\[0\]", text)
    # the shared kernel is counted once in the total
    assert _total(text, "Total") == sum(w.size for w in model.weights) == 18 + 7


def test_subclassed_summary_traces_output_shapes():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.hidden = Dense(16)
            self.out = Dense(4)
            self.unused = Dense(3, 2)  # seed style: built at once

        def forward(self, x):
            return self.out(self.hidden(x).relu())

    net = Net()
    with pytest.raises(ValueError, match="not yet been built"):
        Model().summary()
    net(np.ones((8, 3), np.float32))
    text = _capture(net)
    assert re.search(r"dense \(Dense\)\s+\(None, 16\)\s+64", text)
    assert re.search(r"dense_1 \(Dense\)\s+\(None, 4\)\s+68", text)
    assert re.search(r"dense_2 \(Dense\)\s+\?\s+8", text)
    assert _total(text, "Total") == sum(w.size for w in net.weights) == 64 + 68 + 8
    # tracing left no patched methods behind
    assert all("forward" not in layer.__dict__ for layer in net.layers)


def test_unbuilt_models_raise_a_clear_error():
    with pytest.raises(ValueError, match="not yet been built.*build\\(\\)"):
        Sequential([Dense(4), Dense(2)]).summary()
    with pytest.raises(ValueError, match="not yet been built"):
        Sequential().summary()


def test_line_length_and_trainable_column():
    model = Sequential([Input(shape=(3,)), Dense(2)])
    model.layers[0].trainable = False
    text = _capture(model, line_length=90, show_trainable=True)
    assert max(len(line) for line in text.splitlines()) == 90
    assert re.search(r"\(None, 2\)\s+8\s+N$", text, re.M)


def test_summary_prints_by_default(capsys):
    Sequential([Input(shape=(2,)), Dense(1)]).summary()
    assert "Total params: 3" in capsys.readouterr().out


def test_format_shape():
    assert format_shape((None, 128)) == "(None, 128)"
    assert format_shape((None,)) == "(None,)"
    assert format_shape([(None, 3), (None, 2)]) == "[(None, 3), (None, 2)]"
    assert format_shape(None) == "?"
    assert "Total params" in format_summary(Sequential([Input(shape=(2,)), Dense(1)]))
