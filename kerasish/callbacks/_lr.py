"""Reading and writing the optimizer's learning rate from callbacks."""
import numbers


def get_lr(model, owner):
    """The current learning rate of `model.optimizer` as a float."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError(f"{owner}: the model has no optimizer; call compile() first")
    if getattr(optimizer, "lr_is_schedule", False):
        raise TypeError(f"{owner} cannot change the learning rate: the optimizer was created with a "
                        f"schedule ({type(optimizer._lr).__name__}). Use a float learning rate with this "
                        "callback, or let the schedule alone drive the rate.")
    lr = getattr(optimizer, "learning_rate", None)
    if lr is None:
        lr = getattr(optimizer, "lr", None)
    if isinstance(lr, numbers.Real):
        return float(lr)
    if hasattr(lr, "item") and getattr(lr, "size", 0) == 1:
        return float(lr.item())
    raise TypeError(f"{owner} needs a numeric learning rate, but the optimizer's learning_rate is "
                    f"{type(lr).__name__} (a schedule?). Use a float learning rate with this callback.")


def set_lr(model, value, owner):
    """Sets `model.optimizer.learning_rate` (the optimizer keeps `lr` as the same attribute)."""
    get_lr(model, owner)  # same checks
    model.optimizer.learning_rate = float(value)
