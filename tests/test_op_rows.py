"""The derivative table as rows: every node name is defined once, in ops/; no formula asks
which math namespace runs it (shortcuts are named overrides on the row); the unary factory's
options give torch's errors; the forward-mode rules and vmap traits that the pointwise
rows declare give torch's values."""

from __future__ import annotations

import ast
import pathlib
import re

import numpy as np
import pytest
import torch

import ember
from ember.ops import FAMILIES
from helpers import assert_same, check_op, make_array, same_error

SRC = pathlib.Path(ember.__file__).parent
_MAKERS = {"node_class", "variadic_class", "outputs_class"}


def _node_names() -> dict:
    """Node name -> the files and lines that define a row of that name."""
    found: dict = {}
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in _MAKERS and \
                    node.args and isinstance(node.args[0], ast.Constant):
                rel = path.relative_to(SRC).as_posix()
                found.setdefault(node.args[0].value, []).append(f"{rel}:{node.lineno}")
    return found


def test_every_node_name_has_one_row_in_ops():
    names = _node_names()
    twice = {k: v for k, v in names.items() if len(v) > 1}
    assert not twice, f"node names defined more than once: {twice}"
    outside = {k: v for k, v in names.items()
               if not all(w.startswith(("ops/", "autograd/")) for w in v)
               and k != "BackwardHookFunctionBackward"}
    assert not outside, f"rules outside ops/: {outside}"


def test_no_formula_branches_on_the_namespace():
    pattern = re.compile(r"\bm is (not )?(_raw|raw|_math\.raw|Math\.raw)\b")
    hits = [f"{p.relative_to(SRC)}:{i}" for p in SRC.rglob("*.py")
            for i, line in enumerate(p.read_text().splitlines(), 1) if pattern.search(line)]
    assert not hits, hits


# -- named raw overrides: plain backward runs the shortcut, create_graph the formula ------

@pytest.mark.parametrize("create_graph", [False, True])
def test_linear_weight_gradient_through_the_raw_override(create_graph):
    x, w, b = make_array((5, 3), seed=1), make_array((4, 3), seed=2), make_array((4,), seed=3)
    grads = []
    for lib in (ember, torch):
        ts = [lib.tensor(a, requires_grad=True) for a in (x, w, b)]
        out = lib.nn.functional.linear(*ts)
        grads.append(lib.autograd.grad(out, ts, lib.ones(5, 4, dtype=lib.float64),
                                       create_graph=create_graph))
        if lib is ember:
            assert out.grad_fn.name() == "AddmmBackward0"
            # The shortcut gives the weight's gradient in the weight's row-major layout.
            assert create_graph or grads[0][1]._data.flags.c_contiguous
    assert_same(list(grads[0]), list(grads[1]))


def test_max_pool_nll_and_batch_norm_rows_in_both_namespaces():
    check_op(lambda L, a: L.nn.functional.max_pool2d(a, 2), [make_array((1, 2, 4, 4))])
    check_op(lambda L, a: L.nn.functional.max_pool2d(a, 3, 1), [make_array((1, 1, 5, 5))])
    t = np.array([0, 2, 1])
    check_op(lambda L, a: L.nn.functional.nll_loss(a, L.tensor(t)), [make_array((3, 4))])
    check_op(lambda L, a: L.nn.functional.nll_loss(a, L.tensor(t), reduction="none"),
             [make_array((3, 4))])
    check_op(lambda L, a, w: L.nn.functional.batch_norm(a, None, None, w, None, True),
             [make_array((4, 3)), make_array((3,), seed=5)])


@pytest.mark.parametrize("pads", [(1, 2), (-1, 2, 0, 1)])
def test_pad_gradient_is_a_constant_pad_as_torch(pads):
    check_op(lambda L, a: L.nn.functional.pad(a, pads, value=0.5), [make_array((3, 4))])
    names = []
    for lib in (ember, torch):
        x = lib.ones(3, 4, requires_grad=True)
        y = lib.nn.functional.pad(x, pads)
        g, = lib.autograd.grad(y, x, lib.ones(y.shape, requires_grad=True), create_graph=True)
        names.append(g.grad_fn.name())
    assert names[0] == names[1]


# -- the unary factory's options --------------------------------------------------------------

_ACTIVATIONS = ["elu", "selu", "celu", "gelu", "silu", "mish", "softplus", "hardtanh",
                "logsigmoid", "hardsigmoid", "hardswish", "hardshrink", "softshrink",
                "leaky_relu"]


@pytest.mark.parametrize("name", _ACTIVATIONS)
def test_activation_rows_refuse_what_torch_refuses(name):
    same_error(lambda: getattr(ember.nn.functional, name)([1.0]),
               lambda: getattr(torch.nn.functional, name)([1.0]))
    if name not in ("hardtanh", "softshrink", "hardshrink"):
        same_error(lambda: getattr(ember.nn.functional, name)(ember.tensor([1, 2])),
                   lambda: getattr(torch.nn.functional, name)(torch.tensor([1, 2])))


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "expm1", "sgn", "abs", "relu",
                                  "sin"])
