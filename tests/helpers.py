"""Differential testing against torch: run the same program on ember and on torch and
compare values, gradients and second derivatives."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np
import torch

import ember

TOL = {np.float16: (1e-2, 1e-2), np.float32: (1e-5, 1e-6), np.float64: (1e-10, 1e-12)}


def tolerance(dtype: Any) -> tuple:
    return TOL.get(np.dtype(dtype).type, (0, 0))


def to_torch(x: Any) -> Any:
    """The torch twin of an ember tensor (same values, dtype and requires_grad)."""
    if isinstance(x, ember.Tensor):
        t = torch.from_numpy(np.array(x.detach().numpy(), copy=True))
        return t.requires_grad_(x.requires_grad)
    if isinstance(x, (list, tuple)):
        return type(x)(to_torch(v) for v in x)
    return x


def to_ember(x: Any) -> Any:
    """The ember twin of a torch tensor."""
    if isinstance(x, torch.Tensor):
        e = ember.from_numpy(np.array(x.detach().numpy(), copy=True))
        return e.requires_grad_(x.requires_grad)
    if isinstance(x, (list, tuple)):
        return type(x)(to_ember(v) for v in x)
    return x


def assert_same(e: Any, t: Any, rtol: float | None = None, atol: float | None = None,
                check_dtype: bool = True) -> None:
    """Asserts that an ember result equals a torch result: shape, dtype and values."""
    if t is None or e is None:
        assert e is None and t is None, f"ember gave {e!r}, torch gave {t!r}"
        return
    if isinstance(t, (tuple, list)):
        assert len(e) == len(t)
        for a, b in zip(e, t):
            assert_same(a, b, rtol, atol, check_dtype)
        return
    if not isinstance(t, torch.Tensor):
        assert e == t, f"ember gave {e!r}, torch gave {t!r}"
        return
    assert isinstance(e, ember.Tensor), f"expected a Tensor, got {type(e).__name__}"
    tn = t.detach().numpy(force=True)
    en = e.detach().numpy()
    assert tuple(en.shape) == tuple(tn.shape), f"shape {en.shape} != torch's {tn.shape}"
    if check_dtype:
        assert en.dtype == tn.dtype, f"dtype {en.dtype} != torch's {tn.dtype}"
    if rtol is None or atol is None:
        dr, da = tolerance(tn.dtype)
        rtol = dr if rtol is None else rtol
        atol = da if atol is None else atol
    if tn.dtype.kind in "biu":
        np.testing.assert_array_equal(en, tn)
    else:
        np.testing.assert_allclose(en, tn, rtol=rtol, atol=atol, equal_nan=True)


def same_error(fn_ember: Callable, fn_torch: Callable, match_message: bool = True) -> None:
    """Both raise the same exception type (and message, when asked)."""
    try:
        fn_torch()
    except Exception as te:  # noqa: BLE001
        torch_error = te
    else:
        raise AssertionError("torch raised nothing")
    try:
        fn_ember()
    except Exception as ee:  # noqa: BLE001
        assert type(ee) is type(torch_error) or isinstance(ee, type(torch_error)), \
            f"ember raised {type(ee).__name__}: {ee}; torch raised " \
            f"{type(torch_error).__name__}: {torch_error}"
        if match_message:
            assert str(ee) == str(torch_error), f"\nember: {ee}\ntorch: {torch_error}"
        return
    raise AssertionError(f"ember raised nothing; torch raised {torch_error!r}")


def first_errors(call: Callable) -> list:
    """[(class name, first line of message)] that `call(torch)` and then `call(ember)` raise
    (each must raise); the tables of bad calls compare the two."""
    import warnings

    import pytest

    errors = []
    for lib in (torch, ember):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(Exception) as info:
                call(lib)
        errors.append((type(info.value).__name__, str(info.value).splitlines()[0]))
    return errors


def _leaves(arrays: Sequence[Any], grad_mask: Sequence[bool], lib: Any) -> list:
    out = []
    for a, g in zip(arrays, grad_mask):
        if isinstance(a, np.ndarray):
            t = lib.from_numpy(np.array(a, copy=True))
            if g and a.dtype.kind == "f":
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(a)
    return out


def check_op(fn: Callable, arrays: Sequence[Any], *, torch_fn: Callable | None = None,
             grad: Sequence[bool] | bool = True, double: bool = True, rtol: float | None = None,
             atol: float | None = None, seed: int = 0) -> None:
    """Runs `fn` on ember tensors and `torch_fn` (default: `fn`, called with torch as its
    first argument) on torch tensors built from the same arrays; compares the outputs, the
    gradients for a random output gradient, and (with `double`) the gradient of the sum of
    those gradients weighted randomly, which exercises create_graph."""
    if torch_fn is None:
        def torch_fn(*a: Any) -> Any:
            return fn(torch, *a)

        def ember_fn(*a: Any) -> Any:
            return fn(ember, *a)
    else:
        ember_fn = fn
    mask = [grad] * len(arrays) if isinstance(grad, bool) else list(grad)
    e_in = _leaves(arrays, mask, ember)
    t_in = _leaves(arrays, mask, torch)
    try:
        t_out = torch_fn(*t_in)
    except Exception:  # noqa: BLE001
        # torch refuses these operands: ember must refuse them the same way.
        same_error(lambda: ember_fn(*e_in), lambda: torch_fn(*t_in))
        return
    e_out = ember_fn(*e_in)
    assert_same(e_out, t_out, rtol, atol)
    if not isinstance(t_out, torch.Tensor) or not t_out.requires_grad:
        return
    t_req = [t for t in t_in if isinstance(t, torch.Tensor) and t.requires_grad]
    e_req = [e for e in e_in if isinstance(e, ember.Tensor) and e.requires_grad]
    rng = np.random.default_rng(seed)
    go = rng.standard_normal(tuple(t_out.shape)).astype(t_out.detach().numpy().dtype)
    t_g = torch.autograd.grad(t_out, t_req, torch.from_numpy(go.copy()), create_graph=double,
                              allow_unused=True)
    e_g = ember.autograd.grad(e_out, e_req, ember.from_numpy(go.copy()), create_graph=double,
                              allow_unused=True)
    r2 = None if rtol is None else rtol * 10
    assert_same(list(e_g), list(t_g), r2, atol)
    if not double:
        return
    pairs = [(e, t) for e, t in zip(e_g, t_g) if t is not None and t.requires_grad]
    if not pairs:
        return
    ws = [rng.standard_normal(tuple(t.shape)).astype(t.detach().numpy().dtype)
          for _, t in pairs]
    t_s = sum((t * torch.from_numpy(w)).sum() for (_, t), w in zip(pairs, ws))
    e_s = sum((e * ember.from_numpy(w)).sum() for (e, _), w in zip(pairs, ws))
    t_gg = torch.autograd.grad(t_s, t_req, allow_unused=True)
    e_gg = ember.autograd.grad(e_s, e_req, allow_unused=True)
    r3 = None if rtol is None else rtol * 100
    assert_same(list(e_gg), list(t_gg), r3, atol)


def numeric_grad(f: Callable[[np.ndarray], float], x: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central finite differences of a scalar function of a float64 array."""
    g = np.zeros_like(x)
    flat = x.reshape(-1)
    gf = g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = f(x)
        flat[i] = old - eps
        lo = f(x)
        flat[i] = old
        gf[i] = (hi - lo) / (2 * eps)
    return g


def make_array(shape: Sequence[int], dtype: Any = np.float64, seed: int = 0, low: float = -2.0,
               high: float = 2.0) -> np.ndarray:
    """A reproducible array of `shape` and `dtype`: uniform in [low, high) for floats, small
    integers for integer dtypes, coin flips for bool."""
    rng = np.random.default_rng(seed)
    dt = np.dtype(dtype)
    if dt.kind == "b":
        return np.asarray(rng.random(tuple(shape)) < 0.5)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else int(low) - 3
        return np.asarray(rng.integers(lo, int(high) + 4, size=tuple(shape)), dtype=dt)
    return np.asarray(rng.uniform(low, high, size=tuple(shape)), dtype=dt)
