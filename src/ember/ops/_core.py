"""What every op shares: node classes from formulas, graph recording, operand promotion,
dimension checks."""

from __future__ import annotations

import operator
import warnings
from typing import Any, Callable

import numpy as np

from .._dims import wrap_dim
from .._dtypes import (
    _PROMOTE,
    FROM_NUMPY,
    get_default_dtype,
    result_type_of,
    scalar_dtype,
)
from .._quiet import quiet_off, quiet_on
from .._tensor import Tensor
from .._transform_hooks import ACTIVE
from .._version import ZERO_VC, saved_counter
from ..autograd.grad_mode import state as _mode
from ..autograd.graph import Node, _next_seq, attach_hook, specialised_apply

_new = object.__new__
ndarray = np.ndarray
NO_EDGE = (None, 0)


def node_class(name: str, *formulas: Callable, n_outputs: int = 1,
               raw: tuple | None = None) -> type:
    """A node class named as torch names it, with one backward formula per input:
    f(m, grad, *saved, *ctx) -> that input's gradient. `raw` overrides formulas for plain
    backward (per input: a formula that only ever gets arrays, a NumPy shortcut, or None to
    keep the formula), where a rule computes its arrays otherwise than its graph."""
    if raw is not None and len(raw) != len(formulas):
        raise ValueError(f"{name}: one raw override (or None) per formula")
    raw_formulas = formulas if raw is None else tuple(
        f if r is None else r for f, r in zip(formulas, raw))
    return type(name, (Node,), {"__slots__": (), "formulas": formulas,
                                "raw_formulas": raw_formulas, "n_outputs": n_outputs,
                                "apply": specialised_apply(formulas, raw_formulas),
                                "__module__": "ember.autograd.graph"})


def needs_grad(*tensors: Any) -> bool:
    """Whether an op on these operands must record a graph."""
    if not _mode.enabled:
        return False
    for t in tensors:
        if t is not None and t._rg:
            return True
    return False


def _edges(inputs: tuple) -> tuple:
    """The flat edge tuple (node, nr, node, nr, ...) of a node whose inputs are `inputs`."""
    flat: list = []
    for t in inputs:
        if t is None:
            flat += NO_EDGE
        else:
            fn = t._fn
            flat += (fn, t._nr) if fn is not None and t._base is None else t._edge()
    return tuple(flat)


def _set_edges(node: Node, inputs: tuple) -> None:
    """Gives `node` one edge per input (see Node), without the flat tuple for one or two
    inputs."""
    if len(inputs) == 1:
        t = inputs[0]
        node._k = 1
        if t is None:
            node._n0 = None
            node._r0 = 0
        else:
            fn = t._fn
            if fn is not None and t._base is None:
                node._n0 = fn
                node._r0 = t._nr
            else:
                node._n0, node._r0 = t._edge()
    else:
        node._next = _edges(inputs)


def _store(node: Node, saved: tuple, outs: tuple, inputs: tuple) -> None:
    """Fills the node's saved-value slots (see `Node`): tensors as their arrays and version
    counters, inputs with a history by their position, the node's outputs by their number,
    constants as they are. (Tensors themselves are kept while hooks or forward AD need
    them, and for inputs without a history and views.)"""
    if not saved:
        node._saved = node._vars = node._checks = ()
        return
    keep = attach_hook[0] is not None
    vals = []
    tracked = []
    checks: list = []
    for s in saved:
        if not isinstance(s, Tensor):
            vals.append(s)
            tracked.append(s)
            continue
        vals.append(s._data)
        checks += saved_counter(s)
        code: Any = s
        for nr, o in enumerate(outs):
            if s is o:
                code = -1 - nr
                break
        else:
            # A view is kept itself: after its base changes, torch names the view's
            # regenerated history, which only the view can give.
            if s._rg and not keep and s._base is None:
                for i, t in enumerate(inputs):
                    if t is s:
                        code = i
                        break
        tracked.append(code)
    node._saved = tuple(vals)
    node._vars = tuple(tracked)
    node._checks = tuple(checks)


