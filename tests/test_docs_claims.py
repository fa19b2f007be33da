"""Claims of README.md / DESIGN.md and docstring `Example:` sections, run as written."""

import numpy as np
import pytest

import kerasish as K
from kerasish import Dense, Input, Model, Sequential, Tensor


def test_docstring_examples_with_outputs():
    assert K.Activation('relu')(Tensor([-1.0, 2.0])).numpy().tolist() == [0.0, 2.0]
    assert K.Reshape((4, 4, 1))(Tensor(np.zeros((2, 16)))).shape == (2, 4, 4, 1)
    assert K.ZeroPadding2D(((1, 0), (2, 2)))(np.zeros((1, 4, 4, 3))).shape == (1, 5, 8, 3)
    assert K.MaxPool2D(kernel_size=2, stride=2)(np.zeros((1, 4, 4, 3))).shape == (1, 2, 2, 3)
    out = K.Rescaling(1 / 255)(np.array([[0, 255]], np.uint8)).numpy()
    assert out.dtype == np.float32 and out.tolist() == [[0.0, 1.0]]
    assert K.optimizers.schedules.PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])(150) == 0.5
    assert K.mixed_precision.Policy('mixed_float16').compute_dtype == 'float16'
    m = K.metrics.Mean()
    m.update_state([1, 3, 5, 7])
    m.update_state([2], sample_weight=[4.0])
    assert m.result() == 3.0


def test_functional_shared_layer_example():
    a, b = Input(shape=(8,), name='a'), Input(shape=(8,), name='b')
    shared = Dense(4)
    model = Model([a, b], K.Concatenate()([shared(a), shared(b)]))
    x = np.ones((32, 8), np.float32)
    assert model([x, x]).shape == (32, 8)


def test_symbolic_slicing_and_arithmetic():
    inp = Input(shape=(4,))
    model = Model(inp, (inp[:, :2] + inp[:, 2:]) * 2 - inp[:, :2] / 2)
    x = np.random.rand(5, 4).astype(np.float32)
    np.testing.assert_allclose(model(x).numpy(), (x[:, :2] + x[:, 2:]) * 2 - x[:, :2] / 2, rtol=1e-6)


def test_tensor_guide_claims():
    i = Tensor([1, 2])
    assert (i / 2).dtype == np.float64 and i.mean().dtype == np.float64
    f = Tensor(np.ones(3))
    assert (f * 0.5).dtype == np.float32 and (f / np.sqrt(4.0)).dtype == np.float32
    t3 = Tensor(np.zeros((2, 3, 4)))
    assert t3.transpose(0, 2).shape == (4, 3, 2) and t3.transpose((2, 0, 1)).shape == (4, 2, 3)
    assert t3.sum(dim=1, keepdim=True).shape == (2, 1, 4)
    v = Tensor([1.0, 2.0, 3.0, 4.0])
    assert v.var().item() == pytest.approx(1.25)


def test_decay_lr_formula_and_lr_alias():
    model = Sequential([Dense(4, 3), K.ReLU(), Dense(3, 2)])
    opt = K.SGD(model.parameters, lr=0.01, momentum=0.9, decay=0.5)
    for _ in range(3):
        opt.decay_lr()
    assert opt.lr == pytest.approx(0.01 / (1 + 0.5 * 3))
    assert opt.lr == opt.learning_rate


def test_leaky_relu_and_elu_defaults():
    assert K.LeakyReLU()(np.array([-1.0])).numpy()[0] == pytest.approx(-0.3)
    assert K.LeakyReLU(negative_slope=0.1)(np.array([-1.0])).numpy()[0] == pytest.approx(-0.1)
    assert K.ELU()(np.array([-100.0])).numpy()[0] == pytest.approx(-1.0)


def test_probability_loss_on_logits_warns_once_naming_both_fixes():
    x = np.random.rand(40, 4).astype(np.float32) * 10 - 5
    y = np.random.randint(0, 2, 40)
    model = Sequential([Input(shape=(4,)), Dense(2)])
    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy')
    with pytest.warns(UserWarning, match="from_logits=True") as caught:
        model.fit(x, y, epochs=2, verbose=0)
    msgs = [str(w.message) for w in caught if 'from_logits' in str(w.message)]
    assert len(msgs) == 1 and "activation='softmax'" in msgs[0]
