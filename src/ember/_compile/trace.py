"""Tracing NumPy code into a flat list of calls.

A `Sym` stands for one array while a kernel or a derivative formula runs: NumPy calls on it
(ufuncs through `__array_ufunc__`, NumPy functions through `__array_function__`, operators
and ndarray methods) compute the real value, as the code would, and are written down as a
step: the function, its arguments (other Syms or constants) and the buffer the result goes
to. Views (reshape, transpose, basic indexing) are no step: they are taken once, when a
replay's buffers are made. Anything that would hand a value to Python (`bool`, `float`,
`item`, `np.asarray`) cannot be traced and raises `Untraceable`.

A trace is bound to buffers by `bind`: each slot gets an array (an input's, a fresh buffer,
or a view of another slot's array) and each step becomes `(function, argument tuple)` with
the arrays in place, so that a replay is `for f, a in steps: f(*a)`.
"""

from __future__ import annotations

import functools
import operator
from typing import Any, Callable

import numpy as np

ndarray = np.ndarray


class Untraceable(Exception):
    """The traced code did something a flat replay cannot repeat."""


class GuardFailed(Exception):
    """A replay met data its recording does not hold for (a check step failed)."""


# Slot kinds.
INPUT, BUFFER, VIEW = 0, 1, 2


def _into(buf: ndarray, f: Callable, *args: Any) -> None:
    # A NumPy call without out=: its result is copied into the slot's buffer (never
    # broadcast into it: a result of another shape means the recording does not hold).
    r = f(*args)
    if np.shape(r) != buf.shape:
        raise GuardFailed
    np.copyto(buf, r, casting="unsafe")


# ufuncs whose positional out= NumPy deprecates.
_OUT_BY_KEYWORD = frozenset({np.maximum, np.minimum, np.fmax, np.fmin})

# NumPy functions whose result's shape depends on the values: never traced.
_DATA_SHAPED = frozenset({
    np.nonzero, np.flatnonzero, np.argwhere, np.unique, np.extract, np.compress,
    np.bincount, np.histogram, np.delete, np.insert, np.trim_zeros, np.setdiff1d,
    np.intersect1d, np.union1d, np.setxor1d,
})


# The keywords of a call without any (shared: steps are many, and never change them).
_NO_KW: dict = {}


def _check(check: Callable, *args: Any) -> None:
    if not check(*args):
        raise GuardFailed


def _copy_into(buf: ndarray, src: ndarray) -> None:
    np.copyto(buf, src, casting="unsafe")