def attach(cls: type, out: Tensor, inputs: tuple, saved: tuple = (), ctx: tuple = (),
           meta: Any = None) -> Tensor:
    """Makes `out` the output of a new `cls` node whose edges lead to `inputs` (tensors, or
    None for operands that are not tensors). Saved items may be input tensors, `out` itself
    (kept as its bare array, so the node does not hold its own output) or constants."""
    node = _new(cls)
    _set_edges(node, inputs)
    _store(node, saved, (out,), inputs)
    node._ctx = ctx
    node._meta = meta
    node._seq = _next_seq()
    out._fn = node
    out._rg = True
    if attach_hook[0] is not None:
        attach_hook[0](node, (out,))
    return out


# The `_vars` of a node that saved its first input, or its (first) output.
_INPUT_0 = (0,)
_OUTPUT_0 = (-1,)


def attach_unary(cls: type, out: Tensor, a: Tensor, save: int, ctx: tuple = ()) -> Tensor:
    """`attach` for the commonest case, kept lean: one input, saving nothing (0), the input
    (1) or the output (2), and the constants `ctx`."""
    node = _new(cls)
    fn = a._fn
    node._k = 1
    if fn is not None and a._base is None:
        node._n0 = fn
        node._r0 = a._nr
    else:
        node._n0, node._r0 = a._edge()
    # saved_counter, inlined (here and in attach_binary): two frames for a few compares.
    if save == 1:
        node._saved = (a._data,)
        node._vars = _INPUT_0 if attach_hook[0] is None and a._base is None else (a,)
        vc = a._vc
        if vc is ZERO_VC:
            vc = a._vc = bytearray(8)
            node._checks = (vc, ZERO_VC)
        else:
            node._checks = (vc, ZERO_VC if vc == ZERO_VC else bytes(vc))
    elif save == 2:
        node._saved = (out._data,)
        node._vars = _OUTPUT_0
        vc = out._vc
        if vc is ZERO_VC:
            vc = out._vc = bytearray(8)
            node._checks = (vc, ZERO_VC)
        else:
            node._checks = (vc, ZERO_VC if vc == ZERO_VC else bytes(vc))
    else:
        node._saved = node._vars = node._checks = ()
    node._ctx = ctx
    node._meta = None
    node._seq = _next_seq()
    out._fn = node
    out._rg = True
    if attach_hook[0] is not None:
        attach_hook[0](node, (out,))
    return out


# What a binary node saves (`attach_binary`): nothing, its operands as multiplication's
# gradients need them, or as division's do.
MULTIPLIES, DIVIDES = 1, 2
# The `_vars` of a node that saved both its inputs by position (see Node).
_INPUTS_0_1 = (0, 1)


def attach_binary(cls: type, out: Tensor, a: Tensor, b: Any, save: int, meta: Any) -> Tensor:
    """`attach` for the fast path of binary ops, kept lean: `a` a tensor, `b` a tensor of
    a's dtype and shape (or either of them 0-dim, with the node's `meta` for that case, else
    None) or a Python number (no edge, never a gradient); the node saves nothing (0) or the
    operands as MULTIPLIES or DIVIDES need them."""
    node = _new(cls)
    node._k = 2
    fn = a._fn
    if fn is not None and a._base is None:
        node._n0 = fn
        node._r0 = a._nr
    else:
        node._n0, node._r0 = a._edge()
    if type(b) is not Tensor:
        node._n1 = None
        node._r1 = 0
        # A number operand needs no gradient, so `a` itself is never needed.
        node._saved = node._vars = (None, b) if save else ()
        node._checks = ()
    else:
        fo = b._fn
        if fo is not None and b._base is None:
            node._n1 = fo
            node._r1 = b._nr
        elif not b._rg and b._base is None:
            # A plain tensor that needs no gradient (what _edge gives it, without the call).
            node._n1 = None
            node._r1 = 0
        else:
            node._n1, node._r1 = b._edge()
        # Save only what the inputs that need a gradient use, as torch does: a's gradient
        # needs b; b's needs a (and, for division, b too). Inputs with a history are kept by
        # position, the others as they are (see Node).
        if not save:
            node._saved = node._vars = node._checks = ()
        elif b._rg:
            if a._rg or save == DIVIDES:
                node._saved = (a._data, b._data)
                plain = attach_hook[0] is None
                if plain and a._rg and a._base is None and b._base is None:
                    node._vars = _INPUTS_0_1
                else:
                    node._vars = (0 if plain and a._rg and a._base is None else a,
                                  1 if plain and b._base is None else b)
                # saved_counter, inlined for both operands.
                va = a._vc
                if va is ZERO_VC:
                    va = a._vc = bytearray(8)
                    sa = ZERO_VC
                else:
                    sa = ZERO_VC if va == ZERO_VC else bytes(va)
                vb = b._vc
                if vb is ZERO_VC:
                    vb = b._vc = bytearray(8)
                    sb = ZERO_VC
                else:
                    sb = ZERO_VC if vb == ZERO_VC else bytes(vb)
                node._checks = (va, sa, vb, sb)
            else:
                node._saved = (a._data, None)
                node._vars = (a, None)
                node._checks = saved_counter(a)
        else:
            node._saved = (None, b._data)
            node._vars = (None, b)
            vb = b._vc
            if vb is ZERO_VC:
                vb = b._vc = bytearray(8)
                node._checks = (vb, ZERO_VC)
            else:
                node._checks = (vb, ZERO_VC if vb == ZERO_VC else bytes(vb))
    node._ctx = ()
    node._meta = meta
    node._seq = _next_seq()
    out._fn = node
    out._rg = True
    if attach_hook[0] is not None:
        attach_hook[0](node, (out,))
    return out


