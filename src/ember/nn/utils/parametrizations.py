"""Parametrizations built on torch.nn.utils.parametrize: orthogonal, weight_norm and
spectral_norm."""

from __future__ import annotations

import math
from enum import Enum, auto
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ..._type_info import finfo
from ...autograd.grad_mode import no_grad
from ...ops.creation import eye, randn, zeros_like
from ...ops.decomp import solve
from ...ops.joining import cat
from ...ops.products import dot, mv
from .. import functional as F
from ..modules.conv import _ConvTransposeNd
from ..modules.module import Module
from . import parametrize
from .weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _geqrf(A: Tensor) -> tuple:
    """torch.geqrf: LAPACK's QR in Householder form, the reflectors below the diagonal of
    the first tensor and their scales in the second (NumPy's raw QR, transposed back)."""
    h, tau = np.linalg.qr(A._data, mode="raw")
    return Tensor._make(np.ascontiguousarray(np.swapaxes(h, -1, -2))), Tensor._make(tau)


def _householder_product(A: Tensor, tau: Tensor) -> Tensor:
    """torch.linalg.householder_product: the first n columns of H_1 ... H_k, H_i = I -
    tau_i v_i v_i^H with v_i = (0, ..., 0, 1, A[i+1:, i]); made of differentiable ops."""
    m, n = A.size(-2), A.size(-1)
    batch = tuple(A.shape[:-2])
    Q = eye(m, n, dtype=A.dtype).expand(*batch, m, n)
    for i in reversed(range(tau.size(-1))):
        head = [A.new_zeros(*batch, i), A.new_ones(*batch, 1)]
        v = cat([*head, A[..., i + 1:, i]], dim=-1)
        # v^H is v^T: ember's tensors are real
        Q = Q - tau[..., i, None, None] * (v.unsqueeze(-1) @ (v.unsqueeze(-2) @ Q))
    return Q


# the largest 1-norm for which torch's matrix_exp takes its degree-18 polynomial unscaled
_MEXP_THETA = {np.dtype(np.float32): 3.010066362817634, np.dtype(np.float64): 1.090863719290036}


def _matrix_exp(A: Tensor) -> Tensor:
    """torch.matrix_exp by scaling and squaring: A / 2^s within the degree-18 range of
    torch's thresholds, its Taylor polynomial to degree 18, squared s times; made of
    differentiable ops."""
    n = A.size(-1)
    norm = float(A.detach().abs().sum(-2).max()) if A.numel() else 0.0
    theta = _MEXP_THETA.get(A._data.dtype, _MEXP_THETA[np.dtype(np.float64)])
    s = max(0, math.ceil(math.log2(norm / theta))) if norm > 0 else 0
    A = A / 2.0 ** s
    Id = eye(n, dtype=A.dtype).expand_as(A)
    T = Id
    for k in range(18, 0, -1):
        T = Id + (A @ T) / k
    for _ in range(s):
        T = T @ T
    return T


def _is_orthogonal(Q: Tensor, eps: Any = None) -> bool:
    n, k = Q.size(-2), Q.size(-1)
    Id = eye(k, dtype=Q.dtype)
    # A reasonable eps, but not too large
    eps = 10.0 * n * finfo(Q.dtype).eps
    return (Q.mH @ Q).allclose(Id, atol=eps)


def _make_orthogonal(A: Tensor) -> Tensor:
    """The Q of A's QR decomposition, with the signs that make R's diagonal positive."""
    X, tau = _geqrf(A)
    Q = _householder_product(X, tau)
    # the diagonal of X is the diagonal of R (which is always real), so this is real
    Q *= X.diagonal(dim1=-2, dim2=-1).sgn().unsqueeze(-2)
    return Q


class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


