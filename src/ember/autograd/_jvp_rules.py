"""JVP (forward-mode) formulas, one per op name: f(args, kwargs, tangents, out) -> tangent.

Ops declare their rules on their rows (`ops._core.declare`), read here from the ops
themselves; `DECOMPOSED` holds the ops that forward AD runs as a composition of
others. Rules are written with ember's ops, so tangents may themselves be batched (jacfwd)
and the rules are differentiable. Ops without a rule get theirs from their backward
formula (`by_double_vjp`): with u a dummy output gradient, the vjp g(u) = J^T u is linear in
u, so the gradient of <g(u), t> with respect to u is J t.
"""

from __future__ import annotations

from typing import Any, Callable

from ..func._dispatch import OPS, op

# JVP formulas by op name: f(args, kwargs, tangents, out) -> tangent of out (or a tuple for
# ops with several outputs). `tangents[i]` is the tangent of args[i] (None where it has none).
JVP: dict = {}
# name -> function of the op's arguments: ops whose duals run through their parts (the
# decomposition calls ops, each with its own tangent; NotImplemented where it does not
# apply), filled with JVP.
DECOMPOSED: dict = {}


def conform(tan: Any, out: Any) -> Any:
    """The tangent with its output's shape and dtype (formulas may broadcast)."""
    if tuple(tan.shape) != tuple(out.shape):
        tan = op("expand")(tan, tuple(out.shape))
    if tan.dtype != out.dtype:
        tan = op("to")(tan, out.dtype)
    return tan


def zeros_tangent(t: Any) -> Any:
    return op("zeros_like")(t)


def _linear_decomposed(input: Any, weight: Any, bias: Any = None) -> Any:
    # linear's fast paths save weight.t() computed inside: forward over reverse needs that
    # intermediate as a dual, so the ops run one by one.
    out = op("matmul")(input, op("t")(weight))
    return out if bias is None else op("add")(out, bias)


def _matmul_decomposed(input: Any, other: Any, *, out: Any = None) -> Any:
    # matmul reshapes its operands (a vector as a row, batches broadcast and folded) before
    # one product whose node saves them: they must be duals for forward over reverse. The
    # single products (dot, mv, mm) keep matmul's own rule.
    from ..ops._core import broadcast_shape

    d1, d2 = input.dim(), other.dim()
    if d1 == 0 or d2 == 0 or (d1 <= 2 and d2 <= 2 and not (d1 == 1 and d2 == 2)):
        return NotImplemented
    a = op("unsqueeze")(input, 0) if d1 == 1 else input
    b = op("unsqueeze")(other, -1) if d2 == 1 else other
    sa, sb = tuple(a.shape), tuple(b.shape)
    try:
        batch = broadcast_shape(sa[:-2], sb[:-2])
    except RuntimeError:
        batch = None
    if batch is None or sa[-1] != sb[-2] or input.dtype != other.dtype:
        return NotImplemented  # matmul raises its own error
    if d1 <= 2 and d2 == 2:
        r = op("mm")(a, b)
    else:
        a3 = op("reshape")(op("expand")(a, batch + sa[-2:]), (-1,) + sa[-2:])
        b3 = op("reshape")(op("expand")(b, batch + sb[-2:]), (-1,) + sb[-2:])
        r = op("reshape")(op("bmm")(a3, b3), batch + (sa[-2], sb[-1]))
    if d1 == 1:
        r = op("squeeze")(r, -2)
    return op("squeeze")(r, -1) if d2 == 1 else r


class _Ops:
    """The namespace the rules declared on rows compute with: each op through the
    dispatcher, so that tangents may be batched and the rules are differentiable."""

    def __getattr__(self, name: str) -> Callable:
        return op(name)


_OPS = _Ops()


def _declared(rule: Callable) -> Callable:
    return lambda args, kwargs, tangents, out: rule(_OPS, args, kwargs, tangents, out)


for _fn, _name in OPS:
    _rule = getattr(_fn, "row", {}).get("jvp")
    if _rule is not None:
        JVP[_name] = _declared(_rule)
DECOMPOSED["linear"] = _linear_decomposed
DECOMPOSED["matmul"] = _matmul_decomposed


def by_double_vjp(fn: Callable, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    """The JVP of any op with a (twice differentiable) backward formula: differentiate the
    op's vjp with respect to its output gradient."""
    from .._tensor import Tensor
    from ._grad_api import grad as autograd_grad
    from .grad_mode import enable_grad

    pos = [i for i, t in enumerate(tangents)
           if isinstance(t, Tensor) and isinstance(args[i], Tensor)]
    if not pos:
        return None
    with enable_grad():
        new_args = list(args)
        xs = []
        for i in pos:
            x = op("alias")(args[i].detach()).detach().requires_grad_()
            new_args[i] = x
            xs.append(x)
        res = fn(*new_args, **kwargs)
        outs = res if isinstance(res, (tuple, list)) else (res,)
        diff = [o for o in outs if isinstance(o, Tensor) and o.requires_grad]
        if not diff:
            return None
        us = [op("zeros_like")(o).requires_grad_() for o in diff]
        gs = autograd_grad(diff, xs, us, create_graph=True, allow_unused=True)
        pairs = [(g, tangents[i]) for g, i in zip(gs, pos) if g is not None and g.requires_grad]
        if not pairs:
            tans = [op("zeros_like")(o) for o in diff]
        else:
            tans = autograd_grad([g for g, _ in pairs], us, [t for _, t in pairs],
                                 allow_unused=True, materialize_grads=True)
    it = iter(tans)
    full = [next(it) if isinstance(o, Tensor) and o.requires_grad else None for o in outs]
    return tuple(full) if isinstance(res, (tuple, list)) else full[0]
