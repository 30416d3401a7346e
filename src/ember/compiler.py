"""torch.compiler: the compiler's public controls."""

from ._compile import reset

__all__ = ["reset"]
