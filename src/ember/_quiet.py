"""NumPy's floating-point warnings, silenced where ember computes.

torch computes inf and nan without a word; NumPy warns ("overflow encountered in exp").
ember silences NumPy only around its own computations, never for the program: the
silence is NumPy's error state for the running thread (and asyncio task), entered and left
again by ember, so a warning filter or `np.errstate` of the program keeps its meaning for
the program's own NumPy calls.

`np.errstate(all="ignore")` is the plain form, used where an op computes at length. Hot
paths (the pointwise fast paths, the backward engine) use `quiet_on()` and
`quiet_off(token)` instead: `np.errstate` costs about 1 µs to enter and leave, which is a
quarter of a small op; setting NumPy's error state directly costs about 0.1 µs.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np


def _context_var_state() -> tuple | None:
    # NumPy 2 keeps the error state in a context variable (what `np.errstate` sets).
    try:
        from numpy._core.umath import _extobj_contextvar, _make_extobj
    except ImportError:
        return None
    quiet = _make_extobj(all="ignore")
    return functools.partial(_extobj_contextvar.set, quiet), _extobj_contextvar.reset


def _thread_object_state() -> tuple | None:
    # NumPy 1.x keeps it in a per-thread error object (what `np.errstate` sets there).
    get, put = getattr(np, "geterrobj", None), getattr(np, "seterrobj", None)
    if get is None or put is None:
        return None

    def on() -> Any:
        previous = get()
        put([previous[0], 0, previous[2]])  # buffer size and callback kept, no error acted on
        return previous

    return on, put


def _errstate_object() -> tuple:
    # Any other NumPy: the public context manager, entered and left by hand.
    def on() -> Any:
        state = np.errstate(all="ignore")
        state.__enter__()
        return state

    def off(state: Any) -> None:
        state.__exit__(None, None, None)

    return on, off


_ON_OFF: tuple = _context_var_state() or _thread_object_state() or _errstate_object()

quiet_on: Callable[[], Any] = _ON_OFF[0]
"""Silences NumPy's floating-point warnings in this thread; returns the token that
`quiet_off` takes to restore the state before (calls pair up, innermost first)."""

quiet_off: Callable[[Any], Any] = _ON_OFF[1]


def quietly(fn: Callable) -> Callable:
    """`fn` with NumPy's floating-point warnings silenced while it runs (for ops that
    compute with NumPy throughout)."""

    @functools.wraps(fn)
    def silenced(*args: Any, **kwargs: Any) -> Any:
        token = quiet_on()
        try:
            return fn(*args, **kwargs)
        finally:
            quiet_off(token)

    return silenced
