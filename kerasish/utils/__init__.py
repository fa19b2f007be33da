"""Utilities: gradient checking, seeding, label encoding."""
from kerasish.utils.gradcheck import check_grad
from kerasish.utils.random import set_random_seed

__all__ = ["check_grad", "set_random_seed"]
