"""Forward-mode AD through custom Functions: the outputs' tangents come from the Function's
`jvp(ctx, *grad_inputs)`, which sees the tensors given to `ctx.save_for_forward` as
`ctx.saved_tensors`."""

from __future__ import annotations

from typing import Any

from .._version import shared_counter
from . import forward_ad


def suspend(step: int) -> None:
    """Turns tangent propagation off (+1) or back on (-1) for the ops a Function runs."""
    from ..func._dispatch import state

    state.fwd_suspended += step


def input_tangents(args: tuple) -> list | None:
    """One tangent per argument (zeros for a tensor without one, None for a non-tensor), or
    None when no argument is a dual tensor."""
    from .._tensor import Tensor

    tans = [forward_ad.get_tangent(a) if isinstance(a, Tensor) else None for a in args]
    if all(t is None for t in tans):
        return None
    from ..func._dispatch import op

    suspend(1)
    try:
        return [op("zeros_like")(a) if t is None and isinstance(a, Tensor) and
                a.is_floating_point() else t for a, t in zip(args, tans)]
    finally:
        suspend(-1)


def forward_grads(cls: type, ctx: Any, args: tuple, outs: tuple, tangents: list) -> tuple:
    """Runs `cls.jvp` and attaches its results to the outputs as their tangents."""
    from .._tensor import Tensor

    had_to_save = "to_save" in ctx.__dict__
    to_save = ctx.__dict__.pop("to_save", None)
    saved = ctx._saved
    ctx._saved = ()
    ctx.to_save = tuple(getattr(ctx, "saved_for_forward", ()))
    suspend(1)
    try:
        result = cls.jvp(ctx, *tangents)
    finally:
        suspend(-1)
        ctx._saved = saved
        del ctx.to_save
        if had_to_save:
            ctx.to_save = to_save
    if not isinstance(result, tuple):
        result = (result,)
    if len(result) != len(outs):
        raise RuntimeError("Function's jvp returned an invalid number of forward gradients "
                           f"(expected {len(outs)} but got {len(result)})")
    non_diff = getattr(ctx, "non_differentiable", ())
    outs = list(outs)
    for i, (o, tan) in enumerate(zip(outs, result)):
        if tan is None:
            continue
        if not isinstance(tan, Tensor):
            raise RuntimeError(f"expected Variable or None (got {type(tan).__name__}) for grad "
                               f"output {i}.")
        if not isinstance(o, Tensor) or not o.is_floating_point() or \
                any(o is n for n in non_diff):
            raise RuntimeError(
                f"Function's jvp returned a gradient at position {i}, but  the corresponding "
                "forward output is not a differentiable Tensor.You should return None at that "
                "position instead.")
        if tuple(tan.shape) != tuple(o.shape):
            raise RuntimeError(
                "Trying to set a forward gradient that has a different size than that of the "
                f"original Tensor, this is not supported. Tensor is of size {list(o.shape)} "
                f"while the given forward gradient is of size {list(tan.shape)}.")
        returned_input = any(o is a for a in args) or (o._base is not None and o._fn is ctx)
        if returned_input and not _is_view(tan):
            raise RuntimeError("A custom Function's forward is returning a view (or an input "
                               "as-is) but the jvp is not returning a view.")
        if any(o is a for a in args):
            o = outs[i] = _alias(o)
        forward_ad.set_tangent(o, tan)
        forward_ad._record_output_tangent(o, tan)
    return tuple(outs)


def _is_view(t: Any) -> bool:
    return t._base is not None


def _alias(t: Any) -> Any:
    """A new tensor over the same memory (torch returns an input as a view of it)."""
    from .._tensor import Tensor

    a = Tensor._make(t._data)
    a._vc = shared_counter(t)
    a._base = t if t._base is None else t._base
    return a