class Tracer:
    """The slots and steps of one trace."""

    def __init__(self) -> None:
        # Per slot: (INPUT, None) | (BUFFER, (shape, dtype)) | (VIEW, (f, args, kwargs)).
        self.kinds: list = []
        self.values: list = []
        self.steps: list = []

    def input(self, value: Any) -> Sym:
        """A slot whose array the replay provides."""
        return self._slot(INPUT, None, value)

    def _slot(self, kind: int, spec: Any, value: Any) -> Sym:
        s = Sym(self, len(self.values))
        self.kinds.append((kind, spec))
        self.values.append(value)
        return s

    def real(self, v: Any) -> Any:
        t = type(v)
        if t is tuple:
            values = self.values
            out = []
            for x in v:
                tx = type(x)
                if tx is Sym and x.t is self:
                    out.append(values[x.k])
                elif tx in _PLAIN:
                    out.append(x)
                else:
                    break
            else:
                return tuple(out)
        elif t is dict and not v:
            return v
        if type(v) is Sym:
            if v.t is not self:
                raise Untraceable("a value of another trace")
            return self.values[v.k]
        if type(v) in (tuple, list):
            return type(v)(self.real(x) for x in v)
        return v

    def buffer(self, r: Any) -> Sym:
        """A new buffer slot shaped as the NumPy result r (0-dim for a scalar)."""
        a = np.asarray(r)
        if a.dtype.kind not in "biufc":
            raise Untraceable(f"a result of dtype {a.dtype}")
        return self._slot(BUFFER, (a.shape, a.dtype), np.empty(a.shape, a.dtype))

    def call(self, f: Callable, args: tuple, kwargs: dict, out_kw: bool) -> Any:
        """Runs f on the real values and records it; out_kw: f takes out= (ufuncs, reduce)."""
        # An array that is no slot was made from shapes and constants only (any value of
        # the trace is a Sym): a constant, copied so that later changes to it do not count.
        args = _constants(args)
        kwargs = _constants(kwargs) if kwargs else _NO_KW
        vals = self.real(args)
        kw = self.real(kwargs)
        r = f(*vals, **kw)
        if isinstance(r, tuple):
            raise Untraceable(f"{getattr(f, '__name__', f)} returns several arrays")
        if isinstance(r, ndarray) and r.base is not None and _views_into(r, vals):
            # A view of an argument: taken when the buffers are made, not a step.
            return self._slot(VIEW, (f, args, kwargs), r)
        if not isinstance(r, (ndarray, np.generic)):
            if _has_sym(args) or _has_sym(kwargs):
                raise Untraceable(f"{getattr(f, '__name__', f)} returned {type(r).__name__}")
            return r
        out = self.buffer(r)
        b = self.values[out.k]
        if out_kw:
            # The value the replay will compute, with its out= buffer.
            f(*vals, out=b, **kw)
            self.steps.append((f, kwargs, out, args))
        else:
            np.copyto(b, r, casting="unsafe")
            self.steps.append((_into, kwargs, out, (f,) + args))
        return out

    def owned(self, s: Sym) -> bool:
        """Whether s is a buffer of the trace or a view of buffers only (not of an input)."""
        kind, spec = self.kinds[s.k]
        if kind == VIEW:
            # (A view of a constant is not: writes would change it for every replay.)
            syms = _syms(spec)
            return bool(syms) and all(self.owned(x) for x in syms)
        return kind == BUFFER

    def guard(self, check: Callable, *args: Any) -> None:
        """A step that raises GuardFailed where `check(*args)` is false on a replay's
        values (it holds for the recorded ones, or the trace fails)."""
        if not check(*self.real(args)):
            raise Untraceable("a check that fails on the recorded values")
        self.steps.append((_check, _NO_KW, None, (check,) + args))

    def call_into(self, f: Callable, args: tuple, kwargs: dict, out: Sym) -> Sym:
        """f(*args, out=out): writes into an existing slot (an in-place ufunc)."""
        args = _constants(args)
        kwargs = kwargs or _NO_KW
        if not self.owned(out):
            raise Untraceable("a write into an input")
        f(*self.real(args), out=self.values[out.k], **self.real(kwargs))
        self.steps.append((f, kwargs, out, args))
        return out


def _views_into(r: ndarray, vals: Any) -> bool:
    for v in vals if type(vals) in (tuple, list) else (vals,):
        if isinstance(v, ndarray) and np.may_share_memory(r, v):
            return True
    return False


_PLAIN = frozenset({int, float, bool, type(None), str, slice, type(Ellipsis)} | {
    type(np.dtype(c)) for c in "?bhilqBHILQefdgFD"} | {
    np.dtype(c).type for c in "?bhilqBHILQefdgFD"})


def _constants(v: Any) -> Any:
    t = type(v)
    if t is tuple and all(type(x) is Sym or type(x) in _PLAIN for x in v):
        return v
    if t is dict and not v:
        return v
    if t is ndarray:
        return v.copy()
    if t in (tuple, list):
        return t(_constants(x) for x in v)
    if t is dict:
        return {k: _constants(x) for k, x in v.items()}
    return v


def _syms(v: Any) -> list:
    if type(v) is Sym:
        return [v]
    if type(v) in (tuple, list):
        return [s for x in v for s in _syms(x)]
    if type(v) is dict:
        return [s for x in v.values() for s in _syms(x)]
    return []


def _has_sym(v: Any) -> bool:
    if type(v) is Sym:
        return True
    if type(v) in (tuple, list):
        return any(_has_sym(x) for x in v)
    if type(v) is dict:
        return any(_has_sym(x) for x in v.values())
    return False


