"""Flattening parameters into one vector and back."""

from __future__ import annotations

from typing import Any

from ..._tensor import Tensor
from ..._version import bump_version

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters: Any) -> Tensor:
    """Flattens an iterable of parameters into a single vector."""
    from ...ops.joining import cat

    return cat([p.view(-1) for p in parameters])


def vector_to_parameters(vec: Tensor, parameters: Any) -> None:
    """Copies slices of a vector into an iterable of parameters."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    pointer = 0
    for param in parameters:
        n = param.numel()
        param._data = vec._data[pointer:pointer + n].reshape(param._data.shape).copy()
        bump_version(param)
        pointer += n
