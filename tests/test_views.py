"""Views against torch: every view op shares memory with its base (0-dim views included), so
that writes through a view reach the base and writes to the base show in the view, with the
same values, version counters, printed grad_fn and gradients as torch, under no_grad and
with grad; ops that may or may not return a view (reshape, flatten, contiguous, ...) return
one exactly when torch does. Also Tensor.unfold and as_strided, and torch's refusals of
in-place changes to views made in no_grad mode or by ops returning several views."""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from helpers import check_op, same_error

# -- single-element writes (each of these was lost) -------------------------------------------


def _v1(L: Any) -> Any:
    v = L.arange(4.0)
    v[1] = 5.0
    return v


def _x22(L: Any) -> Any:
    x = L.zeros(3, 3)
    x[2, 2] = 9
    return x


def _row(L: Any) -> Any:
    x = L.zeros(3, 3)
    row = x[1]
    row[2] = 5.0
    return x


def _view9(L: Any) -> Any:
    x = L.zeros(3, 3)
    x.view(9)[0] = 3
    return x


def _t(L: Any) -> Any:
    x = L.zeros(3, 3)
    x.t()[0, 2] = -1
    return x


def _unsq(L: Any) -> Any:
    x = L.zeros(3, 3)
    x.unsqueeze(0)[0, 2, 1] = 9
    return x


def _add(L: Any) -> Any:
    v = L.zeros(3)
    v[1].add_(3)
    return v


def _rows(L: Any) -> Any:
    m = L.zeros(2, 2)
    for row in m:
        row[0] = 5
    return m


def _select(L: Any) -> Any:
    v = L.zeros(3)
    v.select(0, -1).fill_(2)
    v.unbind(0)[0].copy_(L.tensor(7.0))
    return v


def _no_grad(L: Any) -> Any:
    w = L.zeros(3, requires_grad=True)
    with L.no_grad():
        w[1] = 5.0
        w[2].mul_(0).add_(4)
    return w


ONE_ELEMENT = [_v1, _x22, _row, _view9, _t, _unsq, _add, _rows, _select, _no_grad]


@pytest.mark.parametrize("program", ONE_ELEMENT, ids=lambda f: f.__name__)
def test_one_element_writes_reach_the_tensor(program):
    e, t = program(ember), program(torch)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    assert e._version == t._version


def test_one_element_write_in_a_graph():
    def program(L):
        a = L.ones(3, requires_grad=True)
        w = L.tensor(3.0, requires_grad=True)
        b = a * 2
        b[1] = 7.0
        b[2].mul_(w)
        text = repr(b)
        (b * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return b, text, a.grad, w.grad, b._version

    (e, et, ea, ew, ev), (t, tt, ta, tw, tv) = program(ember), program(torch)
    np.testing.assert_array_equal(e.detach().numpy(), t.detach().numpy())
    assert et == tt and "grad_fn=<CopySlices>" in et
    np.testing.assert_array_equal(ea.numpy(), ta.numpy())
    np.testing.assert_array_equal(ew.numpy(), tw.numpy())
    assert ev == tv


def test_select_gives_a_zero_dim_view():
    for L in (ember, torch):
        x = L.arange(3.0)
        for s in (x.select(0, 1), x[1], x.unbind(0)[1], x[-2], x[1, ...]):
            assert s.shape == () and s._base is x
            assert np.shares_memory(s.numpy(), x.numpy())


def test_printed_node_names_are_torch_class_names():
    def program(L):
        a = L.ones(3, requires_grad=True)
        b = a * 1
        b.copy_(L.zeros(3))
        c = a * 1
        c[0] = 2
        g, = L.autograd.grad(L.nn.functional.hardsigmoid(a).sum(), a, create_graph=True)
        return [repr(b), repr(c), repr(g), c.grad_fn.name(), g.grad_fn.name(),
                type(c.grad_fn).__name__, b.grad_fn.name()]

    assert program(ember) == program(torch)


# -- unfold and as_strided ----------------------------------------------------------------------

UNFOLDS = [((9,), 0, 3, 2), ((9,), -1, 9, 1), ((3, 4), 1, 2, 1), ((3, 4), 0, 2, 3),
           ((2, 3, 4), 2, 3, 2), ((), 0, 1, 1), ((), -1, 0, 2), ((0,), 0, 0, 1),
           ((2, 0), 1, 0, 2), ((4,), 0, 0, 1)]


@pytest.mark.parametrize("shape,dim,size,step", UNFOLDS)
def test_unfold_values_and_gradients(shape, dim, size, step):
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) / 4 - 1
    check_op(lambda L, t: (t * 1).unfold(dim, size, step) ** 2, [x])


