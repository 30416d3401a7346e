"""Higher-level autograd API: vjp, jvp, jacobian, hessian, vhp, hvp, as
torch.autograd.functional (tensors or tuples of tensors in and out)."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

__all__ = ["vjp", "jvp", "jacobian", "hessian", "vhp", "hvp"]


def _tup(x: Any, name: str, fn: str) -> tuple:
    from .._tensor import Tensor

    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, v in enumerate(xs):
        if not isinstance(v, Tensor):
            if is_tuple:
                raise TypeError(f"The {name} given to {fn} must be either a Tensor or a tuple "
                                f"of Tensors but the value at index {i} has type {type(v)}.")
            raise TypeError(f"The {name} given to {fn} must be either a Tensor or a tuple of "
                            f"Tensors but the given {name} has type {type(v)}.")
    return is_tuple, xs


def _grad_preprocess(inputs: tuple, create_graph: bool) -> tuple:
    from ..ops.shape import alias

    if create_graph:
        return tuple(alias(x) if x.requires_grad else x.detach().requires_grad_()
                     for x in inputs)
    return tuple(x.detach().requires_grad_() for x in inputs)


def _post(xs: tuple, create_graph: bool, is_tuple: bool) -> Any:
    out = tuple(x if create_graph or x is None else x.detach() for x in xs)
    return out if is_tuple else out[0]


def _zeros(x: Any) -> Any:
    from .._tensor import Tensor

    return Tensor._make(np.zeros(x._data.shape, x._data.dtype))


def _autograd(outputs: tuple, inputs: tuple, grads: tuple, create_graph: bool,
              retain_graph: Any = None) -> tuple:
    """autograd.grad over the outputs that require grad (None outputs skipped); all None
    where none does."""
    from ._grad_api import grad

    pairs = [(o, g) for o, g in zip(outputs, grads) if o is not None and o.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    return grad([o for o, _ in pairs], inputs, [g for _, g in pairs], create_graph=create_graph,
                retain_graph=retain_graph, allow_unused=True)


def _fill(grads: tuple, refs: tuple, strict: bool, create_graph: bool, stage: str) -> tuple:
    out = []
    for i, (g, r) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"The output of the user-provided function is independent "
                                   f"of input {i}. This is not allowed in strict mode.")
            g = _zeros(r)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(f"The jacobian of the user-provided function is independent of "
                               f"input {i}. This is not allowed in strict mode when "
                               "create_graph=True.")
        out.append(g)
    return tuple(out)


def _check_outputs(outputs: tuple, strict: bool, fn: str) -> None:
    if strict:
        for i, o in enumerate(outputs):
            if not o.requires_grad:
                raise RuntimeError(f"Output {i} of the user-provided function does not require "
                                   "gradients. The outputs must be computed in a differentiable "
                                   "manner from the input when running in strict mode.")


def _validate_v(v: tuple, other: tuple, name: str) -> None:
    if len(v) != len(other):
        raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got "
                           f"{len(v)}.")
    for i, (a, b) in enumerate(zip(v, other)):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"Entry {i} in v has invalid size: should be {b.shape} but got "
                               f"{a.shape}.")


def _run(func: Callable, inputs: tuple, fn: str) -> tuple:
    from .grad_mode import enable_grad

    with enable_grad():
        out = func(*inputs)
    is_tuple, outs = _tup(out, "outputs of the user-provided function", fn)
    return is_tuple, outs


def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """Compute the dot product between a vector v and the Jacobian of the given function at
    the point given by the inputs. Returns (func_output, vjp)."""
    in_tuple, xs = _tup(inputs, "inputs", "vjp")
    xs = _grad_preprocess(xs, create_graph)
    out_tuple, outs = _run(func, xs, "vjp")
    _check_outputs(outs, strict, "vjp")
    if v is None:
        if len(outs) != 1 or outs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
        vs = (_ones(outs[0]),)
    else:
        _, vs = _tup(v, "v", "vjp")
        _validate_v(vs, outs, "v")
    grads = _fill(_autograd(outs, xs, vs, create_graph), xs, strict, create_graph, "back")
    return _post(outs, create_graph, out_tuple), _post(grads, create_graph, in_tuple)


def _ones(x: Any) -> Any:
    from .._tensor import Tensor

    return Tensor._make(np.ones(x._data.shape, x._data.dtype))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """Compute the dot product between the Jacobian of the given function at the point
    given by the inputs and a vector v. Returns (func_output, jvp)."""
    from .._tensor import Tensor

    in_tuple, xs = _tup(inputs, "inputs", "jvp")
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        vs = (_ones(xs[0]),)
    else:
        _, vs = _tup(v, "v", "jvp")
        _validate_v(vs, xs, "v")
    xs = _grad_preprocess(xs, create_graph)
    out_tuple, outs = _run(func, xs, "jvp")
    _check_outputs(outs, strict, "jvp")
    # The double-vjp construction: g(u) = J^T u is linear in u; d<g(u), v>/du = J v.
    us = tuple(Tensor._make(np.zeros(o._data.shape, o._data.dtype), requires_grad=True)
               for o in outs)
    gs = _autograd(outs, xs, us, True)
    res = _autograd(gs, us, vs, create_graph)
    res = tuple(_zeros(o) if r is None else r for r, o in zip(res, outs))
    if strict and any(g is None for g in gs):
        i = next(k for k, g in enumerate(gs) if g is None)
        raise RuntimeError(f"The output of the user-provided function is independent of input "
                           f"{i}. This is not allowed in strict mode.")
    return _post(outs, create_graph, out_tuple), _post(res, create_graph, out_tuple)


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """Compute the Jacobian of a given function: out.shape + in.shape per (output, input)
    pair, nested as the outputs and inputs are."""
    from .._tensor import Tensor
    from ._grad_api import grad

    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError('Expected strategy to be either "forward-mode" or "reverse-mode". '
                         "Hint: If your function has more outputs than inputs, \"forward-mode\" "
                         "tends to be more performant. Otherwise, prefer to use "
                         "\"reverse-mode\".")
    if strategy == "forward-mode" and not vectorize:
        raise NotImplementedError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\""
                                  "` is only implemented when `vectorize=True`.")
    in_tuple, xs = _tup(inputs, "inputs", "jacobian")
    xs = _grad_preprocess(xs, create_graph)
    out_tuple, outs = _run(func, xs, "jacobian")
    _check_outputs(outs, strict, "jacobian")
    result = []
    for i, o in enumerate(outs):
        n = o.numel()
        rows: list = [[] for _ in xs]
        if o.requires_grad and n:
            if vectorize:
                eye = Tensor._make(np.eye(n, dtype=o._data.dtype).reshape((n,) + o._data.shape))
                gs = grad(o, xs, eye, retain_graph=True, create_graph=create_graph,
                          allow_unused=True, is_grads_batched=True)
                per_in = [None if g is None else g.reshape(tuple(o.shape) + tuple(x.shape))
                          for g, x in zip(gs, xs)]
            else:
                for k in range(n):
                    go = np.zeros(o._data.shape, o._data.dtype)
                    go.reshape(-1)[k] = 1
                    gs = grad(o, xs, Tensor._make(go), retain_graph=True,
                              create_graph=create_graph, allow_unused=True)
                    for j, g in enumerate(gs):
                        rows[j].append(g)
                per_in = [_stack_rows(r, o, x) for r, x in zip(rows, xs)]
        else:
            per_in = [None] * len(xs)
        out_row = []
        for j, (g, x) in enumerate(zip(per_in, xs)):
            if g is None:
                if strict:
                    raise RuntimeError(f"Output {i} of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       "strict mode.")
                g = Tensor._make(np.zeros(tuple(o.shape) + tuple(x.shape), x._data.dtype))
            out_row.append(g if create_graph else g.detach())
        result.append(tuple(out_row) if in_tuple else out_row[0])
    return tuple(result) if out_tuple else result[0]


def _stack_rows(rows: list, o: Any, x: Any) -> Any:
    from .. import ops

    if all(r is None for r in rows):
        return None
    rows = [(_zeros(x) if r is None else r) for r in rows]
    stacked = ops.joining.stack(rows, 0) if hasattr(ops, "joining") else None
    if stacked is None:
        from ..func._vmap import stack

        stacked = stack(rows)
    return stacked.reshape(tuple(o.shape) + tuple(x.shape))


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """Compute the Hessian of a given scalar function."""
    in_tuple, xs = _tup(inputs, "inputs", "hessian")

    def ensure_single_output(*inp: Any) -> Any:
        out = func(*inp)
        _, outs = _tup(out, "outputs of the user-provided function", "hessian")
        if len(outs) != 1:
            raise RuntimeError("The function given to hessian should return a single Tensor")
        if outs[0].numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        return outs[0].squeeze()

    def jac_func(*inp: Any) -> Any:
        return jacobian(ensure_single_output, inp, create_graph=True, strict=strict,
                        vectorize=vectorize)

    res = jacobian(jac_func, xs, create_graph=create_graph, strict=strict, vectorize=vectorize,
                   strategy=outer_jacobian_strategy)
    if not in_tuple:
        return res[0][0]
    return res


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """Compute the dot product between vector v and the Hessian of a scalar function at the
    given point. Returns (func_output, vhp)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "vhp")


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """Compute the dot product between the scalar function's Hessian and a vector v at a
    specified point. Returns (func_output, hvp)."""
    return _hessian_product(func, inputs, v, create_graph, strict, "hvp")


def _hessian_product(func: Callable, inputs: Any, v: Any, create_graph: bool, strict: bool,
                     fn: str) -> tuple:
    from ._grad_api import grad

    in_tuple, xs = _tup(inputs, "inputs", fn)
    if v is None:
        if len(xs) != 1 or xs[0].numel() != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        vs = (_ones(xs[0]),)
    else:
        _, vs = _tup(v, "v", fn)
        _validate_v(vs, xs, "v")
    xs = _grad_preprocess(xs, create_graph)
    _, outs = _run(func, xs, fn)
    if len(outs) != 1 or outs[0].numel() != 1:
        raise RuntimeError("The function given to hvp should return a single Tensor"
                           if len(outs) != 1 else
                           f"The Tensor returned by the function given to {fn} should contain "
                           "a single element")
    out = outs[0]
    _check_outputs(outs, strict, fn)
    jac = grad(out, xs, create_graph=True, allow_unused=True)
    res = _autograd(jac, xs, vs, create_graph)
    res = _fill(res, xs, strict, create_graph, "double")
    return _post((out,), create_graph, False), _post(res, create_graph, in_tuple)
