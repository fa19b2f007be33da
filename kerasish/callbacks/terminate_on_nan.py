"""TerminateOnNaN: stop training as soon as the loss is NaN or infinite."""
import math

from kerasish.callbacks.callback import Callback


class TerminateOnNaN(Callback):
    """Sets `model.stop_training` when a training batch logs a NaN or infinite loss.

    Example:

    ```python
    model.fit(x, y, epochs=10, callbacks=[TerminateOnNaN()])
    ```
    """

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