@pytest.mark.parametrize("dtype", ["bool", "int32", "float32"])
def test_unary_rows_dtypes_as_torch(name, dtype):
    x = np.array([0, 1, 1]) if dtype == "bool" else np.array([-2, 0, 3])
    e, t = ember.tensor(x.astype(dtype)), torch.tensor(x.astype(dtype))
    try:
        want = getattr(torch, name)(t)
    except Exception:  # noqa: BLE001
        same_error(lambda: getattr(ember, name)(e), lambda: getattr(torch, name)(t))
        return
    assert_same(getattr(ember, name)(e), want)


@pytest.mark.parametrize("name", ["elu", "leaky_relu", "hardtanh", "selu", "celu"])
def test_in_place_activation_rows(name):
    def fn(L, a):
        y = a * 1.0
        return getattr(L.nn.functional, name)(y, inplace=True)

    check_op(fn, [make_array((2, 3))])
    x = ember.ones(2, requires_grad=True) * -1.0
    y = getattr(ember.nn.functional, name)(x, inplace=True)
    tx = torch.ones(2, requires_grad=True) * -1.0
    ty = getattr(torch.nn.functional, name)(tx, inplace=True)
    assert y.grad_fn.name() == ty.grad_fn.name()


# -- forward-mode rules and vmap traits declared on rows -------------------------------------

def _declared(key: str, value: str | None = None) -> list:
    out = []
    for family in FAMILIES:
        for name in family.__all__:
            got = getattr(getattr(family, name, None), "row", {}).get(key)
            if got is not None and value in (None, got):
                out.append(name)
    return sorted(set(out))


_UNARY_JVP = [n for n in set(_declared("jvp")) & set(_declared("vmap", "pointwise")) if n not in (
    "add", "sub", "subtract", "rsub", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "where", "clamp", "clip")]


def test_declared_rules_are_read_by_the_transforms():
    from ember.autograd import _jvp_rules
    from ember.func import _vmap

    # forward AD looks its rules up in _jvp_rules.JVP.
    for name in _declared("jvp"):
        assert name in _jvp_rules.JVP, name
    rules = {"pointwise": _vmap._pointwise_rule, "reduce": _vmap._reduce_rule,
             "passthrough": _vmap._passthrough_rule}
    for family in FAMILIES:
        for name in family.__all__:
            trait = getattr(getattr(family, name, None), "row", {}).get("vmap")
            if trait is not None:
                assert _vmap.RULES.get(name) is rules[trait], name
    assert {"exp", "arcsin", "absolute", "mul", "where", "floor", "reshape", "cat", "mm",
            "sum", "to"} <= set(_declared("jvp"))


@pytest.mark.parametrize("name", sorted(_UNARY_JVP))
def test_declared_unary_forward_rules_as_torch(name):
    x = make_array((4,), seed=7, low=0.2, high=0.9)
    v = make_array((4,), seed=8)
    outs = [lib.func.jvp(getattr(lib, name), (lib.tensor(x),), (lib.tensor(v),))
            for lib in (ember, torch)]
    assert_same(list(outs[0]), list(outs[1]))


@pytest.mark.parametrize("case", [
    lambda L, a, b: L.mul(a, b) + L.div(a, b + 3.0) - L.rsub(a, 2.0, alpha=0.5),
    lambda L, a, b: L.pow(a.abs() + 1, b) + L.pow(a, 2),
    lambda L, a, b: L.where(a > 0, a, b) + L.clamp(a, -0.5, 0.5),
    lambda L, a, b: L.add(a, b, alpha=2.0) - L.sub(a, b, alpha=3.0),
])
def test_declared_binary_forward_rules_and_batching_as_torch(case):
    a, b = make_array((3, 4), seed=9), make_array((3, 4), seed=10)
    v, u = make_array((3, 4), seed=11), make_array((3, 4), seed=12)
    outs = [lib.func.jvp(lambda p, q, lib=lib: case(lib, p, q), (lib.tensor(a), lib.tensor(b)),
                         (lib.tensor(v), lib.tensor(u))) for lib in (ember, torch)]
    assert_same(list(outs[0]), list(outs[1]))
    batched = [lib.func.vmap(lambda p, q, lib=lib: case(lib, p, q))(lib.tensor(a), lib.tensor(b))
               for lib in (ember, torch)]
    assert_same(batched[0], batched[1])


@pytest.mark.parametrize("case", [
    lambda L, a, b: L.cat([a.reshape(4, 3).t(), b.transpose(0, 1).t()], 1).sum(0),
    lambda L, a, b: L.stack([a, b], -1).mean((1, 2)) + L.mm(a, b.t()).sum(1),
    lambda L, a, b: L.matmul(a, b.mT).narrow(0, 1, 2).flatten().cumsum(0).double(),
])
def test_declared_linear_and_product_rules_as_torch(case):
    a, b = make_array((3, 4), seed=13), make_array((3, 4), seed=14)
    v, u = make_array((3, 4), seed=15), make_array((3, 4), seed=16)
    outs = [lib.func.jvp(lambda p, q, lib=lib: case(lib, p, q), (lib.tensor(a), lib.tensor(b)),
                         (lib.tensor(v), lib.tensor(u))) for lib in (ember, torch)]
    assert_same(list(outs[0]), list(outs[1]))
