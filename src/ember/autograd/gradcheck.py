"""gradcheck and gradgradcheck: analytical gradients against float64 finite differences."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Error raised by gradcheck and gradgradcheck."""


def _as_tuple(x: Any) -> tuple:
    from .._tensor import Tensor

    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _outputs(func: Callable, inputs: tuple) -> tuple:
    from .._tensor import Tensor

    out = func(*inputs)
    outs = _as_tuple(out) if isinstance(out, (Tensor, tuple, list)) else (out,)
    return tuple(o for o in outs if isinstance(o, Tensor))


def _numerical(func: Callable, inputs: tuple, diff: list, eps: float) -> list:
    """jac[i][j]: (numel of input i, numel of output j), by central differences (the
    inputs' arrays are perturbed in place, as torch does)."""
    base = _outputs(func, inputs)
    jac = []
    for i in diff:
        x = inputs[i]._data
        flat = x.reshape(-1) if x.flags.c_contiguous else None
        cols = [np.zeros((x.size, o.numel()), np.float64) for o in base]
        for k in range(x.size):
            idx = np.unravel_index(k, x.shape) if flat is None else k
            target = flat if flat is not None else x
            old = target[idx]
            target[idx] = old + eps
            hi = [o._data.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
            target[idx] = old - eps
            lo = [o._data.astype(np.float64).reshape(-1) for o in _outputs(func, inputs)]
            target[idx] = old
            for j, (h, lw) in enumerate(zip(hi, lo)):
                cols[j][k] = (h - lw) / (2 * eps)
        jac.append(cols)
    return jac


def _analytical(func: Callable, inputs: tuple, diff: list) -> tuple:
    """jac[i][j] like `_numerical`, from backward with one-hot output gradients."""
    from .._tensor import Tensor
    from . import grad

    outs = _outputs(func, inputs)
    targets = [inputs[i] for i in diff]
    jac = [[np.zeros((inputs[i].numel(), o.numel()), np.float64) for o in outs] for i in diff]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for k in range(o.numel()):
            go = np.zeros(o._data.shape, o._data.dtype)
            go.reshape(-1)[k] = 1
            gs = grad(o, targets, Tensor._make(go), retain_graph=True, allow_unused=True)
            for n, g in enumerate(gs):
                if g is not None:
                    jac[n][j][:, k] = g._data.astype(np.float64).reshape(-1)
    return jac, outs


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def _mismatch(i: int, j: int, numerical: np.ndarray, analytical: np.ndarray) -> str:
    from .._tensor import Tensor

    return (f"Jacobian mismatch for output {j} with respect to input {i},\n"
            f"numerical:{Tensor._make(numerical)!r}\nanalytical:{Tensor._make(analytical)!r}\n")


def gradcheck(func: Callable, inputs: Any, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, nondet_tol: float = 0.0,
              check_undefined_grad: bool = True, check_grad_dtypes: bool = False,
              check_batched_grad: bool = False, check_batched_forward_grad: bool = False,
              check_forward_ad: bool = False, check_backward_ad: bool = True,
              fast_mode: bool = False, masked: bool | None = None) -> bool:
    """Check gradients computed via small finite differences against analytical gradients
    with respect to tensors in inputs that are of floating point type and with
    requires_grad=True."""
    from .._tensor import Tensor

    inputs = _as_tuple(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i in diff:
        if inputs[i].dtype.np != np.float64:
            warnings.warn(
                f"Input #{i} requires gradient and is not a double precision floating point or "
                "complex. This check will likely fail if all the inputs are not of double "
                "precision floating point or complex. ", stacklevel=2)
    if not check_backward_ad:
        return True
    if fast_mode:
        return _fast_check(func, inputs, diff, eps, atol, rtol, raise_exception)
    numerical = _numerical(func, inputs, diff, eps)
    analytical, outs = _analytical(func, inputs, diff)
    for n, i in enumerate(diff):
        for j in range(len(outs)):
            a, num = analytical[n][j], numerical[n][j]
            if a.shape != num.shape or not np.allclose(a, num, rtol=rtol, atol=atol):
                return _fail(_mismatch(i, j, num, a), raise_exception)
    again, _ = _analytical(func, inputs, diff)
    for n in range(len(diff)):
        for j in range(len(outs)):
            if np.abs(again[n][j] - analytical[n][j]).max(initial=0) > nondet_tol:
                return _fail(
                    "Backward is not reentrant, i.e., running backward with same input and "
                    "grad_output multiple times gives different values, although analytical "
                    "gradient matches numerical gradient.The tolerance for nondeterminism was "
                    f"{nondet_tol}.", raise_exception)
    if check_undefined_grad and not _undefined_grad_ok(func, inputs, diff):
        return _fail(
            "Expected backward function to handle undefined output grads. Please look at "
            "\"Notes about undefined output gradients\" in \"tools/autograd/derivatives.yaml\"",
            raise_exception)
    return True


def _undefined_grad_ok(func: Callable, inputs: tuple, diff: list) -> bool:
    """Zero output gradients (what an undefined gradient stands for) must give zero or no
    input gradients."""
    from .._tensor import Tensor
    from . import grad

    outs = [o for o in _outputs(func, inputs) if o.requires_grad]
    if not outs:
        return True
    zeros = [Tensor._make(np.zeros(o._data.shape, o._data.dtype)) for o in outs]
    gs = grad(outs, [inputs[i] for i in diff], zeros, allow_unused=True)
    return all(g is None or not np.any(g._data) for g in gs)


def _fast_check(func: Callable, inputs: tuple, diff: list, eps: float, atol: float,
                rtol: float, raise_exception: bool) -> bool:
    """torch's fast mode: compares v^T J u for random u and v instead of whole Jacobians."""
    from .._tensor import Tensor
    from . import grad
    from .grad_mode import no_grad

    rng = np.random.default_rng(0)
    outs = _outputs(func, inputs)
    for i in diff:
        x = inputs[i]._data
        u = rng.standard_normal(x.shape)
        u /= max(np.linalg.norm(u), 1e-12)
        with no_grad():
            old = x.copy()
            x[...] = old + eps * u
            hi = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            x[...] = old - eps * u
            lo = [o._data.astype(np.float64) for o in _outputs(func, inputs)]
            x[...] = old
        for j, o in enumerate(outs):
            v = rng.standard_normal(o._data.shape)
            numerical = float(np.sum(v * (hi[j] - lo[j]) / (2 * eps)))
            if o.requires_grad:
                g, = grad(o, inputs[i], Tensor._make(v.astype(o._data.dtype)),
                          retain_graph=True, allow_unused=True)
            else:
                g = None
            analytical = 0.0 if g is None else float(np.sum(g._data.astype(np.float64) * u))
            if not np.isclose(analytical, numerical, rtol=rtol, atol=atol):
                return _fail(
                    _mismatch(i, j, np.asarray(numerical), np.asarray(analytical)) +
                    "\nThe above quantities relating the numerical and analytical jacobians "
                    "are computed \nin fast mode. See: "
                    "https://github.com/pytorch/pytorch/issues/53876 for more background about "
                    "fast mode.", raise_exception)
    return True


def gradgradcheck(func: Callable, inputs: Any, grad_outputs: Any = None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3,
                  gen_non_contig_grad_outputs: bool = False, raise_exception: bool = True,
                  nondet_tol: float = 0.0, check_undefined_grad: bool = True,
                  check_grad_dtypes: bool = False, check_batched_grad: bool = False,
                  check_fwd_over_rev: bool = False, check_rev_over_rev: bool = True,
                  fast_mode: bool = False, masked: bool = False) -> bool:
    """Check gradients of gradients computed via small finite differences against
    analytical gradients with respect to tensors in inputs and grad_outputs."""
    from .._tensor import Tensor
    from . import grad

    inputs = _as_tuple(inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        outs = _outputs(func, inputs)
        grad_outputs = tuple(
            Tensor._make(rng.standard_normal(o._data.shape).astype(o._data.dtype),
                         requires_grad=True) for o in outs if o.requires_grad)
    else:
        grad_outputs = _as_tuple(grad_outputs)
    n_in = len(inputs)
    diff = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]

    def new_func(*args: Any) -> tuple:
        ins, gos = args[:n_in], args[n_in:]
        outs = [o for o in _outputs(func, ins) if o.requires_grad]
        gs = grad(outs, [ins[i] for i in diff], list(gos), create_graph=True,
                  allow_unused=True)
        return tuple(g for g in gs if g is not None)

    if not check_rev_over_rev:
        return True
    return gradcheck(new_func, inputs + tuple(grad_outputs), eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, nondet_tol=nondet_tol,
                     check_undefined_grad=check_undefined_grad, fast_mode=fast_mode)