def bind(tracer: Tracer, arrays: list | None) -> tuple:
    """Arrays for every slot (inputs given in `arrays`, by slot; None for the others) and
    the steps as (callable, argument tuple) over them. With arrays None, the trace's own
    arrays are the buffers (the first replay's: no copy)."""
    if arrays is None:
        arrays = tracer.values
    else:
        arrays = list(arrays) + [None] * (len(tracer.kinds) - len(arrays))
        for k, (kind, spec) in enumerate(tracer.kinds):
            if kind == BUFFER:
                arrays[k] = np.empty(*spec)
            elif kind == VIEW:
                f, a, kw = spec
                arrays[k] = f(*_resolve(a, arrays), **_resolve(kw, arrays))
    steps = []
    for f, kw, out, a in tracer.steps:
        args = _resolve(a, arrays)
        if kw:
            kw = _resolve(kw, arrays)
        if f is _into:
            # (out buffer, the call, its arguments); its keywords bound in the call.
            call = functools.partial(args[0], **kw) if kw else args[0]
            steps.append((_into, (arrays[out.k], call) + args[1:]))
        elif f is _copy_into and np.can_cast(args[1].dtype, args[0].dtype, "same_kind"):
            steps.append((np.copyto, args))
        elif out is None:
            steps.append((functools.partial(f, **kw) if kw else f, args))
        elif not kw and isinstance(f, np.ufunc) and f not in _OUT_BY_KEYWORD:
            # ufunc(x, y, out) positionally: no keyword dict per call.
            steps.append((f, args + (arrays[out.k],)))
        else:
            steps.append((functools.partial(f, out=arrays[out.k], **kw), args))
    return arrays, steps


def _resolve(v: Any, arrays: list) -> Any:
    t = type(v)
    if t is Sym:
        return arrays[v.k]
    if t is tuple and all(type(x) is Sym or type(x) in _PLAIN for x in v):
        return tuple([arrays[x.k] if type(x) is Sym else x for x in v])
    if t in (tuple, list):
        return t(_resolve(x, arrays) for x in v)
    if t is dict:
        return {k: _resolve(x, arrays) for k, x in v.items()}
    return v


# ndarray methods that take out= (the rest are views, or run without it and are copied).
_OUT_METHODS = {
    "sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.amax, "min": np.amin,
    "cumsum": np.cumsum, "cumprod": np.cumprod, "clip": np.clip, "all": np.all,
    "any": np.any, "round": np.round,
}


def _ufunc_method(uf: np.ufunc, method: str) -> Callable:
    return uf if method == "__call__" else getattr(uf, method)


