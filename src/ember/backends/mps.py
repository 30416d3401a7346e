"""torch.backends.mps: Apple's Metal backend, which neither a CPU-only torch nor ember
has."""

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """Return a bool indicating if MPS is currently available: False."""
    return False


def is_built() -> bool:
    """Return whether PyTorch is built with MPS support: False."""
    return False