STRIDED = [((3, 3), (1, 1), None), ((2, 2), (3, 1), 1), ((4,), (2,), 0), ((2, 3), (0, 1), 2),
           ((), (), 5), ((0, 3), (100, 1), 50), ((3,), (1,), 6), ((2, 2), (1, 2), 3)]


@pytest.mark.parametrize("size,stride,offset", STRIDED)
def test_as_strided_values_and_gradients(size, stride, offset):
    x = np.arange(9, dtype=np.float64) / 3 - 1
    check_op(lambda L, t: L.as_strided(t * 1, size, stride, offset) ** 2, [x])
    check_op(lambda L, t: (t * 1).as_strided(size, stride, offset) ** 2, [x])


@pytest.mark.parametrize("make", [
    lambda L, a: a.view(3, 3).t().as_strided((2, 2), (1, 3), 1),
    lambda L, a: a[2:].as_strided((3,), (2,), 0),
    lambda L, a: a[2:].as_strided((3,), (2,)),
    lambda L, a: a[:3].expand(2, 3).as_strided((4,), (1,)),
    lambda L, a: a.view(3, 3)[:, 1].as_strided((2, 2), (3, 1)),
    lambda L, a: a.unfold(0, 4, 2).as_strided((3,), (4,)),
], ids=["transposed", "offset", "own-offset", "expanded", "column", "unfolded"])
def test_as_strided_of_views_reads_the_storage(make):
    x = np.arange(9, dtype=np.float64) / 3 - 1
    check_op(lambda L, a: make(L, a * 1) ** 2, [x])
    for L in (ember, torch):
        a = L.arange(9.0)
        v = make(L, a)
        assert v._base is a and np.shares_memory(v.numpy(), a.numpy())


def test_unfold_and_as_strided_write_through():
    def program(L):
        x = L.zeros(4, 4)
        x.unfold(1, 2, 2)[1, 1, 0] = 7
        x.as_strided((2,), (5,), 1)[1] = 3
        x[0].unfold(0, 2, 1)[2].fill_(-1)
        return x, x._version

    (e, ev), (t, tv) = program(ember), program(torch)
    np.testing.assert_array_equal(e.numpy(), t.numpy())
    assert ev == tv


@pytest.mark.parametrize("call", [
    lambda L, x: x.unfold(0, 10, 2), lambda L, x: x.view(3, 3).unfold(-1, 4, 1),
    lambda L, x: x.unfold(0, 3, 0), lambda L, x: x.unfold(0, -1, 1),
    lambda L, x: x.unfold(1, 1, 1), lambda L, x: L.tensor(5.0).unfold(0, 2, 1),
    lambda L, x: x.unfold(0, 3.0, 2),
    lambda L, x: L.as_strided(x, (3, 3), (3, 1), 1), lambda L, x: L.as_strided(x, (3, 3), (-1, 1)),
    lambda L, x: L.as_strided(x, (3,), (1,), -1), lambda L, x: L.as_strided(x, (3, -1), (1, 1)),
    lambda L, x: L.as_strided(x, (3, 3), (1,)), lambda L, x: L.as_strided(x, 3, 2),
    lambda L, x: x[1:].as_strided((9,), (1,)),
    lambda L, x: x.clone().as_strided((3, 3), (0, 1)).add_(1),
    lambda L, x: x.clone().view(9, 1).expand(9, 2).fill_(L.tensor(1.0)),
    lambda L, x: x.clone().view(9, 1).expand(9, 2).__setitem__(0, 1.0),
])
def test_unfold_and_as_strided_errors(call):
    same_error(lambda: call(ember, ember.arange(9.0)), lambda: call(torch, torch.arange(9.0)))