def attach_outputs(cls: type, outs: tuple, inputs: tuple, saved: tuple = (), ctx: tuple = (),
                   meta: Any = None) -> tuple:
    """`attach` for a node with several outputs; floating outputs become differentiable."""
    node = _new(cls)
    _set_edges(node, inputs)
    _store(node, saved, outs, inputs)
    node._ctx = ctx
    node._meta = meta
    node._seq = _next_seq()
    for i, o in enumerate(outs):
        if o is not None and o._data.dtype.kind == "f":
            o._fn = node
            o._nr = i
            o._rg = True
    if attach_hook[0] is not None:
        attach_hook[0](node, outs)
    return outs


# vmap traits: an op that computes element by element (batching pads the operands to one
# rank and runs the op once), one that reduces over dims (which batching shifts past the
# batch), one that is the same op on the batch (a cast, a copy).
POINTWISE = "pointwise"
REDUCE = "reduce"
PASSTHROUGH = "passthrough"


def declare(*, jvp: Callable | None = None, vmap: str | None = None) -> Callable:
    """Declares, on the row of the op it decorates, its forward-mode rule `jvp`,
    f(m, args, kwargs, tangents, out) -> the output's tangent (None without one), written
    with the ops of the namespace `m` that forward AD hands it; and its vmap trait (such as
    POINTWISE). forward_ad and vmap read both from the op."""

    def mark(fn: Callable) -> Callable:
        fn.row = {**getattr(fn, "row", {}),
                  **{k: v for k, v in (("jvp", jvp), ("vmap", vmap)) if v is not None}}
        return fn

    return mark


