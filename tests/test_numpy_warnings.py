"""No NumPy warning reaches the program where torch prints none.

A wide table of numeric edge inputs (inf, -inf, nan, 0, -0, huge, tiny) goes through every
pointwise, reduction and nn.functional op, forward and backward, on ember and on torch in
the same call; ember runs with warnings as errors wherever torch gave no warning.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch

import ember
from ember import ops

EDGES = {
    np.float16: [np.inf, -np.inf, np.nan, 0.0, -0.0, 65504.0, -65504.0, 6e-8, -6e-8, 1.0, -1.0,
                 0.5, 11.1, -17.3],
    np.float32: [np.inf, -np.inf, np.nan, 0.0, -0.0, 3e38, -3e38, 1e-45, -1e-45, 1.0, -1.0,
                 0.5, 88.8, -104.0],
    np.float64: [np.inf, -np.inf, np.nan, 0.0, -0.0, 1.7e308, -1.7e308, 5e-324, -5e-324, 1.0,
                 -1.0, 0.5, 710.0, -746.0],
}

# Names that are no computation on values (random draws, shapes) or need arguments of a
# kind the forms below do not give.
SKIP = {"bernoulli", "multinomial", "normal", "poisson", "rand_like", "randn_like",
        "randint_like", "dropout", "alpha_dropout", "feature_alpha_dropout", "dropout1d",
        "dropout2d", "dropout3d", "rrelu", "rrelu_", "gumbel_softmax"}


def _forms(dt: type) -> list:
    """Argument lists, as numpy arrays or numbers; every form torch accepts is tried."""
    v = np.array(EDGES[dt], dtype=dt)
    n = len(v)
    return [
        (v,),
        (v, 0),
        (v[:, None], v[None, :]),          # every pair of edge values
        (v, v[::-1].copy()),               # same shape, for losses
        (v[:12].reshape(1, 1, 3, 4),),
        (v[:12].reshape(1, 1, 3, 4), 2),
        (v[:12].reshape(1, 1, 3, 4), v[:4].reshape(1, 1, 2, 2)),
        (v[:12].reshape(1, 3, 4), 2),
        (v.reshape(2, n // 2), -1),
    ]


def _public(module: Any) -> list:
    names = getattr(module, "__all__", None) or [n for n in vars(module) if not
                                                  n.startswith("_")]
    return [n for n in names if not n.startswith("_") and n not in SKIP and
            isinstance(getattr(module, n, None), types.FunctionType)]


def _ops() -> list:
    found = []
    for fam in (ops.arithmetic, ops.elementary, ops.sum_mean, ops.reduction,

                *(f for f in ops.FAMILIES if f.__name__.startswith("ember.ops.nn_")),
                ops.inplace):
        found += [("ember", n) for n in _public(fam)]
    found += [("F", n) for n in _public(ember.nn.functional)]
    return sorted(set(found))


def _lookup(lib: Any, where: str, name: str) -> Callable | None:
    ns = lib if where == "ember" else lib.nn.functional
    fn = getattr(ns, name, None)
    if fn is None and where == "ember":
        fn = getattr(lib.Tensor, name, None)  # in-place ops are methods only
    return fn


def _call(lib: Any, fn: Callable, form: tuple, inplace: bool) -> tuple:
    """(output, gradient or None) of fn on the form's arguments; backward from ones."""
    args = []
    leaves = []
    for a in form:
        if isinstance(a, np.ndarray):
            t = lib.tensor(a)
            if not inplace:
                t.requires_grad_(True)
                leaves.append(t)
            args.append(t)
        else:
            args.append(a)
    out = fn(*args)
    first = out[0] if isinstance(out, (tuple, list)) else out
    if isinstance(first, lib.Tensor) and first.requires_grad:
        first.backward(lib.ones_like(first))
    return out


