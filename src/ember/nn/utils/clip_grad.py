"""Gradient clipping, as torch.nn.utils does it (single-tensor path)."""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from ..._tensor import Tensor
from ..._version import bump_version

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_"]


def _grads(parameters: Any) -> list:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p._grad for p in parameters if p._grad is not None]


def _norm(a: np.ndarray, p: float) -> np.ndarray:
    x = np.abs(a)
    if p == math.inf:
        return np.max(x) if x.size else np.zeros((), a.dtype)
    if p == 2:
        return np.sqrt(np.sum(x * x))
    if p == 1:
        return np.sum(x)
    return np.sum(x ** a.dtype.type(p)) ** a.dtype.type(1.0 / p)


def get_total_norm(tensors: Any, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: Any = None) -> Tensor:
    """Computes the norm of an iterable of tensors, as if they were concatenated into a
    single vector."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return Tensor._make(np.array(0.0, np.float32))
    dt = tensors[0]._data.dtype
    norms = np.array([_norm(t._data, norm_type) for t in tensors]).astype(dt)
    total = _norm(norms, norm_type).astype(dt)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`")
    return Tensor._make(np.asarray(total))


def clip_grads_with_norm_(parameters: Any, max_norm: float, total_norm: Any,
                          foreach: Any = None) -> None:
    """Scales the gradients of the parameters in place by max_norm / (total_norm + 1e-6),
    when that is below 1."""
    _scale(_grads(parameters), max_norm, total_norm)


def _scale(grads: list, max_norm: float, total_norm: Any) -> None:
    if not grads:
        return
    dt = grads[0]._data.dtype
    total = np.asarray(total_norm._data if isinstance(total_norm, Tensor) else total_norm)
    coef = dt.type(float(max_norm)) / (total.astype(dt) + dt.type(1e-6))
    coef = min(coef, dt.type(1.0))
    for g in grads:
        g._data *= g._data.dtype.type(coef)
        bump_version(g)


def clip_grad_norm_(parameters: Any, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Clips the gradient norm of an iterable of parameters: the norm is computed over all
    gradients together, as if concatenated into a single vector, and the gradients are
    scaled in place. Returns the total norm."""
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    _scale(grads, max_norm, total)
    return total


def clip_grad_norm(parameters: Any, max_norm: float, norm_type: float = 2.0,
                   error_if_nonfinite: bool = False, foreach: Any = None) -> Tensor:
    """Clip the gradient norm of an iterable of parameters. This method is now deprecated
    in favor of clip_grad_norm_."""
    warnings.warn("`torch.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`torch.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grad_value_(parameters: Any, clip_value: float, foreach: Any = None) -> None:
    """Clips the gradients of an iterable of parameters at the specified value, in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        np.clip(g._data, -clip_value, clip_value, out=g._data)
        bump_version(g)
