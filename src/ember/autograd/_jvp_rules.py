"""JVP (forward-mode) formulas, one per op name: f(args, kwargs, tangents, out) -> tangent.

Formulas are written with ember's ops, so tangents may themselves be batched (jacfwd) and
the formulas are differentiable. Ops without a formula here get theirs from their backward
formula (`by_double_vjp`): with u a dummy output gradient, the vjp g(u) = J^T u is linear in
u, so the gradient of <g(u), t> with respect to u is J t.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..func._dispatch import op

# JVP formulas by op name: f(args, kwargs, tangents, out) -> tangent of out (or a tuple for
# ops with several outputs). `tangents[i]` is the tangent of args[i] (None where it has none).
JVP: dict = {}
# name -> function of the op's arguments: ops whose duals run through their parts (the
# decomposition calls ops, each with its own tangent; NotImplemented where it does not
# apply), filled with JVP.
DECOMPOSED: dict = {}


def _sum(*terms: Any) -> Any:
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else op("add")(out, t)
    return out


def conform(tan: Any, out: Any) -> Any:
    """The tangent with its output's shape and dtype (formulas may broadcast)."""
    if tuple(tan.shape) != tuple(out.shape):
        tan = op("expand")(tan, tuple(out.shape))
    if tan.dtype != out.dtype:
        tan = op("to")(tan, out.dtype)
    return tan


def zeros_tangent(t: Any) -> Any:
    return op("zeros_like")(t)


def _linear(name: str) -> Callable:
    """Ops linear in their first argument (and not depending on the others' values)."""

    def rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        t = tangents[0]
        if t is None:
            return None
        return op(name)(t, *args[1:], **kwargs)

    return rule


def _joining(name: str) -> Callable:
    """Ops that join a list of tensors (linear in each): the join of the tangents, zeros for
    the tensors without one."""

    def rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        ts = tangents[0]
        if not ts or all(t is None for t in ts):
            return None
        ts = [zeros_tangent(a) if t is None else t for a, t in zip(args[0], ts)]
        return op(name)(ts, *args[1:], **kwargs)

    return rule


def _unary(f: Callable) -> Callable:
    def rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        t = tangents[0]
        return None if t is None else f(t, args[0], out)

    return rule


def _mul(*xs: Any) -> Any:
    r = xs[0]
    for x in xs[1:]:
        r = op("mul")(r, x)
    return r


def _add_rule(sign: float) -> Callable:
    def rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        alpha = kwargs.get("alpha", 1) * sign
        ta, tb = tangents[0], tangents[1] if len(tangents) > 1 else None
        tb = None if tb is None else (tb if alpha == 1 else _mul(tb, alpha))
        return _sum(ta, tb)

    return rule


