"""ember.utils: helpers around models and training (checkpointing)."""

from . import checkpoint

__all__ = ["checkpoint"]