# -- views that cannot take an in-place change ---------------------------------------------------

def _meta_programs():
    def no_grad_view_then_grad_write(L, a):
        b = a.clone()
        with L.no_grad():
            v = b[0]
        v.mul_(2)

    def no_grad_view_base_written(L, a):
        b = a.clone()
        with L.no_grad():
            v = b[0]
        b.mul_(2)
        return v.grad_fn

    def no_grad_view_written_in_no_grad(L, a):
        b = a.clone()
        with L.no_grad():
            v = b[0]
            v.mul_(2)
        return (v * 2).sum()

    def view_of_no_grad_view(L, a):
        b = a.clone()
        with L.no_grad():
            v = b[0]
        v[1] = 3.0

    def unbind_output(L, a):
        a.clone().unbind(0)[0].mul_(2)

    def split_output(L, a):
        a.clone().split([1, 1])[0].mul_(2)

    def chunk_output(L, a):
        a.clone().chunk(2, 1)[0].add_(1)

    def view_of_split_output(L, a):
        a.clone().split(1)[0][0] = 5.0

    def unbind_base_written(L, a):
        b = a.clone()
        u = b.unbind(0)
        b.mul_(2)
        return u[0].grad_fn

    def unbind_written_in_no_grad(L, a):
        b = a.clone()
        u = b.unbind(0)
        with L.no_grad():
            u[0].mul_(2)
        return u[1].grad_fn

    def iteration_rows(L, a):
        b = a.clone()
        for r in b:
            r[0] = 5.0

    def multi_view_of_constant(L, a):
        b = L.ones(2, 3)
        b.unbind(0)[0].mul_(a[0])

    return [no_grad_view_then_grad_write, no_grad_view_base_written,
            no_grad_view_written_in_no_grad, view_of_no_grad_view, unbind_output, split_output,
            chunk_output, view_of_split_output, unbind_base_written, unbind_written_in_no_grad,
            iteration_rows, multi_view_of_constant]


@pytest.mark.parametrize("program", _meta_programs(), ids=lambda f: f.__name__)
def test_views_that_cannot_be_changed_in_place(program):
    same_error(lambda: program(ember, ember.ones(2, 3, requires_grad=True)),
               lambda: program(torch, torch.ones(2, 3, requires_grad=True)))


def test_no_grad_view_requires_grad_without_history():
    def program(L):
        a = L.ones(2, 3, requires_grad=True)
        b, c = a.clone(), a.clone()
        with L.no_grad():
            v = b[0]
            w = c[1]
            w.mul_(2)
        (v * 2).sum().backward()
        return v.requires_grad, v.is_leaf, v.grad_fn, a.grad, repr(v), repr(w), v[1:].requires_grad

    assert program(ember) == program(torch)


def test_allowed_in_place_changes_of_special_views():
    def program(L):
        a = L.ones(2, 3, requires_grad=True)
        b = a.clone()
        u = b.unbind(0)[0]
        u.detach().mul_(2)
        with L.no_grad():
            b.split(1)[1].add_(1)
        c = L.zeros(2, 2)
        for r in c:
            r[0] = 5
        t = a.clone().tensor_split(2)[0].mul_(2)
        return b.detach().numpy().tolist(), c.numpy().tolist(), repr(t)

    assert program(ember) == program(torch)


# -- the property test: every view op, every index form, both directions -------------------------

VIEW_OPS = ["view", "reshape", "select", "narrow", "slice", "getitem", "t", "mT", "transpose",
            "permute", "squeeze", "unsqueeze", "expand", "diagonal", "unbind", "split", "chunk",
            "split_with_sizes", "tensor_split", "unfold", "as_strided", "movedim", "view_as",
            "reshape_as", "flatten", "unflatten", "detach", "contiguous", "alias", "swapaxes",
            "expand_as"]


