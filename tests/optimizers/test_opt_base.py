"""Optimizer base behaviour: learning rate, decay_lr, clipping, weight decay, state, lookup, errors."""
import numpy as np
import pytest

import kerasish.optimizers as ko
from kerasish.optimizers import SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Nadam, RMSprop
from kerasish.tensor import Tensor

ALL = [ko.SGD, ko.Adam, ko.AdamW, ko.RMSprop, ko.Adagrad, ko.Adadelta, ko.Adamax, ko.Nadam]
RICH_KWARGS = {ko.SGD: dict(momentum=0.9, nesterov=True), ko.Adam: dict(amsgrad=True),
               ko.RMSprop: dict(momentum=0.5, centered=True)}


def param(values, **kwargs):
    return Tensor(np.array(values, dtype="float64"), dtype="float64", requires_grad=True, **kwargs)


# --- learning rate ---------------------------------------------------------------------
def test_lr_and_learning_rate_are_one_attribute():
    assert SGD(lr=0.1).learning_rate == 0.1
    assert SGD(learning_rate=0.2).lr == 0.2
    assert Adam().lr == 0.001 and SGD().lr == 0.01
    opt = Adam(lr=0.1)
    opt.learning_rate = 0.05
    assert opt.lr == 0.05 and opt.current_lr() == 0.05
    opt.lr = 0.02
    assert opt.learning_rate == 0.02
    with pytest.raises(ValueError, match="pass only one"):
        SGD(lr=0.1, learning_rate=0.2)
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(lr=-1.0)
    with pytest.raises(TypeError, match="learning_rate"):
        SGD(lr="fast")


def test_seed_positional_call():
    p = param([1.0, 2.0])
    opt = SGD([p], 0.01, 0.9, False, 0.0)
    assert (opt.lr, opt.momentum, opt.nesterov, opt.decay) == (0.01, 0.9, False, 0.0)
    opt = Adam([p], 0.001, 0.9, 0.999, 1e-8)
    assert (opt.beta1, opt.beta2, opt.epsilon) == (0.9, 0.999, 1e-8)


def test_decay_lr_formula():
    opt = SGD(lr=0.1, decay=0.5)
    assert opt.decay_lr() == pytest.approx(0.1 / 1.5)
    assert opt.lr == pytest.approx(0.1 / 1.5)
    opt.decay_lr()
    assert opt.lr == pytest.approx(0.1 / 2.0)
    opt.learning_rate = 0.04                    # e.g. ReduceLROnPlateau
    assert opt.lr == pytest.approx(0.04)
    opt.decay_lr()                              # continues the formula from the new rate
    assert opt.lr == pytest.approx(0.04 * 2.0 / 2.5)
    still = SGD(lr=0.1)
    for _ in range(5):
        still.decay_lr()
    assert still.lr == 0.1


def test_callable_learning_rate():
    opt = SGD([param([0.0])], learning_rate=lambda: 0.25)
    assert opt.lr == 0.25
    with pytest.raises(TypeError, match="callable"):
        opt.get_config()


# --- the update ------------------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_update_is_in_place_and_grad_untouched(cls):
    p = param([[1.0, -2.0], [0.5, 3.0]])
    data, view = p.data, p.data[0]
    grad = np.array([[0.3, -0.8], [2.0, 0.7]])
    grad.flags.writeable = False                # gradients may be read-only views
    p.grad = grad
    opt = cls([p], lr=0.1, **RICH_KWARGS.get(cls, {}))
    opt.step()
    opt.step()
    assert p.data is data and p.grad is grad
    np.testing.assert_array_equal(grad, [[0.3, -0.8], [2.0, 0.7]])
    assert not np.allclose(view, [1.0, -2.0])   # views of the parameter see the update
    assert p.dtype == np.float64


@pytest.mark.parametrize("cls", ALL)
def test_float32_param_stays_float32(cls):
    p = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    p.grad = np.array([0.1, -0.2, 0.3])         # float64 gradient
    opt = cls([p], lr=0.1, **RICH_KWARGS.get(cls, {}))
    opt.step()
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state_dict()["slots"].get(0, {}).values())


def test_params_without_grad_are_skipped():
    a, b, c = param([1.0]), param([2.0]), param([3.0])
    c.requires_grad = False
    c._grad = np.array([5.0])
    a.grad = np.array([1.0])
    opt = Adam([a, b, c], lr=0.1)
    opt.step()
    assert b.data[0] == 2.0 and b._grad is None          # no zeros were created
    assert c.data[0] == 3.0
    assert a.data[0] != 1.0
    assert opt.state_dict()["slots"].keys() == {0}


def test_zero_grad_and_step_without_params():
    a = param([1.0, 2.0])
    a.grad = np.array([1.0, 1.0])
    opt = SGD([a])
    opt.zero_grad()
    assert a._grad is None
    with pytest.raises(RuntimeError, match="set_parameters"):
        SGD(lr=0.1).step()