class Sym:
    """One array of a trace (see the module docstring)."""

    __slots__ = ("t", "k")
    __array_priority__ = 1000

    def __init__(self, t: Tracer, k: int) -> None:
        self.t = t
        self.k = k

    @property
    def v(self) -> Any:
        return self.t.values[self.k]

    # -- NumPy's protocols ----------------------------------------------------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if method not in ("__call__", "reduce", "accumulate"):
            raise Untraceable(f"{ufunc.__name__}.{method}")
        f = _ufunc_method(ufunc, method)
        out = kwargs.pop("out", None)
        if out is not None:
            if type(out) is tuple:
                if len(out) != 1:
                    raise Untraceable("several outputs")
                out = out[0]
            if type(out) is not Sym:
                raise Untraceable("out= into an array of its own")
            return self.t.call_into(f, inputs, kwargs, out)
        if ufunc.nout != 1:
            raise Untraceable(f"{ufunc.__name__} has several outputs")
        return self.t.call(f, inputs, kwargs, True)

    def __array_function__(self, func: Callable, types: tuple, args: tuple, kwargs: dict) -> Any:
        if "out" in kwargs:
            raise Untraceable(f"{func.__name__} with out=")
        if func in _DATA_SHAPED or func is np.where and len(args) + len(kwargs) == 1:
            raise Untraceable(f"{func.__name__}'s result shape depends on the values")
        return self.t.call(func, args, kwargs, False)

    def __array__(self, *a: Any, **k: Any) -> Any:
        raise Untraceable("np.asarray of a traced value")

    def __bool__(self) -> bool:
        raise Untraceable("bool of a traced value")

    def __float__(self) -> float:
        raise Untraceable("float of a traced value")

    def __int__(self) -> int:
        raise Untraceable("int of a traced value")

    def __index__(self) -> int:
        raise Untraceable("an index from a traced value")

    def __iter__(self) -> Any:
        raise Untraceable("iteration over a traced value")

    def __len__(self) -> int:
        return len(self.v)

    # -- metadata (fixed by the guards) ----------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.v.shape

    @property
    def dtype(self) -> np.dtype:
        return self.v.dtype

    @property
    def ndim(self) -> int:
        return self.v.ndim

    @property
    def size(self) -> int:
        return self.v.size

    @property
    def strides(self) -> tuple:
        return self.v.strides

    @property
    def itemsize(self) -> int:
        return self.v.itemsize

    @property
    def flags(self) -> Any:
        return self.v.flags

    @property
    def base(self) -> Any:
        raise Untraceable("the base of a traced value")

    @property
    def T(self) -> Sym:
        return self.t.call(np.transpose, (self,), {}, False)

    @property
    def mT(self) -> Sym:
        return self.t.call(np.swapaxes, (self, -1, -2), {}, False)

    @property
    def real(self) -> Sym:
        return self.t.call(np.real, (self,), {}, False)

    def __getattr__(self, name: str) -> Any:
        # Methods of ndarray, recorded as the unbound method called on the slot.
        meth = getattr(ndarray, name, None)
        if meth is None or not callable(meth) or name.startswith("_"):
            raise Untraceable(f"ndarray.{name}")
        if name in ("item", "tolist", "tobytes", "fill", "resize", "sort", "partition",
                    "put", "itemset", "setflags", "dump", "dumps", "tofile"):
            raise Untraceable(f"ndarray.{name}")
        if name == "astype":
            return self._astype
        fn = _OUT_METHODS.get(name)

        def method(*args: Any, **kwargs: Any) -> Any:
            if fn is not None:
                if "out" in kwargs:
                    raise Untraceable(f"ndarray.{name} with out=")
                return self.t.call(fn, (self,) + args, kwargs, True)
            return self.t.call(meth, (self,) + args, kwargs, False)

        return method

    def _astype(self, dtype: Any, order: str = "K", casting: str = "unsafe",
                subok: bool = True, copy: bool = True) -> Sym:
        # astype as a copy into a buffer of the new dtype (the same conversion).
        dt = np.dtype(dtype)
        if order != "K" or casting != "unsafe" or (not copy and dt == self.dtype):
            return self.t.call(ndarray.astype, (self, dtype, order, casting, subok, copy), {},
                               False)
        t = self.t
        out = t._slot(BUFFER, (self.shape, dt), np.empty(self.shape, dt))
        np.copyto(t.values[out.k], self.v, casting="unsafe")
        t.steps.append((_copy_into, _NO_KW, None, (out, self)))
        return out

    def __getitem__(self, key: Any) -> Sym:
        for k in key if type(key) is tuple else (key,):
            if type(k) is Sym and k.dtype.kind == "b" or type(k) is ndarray and \
                    k.dtype.kind == "b":
                raise Untraceable("a boolean mask: the result's shape depends on it")
        return self.t.call(operator.getitem, (self, key), {}, False)

    def __setitem__(self, key: Any, value: Any) -> None:
        # Into a buffer of the trace (a gradient being filled in): an in-place step.
        t = self.t
        if not t.owned(self):
            raise Untraceable("item assignment into an input")
        key, value = _constants((key, value))
        operator.setitem(self.v, t.real(key), t.real(value))
        t.steps.append((operator.setitem, _NO_KW, None, (self, key, value)))

    def __repr__(self) -> str:
        return f"Sym({self.k})"

    __hash__ = object.__hash__


def _binop(uf: np.ufunc, reflected: bool = False) -> Callable:
    if reflected:
        def op(self: Sym, other: Any) -> Any:
            return uf(other, self)
    else:
        def op(self: Sym, other: Any) -> Any:
            return uf(self, other)
    return op


def _iop(uf: np.ufunc) -> Callable:
    def op(self: Sym, other: Any) -> Any:
        return uf(self, other, out=self)
    return op


for _name, _uf in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply),
                   ("truediv", np.true_divide), ("floordiv", np.floor_divide),
                   ("mod", np.remainder), ("pow", np.power), ("matmul", np.matmul),
                   ("and", np.bitwise_and), ("or", np.bitwise_or), ("xor", np.bitwise_xor),
                   ("lshift", np.left_shift), ("rshift", np.right_shift)):
    setattr(Sym, f"__{_name}__", _binop(_uf))
    setattr(Sym, f"__r{_name}__", _binop(_uf, True))
    setattr(Sym, f"__i{_name}__", _iop(_uf))
for _name, _uf in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater),
                   ("ge", np.greater_equal), ("eq", np.equal), ("ne", np.not_equal)):
    setattr(Sym, f"__{_name}__", _binop(_uf))
Sym.__neg__ = lambda self: np.negative(self)
Sym.__pos__ = lambda self: np.positive(self)
Sym.__abs__ = lambda self: np.absolute(self)
Sym.__invert__ = lambda self: np.invert(self)
