"""AdamW: Adam with decoupled weight decay (Keras 3's default 0.004)."""
from kerasish.optimizers.adam import Adam


class AdamW(Adam):
    """Adam with decoupled weight decay: `p -= lr * weight_decay * p`, then the Adam update.

    Same rule as Keras 3's and PyTorch's AdamW. The default `weight_decay=0.004` is
    Keras's (PyTorch's is 0.01).

    Args:
        params: the Tensors to update (or None, then `set_parameters` later).
        lr: learning rate (float or schedule); `learning_rate=` is the same. Default 0.001.
        weight_decay: the decoupled decay rate (must not be None).
        beta1, beta2, epsilon, amsgrad, decay: as for `Adam`.
        **kwargs: `learning_rate`, `beta_1`, `beta_2`, `clipnorm`, `clipvalue`,
            `global_clipnorm`, `name`.
    """

    def __init__(self, params=None, lr=0.001, weight_decay=0.004, beta1=0.9, beta2=0.999, epsilon=1e-8,
                 amsgrad=False, decay=0.0, **kwargs):
        if weight_decay is None:
            raise ValueError("AdamW: `weight_decay` must be a float, got None (use Adam for no decay)")
        super().__init__(params, lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon, amsgrad=amsgrad,
                         decay=decay, weight_decay=weight_decay, **kwargs)