def test_parameters_given_later_and_generators():
    a = param([1.0])
    opt = Adam(lr=0.1)
    opt.build(p for p in [a, a])                # generator; a duplicate is updated once
    assert len(opt.params) == 1
    a.grad = np.array([1.0])
    opt.step()
    assert a.data[0] == pytest.approx(0.9, rel=1e-6)
    with pytest.raises(TypeError, match=r"params\[1\]"):
        SGD([a, np.zeros(2)])


def test_apply_gradients_keras_style():
    a, b = param([1.0, 1.0]), param([2.0])
    opt = SGD(lr=0.5)
    opt.apply_gradients([(np.array([1.0, 2.0]), a), (None, b)])
    np.testing.assert_allclose(a.data, [0.5, 0.0])
    assert b.data[0] == 2.0 and a._grad is None and opt.iterations == 1
    with pytest.raises(ValueError, match="not among"):
        opt.apply_gradients([(np.array([1.0]), param([0.0]))])


def test_wrong_grad_shape_is_an_error():
    a = param([1.0, 2.0])
    opt = SGD([a])
    with pytest.raises(ValueError, match="does not match"):
        opt.apply_gradients([(np.zeros(3), a)])


# --- clipping and weight decay ---------------------------------------------------------
def test_clipnorm_per_variable():
    a, b = param([0.0, 0.0]), param([0.0])
    a.grad, b.grad = np.array([3.0, 4.0]), np.array([0.5])
    SGD([a, b], lr=1.0, clipnorm=1.0).step()
    np.testing.assert_allclose(a.data, [-0.6, -0.8])     # norm 5 -> 1
    np.testing.assert_allclose(b.data, [-0.5])           # norm below the limit: unchanged
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])    # the gradient itself is not modified


def test_global_clipnorm():
    a, b = param([0.0, 0.0]), param([0.0])
    a.grad, b.grad = np.array([3.0, 0.0]), np.array([4.0])
    SGD([a, b], lr=1.0, global_clipnorm=2.5).step()      # joint norm 5 -> 2.5
    np.testing.assert_allclose(a.data, [-1.5, 0.0])
    np.testing.assert_allclose(b.data, [-2.0])


def test_clipvalue():
    a = param([0.0, 0.0, 0.0])
    a.grad = np.array([3.0, -0.2, -7.0])
    SGD([a], lr=1.0, clipvalue=0.5).step()
    np.testing.assert_allclose(a.data, [-0.5, 0.2, 0.5])


def test_clip_arguments_are_validated():
    with pytest.raises(ValueError, match="Only one of"):
        SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="clipnorm"):
        SGD(clipnorm=0.0)
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="beta_1"):
        Adam(beta1=1.0)
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)


