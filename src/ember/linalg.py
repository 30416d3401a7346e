"""ember.linalg: torch.linalg's matrix functions and decompositions."""

from __future__ import annotations

from .ops.decomp import _LinAlgError as LinAlgError  # noqa: F401
from .ops.decomp import (
    cholesky,
    det,
    eigh,
    eigvalsh,
    inv,
    matrix_power,
    pinv,
    qr,
    slogdet,
    solve,
    solve_triangular,
    svd,
    svdvals,
)
from .ops.matrix import diagonal
from .ops.matrix import linalg_cross as cross
from .ops.products import matmul
from .ops.reduction import matrix_norm, vector_norm

__all__ = ["inv", "det", "slogdet", "solve", "cholesky", "qr", "eigh", "eigvalsh", "svd",
           "svdvals", "pinv", "matrix_power", "matmul", "diagonal", "cross", "vector_norm",
           "matrix_norm", "solve_triangular"]