class _Orthogonal(Module):
    base: Tensor

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *,
                 use_trivialization: bool = True) -> None:
        super().__init__()
        if weight.is_complex() and orthogonal_map == _OrthMaps.householder:
            raise ValueError("The householder parametrization does not support complex "
                             "tensors.")
        self.shape = weight.shape
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:
        n, k = X.size(-2), X.size(-1)
        transposed = n < k
        if transposed:
            X = X.mT
            n, k = k, n
        # here n >= k and X is a tall matrix
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            # X is a lower triangular matrix: its skew-symmetric part is the generator
            X = X.tril()
            if n != k:
                # embed into a square matrix
                X = cat([X, X.new_zeros(n, n - k).expand(*X.shape[:-2], -1, -1)], dim=-1)
            A = X - X.mH
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = _matrix_exp(A)
            else:
                # the Cayley map: (I - A/2)^{-1} (I + A/2)
                Id = eye(n, dtype=A.dtype)
                Q = solve(Id - 0.5 * A, Id + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            # X is real here, as householder does not support complex tensors
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the diagonal of X is 1's and -1's; it chooses the signs of Q's columns
            Q = Q * X.diagonal(dim1=-2, dim2=-1).int().unsqueeze(-2)
        if hasattr(self, "base"):
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    @no_grad()
    def right_inverse(self, Q: Tensor) -> Tensor:
        if Q.shape != self.shape:
            raise ValueError("Expected a matrix or batch of matrices of shape "
                             f"{self.shape}. Got a tensor of shape {Q.shape}.")
        Q_init = Q
        n, k = Q.size(-2), Q.size(-1)
        transpose = n < k
        if transpose:
            Q = Q.mT
            n, k = k, n
        # we always make sure to always copy Q in every path
        if not hasattr(self, "base"):
            # the householder map inverts by a QR decomposition; the others cannot invert
            # without a base
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError(
                    "It is not possible to assign to the matrix exponential or the Cayley "
                    "parametrizations when use_trivialization=False.")
            A, tau = _geqrf(Q)
            # the diagonal holds the signs of Q's columns (R's diagonal is real)
            A.diagonal(dim1=-2, dim2=-1).sign_()
            # equality with zero is fine here: geqrf gives exact zeros where it reflects
            # nothing
            A.diagonal(dim1=-2, dim2=-1)[tau == 0.0] *= -1
            return A.mT if transpose else A
        if n == k:
            # Q is orthogonal or it is projected onto the orthogonal matrices
            Q = _make_orthogonal(Q) if not _is_orthogonal(Q) else Q.clone()
        else:
            # complete Q into a full n x n orthogonal matrix
            N = randn(*(Q.size()[:-2] + (n, n - k)), dtype=Q.dtype)
            Q = _make_orthogonal(cat([Q, N], dim=-1))
        self.base = Q
        # the original is -Id: its tril() is the identity's negative, whose skew part is
        # zero (matrix_exp and cayley give Id) and whose diagonal keeps the signs
        neg_Id = zeros_like(Q_init)
        neg_Id.diagonal(dim1=-2, dim2=-1).fill_(-1.0)
        return neg_Id


def orthogonal(module: Module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> Module:
    """Apply an orthogonal or unitary parametrization to a matrix or a batch of matrices:
    the weight becomes Q = map(original), by the matrix exponential, the Cayley map or a
    product of Householder reflectors."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    # we could implement this for 1-dim tensors as the maps on the unit sphere
    if weight.ndim < 2:
        raise ValueError("Expected a matrix or batch of matrices. Got a tensor of "
                         f"{weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.size(-2) == weight.size(-1) or \
            weight.is_complex() else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", '
                         f'"householder". Got: {orthogonal_map}')
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module


class _WeightNorm(Module):
    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        if dim is None:
            dim = -1
        self.dim = dim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight: Tensor) -> tuple:
        weight_g = norm_except_dim(weight, 2, self.dim)
        weight_v = weight
        return weight_g, weight_v


def weight_norm(module: Module, name: str = "weight", dim: int = 0) -> Module:
    """Apply weight normalization to a parameter in the given module: the weight is
    recomputed as g v / ||v|| from parametrizations.weight.original0 (g) and original1
    (v) on every access."""
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)

    def _weight_norm_compat_hook(state_dict: Any, prefix: str, local_metadata: dict,
                                 strict: bool, missing_keys: list, unexpected_keys: list,
                                 error_msgs: list) -> None:
        # a state dict of the hook-based weight_norm: name_g and name_v are the originals
        g_key = f"{prefix}{name}_g"
        v_key = f"{prefix}{name}_v"
        if g_key in state_dict and v_key in state_dict:
            original0 = state_dict.pop(g_key)
            original1 = state_dict.pop(v_key)
            state_dict[f"{prefix}parametrizations.{name}.original0"] = original0
            state_dict[f"{prefix}parametrizations.{name}.original1"] = original1

    module._register_load_state_dict_pre_hook(_weight_norm_compat_hook)
    return module


class _SpectralNorm(Module):
    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0,
                 eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError("Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            # a vector is normalized as it is; a matrix keeps the power method's vectors
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight)
            h, w = weight_mat.size()
            u = weight_mat.new_empty(h).normal_(0, 1)
            v = weight_mat.new_empty(w).normal_(0, 1)
            self.register_buffer("_u", F.normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", F.normalize(v, dim=0, eps=self.eps))
            # 15 iterations start u and v close to the top singular vectors
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        if weight.ndim <= 1:
            raise AssertionError("Expected weight to have more than 1 dimension, got "
                                 f"{weight.ndim}")
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.dim())
                                                if d != self.dim))
        return weight.flatten(1)

    @no_grad()
    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        # F.normalize(..., out=self._u): the buffers change in place
        for _ in range(n_power_iterations):
            self._u.copy_(F.normalize(mv(weight_mat, self._v), dim=0, eps=self.eps))
            self._v.copy_(F.normalize(mv(weight_mat.H, self._u), dim=0, eps=self.eps))

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return F.normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # copies: the power method changes the buffers in place at the next forward
        u = self._u.clone()
        v = self._v.clone()
        # torch's vdot, which for real tensors is dot
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1,
                  eps: float = 1e-12, dim: int | None = None) -> Module:
    """Apply spectral normalization to a parameter in the given module: the weight divided
    by its spectral norm, estimated by power iteration, on every access."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        # a transposed convolution's output channels run along its weight's dim 1
        dim = 1 if isinstance(module, _ConvTransposeNd) else 0
    parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module