def _run(lib: Any, fn: Callable, form: tuple, inplace: bool, action: str) -> tuple:
    """Returns (exception or None, warnings recorded) for one call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter(action)
        try:
            _call(lib, fn, form, inplace)
        except Exception as e:  # noqa: BLE001 - the outcome is what is compared
            return e, caught
    return None, caught


def _probe(where: str, name: str) -> list:
    """The calls where ember warned (or raised a warning) and torch did not."""
    t_fn, e_fn = _lookup(torch, where, name), _lookup(ember, where, name)
    if t_fn is None or e_fn is None:
        return []
    inplace = name.endswith("_") and not name.endswith("__")
    bad = []
    for dt in (np.float16, np.float32, np.float64):
        for form in _forms(dt):
            t_err, t_warned = _run(torch, t_fn, form, inplace, "always")
            if t_err is not None:
                continue
            torch_categories = {w.category for w in t_warned}
            if RuntimeWarning in torch_categories:
                continue
            if not torch_categories:
                e_err, e_warned = _run(ember, e_fn, form, inplace, "error")
            else:
                e_err, e_warned = _run(ember, e_fn, form, inplace, "always")
            extra = [w for w in e_warned if w.category not in torch_categories]
            shape = [getattr(a, "shape", a) for a in form]
            if isinstance(e_err, Warning):
                bad.append(f"{where}.{name}{shape} {dt.__name__}: {e_err!r}")
            elif extra:
                bad.append(f"{where}.{name}{shape} {dt.__name__}: {extra[0].message!r}")
    return bad


@pytest.mark.parametrize("where,name", _ops())
def test_no_numpy_warning_where_torch_gives_none(where: str, name: str) -> None:
    bad = _probe(where, name)
    assert not bad, "\n".join(bad)


def test_the_probe_covers_the_op_surface() -> None:
    # The table reaches the ops it claims to: at least this many of them accept a form.
    names = _ops()
    assert len(names) > 250
    reached = 0
    for where, name in names[::7]:
        fn = _lookup(torch, where, name)
        if fn is None:
            continue
        inplace = name.endswith("_")
        if any(_run(torch, fn, f, inplace, "ignore")[0] is None for f in _forms(np.float32)):
            reached += 1
    assert reached > len(names[::7]) // 2


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_printing_edge_values_is_silent(dt: str) -> None:
    v = np.array(EDGES[getattr(np, dt)], dtype=dt)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for a in (v, v[3:], v[9:], v[:1].reshape(()), v[5:7], v[7:9]):
            for x in (ember.tensor(a), ember.tensor(a, requires_grad=True)):
                str(x)
                repr(x)


@pytest.mark.parametrize("dt", ["float16", "float32", "float64"])
def test_conversions_of_edge_values_are_silent(dt: str) -> None:
    # Casts of inf, nan and out-of-range values give what they give, as in torch, silently.
    v = np.array(EDGES[getattr(np, dt)], dtype=dt)
    for target in ("float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64",
                   "bool"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            ember.tensor(v).to(getattr(ember, target))
            ember.tensor(v, requires_grad=True).to(getattr(ember, target))


def test_sum_of_inf_and_minus_inf_prints_nan_silently() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        shown = str(ember.tensor([np.inf, -np.inf]).sum())
    assert shown == str(torch.tensor([np.inf, -np.inf]).sum())


def test_issue_examples_under_warnings_as_errors() -> None:
    # The calls that raised under pytest's -W error before ember silenced NumPy locally.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ember.zeros(3, requires_grad=True).norm().backward()
        x = ember.tensor([0.0, -1.0, np.inf, -np.inf, np.nan], requires_grad=True)
        ember.logsumexp(x, 0).backward()
        ember.nn.functional.softplus(x).sum().backward()
        (x ** 0.5).sum().backward()
        ember.atan2(x, ember.zeros(5)).sum().backward()


def test_the_program_keeps_its_own_numpy_error_state() -> None:
    # ember's silence is its own: NumPy still warns the program afterwards, and a program's
    # errstate is what it was, inside an op's backward and after it.
    before = np.geterr()
    x = ember.tensor([0.0, 1.0], requires_grad=True)
    ember.log(x).sum().backward()
    assert np.geterr() == before
    with np.errstate(divide="raise"):
        ember.log(x).sum().backward()
        with pytest.raises(FloatingPointError):
            np.log(np.zeros(1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        np.log(np.zeros(1))
    assert [w.category for w in caught] == [RuntimeWarning]


def test_import_installs_no_warning_filter() -> None:
    # ember changes no process-wide warning filter: the program's filters are all there is.
    code = ("import warnings, numpy; before = list(warnings.filters); import ember; "
            "assert warnings.filters == before, warnings.filters[:3]")
    subprocess.run([sys.executable, "-c", code], check=True, env=_env())


def test_runs_under_python_warnings_as_errors() -> None:
    # `python -W error`: the issue's calls, in a fresh interpreter.
    code = ("import math, ember; x = ember.tensor([0.0, -1.0, math.inf, -math.inf, math.nan],"
            " requires_grad=True); print(ember.tensor([math.inf, -math.inf]).sum()); "
            "ember.zeros(3, requires_grad=True).norm().backward(); "
            "(ember.logsumexp(x, 0) + ember.nn.functional.softplus(x).sum() + "
            "(x ** 0.5).sum() + ember.atan2(x, ember.zeros(5)).sum()).backward()")
    r = subprocess.run([sys.executable, "-W", "error", "-c", code], env=_env(),
                       capture_output=True, text=True)
    assert r.returncode == 0 and not r.stderr, r.stderr
    assert r.stdout == "tensor(nan)\n"


def _env() -> dict:
    env = dict(os.environ)
    src = os.path.dirname(os.path.dirname(ember.__file__))
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env
