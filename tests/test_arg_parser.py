"""torch's argument parser in ember (`_arg_parser`, `_signatures`): the signature table is what
scripts/torch_signatures.py generates from torch, every op's overloads and argument counts
give torch's own messages, and each rule of torch's parser (which values match int, bool,
Number, int lists, dtypes, tensor lists; keywords; counts) gives torch's outcome."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
import torch

import ember
from ember import _arg_parser, _signatures

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _essence(text: str) -> str:
    """A message's first line and the overloads it lists (torch's notes on why each overload
    did not match are left out)."""
    lines = text.splitlines()
    return "\n".join(lines[:1] + [ln for ln in lines[1:] if ln.startswith(" * ")])


def _outcome(fn, lib):
    try:
        fn(lib)
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, _essence(str(e))
    return "ok", ""


def _same(fn):
    t, e = _outcome(fn, torch), _outcome(fn, ember)
    assert e == t


def test_table_is_what_the_script_writes():
    spec = importlib.util.spec_from_file_location(
        "torch_signatures", os.path.join(ROOT, "scripts", "torch_signatures.py"))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with open(os.path.join(ROOT, "src", "ember", "_signatures.py")) as f:
        assert f.read() == script.render(), "run scripts/torch_signatures.py"


def _torch_callable(table: str, name: str):
    if table == "METHODS":
        # TensorBase: the C methods, also of those that torch.Tensor wraps in Python
        return lambda *a, **k: getattr(torch._C.TensorBase, name)(torch.ones(1), *a, **k)
    if table == "NN":
        return getattr(torch._C._nn, name)
    if name.startswith("linalg_"):
        return getattr(torch._C._linalg, name)
    return getattr(torch._C._VariableFunctions, name, None) or getattr(torch, name)


def _message(fn, args, kwargs):
    try:
        fn(*args, **kwargs)
    except TypeError as e:
        return _essence(str(e))
    except Exception:  # noqa: BLE001  (a probe that reached the op)
        return None
    return None


# Calls whose parse fails whatever the overloads: their messages list every overload (or
# give the counts of the only one), so they compare the whole table with torch's parsers.
PROBES = [((object(),) * 30, {}), ((), {}), ((), {"zzz": 1})]


@pytest.mark.parametrize("table", ["FUNCTIONS", "METHODS", "NN", "LINALG"])
def test_every_signature_gives_torch_messages(table):
    bad = []
    for name, signatures in getattr(_signatures, table).items():
        tf = _torch_callable(table, name)
        parser = _arg_parser.Parser(signatures, table == "METHODS")
        for args, kwargs in PROBES:
            expected = _message(tf, args, kwargs)
            if expected is None:
                continue
            got = _message(parser.check, (args, kwargs), {})
            if got != expected:
                bad.append((name, args[:1], kwargs, got, expected))
    assert not bad, "\n".join(map(repr, bad[:5]))


x = np.arange(6.0, dtype=np.float32).reshape(2, 3)


def T(lib, a=x):  # noqa: N802
    return lib.from_numpy(np.array(a))


RULES = {
    # int: not bool, not float; NumPy ints and 0-dim integer tensors are ints.
    "int_bool": lambda m: m.softmax(T(m), True),
    "int_float": lambda m: m.unsqueeze(T(m), 1.5),
    "int_none": lambda m: m.softmax(T(m), None),
    "int_numpy": lambda m: m.softmax(T(m), np.int64(1)),
    "int_tensor": lambda m: m.softmax(T(m), m.tensor(1)),
    "int_float_tensor": lambda m: m.softmax(T(m), m.tensor(1.0)),
    "int_1d_tensor": lambda m: m.softmax(T(m), m.tensor([1])),
    # bool: only bools.
    "bool_int": lambda m: m.argmax(T(m), 0, 1),
    "bool_none": lambda m: T(m).requires_grad_(None),
    "bool_tensor": lambda m: m.sum(T(m), 1, m.tensor(True)),
    # Number: 0-dim tensors without grad, never None or 1-d tensors.
    "number_none": lambda m: m.add(T(m), T(m), alpha=None),
    "number_tensor": lambda m: m.add(T(m), T(m), alpha=m.tensor(2.0)),
    "number_1d_tensor": lambda m: m.add(T(m), T(m), alpha=m.tensor([2.0])),
    "number_as_tensor": lambda m: m.mul(2, T(m)),
    "number_not_tensor": lambda m: m.eq(2, T(m)),
    # int lists: the first element when matching, the others when unpacking.
    "list_first": lambda m: m.permute(T(m), (1.5, 0)),
    "list_second": lambda m: m.permute(T(m), (0, 1.5)),
    "list_int": lambda m: m.flip(T(m), 1),
    "list_size": lambda m: m.permute(T(m), m.Size([1, 0])),
    "list_tensor_element": lambda m: m.sum(T(m), (m.tensor(1), 0)),
    "list_bool_first": lambda m: m.zeros(True, 2),
    "list_bool_tensor": lambda m: T(m).view(m.tensor(True)),
    "list_varargs": lambda m: T(m).view(3, 1.5),
    "list_varargs_first": lambda m: T(m).view(1.5, 3),
    "list_keyword": lambda m: m.permute(T(m), dims=(1.5, 0)),
    "list_none": lambda m: m.zeros(None),
    "list_single_int": lambda m: m.sum(T(m), m.tensor([1])),
    # dtypes: dtypes and Python's number types.
    "dtype_none": lambda m: m.promote_types(m.float32, None),
    "dtype_str": lambda m: m.zeros(2, dtype="a"),
    "dtype_numpy": lambda m: m.zeros(2, dtype=np.float32),
    "dtype_tensor": lambda m: m.promote_types(T(m), m.float16),
    # tensor lists
    "tensors_element": lambda m: m.cat([T(m), 1]),
    "tensors_tensor": lambda m: m.cat(T(m)),
    "tensors_str": lambda m: m.stack("a"),
    # counts and keywords
    "missing": lambda m: m.softmax(T(m)),
    "missing_two": lambda m: m.index_select(T(m)),
    "too_many": lambda m: m.softmax(T(m), 1, None, None),
    "unexpected": lambda m: m.softmax(T(m), 1, foo=2),
    "multiple": lambda m: m.softmax(T(m), 1, dim=2),
    "numpy_names": lambda m: m.sum(T(m), axis=1, keepdims=True),
    "combination": lambda m: m.min(T(m), 2, "a"),
    "combination_keywords": lambda m: m.std(T(m), correction=T(m), keepdim=T(m)),
    "one_option": lambda m: m.add(T(m), 1, 2, 3),
    "methods_count_from_self": lambda m: T(m).add(None),
    "method_combination": lambda m: T(m).view(1.5, 2),
    "copy_": lambda m: T(m).copy_(None),
    "tensor_dtype": lambda m: m.tensor(0, dtype="a"),
    "tensor_positional": lambda m: m.tensor(0, 1),
    "size_str": lambda m: T(m).size("a"),
    # torch's Python functions check as the natives they call
    "unique": lambda m: m.unique(T(m), False, "a"),
    "unique_dim": lambda m: m.unique(T(m), dim=1.5),
    "split": lambda m: m.split(T(m), 2, "a"),
    "split_sizes": lambda m: m.split(T(m), None),
    "einsum": lambda m: m.einsum("ii->i", None),
    "broadcast_tensors": lambda m: m.broadcast_tensors(T(m), True),
    "atleast_1d": lambda m: m.atleast_1d(None),
    "norm": lambda m: m.norm(T(m), [1.0, 2.0]),
    "norm_keepdim": lambda m: m.norm(T(m), None, None, None),
    # torch.linalg's parsers
    "linalg_norm": lambda m: m.linalg.norm([1.0]),
    "linalg_inv_ex": lambda m: m.linalg.inv_ex(1),
    "linalg_matrix_rank": lambda m: m.linalg.matrix_rank([[1.0]]),
    "linalg_multi_dot": lambda m: m.linalg.multi_dot([T(m), 2]),
    "linalg_solve_keyword": lambda m: m.linalg.solve(T(m), T(m), lefty=True),
    # nn.functional checks as the native op it calls, under its name
    "leaky_relu": lambda m: m.nn.functional.leaky_relu(T(m), None),
    "softmax_none": lambda m: m.nn.functional.softmax(T(m), None),
    "softmax_float": lambda m: m.nn.functional.softmax(T(m), 1.5),
    "adaptive_avg_pool1d": lambda m: m.nn.functional.adaptive_avg_pool1d(T(m), 1.5),
    "pad": lambda m: m.nn.functional.pad(T(m), None),
    "unfold": lambda m: m.nn.functional.unfold(T(m, np.ones((1, 2, 3, 3), np.float32)), "a"),
    "logsigmoid": lambda m: m.nn.functional.logsigmoid(None),
    "relu_list": lambda m: m.nn.functional.relu([1.0]),
    "dropout_p": lambda m: m.nn.functional.dropout(T(m), None, None),
    "layer": lambda m: m.nn.LeakyReLU(None)(T(m)),
    "layer_parameters": lambda m: m.nn.Linear(3, "a"),
    "layer_vector": lambda m: m.nn.BatchNorm1d(None),
    "padding_layer": lambda m: m.nn.ZeroPad2d(None)(None),
}


@pytest.mark.parametrize("name", sorted(RULES))
def test_rule_matches_torch(name):
    _same(RULES[name])


def test_the_full_listing_is_torch():
    # Beyond the first line that the fuzzer compares: every overload on its own line.
    t = _outcome(lambda m: m.sum(T(m), True), torch)
    assert t == _outcome(lambda m: m.sum(T(m), True), ember)
    assert t[1].count("\n * ") == 2


def test_good_calls_pass_through():
    # Parameters (a Tensor subclass), vmap through a bound method, and ops that compute.
    lin = ember.nn.Linear(3, 2)
    assert lin(ember.ones(4, 3)).shape == (4, 2)
    out = ember.func.vmap(lambda t: t.sum(0))(ember.ones(2, 3))
    assert out.shape == (2,)
    assert ember.ones(2, 3).view(3, 2).permute(1, 0).shape == (2, 3)


@pytest.mark.parametrize("good, bad", [
    # a method of one argument, a function of one, two and three, a method without one
    (lambda m, x: x.pow(2), lambda m, x: x.pow("2")),
    (lambda m, x: m.sin(x), lambda m, x: m.sin("x")),
    (lambda m, x: m.add(x, x), lambda m, x: m.add(x, "x")),
    (lambda m, x: m.nn.functional.linear(x, x, x[0]), lambda m, x: m.nn.functional.linear(
        x, x, "b")),
    (lambda m, x: x.exp(), lambda m, x: x.exp(True)),
    # nn.functional's wrappers over a native op, with and without keywords
    (lambda m, x: m.nn.functional.softmax(x, dim=-1),
     lambda m, x: m.nn.functional.softmax(x, dim=1.5)),
    (lambda m, x: m.nn.functional.layer_norm(x, (3,)),
     lambda m, x: m.nn.functional.layer_norm(x, (3.0,))),
    (lambda m, x: m.nn.functional.dropout(x, 0.0),
     lambda m, x: m.nn.functional.dropout(x, 0.0, "yes")),
])
def test_a_good_call_lets_no_bad_one_through(good, bad):
    # The wrappers remember the argument types of calls that passed; a later call with other
    # types must still meet torch's checks.
    def x(m):
        return m.ones(3, 3)

    for _ in range(2):
        _same(lambda m: good(m, x(m)))
    _same(lambda m: bad(m, x(m)))
    _same(lambda m: good(m, x(m)))