def unary_jvp(f: Callable) -> Callable:
    """A unary forward rule f(m, tangent, input, output) in the form `declare` takes."""

    def rule(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        t = tangents[0]
        return None if t is None else f(m, t, args[0], out)

    return rule


def tangent_sum(m: Any, *terms: Any) -> Any:
    """The sum of the tangent terms that are not None (None if all are)."""
    out = None
    for t in terms:
        if t is not None:
            out = t if out is None else m.add(out, t)
    return out


def linear_jvp(name: str) -> Callable:
    """The forward rule of op `name`, linear in its first argument (and not depending on the
    others' values): the op of the tangent."""

    def rule(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        t = tangents[0]
        return None if t is None else getattr(m, name)(t, *args[1:], **kwargs)

    return rule


def joining_jvp(name: str) -> Callable:
    """The forward rule of op `name`, which joins a list of tensors (linear in each): the
    join of the tangents, zeros for the tensors without one."""

    def rule(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        ts = tangents[0]
        if not ts or all(t is None for t in ts):
            return None
        ts = [m.zeros_like(a) if t is None else t for a, t in zip(args[0], ts)]
        return getattr(m, name)(ts, *args[1:], **kwargs)

    return rule


def bilinear_jvp(name: str) -> Callable:
    """The forward rule of op `name`, linear in each of its two operands (products)."""

    def rule(m: Any, args: tuple, kwargs: dict, tangents: list, out: Any) -> Any:
        a, b = args[0], args[1]
        ta, tb = tangents[0], tangents[1]
        f = getattr(m, name)
        return tangent_sum(m, None if ta is None else f(ta, b), None if tb is None else f(a, tb))

    return rule


_SAVES = {"": 0, "input": 1, "result": 2}


def unary_op(cls: type, forward: Callable, *, name: str, saves: str = "input",
             floating: bool = True, kinds: str = "biuf", kernel: str | None = None,
             n_ctx: int = 0, jvp: Callable | None = None, doc: str = "") -> Callable:
    """A unary op from its row: the node class `cls` and the NumPy `forward(x, *ctx)`, which
    computes in x's dtype. Options: what the node saves ('input', 'result' or ''; the
    constants `ctx` of a call are kept too); `floating`, that integer and bool inputs compute
    in the default float dtype; `kinds`, the dtype kinds torch's kernel takes (others get its
    NotImplementedError, naming `kernel`, by default name_cpu); `n_ctx`, the number of
    constants the op takes after the input, which its forward and formula take too; `jvp`,
    its forward-mode rule f(m, tangent, input, output) (see `declare`). Its vmap trait is
    POINTWISE."""
    save = _SAVES[saves]
    any_kind = kinds == "biuf"
    kernel = kernel or f"{name}_cpu"
    make = Tensor._make

    def result(input: Tensor, ctx: tuple) -> Tensor:
        if type(input) is not Tensor:
            check_tensor(input, "input", 0, name)
        x = input._data
        if not any_kind and x.dtype.kind not in kinds:
            raise not_implemented(kernel, input.dtype)
        if floating and x.dtype.kind != "f":
            x = x.astype(default_float(x.dtype))
        token = quiet_on()
        try:
            r = forward(x, *ctx)
        finally:
            quiet_off(token)
        # NumPy 1.x computes some 0-dim float32 results in float64.
        return make(r if type(r) is ndarray and r.dtype is x.dtype else fix_dtype(r, x.dtype))

    if n_ctx:
        def op(input: Tensor, *ctx: Any) -> Tensor:
            if len(ctx) != n_ctx:
                raise TypeError(f"{name}() takes {n_ctx + 1} positional arguments but "
                                f"{len(ctx) + 1} were given")
            r = result(input, ctx)
            if input._rg and _mode.enabled:
                attach_unary(cls, r, input, save, ctx)
            return r
    else:
        def general(input: Tensor, *, out: Any = None) -> Tensor:
            r = result(input, ())
            if input._rg and _mode.enabled:
                attach_unary(cls, r, input, save)
            return r

        def form(slow: Callable) -> Callable:
            # The common call, a float tensor and nothing else, computed in this one frame:
            # both the op (`slow` the general path above) and the Tensor method (`slow` the
            # method behind torch's parser, which also takes every call under a transform)
            # are made here, so that a method call pays no frame for the parser.
            def op(input: Tensor, *args: Any, **kwargs: Any) -> Tensor:
                if args or kwargs or ACTIVE[0] or type(input) is not Tensor or \
                        floating and input._data.dtype.kind != "f" or not any_kind:
                    return slow(input, *args, **kwargs)
                x = input._data
                token = quiet_on()
                try:
                    r = forward(x)
                finally:
                    quiet_off(token)
                # Tensor._make, inlined: an op this small pays for every frame.
                t = _new(Tensor)
                t._data = r if type(r) is ndarray and r.dtype is x.dtype else \
                    fix_dtype(r, x.dtype)
                t._fn = t._grad = t._base = t._acc = t._hooks = None
                t._nr = 0
                t._vc = ZERO_VC
                if input._rg and _mode.enabled:
                    attach_unary(cls, t, input, save)
                else:
                    t._rg = False
                return t

            return op

        op = form(general)
        # Called by the argument parser's binding with the bound method: the Tensor method.
        op.method_form = form

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc
    op.options = {"forward": forward, "name": name, "floating": floating, "kinds": kinds,
                  "kernel": kernel, "n_ctx": n_ctx, "doc": doc}
    if not n_ctx:
        # The NumPy forward, for ember.compile's flat replay (never read by eager code).
        op._kernel = forward
    return declare(jvp=None if jvp is None else unary_jvp(jvp), vmap=POINTWISE)(op)


def first_on_ties(np_fn: Callable) -> Callable:
    """`np_fn` (np.maximum, np.minimum, np.fmax, np.fmin) as torch's kernels compute it:
    where the operands are equal the first one is the result, so that max(-0., 0.) is -0.;
    NumPy returns either zero, depending on the loop it picks."""

    def select(x: Any, y: Any) -> Any:
        r = np_fn(x, y)
        if r.dtype.kind == "f":
            both = (x == 0) & (y == 0)
            if both.any():
                r = np.asarray(r)
                np.copyto(r, x, where=both)
        return r

    return select


# torch gives each deprecation warning once per process.
_warned: set = set()


def warn_once(message: str) -> None:
    """Warns (a UserWarning pointing at the caller of the op's caller) the first time only."""
    if message not in _warned:
        _warned.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)


def quiet(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Calls a NumPy function without floating-point warnings: torch computes inf and nan
    silently (see `_quiet`)."""
    token = quiet_on()
    try:
        return fn(*args, **kwargs)
    finally:
        quiet_off(token)


def wrap(data: Any) -> Tensor:
    """A new tensor over an op's result (NumPy hands back scalars for 0-dim results)."""
    if type(data) is not ndarray:
        data = np.asarray(data)
    return Tensor._make(data)


def wrap_dims(dims: Any, ndim: int) -> tuple:
    if isinstance(dims, Tensor):  # torch's parser reads an integer tensor as its values
        dims = dims.tolist()
    if isinstance(dims, (int, np.integer)):
        dims = (int(dims),)
    out = tuple(wrap_dim(d, ndim) for d in dims)
    if len(set(out)) != len(out):
        d = next(d for d in out if out.count(d) > 1)
        raise RuntimeError(f"dim {d} appears multiple times in the list of dims")
    return out


def shape_str(shape: tuple) -> str:
    return "[" + ", ".join(str(s) for s in shape) + "]"


def check_new_shape(shape: tuple) -> tuple:
    """The shape of a tensor about to be created, or torch's error for a negative size.
    Sizes are taken as torch's int arguments take them (a bool counts as 0 or 1), which
    NumPy's shapes refuse."""
    shape = tuple(operator.index(s) for s in shape)
    for s in shape:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: "
                               f"{shape_str(shape)}")
    return shape


def check_out_shape(shape: tuple, other: tuple) -> None:
    """torch's error when a result of shape `other` is written into an output of shape
    `shape` that it does not broadcast to (an in-place step inside an op)."""
    full = broadcast_shape(tuple(shape), tuple(other))
    if full != tuple(shape):
        raise RuntimeError(f"output with shape {shape_str(shape)} doesn't match the broadcast "
                           f"shape {shape_str(full)}")


def not_implemented(kernel: str, dtype: Any) -> NotImplementedError:
    """torch's error for a kernel that has no version for `dtype` (an ember dtype)."""
    return NotImplementedError(f'"{kernel}" not implemented for \'{dtype._legacy}\'')


def broadcast_shape(a: tuple, b: tuple) -> tuple:
    """The broadcast of two shapes, or torch's error."""
    if a == b:
        return a
    n = max(len(a), len(b))
    pa = (1,) * (n - len(a)) + tuple(a)
    pb = (1,) * (n - len(b)) + tuple(b)
    out = [0] * n
    # From the last dimension, as torch's infer_size reports the rightmost mismatch.
    for i in range(n - 1, -1, -1):
        x, y = pa[i], pb[i]
        if x == y or y == 1:
            out[i] = x
        elif x == 1:
            out[i] = y
        else:
            raise RuntimeError(f"The size of tensor a ({x}) must match the size of tensor b "
                               f"({y}) at non-singleton dimension {i}")
    return tuple(out)


def operands(input: Any, other: Any) -> tuple:
    """Returns (a, b, x, y, dtype): the tensor operands (None for numbers), the arrays to
    compute with, cast to the result dtype as torch would, and that dtype's NumPy form."""
    if isinstance(input, Tensor):
        a, x = input, input._data
        if isinstance(other, Tensor):
            b, y = other, other._data
            if x.dtype is y.dtype:
                if x.shape != y.shape:
                    broadcast_shape(x.shape, y.shape)
                return a, b, x, y, x.dtype
            dt = _tensor_result(x, y)
            if x.shape != y.shape:
                broadcast_shape(x.shape, y.shape)
            return a, b, x.astype(dt, copy=False), y.astype(dt, copy=False), dt
        return a, None, *_with_number(x, other, False)
    if isinstance(other, Tensor):
        x, y, dt = _with_number(other._data, input, True)
        return None, other, x, y, dt
    if isinstance(input, _NUMBERS) and isinstance(other, _NUMBERS):
        # The ops whose parser takes numbers as tensors wrap a number input in a 0-dim
        # tensor that still counts as a number: two numbers give the default dtype for
        # floats, int64 for integers, bool for bools, as result_type does.
        sd = scalar_dtype(input)
        dt = get_default_dtype().np if sd.is_floating_point else sd.np
        return None, None, *_with_number(np.array(input, dtype=dt), other, False)
    raise TypeError(f"expected Tensor as element 0 in argument 0, but got {type(input).__name__}")


_NUMBERS = (int, float, bool, np.number, np.bool_)


def _tensor_result(x: ndarray, y: ndarray) -> np.dtype:
    dx, dy = FROM_NUMPY[x.dtype], FROM_NUMPY[y.dtype]
    if x.ndim and y.ndim:
        return _PROMOTE[dx, dy].np
    if x.ndim:
        return result_type_of(dx, dy, None).np
    if y.ndim:
        return result_type_of(dy, dx, None).np
    return _PROMOTE[dx, dy].np


class OperandTypeError(TypeError):
    """An operand that is neither a tensor nor a number: Python operators turn it into
    NotImplemented, so that the other operand may handle the operation."""


def _with_number(x: ndarray, number: Any, swapped: bool) -> tuple:
    if not isinstance(number, (int, float, bool, np.number, np.bool_)):
        raise OperandTypeError(f"unsupported operand type: '{type(number).__name__}'")
    d = FROM_NUMPY[x.dtype]
    sd = scalar_dtype(number)
    if sd.category <= d.category:
        dt = x.dtype
    else:
        dt = result_type_of(d, None, sd).np
        x = x.astype(dt)
    y = _scalar_as(number, dt)
    return (y, x, dt) if swapped else (x, y, dt)


def _scalar_as(number: Any, dt: np.dtype) -> Any:
    # A number cast to the computation dtype, wrapping out-of-range integers as torch does.
    if dt.kind == "f":
        return dt.type(number)
    if dt.kind == "b":
        return np.bool_(number)
    return np.array(number).astype(dt)[()]


# The C++ names of the types torch converts a Scalar argument to, as its messages give them.
_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t", "float16": "c10::Half", "float32": "float",
            "float64": "double"}


def checked_scalar(value: Any, dt: np.dtype) -> Any:
    """A number converted to a scalar of `dt` as torch converts a Scalar argument (a fill
    value, a bound): out of the type's range is torch's error, except that integers may wrap
    as far as C++ lets a negative number wrap into an unsigned type; a floating target takes
    inf and nan."""
    if dt.kind == "b" or isinstance(value, (bool, np.bool_)):
        return dt.type(value)
    if dt.kind == "f":
        v = float(value)
        if v == v and abs(v) != np.inf and abs(v) > float(np.finfo(dt).max):
            raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without "
                               "overflow")
        return dt.type(v)
    info = np.iinfo(dt)
    if isinstance(value, (float, np.floating)):
        ok = int(info.min) <= value <= int(info.max)
    else:
        value = int(value)
        ok = (-int(info.max) if dt.kind == "u" else int(info.min)) <= value <= int(info.max)
    if not ok:
        raise RuntimeError(f"value cannot be converted to type {_C_TYPES[dt.name]} without "
                           "overflow")
    return np.array(int(value)).astype(dt)[()]


