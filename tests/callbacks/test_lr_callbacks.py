"""ReduceLROnPlateau and LearningRateScheduler set `model.optimizer.learning_rate`."""
import pytest
from cb_helpers import Script, data, tiny_model

from kerasish.callbacks import LearningRateScheduler, ReduceLROnPlateau


def test_reduce_lr_on_plateau_lowers_lr_after_patience_with_cooldown_and_floor():
    x, y = data()
    model = tiny_model(lr=0.1)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=2, cooldown=2, min_lr=0.02)
    history = model.fit(x, y, epochs=9, verbose=0, callbacks=[Script("loss", [1.0] * 9), cb])
    lrs = history.history["learning_rate"]
    # logged at epoch end before that epoch's reduction; as in Keras the cooldown counter is
    # decremented before the wait check, so cooldown=2 skips one epoch
    assert lrs == pytest.approx([0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025])
    assert model.optimizer.learning_rate == pytest.approx(0.02)
    assert model.optimizer.lr == pytest.approx(0.02)


def test_reduce_lr_resets_on_improvement_and_between_fits():
    x, y = data()
    model = tiny_model(lr=0.1)
    cb = ReduceLROnPlateau(monitor="loss", factor=0.1, patience=2)
    model.fit(x, y, epochs=4, verbose=0, callbacks=[Script("loss", [1.0, 0.9, 0.8, 0.7]), cb])
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[Script("loss", [5.0, 5.0]), cb])
    assert model.optimizer.learning_rate == pytest.approx(0.1)  # best was reset: 5.0 then one bad epoch


def test_reduce_lr_checks():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        ReduceLROnPlateau(factor=1.5)
    x, y = data()
    with pytest.raises(ValueError, match="no validation data"):
        tiny_model().fit(x, y, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau()])


def test_learning_rate_scheduler_two_and_one_argument_forms():
    x, y = data()
    model = tiny_model(lr=0.1)
    history = model.fit(x, y, epochs=3, verbose=0,
                        callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert history.history["learning_rate"] == pytest.approx([0.05, 0.025, 0.0125])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))])
    assert model.optimizer.learning_rate == pytest.approx(0.02)


def test_learning_rate_scheduler_errors():
    x, y = data()
    with pytest.raises(ValueError, match="must return a float"):
        tiny_model().fit(x, y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: "fast")])
    with pytest.raises(TypeError, match="callable"):
        LearningRateScheduler(0.1)


def test_lr_callbacks_refuse_a_schedule_driven_optimizer():
    from kerasish.optimizers import SGD, schedules
    x, y = data()
    model = tiny_model()
    model.compile(optimizer=SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.5)),
                  loss="sparse_categorical_crossentropy")
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: lr)])
    with pytest.raises(TypeError, match="schedule"):
        model.fit(x, y, epochs=1, verbose=0, callbacks=[ReduceLROnPlateau(monitor="loss")])