def _shapes_like(data: Any, shape: tuple) -> tuple:
    """A shape with as many elements as `shape`: merged or split dimensions, -1, a new 1."""
    n = int(np.prod(shape, dtype=np.int64))
    cands = [(-1,), (n,), shape + (1,), (1,) + shape]
    for i in range(len(shape) - 1):
        cands.append(shape[:i] + (shape[i] * shape[i + 1],) + shape[i + 2:])
    for i, s in enumerate(shape):
        for f in (2, 3):
            if s and s % f == 0 and s != f:
                cands.append(shape[:i] + (f, s // f) + shape[i + 1:])
    if n == 12:
        cands.append((3, -1))
    return data.draw(st.sampled_from(cands))


def _dim(data: Any, nd: int) -> int:
    n = max(nd, 1)
    return data.draw(st.integers(-n, n - 1))


def _key(data: Any, shape: tuple, bools: bool = True) -> Any:
    """An index made of ints (negative too), 0-dim int tensors, slices with steps, None,
    Ellipsis and bools, in any mix."""
    parts: list = []
    for s in shape:
        kind = data.draw(st.sampled_from(["int", "slice", "full", "tensor"]))
        if kind in ("int", "tensor") and s:
            i = data.draw(st.integers(-s, s - 1))
            parts.append(i if kind == "int" else IntTensor(i))
        elif kind == "slice":
            a = data.draw(st.none() | st.integers(-s - 1, s + 1))
            b = data.draw(st.none() | st.integers(-s - 1, s + 1))
            parts.append(slice(a, b, data.draw(st.sampled_from([None, 1, 2, 3]))))
        else:
            parts.append(slice(None))
    p = data.draw(st.integers(0, len(parts)))
    q = data.draw(st.integers(p, len(parts)))
    if data.draw(st.booleans()):
        parts[p:q] = [Ellipsis]
    else:
        del parts[q:]
    for _ in range(data.draw(st.integers(0, 2))):
        parts.insert(data.draw(st.integers(0, len(parts))),
                     data.draw(st.sampled_from([None, None, True, False] if bools else [None])))
    if len(parts) == 1 and data.draw(st.booleans()):
        return parts[0]
    return tuple(parts)


class IntTensor:
    """Stands in the plan for a 0-dim integer tensor index (each library makes its own)."""

    def __init__(self, i: int) -> None:
        self.i = i

    def __repr__(self) -> str:
        return f"tensor({self.i})"


def _as_key(L: Any, key: Any) -> Any:
    def one(k: Any) -> Any:
        return L.tensor(k.i) if isinstance(k, IntTensor) else k

    return tuple(one(k) for k in key) if type(key) is tuple else one(key)


def _draw_view(data: Any, t: torch.Tensor, base_numel: int) -> tuple:
    shape, nd = tuple(t.shape), t.dim()
    name = data.draw(st.sampled_from(VIEW_OPS))
    if name in ("view", "reshape", "view_as", "reshape_as"):
        return name, (_shapes_like(data, shape),)
    if name in ("select", "narrow", "unbind", "split", "chunk", "split_with_sizes",
                "tensor_split", "slice", "unfold") and not nd:
        name = "unfold" if name == "unfold" else "squeeze"
    if name == "select":
        d = _dim(data, nd)
        s = shape[d]
        return name, (d, data.draw(st.integers(-s, s - 1)) if s else 0)
    if name == "narrow":
        d = _dim(data, nd)
        start = data.draw(st.integers(0, shape[d]))
        return name, (d, start, data.draw(st.integers(0, shape[d] - start)))
    if name == "slice":
        d = data.draw(st.integers(0, nd - 1))
        s = shape[d]
        return name, (d, data.draw(st.integers(0, s)), data.draw(st.integers(0, s)),
                      data.draw(st.integers(1, 3)))
    if name == "getitem":
        return name, (_key(data, shape),)
    if name in ("transpose", "swapaxes"):
        return name, (_dim(data, nd), _dim(data, nd))
    if name == "permute":
        return name, (tuple(data.draw(st.permutations(range(nd)))),)
    if name == "squeeze":
        how = data.draw(st.sampled_from(["all", "dim", "dims"]))
        if how == "all" or not nd:
            return name, ()
        if how == "dim":
            return name, (_dim(data, nd),)
        return name, (tuple(data.draw(st.sets(st.integers(0, nd - 1), max_size=nd))),)
    if name == "unsqueeze":
        return name, (data.draw(st.integers(-nd - 1, nd)),)
    if name in ("expand", "expand_as"):
        return name, ((2,) + tuple(data.draw(st.sampled_from([-1, 2])) if s == 1 else -1
                                   for s in shape),)
    if name == "diagonal":
        if nd < 2:
            return "t", ()
        d1 = data.draw(st.integers(0, nd - 1))
        d2 = data.draw(st.integers(0, nd - 1).filter(lambda d: d != d1))
        return name, (data.draw(st.integers(-2, 2)), d1, d2)
    if name in ("unbind", "split", "chunk", "split_with_sizes", "tensor_split"):
        d = _dim(data, nd)
        s = shape[d]
        pick = data.draw(st.integers(0, 7))
        if name == "unbind":
            return (name, (d, pick)) if s else ("t", ())
        if name == "split":
            return name, (data.draw(st.integers(1, 3)), d, pick)
        if name == "chunk":
            return name, (data.draw(st.integers(1, 3)), d, pick)
        if name == "tensor_split":
            return name, (data.draw(st.integers(1, 3)), d, pick)
        first = data.draw(st.integers(0, s))
        return name, ((first, s - first), d, pick)
    if name == "unfold":
        d = _dim(data, nd)
        s = shape[d] if nd else 1
        return name, (d, data.draw(st.integers(0, s)), data.draw(st.integers(1, 3)))
    if name == "as_strided":
        k = data.draw(st.integers(0, 2))
        size = tuple(data.draw(st.integers(1, 3)) for _ in range(k))
        stride = tuple(data.draw(st.integers(0, 3)) for _ in range(k))
        span = sum((n - 1) * s for n, s in zip(size, stride))
        if span >= base_numel:
            return "alias", ()
        # (An explicit offset: NumPy keeps no offset for an empty view to default to.)
        offset = data.draw(st.integers(0, base_numel - 1 - span))
        return name, (size, stride, offset)
    if name == "movedim":
        return name, (_dim(data, nd), _dim(data, nd))
    if name == "flatten":
        return name, (_dim(data, nd), _dim(data, nd))
    if name == "unflatten":
        if not nd:
            return "alias", ()
        d = _dim(data, nd)
        s = shape[d]
        return name, (d, data.draw(st.sampled_from([(s,), (1, s), (-1, 1)] + (
            [(2, s // 2), (2, -1)] if s and s % 2 == 0 else []))))
    if name == "t" and nd > 2 or name == "mT" and nd < 2:
        return "transpose", (0, -1) if nd else (0, 0)
    return name, ()


def _apply(L: Any, x: Any, name: str, args: tuple) -> Any:
    if name in ("split", "chunk", "tensor_split", "split_with_sizes"):
        *a, pick = args
        parts = getattr(x, name)(*a)
        return parts[pick % len(parts)]
    if name == "unbind":
        parts = x.unbind(args[0])
        return parts[args[1] % len(parts)]
    if name == "slice":
        d, a, b, step = args
        return x[(slice(None),) * d + (slice(a, b, step),)]
    if name == "getitem":
        return x[_as_key(L, args[0])]
    if name in ("view_as", "reshape_as", "expand_as"):
        shape = args[0] if name != "expand_as" else tuple(
            2 if s == -1 and i == 0 else (x.shape[i - 1] if s == -1 else s)
            for i, s in enumerate(args[0]))
        return getattr(x, name)(L.zeros(shape))
    if name == "alias":
        return x[...]
    if name == "mT":
        return x.mT
    return getattr(x, name)(*args)


def _overlaps(t: torch.Tensor) -> bool:
    """Whether two elements of the view share a location (then writes are order-dependent,
    which torch leaves undefined, unless every element gets the same value)."""
    if not t.numel():
        return False
    pos = np.full((), t.storage_offset(), np.int64)
    for n, s in zip(t.shape, t.stride()):
        pos = pos[..., None] + np.arange(n) * s
    return np.unique(pos).size < t.numel()


def _draw_write(data: Any, t: torch.Tensor) -> tuple:
    shape = tuple(t.shape)
    same_value = _overlaps(t)
    kinds = ["setitem", "fill_", "zero_"] + ([] if same_value else
                                             ["add_", "mul_", "copy_", "setitem_tensor"])
    kind = data.draw(st.sampled_from(kinds))
    if kind in ("setitem", "setitem_tensor"):
        # (torch's index_put_ writes an expanded tensor with a deprecation warning: not here)
        key = _key(data, shape, bools=not same_value)
        if kind == "setitem" or same_value:
            return "setitem", key, data.draw(st.integers(-9, 9))
        try:
            target = tuple(t[_as_key(torch, key)].shape)
        except Exception:  # noqa: BLE001
            return "setitem", key, 4
        cut = data.draw(st.integers(0, len(target)))
        value = (1,) * data.draw(st.integers(0, 1)) + target[cut:]
        return "setitem_tensor", key, value
    if kind == "copy_":
        return kind, None, shape[data.draw(st.integers(0, len(shape))):]
    return kind, None, data.draw(st.integers(-3, 3))


def _values(L: Any, shape: tuple, seed: int, requires_grad: bool) -> Any:
    a = np.random.default_rng(seed).integers(-5, 6, size=shape).astype(np.float32)
    return L.from_numpy(a).requires_grad_(requires_grad)


def _write(L: Any, v: Any, write: tuple, value: Any) -> None:
    kind, key, arg = write
    if kind == "setitem":
        v[_as_key(L, key)] = arg
    elif kind == "setitem_tensor":
        v[_as_key(L, key)] = value
    elif kind == "copy_":
        v.copy_(value)
    elif kind == "zero_":
        v.zero_()
    else:
        getattr(v, kind)(arg)


def _error(e: Exception) -> tuple:
    return ("error", type(e).__name__, str(e).split("\n")[0])


def _snapshot(t: Any) -> Any:
    return t.detach().numpy().copy().tolist()


def _run(L: Any, plan: dict) -> list:
    """Runs the plan on one library; returns what it saw, in order."""
    mode = plan["mode"]
    obs: list = []
    leaf = _values(L, plan["shape"], 1, mode != "plain")
    base = leaf if mode == "plain" else leaf * 1
    write = plan["write"]
    value_shape = write[2] if write[0] in ("setitem_tensor", "copy_") else None
    value = None
    if value_shape is not None:
        value = _values(L, value_shape, 2, mode == "grad")
    block = L.no_grad() if mode == "no_grad" else contextlib.nullcontext()
    v = base
    with block:
        for name, args in plan["steps"]:
            try:
                v = _apply(L, v, name, args)
            except Exception as e:  # noqa: BLE001
                obs.append(_error(e))
                return obs
            shares = bool(v.numel()) and np.shares_memory(v.detach().numpy(),
                                                          base.detach().numpy())
            obs.append((name, tuple(v.shape), shares, v._base is base, v._is_view()))
        try:
            _write(L, v, write, value)
            obs.append("written")
        except Exception as e:  # noqa: BLE001
            obs.append(_error(e))
        obs += [_snapshot(base), _snapshot(v), base._version, v._version]
        # The reverse direction: a write to the base shows in the view.
        base.add_(10)
        obs += [_snapshot(v), base._version, v._version]
    for t in (base, v):
        try:
            obs.append(repr(t))
        except Exception as e:  # noqa: BLE001
            obs.append(_error(e))
    if mode == "plain":
        return obs
    w = L.arange(1.0, base.numel() + 1).reshape(base.shape)
    try:
        loss = (base * w).sum()
        if v.dtype.is_floating_point:
            loss = loss + (v * 3).sum()
        loss.backward()
        obs.append("backward")
    except Exception as e:  # noqa: BLE001
        obs.append(_error(e))
    obs.append(None if leaf.grad is None else _snapshot(leaf.grad))
    if value is not None:
        obs.append(None if value.grad is None else _snapshot(value.grad))
    return obs


@settings(max_examples=250, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_writes_through_views_match_torch(data):
    shape = tuple(data.draw(st.lists(st.integers(0, 3) | st.integers(1, 3), max_size=3)))
    mode = data.draw(st.sampled_from(["plain", "no_grad", "grad"]))
    probe = torch.zeros(shape)
    numel = probe.numel()
    steps = []
    for _ in range(data.draw(st.integers(1, 3))):
        step = _draw_view(data, probe, numel)
        steps.append(step)
        try:
            probe = _apply(torch, probe, *step)
        except Exception:  # noqa: BLE001
            break
    plan = dict(shape=shape, mode=mode, steps=steps, write=_draw_write(data, probe))
    t_obs, e_obs = _run(torch, plan), _run(ember, plan)
    assert e_obs == t_obs, plan


# -- view exactly when torch gives one ------------------------------------------------------------

MAYBE_VIEWS = [
    ("reshape", lambda L, x: x.reshape(-1)), ("reshape", lambda L, x: x.reshape(x.shape[::-1])),
    ("flatten", lambda L, x: x.flatten()),
    ("flatten", lambda L, x: x.flatten(1 if x.dim() > 1 else 0)),
    ("contiguous", lambda L, x: x.contiguous()),
    ("view_as", lambda L, x: x.view_as(L.zeros(x.shape))),
    ("reshape_as", lambda L, x: x.reshape_as(L.zeros(x.numel()))),
    ("unflatten", lambda L, x: x.unflatten(0, (1, -1)) if x.dim() else x.unsqueeze(0)),
]
LAYOUTS = [
    ("contiguous", lambda L: L.arange(12.0).reshape(3, 4)),
    ("transposed", lambda L: L.arange(12.0).reshape(3, 4).t()),
    ("sliced", lambda L: L.arange(12.0).reshape(3, 4)[:, 1:3]),
    ("stepped", lambda L: L.arange(12.0).reshape(3, 4)[::2]),
    ("column", lambda L: L.arange(12.0).reshape(3, 4)[:, :1]),
    ("expanded", lambda L: L.arange(3.0).reshape(3, 1).expand(3, 4)),
    ("row", lambda L: L.arange(12.0).reshape(3, 4)[1:2]),
    ("zero-dim", lambda L: L.arange(3.0)[1]),
    ("empty", lambda L: L.zeros(0, 3).t()),
]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda p: p[0])
@pytest.mark.parametrize("op", MAYBE_VIEWS, ids=lambda p: p[0])
def test_view_exactly_when_torch_gives_one(op, layout):
    def program(L):
        x = layout[1](L)
        try:
            y = op[1](L, x)
        except Exception as e:  # noqa: BLE001
            return _error(e)
        root = x if x._base is None else x._base
        shares = bool(y.numel()) and np.shares_memory(y.numpy(), x.numpy())
        return (tuple(y.shape), y is x, y._base is root, shares, _snapshot(y))

    assert program(ember) == program(torch)


def test_view_shares_memory_with_torch_pointer_arithmetic():
    # Where the view starts in its base's memory, as torch's data_ptr / storage_offset.
    for make in (lambda L, x: x[1, 2], lambda L, x: x.t()[2], lambda L, x: x.unfold(1, 2, 1)[1],
                 lambda L, x: x.diagonal(1), lambda L, x: x.as_strided((2,), (5,), 3),
                 lambda L, x: x.view(-1)[7:], lambda L, x: x.unbind(1)[3]):
        got = []
        for L in (ember, torch):
            x = L.arange(12.0).reshape(3, 4)
            v = make(L, x)
            got.append(((v.data_ptr() - x.data_ptr()) // 4, v.storage_offset(), v._base is x))
        assert got[0] == got[1]


@pytest.mark.parametrize("view", [
    lambda t: t.expand(2, 3), lambda t: t.expand_as(t), lambda t: t.broadcast_to((1, 2, 3)),
    lambda t: t.t().expand(3, 2), lambda t: t[:, 1:].expand(2, 2)])
def test_views_of_a_result_made_from_integer_bits_keep_its_dtype(view):
    # relu selects its result from the input's bits (viewed as integers): a view whose memory
    # is held by an array of another dtype must still read as the tensor's dtype.
    data = [[-1.0, 2.0, -3.0], [4.0, -5.0, 6.0]]
    e = view(ember.relu(ember.tensor(data)))
    t = view(torch.relu(torch.tensor(data)))
    assert e.dtype == ember.float32 and e.tolist() == t.tolist()
