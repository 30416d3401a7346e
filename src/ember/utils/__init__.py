"""ember.utils: helpers around models and training (checkpointing)."""

from . import checkpoint, data

__all__ = ["checkpoint", "data"]
