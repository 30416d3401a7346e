"""torch.backends.mkldnn: oneDNN's switch, settable as in torch's CPU build (ember computes
with NumPy either way)."""

__all__ = ["is_available", "enabled"]

enabled = True


def is_available() -> bool:
    """Return whether PyTorch is built with MKL-DNN support: True, as torch's CPU build."""
    return True
