"""torch.backends.mkl: whether torch was built with MKL (a CPU build of torch is)."""

__all__ = ["is_available"]


def is_available() -> bool:
    """Return whether PyTorch is built with MKL support: True, as torch's CPU build."""
    return True
