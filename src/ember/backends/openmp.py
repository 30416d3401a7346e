"""torch.backends.openmp: whether torch was built with OpenMP (its CPU build is)."""

__all__ = ["is_available"]


def is_available() -> bool:
    """Return whether PyTorch is built with OpenMP support: True, as torch's CPU build."""
    return True
