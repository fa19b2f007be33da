"""Keras 2's deprecated `fit_generator` / `evaluate_generator` / `predict_generator`, kept for ported scripts."""
import warnings


def _deprecated(old, new):
    warnings.warn(f"`Model.{old}` is deprecated (as in Keras 2); use `Model.{new}`, which accepts "
                  "generators and Sequences.", DeprecationWarning, stacklevel=3)


class LegacyTrainingMixin:
    """The Keras 2 `*_generator` methods: thin aliases of `fit` / `evaluate` / `predict`.

    `max_queue_size`, `workers` and `use_multiprocessing` are accepted and ignored.
    """

    def fit_generator(self, generator, steps_per_epoch=None, epochs=1, verbose=1, callbacks=None,
                      validation_data=None, validation_steps=None, validation_freq=1, class_weight=None,
                      max_queue_size=10, workers=1, use_multiprocessing=False, shuffle=True, initial_epoch=0):
        """Deprecated: `fit(generator, ...)`."""
        _deprecated("fit_generator", "fit")
        return self.fit(generator, steps_per_epoch=steps_per_epoch, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_data=validation_data, validation_steps=validation_steps,
                        validation_freq=validation_freq, class_weight=class_weight, shuffle=shuffle,
                        initial_epoch=initial_epoch)

    def evaluate_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                           use_multiprocessing=False, verbose=0):
        """Deprecated: `evaluate(generator, ...)`."""
        _deprecated("evaluate_generator", "evaluate")
        return self.evaluate(generator, steps=steps, callbacks=callbacks, verbose=verbose)

    def predict_generator(self, generator, steps=None, callbacks=None, max_queue_size=10, workers=1,
                          use_multiprocessing=False, verbose=0):
        """Deprecated: `predict(generator, ...)`."""
        _deprecated("predict_generator", "predict")
        return self.predict(generator, steps=steps, callbacks=callbacks, verbose=verbose)