def test_weight_decay_decoupled_and_exclusions():
    a, b = param([2.0]), param([2.0], name="dense/bias")
    a.grad, b.grad = np.array([1.0]), np.array([1.0])
    opt = SGD([a, b], lr=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.step()
    assert a.data[0] == pytest.approx(2.0 - 0.1 * 0.5 * 2.0 - 0.1)
    assert b.data[0] == pytest.approx(2.0 - 0.1)


# --- state -----------------------------------------------------------------------------
GRADS = [np.array([[0.3, -0.8], [2.0, 0.7]]), np.array([[-0.5, 0.1], [1.0, -0.2]]),
         np.array([[0.05, 0.9], [-1.5, 0.4]]), np.array([[1.2, -0.3], [0.2, 0.6]]),
         np.array([[0.4, 0.4], [-0.1, 0.3]])]


def run(opt, ps, grads):
    for g in grads:
        for k, p in enumerate(ps):
            p.grad = g * (k + 1)
        opt.step()


@pytest.mark.parametrize("cls", ALL)
def test_state_dict_round_trip_continues_identically(cls):
    kwargs = dict(lr=0.05, decay=0.1, **RICH_KWARGS.get(cls, {}))
    ps = [param(np.ones((2, 2))), param(np.full((2, 2), -1.0))]
    opt = cls(ps, **kwargs)
    run(opt, ps, GRADS[:3])
    opt.decay_lr()
    state = opt.state_dict()
    saved = [p.data.copy() for p in ps]
    run(opt, ps, GRADS[3:])

    ps2 = [param(s) for s in saved]
    opt2 = cls(ps2, **kwargs)
    opt2.load_state_dict(state)
    assert opt2.iterations == 3 and opt2.lr == pytest.approx(0.05 / 1.1)
    run(opt2, ps2, GRADS[3:])
    for p, q in zip(ps, ps2):
        np.testing.assert_array_equal(p.data, q.data)


def test_state_dict_holds_copies():
    p = param([1.0, 2.0])
    p.grad = np.array([1.0, 1.0])
    opt = Adam([p])
    opt.step()
    state = opt.state_dict()
    state["slots"][0]["m"][:] = 99.0            # editing the returned dict changes nothing
    assert opt.state_dict()["slots"][0]["m"][0] != 99.0
    opt2 = Adam([param([1.0, 2.0])])
    opt2.load_state_dict(state)
    state["slots"][0]["m"][:] = -5.0            # nor does editing it after loading
    assert opt2.state_dict()["slots"][0]["m"][0] == 99.0


def _stepped_adam():
    p = param([[1.0, 2.0], [3.0, 4.0]])
    p.grad = np.ones((2, 2))
    opt = Adam([p])
    opt.step()
    return opt


@pytest.mark.parametrize("corrupt, message", [
    (lambda s: s["slots"][0].update(m=np.zeros(3)), "shape"),
    (lambda s: s["slots"][0].pop("v"), "expected"),
    (lambda s: s.update(num_params=2), "2 parameters"),
    (lambda s: s.update(class_name="SGD"), "saved by SGD"),
    (lambda s: s.pop("slots"), "slots"),
])
def test_load_state_dict_mismatch_raises_and_changes_nothing(corrupt, message):
    opt = _stepped_adam()
    p = opt.params[0]
    p.grad = np.full((2, 2), 0.5)
    opt.step()
    before = opt.state_dict()
    bad = _stepped_adam().state_dict()
    corrupt(bad)
    with pytest.raises(ValueError, match=message):
        opt.load_state_dict(bad)
    after = opt.state_dict()
    assert after["iterations"] == before["iterations"] == 2
    for k in ("m", "v"):
        np.testing.assert_array_equal(after["slots"][0][k], before["slots"][0][k])


def test_load_before_parameters_is_applied_at_set_parameters():
    state = _stepped_adam().state_dict()
    opt = Adam()
    opt.load_state_dict(state)
    opt.set_parameters([param([[1.0, 2.0], [3.0, 4.0]])])
    assert opt.iterations == 1
    np.testing.assert_array_equal(opt.state_dict()["slots"][0]["m"], state["slots"][0]["m"])


def test_state_dict_string_keys_and_nadam_extra_state():
    p = param([1.0, -1.0])
    p.grad = np.array([0.5, 0.5])
    opt = Nadam([p])
    opt.step()
    state = opt.state_dict()
    assert 0 < state["u_product"] < 1
    state["slots"] = {str(k): v for k, v in state["slots"].items()}   # as read back from HDF5
    opt2 = Nadam([param([1.0, -1.0])])
    opt2.load_state_dict(state)
    assert opt2._u_product == opt._u_product
    del state["u_product"]
    with pytest.raises(ValueError, match="u_product"):
        Nadam([param([0.0, 0.0])]).load_state_dict(state)


def test_set_device_cpu_keeps_state():
    opt = _stepped_adam()
    m = opt.state_dict()["slots"][0]["m"]
    opt.set_device("cpu")
    np.testing.assert_array_equal(opt.state_dict()["slots"][0]["m"], m)


# --- config and lookup -----------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_config_round_trip(cls):
    opt = cls(lr=0.05, clipnorm=2.0, decay=0.1, name="mine", **RICH_KWARGS.get(cls, {}))
    config = opt.get_config()
    again = cls.from_config(config)
    assert again.get_config() == config
    assert ko.deserialize(ko.serialize(opt)).get_config() == config


def test_get_lookup():
    assert isinstance(ko.get("adam"), Adam)
    assert isinstance(ko.get("Adam"), Adam)
    opt = ko.get("sgd", learning_rate=0.3, momentum=0.5)
    assert isinstance(opt, SGD) and opt.lr == 0.3 and opt.momentum == 0.5
    assert ko.get(opt) is opt
    p = param([1.0])
    assert ko.get(opt, params=[p]).params == [p]
    from_dict = ko.get({"class_name": "RMSprop", "config": {"learning_rate": 0.2}})
    assert isinstance(from_dict, ko.RMSprop) and from_dict.lr == 0.2
    with pytest.raises(ValueError, match="valid names are: sgd, adam, adamw, rmsprop"):
        ko.get("adamm")
    with pytest.raises(TypeError, match="interpret"):
        ko.get(42)


def test_params_from_layer_like_objects_and_methods():
    a, b = param([1.0]), param([2.0])

    class Holder:
        parameters = property(lambda self: [a, b])

    class TorchStyle:
        def parameters(self):
            return iter([a, b])

    assert SGD(Holder()).params == [a, b]
    assert SGD(TorchStyle().parameters).params == [a, b]
    assert SGD(a).params == [a]
    with pytest.raises(TypeError, match="groups"):
        SGD([{"params": [a]}])


@pytest.mark.parametrize("cls", [SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Adamax, Nadam])
def test_scalar_weights_update_like_one_element_vectors(cls):
    """A weight of shape () (Attention's scale) takes the same steps as one of shape (1,)."""
    results = []
    for shape in ((), (1,)):
        w = Tensor(np.full(shape, 2.0, np.float32), requires_grad=True)
        opt = cls([w], lr=0.1)
        for _ in range(3):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
        assert w.shape == shape
        results.append(float(w.data.reshape(-1)[0]))
    assert results[0] == results[1]