def _rsub(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    alpha = kwargs.get("alpha", 1)
    ta, tb = tangents[0], tangents[1] if len(tangents) > 1 else None
    return _sum(None if ta is None else _mul(ta, -alpha), tb)


def _mul_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    a, b = args[0], args[1]
    ta, tb = tangents[0], tangents[1]
    return _sum(None if ta is None else _mul(ta, b), None if tb is None else _mul(a, tb))


def _div_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    if kwargs.get("rounding_mode") is not None:
        return _zeros_of(out)
    b = args[1]
    ta, tb = tangents[0], tangents[1]
    num = _sum(ta, None if tb is None else op("neg")(_mul(out, tb)))
    return op("div")(num, b)


def _zeros_of(out: Any) -> Any:
    return op("zeros_like")(out)


def _pow_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    a, b = args[0], args[1]
    ta, tb = tangents[0], tangents[1]
    terms = []
    if ta is not None:
        if isinstance(b, (int, float)) and b == 0:
            terms.append(_mul(ta, 0.0))
        else:
            terms.append(_mul(ta, b, op("pow")(a, op("sub")(b, 1) if not
                                              isinstance(b, (int, float)) else b - 1)))
    if tb is not None:
        loga = op("log")(a) if not isinstance(a, (int, float)) else math.log(a) if a > 0 \
            else float("nan")
        terms.append(_mul(tb, out, loga))
    return _sum(*terms)


def _matmul_like(name: str) -> Callable:
    def rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        a, b = args[0], args[1]
        ta, tb = tangents[0], tangents[1]
        f = op(name)
        return _sum(None if ta is None else f(ta, b), None if tb is None else f(a, tb))

    return rule


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


def _where_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    cond = args[0]
    ta, tb = tangents[1], tangents[2]
    if ta is None and tb is None:
        return None
    return op("where")(cond, 0.0 if ta is None else ta, 0.0 if tb is None else tb)


def _clamp_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    x = args[0]
    lo = args[1] if len(args) > 1 else kwargs.get("min")
    hi = args[2] if len(args) > 2 else kwargs.get("max")
    t = tangents[0]
    if t is None:
        return None
    keep = None
    if lo is not None:
        keep = op("ge")(x, lo)
    if hi is not None:
        k2 = op("le")(x, hi)
        keep = k2 if keep is None else op("logical_and")(keep, k2)
    return op("where")(keep, t, 0.0)


def _mean_rule(args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
    t = tangents[0]
    return None if t is None else op("mean")(t, *args[1:], **kwargs)


_INV_SQRT_PI = 2.0 / math.sqrt(math.pi)

_UNARY = {
    "neg": lambda t, x, y: op("neg")(t),
    "exp": lambda t, x, y: _mul(t, y),
    "log": lambda t, x, y: op("div")(t, x),
    "sin": lambda t, x, y: _mul(t, op("cos")(x)),
    "cos": lambda t, x, y: op("neg")(_mul(t, op("sin")(x))),
    "tanh": lambda t, x, y: _mul(t, op("rsub")(_mul(y, y), 1)),
    "sigmoid": lambda t, x, y: _mul(t, y, op("rsub")(y, 1)),
    "relu": lambda t, x, y: op("where")(op("gt")(y, 0), t, 0.0),
    "abs": lambda t, x, y: _mul(t, op("sign")(x)),
    "sqrt": lambda t, x, y: op("div")(t, _mul(y, 2)),
    "reciprocal": lambda t, x, y: op("neg")(_mul(t, y, y)),
    "log1p": lambda t, x, y: op("div")(t, op("add")(x, 1)),
    "sign": lambda t, x, y: _mul(t, 0.0),
    "square": lambda t, x, y: _mul(t, x, 2),
    "expm1": lambda t, x, y: _mul(t, op("add")(y, 1)),
    "exp2": lambda t, x, y: _mul(t, y, math.log(2.0)),
    "log2": lambda t, x, y: op("div")(t, _mul(x, math.log(2.0))),
    "log10": lambda t, x, y: op("div")(t, _mul(x, math.log(10.0))),
    "rsqrt": lambda t, x, y: _mul(t, op("pow")(y, 3), -0.5),
    "tan": lambda t, x, y: _mul(t, op("add")(_mul(y, y), 1)),
    "sinh": lambda t, x, y: _mul(t, op("cosh")(x)),
    "cosh": lambda t, x, y: _mul(t, op("sinh")(x)),
    "atan": lambda t, x, y: op("div")(t, op("add")(_mul(x, x), 1)),
    "asin": lambda t, x, y: op("div")(t, op("sqrt")(op("rsub")(_mul(x, x), 1))),
    "acos": lambda t, x, y: op("neg")(op("div")(t, op("sqrt")(op("rsub")(_mul(x, x), 1)))),
    "erf": lambda t, x, y: _mul(t, op("exp")(op("neg")(_mul(x, x))), _INV_SQRT_PI),
    "floor": lambda t, x, y: _mul(t, 0.0),
    "ceil": lambda t, x, y: _mul(t, 0.0),
    "round": lambda t, x, y: _mul(t, 0.0),
    "trunc": lambda t, x, y: _mul(t, 0.0),
    "frac": lambda t, x, y: t,
}

for _name, _f in _UNARY.items():
    JVP[_name] = _unary(_f)
for _name in ("negative",):
    JVP[_name] = JVP["neg"]
JVP["absolute"] = JVP["abs"]
JVP["arctan"], JVP["arcsin"], JVP["arccos"] = JVP["atan"], JVP["asin"], JVP["acos"]
JVP["fix"] = JVP["trunc"]

for _name in ("reshape", "view", "transpose", "swapaxes", "swapdims", "t", "permute",
              "unsqueeze", "squeeze", "expand", "flatten", "clone", "contiguous", "unflatten",
              "movedim", "moveaxis", "broadcast_to", "narrow", "select", "unbind", "split",
              "split_with_sizes", "chunk", "tensor_split", "unsafe_split", "unsafe_chunk",
              "alias", "sum", "nansum", "to",
              "type_as", "float", "double", "half", "cpu", "expand_as", "cumsum"):
    JVP[_name] = _linear(_name)
for _name in ("cat", "concat", "concatenate", "stack", "hstack", "vstack", "dstack",
              "column_stack"):
    JVP[_name] = _joining(_name)
JVP["mean"] = _mean_rule
JVP["add"] = _add_rule(1)
JVP["sub"] = JVP["subtract"] = _add_rule(-1)
JVP["rsub"] = _rsub
JVP["mul"] = JVP["multiply"] = _mul_rule
JVP["div"] = JVP["divide"] = JVP["true_divide"] = _div_rule
JVP["pow"] = _pow_rule
JVP["where"] = _where_rule
JVP["clamp"] = JVP["clip"] = _clamp_rule
for _name in ("matmul", "mm", "bmm", "mv", "dot"):
    JVP[_name] = _matmul_like(_name)
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
