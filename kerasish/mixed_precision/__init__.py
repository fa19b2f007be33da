"""Mixed precision: float16 compute with float32 master weights and dynamic loss scaling."""
from kerasish.mixed_precision.loss_scale_optimizer import LossScaleOptimizer
from kerasish.mixed_precision.policy import Policy, global_policy, set_global_policy

__all__ = ["LossScaleOptimizer", "Policy", "global_policy", "set_global_policy"]
