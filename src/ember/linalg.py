"""ember.linalg: torch.linalg's matrix functions and decompositions."""

from __future__ import annotations

from .ops.decomp import _LinAlgError as LinAlgError  # noqa: F401
from .ops.decomp import (
    cholesky,
    cholesky_ex,
    det,
    eigh,
    eigvalsh,
    inv,
    inv_ex,
    matrix_power,
    pinv,
    qr,
    slogdet,
    solve,
    solve_ex,
    solve_triangular,
    svd,
    svdvals,
)
from .ops.lu import linalg_lu as lu
from .ops.lu import linalg_lu_solve as lu_solve
from .ops.lu import lu_factor, lu_factor_ex
from .ops.matrix import diagonal
from .ops.matrix import linalg_cross as cross
from .ops.matrix_functions import (
    cond,
    lstsq,
    matrix_exp,
    matrix_rank,
    multi_dot,
    tensorinv,
    tensorsolve,
    vander,
    vecdot,
)
from .ops.matrix_functions import linalg_norm as norm
from .ops.products import matmul
from .ops.reduction import matrix_norm, vector_norm

__all__ = ["inv", "inv_ex", "det", "slogdet", "solve", "solve_ex", "cholesky", "cholesky_ex",
           "qr", "eigh", "eigvalsh", "svd", "svdvals", "pinv", "matrix_power", "matmul",
           "diagonal", "cross", "vector_norm", "matrix_norm", "norm", "solve_triangular",
           "vecdot", "multi_dot", "matrix_rank", "cond", "lstsq", "matrix_exp", "lu_factor",
           "lu_factor_ex", "lu", "lu_solve", "vander", "tensorinv", "tensorsolve"]
