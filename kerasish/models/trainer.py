"""The training loop (compile / fit / evaluate / predict): being written."""


class Trainer:
    """Mixin giving Model compile / fit / evaluate / predict."""