def fix_dtype(data: Any, dt: np.dtype) -> ndarray:
    """NumPy's own promotion can differ from torch's (0-dim operands on NumPy 1.x); make the
    result the dtype torch computes in, and an array."""
    if type(data) is not ndarray:
        data = np.asarray(data)
    if data.dtype is not dt and data.dtype != dt:
        data = data.astype(dt)
    return data


def default_float(dt: np.dtype) -> np.dtype:
    """The dtype of a floating result computed from `dt` (integers go to the default)."""
    return dt if dt.kind == "f" else get_default_dtype().np


def _is_int(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x._data.ndim == 0 and x._data.dtype.kind in "biu"
    return isinstance(x, (int, np.integer))


def int_sizes(args: tuple, fn: str, name: str = "size", pos: int = 0) -> tuple:
    """A size given as ints or as one sequence of ints, parsed as torch's argument parser
    parses it, with its TypeErrors."""
    # The common spellings, plain ints or one tuple of them, need no element-wise parse.
    if len(args) == 1 and type(args[0]) is tuple:
        if all(type(s) is int for s in args[0]):
            return args[0]
    elif all(type(s) is int for s in args):
        return args
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        for i, s in enumerate(args[0]):
            if not _is_int(s):
                raise TypeError(f"{fn}(): argument '{name}' (position {pos + 1}) must be tuple "
                                f"of ints, but found element of type {type(s).__name__} at pos "
                                f"{i}")
        return tuple(int(s) for s in args[0])
    if args and not _is_int(args[0]):
        if len(args) == 1:
            raise TypeError(f"{fn}(): argument '{name}' (position {pos + 1}) must be tuple of "
                            f"ints, not {type(args[0]).__name__}")
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:")
    for i, s in enumerate(args[1:], 1):
        if not _is_int(s):
            raise TypeError(f"{fn}(): argument '{name}' failed to unpack the object at pos "
                            f"{i + 1} with error \"type must be tuple of ints,but got "
                            f"{type(s).__name__}\"")
    return tuple(int(s) for s in args)


def check_number(x: Any, name: str, pos: int, fn: str) -> Any:
    """A Number argument (a Python or NumPy number, or a tensor of one element), with the
    TypeError of torch's argument parser otherwise."""
    if isinstance(x, (int, float, complex, np.number, np.bool_)) or (
            isinstance(x, Tensor) and x._data.size == 1):
        return x
    raise TypeError(f"{fn}(): argument '{name}' (position {pos + 1}) must be Number, not "
                    f"{type(x).__name__}")


def check_bool(x: Any, name: str, pos: int, fn: str, args: tuple | None = None) -> Any:
    """A bool argument, with the TypeError of torch's argument parser otherwise; `args`, the
    call's arguments, for an op with several overloads (its parser names the combination)."""
    if isinstance(x, (bool, np.bool_)):
        return x
    if args is not None:
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{fn}() received an invalid combination of arguments - got ({got}), "
                        "but expected one of:")
    raise TypeError(f"{fn}(): argument '{name}' (position {pos + 1}) must be bool, not "
                    f"{type(x).__name__}")


def check_tensor(x: Any, name: str = "input", pos: int = 0, fn: str | None = None) -> Tensor:
    if not isinstance(x, Tensor):
        where = f"{fn}(): " if fn else ""
        raise TypeError(f"{where}argument '{name}' (position {pos + 1}) must be Tensor, not "
                        f"{type(x).__name__}")
    return x


def _truth(value: Any) -> bool:
    """The truth of an argument that torch's Python code tests (`if training:`): a tensor
    of several values fails there, before any native op's parser."""
    try:
        return bool(value)
    except RuntimeError as e:
        e.python_level = True
        raise


def _reach(attr: str, *objs: Any) -> None:
    """torch's Python code calls the method `attr` of these arguments, in this order, before
    anything else: a non-tensor fails there, with Python's AttributeError."""
    for o in objs:
        if not isinstance(o, Tensor):
            try:
                getattr(o, attr)
            except AttributeError as e:
                e.python_level = True  # torch's Python code, before any native op's parser
                raise
