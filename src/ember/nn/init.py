"""ember.nn.init: parameter initialization, drawing from the generator exactly as torch does,
so that after the same seed the same layers get the same weights."""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from .. import _random
from .._tensor import Tensor
from .._version import bump_version

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_", "zeros_",
    "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_",
    # the names without the underscore, deprecated, that old programs still call
    "uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse",
]


def _done(tensor: Tensor) -> Tensor:
    bump_version(tensor)
    return tensor


def calculate_gain(nonlinearity: str, param: Any = None) -> float:
    """Returns the recommended gain value for the given nonlinearity function."""
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fills the input Tensor with values drawn from the uniform distribution U(a, b)."""
    _random.uniform_(tensor._data, a, b, generator=generator)
    return _done(tensor)


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fills the input Tensor with values drawn from the normal distribution N(mean, std^2)."""
    _random.normal_(tensor._data, mean, std, generator=generator)
    return _done(tensor)


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator: Any = None) -> Tensor:
    """Fills the input Tensor with values drawn from a normal distribution N(mean, std^2)
    truncated to [a, b], by rejection sampling: normal draws redrawn outside [a, b] when most
    of the mass lies inside, uniform draws on [a, b] accepted by the density otherwise."""
    def norm_cdf(x: float) -> float:
        return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0

    if (mean < a - 2 * std) or (mean > b + 2 * std):
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    x = tensor._data
    t = x.dtype.type
    p = norm_cdf((b - mean) / std) - norm_cdf((a - mean) / std)
    if p > 0.3:
        lo, hi = t(a), t(b)
        _random.normal_(x, mean, std, generator=generator)
        while True:
            mask = (x < lo) | (x > hi)
            if not mask.any():
                break
            fresh = _random.normal_(np.empty_like(x), mean, std, generator=generator)
            x[mask] = fresh[mask]
        return _done(tensor)
    mode = max(a, min(mean, b))
    log_peak = -0.5 * ((mode - mean) / std) ** 2

    def log_pdf(c: np.ndarray) -> np.ndarray:
        return ((c - t(mean)) / t(std)) ** 2 * t(-0.5) - t(log_peak)

    def rejected() -> np.ndarray:
        u = _random.uniform_(np.empty_like(x), 0.0, 1.0, generator=generator)
        return np.log(u) > cand_pdf

    _random.uniform_(x, a, b, generator=generator)
    cand_pdf = log_pdf(x)
    pending = rejected()
    while pending.any():
        cand = _random.uniform_(np.empty_like(x), a, b, generator=generator)
        x[pending] = cand[pending]
        cand_pdf = log_pdf(cand)
        pending = np.where(pending, rejected(), pending)
    return _done(tensor)


def constant_(tensor: Tensor, val: float) -> Tensor:
    """Fills the input Tensor with the value val."""
    tensor._data[...] = val
    return _done(tensor)


def ones_(tensor: Tensor) -> Tensor:
    """Fills the input Tensor with the scalar value 1."""
    return constant_(tensor, 1)


def zeros_(tensor: Tensor) -> Tensor:
    """Fills the input Tensor with the scalar value 0."""
    return constant_(tensor, 0)


def eye_(tensor: Tensor) -> Tensor:
    """Fills the 2-dimensional input Tensor with the identity matrix."""
    if tensor._data.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    tensor._data[...] = np.eye(*tensor._data.shape, dtype=tensor._data.dtype)
    return _done(tensor)


def dirac_(tensor: Tensor, groups: int = 1) -> Tensor:
    """Fills the {3, 4, 5}-dimensional input Tensor with the Dirac delta function."""
    x = tensor._data
    if x.ndim not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    out_per = x.shape[0] // groups
    min_dim = min(out_per, x.shape[1])
    x[...] = 0
    for g in range(groups):
        for d in range(min_dim):
            idx = (g * out_per + d, d) + tuple(s // 2 for s in x.shape[2:])
            x[idx] = 1
    return _done(tensor)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple:
    shape = tensor._data.shape
    if len(shape) < 2:
        raise ValueError("Fan in and fan out can not be computed for tensor with fewer than 2 "
                         "dimensions")
    receptive = 1
    for s in shape[2:]:
        receptive *= s
    return shape[1] * receptive, shape[0] * receptive


def _calculate_correct_fan(tensor: Tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fills the input Tensor with values from U(-a, a), a = gain * sqrt(6 / (fan_in +
    fan_out)) (Glorot initialization)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Fills the input Tensor with values from N(0, std^2), std = gain * sqrt(2 / (fan_in +
    fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """Fills the input Tensor with values from U(-bound, bound), bound = gain * sqrt(3 /
    fan_mode) (He initialization)."""
    if 0 in tensor._data.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    std = gain / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator: Any = None) -> Tensor:
    """Fills the input Tensor with values from N(0, std^2), std = gain / sqrt(fan_mode)."""
    if 0 in tensor._data.shape:
        return tensor
    fan = _calculate_correct_fan(tensor, mode)
    gain = calculate_gain(nonlinearity, a)
    return normal_(tensor, 0.0, gain / math.sqrt(fan), generator)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Any = None) -> Tensor:
    """Fills the input Tensor with a (semi) orthogonal matrix from the QR decomposition of a
    normal draw."""
    x = tensor._data
    if x.ndim < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    if x.size == 0:
        return tensor
    rows = x.shape[0]
    cols = x.size // rows
    flat = _random.normal_(np.empty((rows, cols), x.dtype), 0.0, 1.0, generator=generator)
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    x[...] = (q.reshape(x.shape) * x.dtype.type(gain)).astype(x.dtype)
    return _done(tensor)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01,
            generator: Any = None) -> Tensor:
    """Fills the 2D input Tensor as a sparse matrix: N(0, std^2) values, then in each
    column the non-zero elements set to zero at ceil(sparsity * rows) rows chosen by a
    permutation."""
    x = tensor._data
    if x.ndim != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    rows, cols = x.shape
    num_zeros = math.ceil(sparsity * rows)
    _random.normal_(x, 0.0, std, generator=generator)
    # torch draws each column's permutation from the default generator, not `generator`.
    for col_idx in range(cols):
        x[_random.randperm(rows)[:num_zeros], col_idx] = 0
    return _done(tensor)


def _make_deprecate(meth: Callable) -> Callable:
    new_name = meth.__name__
    old_name = new_name[:-1]

    def deprecated_init(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of "
                      f"`nn.init.{new_name}`.", FutureWarning, stacklevel=2)
        return meth(*args, **kwargs)

    deprecated_init.__doc__ = f"""
    {old_name}(...)

    .. warning::
        This method is now deprecated in favor of :func:`torch.nn.init.{new_name}`.

    See :func:`~torch.nn.init.{new_name}` for details."""
    deprecated_init.__name__ = old_name
    return deprecated_init


uniform = _make_deprecate(uniform_)
normal = _make_deprecate(normal_)
constant = _make_deprecate(constant_)
eye = _make_deprecate(eye_)
dirac = _make_deprecate(dirac_)
xavier_uniform = _make_deprecate(xavier_uniform_)
xavier_normal = _make_deprecate(xavier_normal_)
kaiming_uniform = _make_deprecate(kaiming_uniform_)
kaiming_normal = _make_deprecate(kaiming_normal_)
orthogonal = _make_deprecate(orthogonal_)
sparse = _make_deprecate(sparse_)
