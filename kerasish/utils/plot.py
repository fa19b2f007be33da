"""Training-curve plots (needs matplotlib: pip install kerasish[plot])."""


def plot_history(history, path=None, keys=None):
    """Plots loss and metrics per epoch, training and validation, from a History or its dict.

    Args:
        history: the `History` returned by `fit`, or its `.history` dict.
        path: image file to write (png, pdf, ...); None only returns the figure.
        keys: metric names to plot (default: all without the 'val_' prefix).

    Returns:
        The matplotlib Figure.
    """
    from kerasish.callbacks.history import History
    if isinstance(history, dict):
        record = History()
        record.history = {k: list(v) for k, v in history.items()}
        record.epoch = list(range(len(next(iter(history.values()), []))))
        history = record
    if not isinstance(history, History):
        raise TypeError(f"plot_history expects a History or a dict of lists, got {type(history).__name__}")
    return history.plot(path, keys)
