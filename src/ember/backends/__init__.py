"""torch.backends: the switches of torch's compute libraries, as a CPU-only build has them.
ember computes with NumPy, so the switches are kept (programs set and read them) without
changing how ember computes."""

from . import cuda, cudnn, mkl, mkldnn, mps, openmp

__all__ = ["cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp"]
