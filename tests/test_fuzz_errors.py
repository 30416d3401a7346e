"""Differential error fuzzer: every call of the op table in `fuzz_calls` runs in torch and in
ember, and the outcomes must agree: both succeed with equal results, or both raise the same
exception class with the same first line of torch's message (up to `ALLOWED`), and no
traceback of ember's ends inside NumPy. The last test prints and checks the figures."""

from __future__ import annotations

import re
import warnings
from collections import Counter

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ember
from fuzz_calls import (
    FLOAT32_INTERMEDIATES,
    OPS,
    TIE_INDICES,
    UNSPECIFIED,
    draw_call,
    equal_up_to_ties,
    first_line,
    numpy_last,
    run,
    same_class,
    value_difference,
)

# Examples per op: the suite tries len(OPS) * EXAMPLES calls, the same ones on every run.
EXAMPLES = 20

# Message differences that are allowed, each with its reason: (op pattern, torch's first
# line pattern, why). Everything else must match torch's first line exactly.
ALLOWED = [
]

STATS: Counter = Counter()
COVERED: set = set()


def _allowed(name: str, torch_line: str) -> bool:
    return any(re.fullmatch(op, name) and re.search(msg, torch_line)
               for op, msg, _ in ALLOWED)


def _outcome(call, lib, twin=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return run(call, lib, twin), None
        except Exception as e:  # noqa: BLE001
            return None, e


def compare(name: str, call) -> tuple:
    """(kind, text, torch's exception): kind is None when ember's outcome is torch's, else
    one of numpy_internal, silent_success, ember_raised, class, message, value."""
    t_out, te = _outcome(call, torch)
    twin = t_out[0] if te is None and name.startswith("nn.") else None
    e_out, ee = _outcome(call, ember, twin)
    if ee is not None and numpy_last(ee):
        return "numpy_internal", f"ember's traceback ends in NumPy: {type(ee).__name__}: " \
                                 f"{first_line(ee)}", te
    if te is None and ee is None:
        if name.startswith("nn."):
            t_out, e_out = t_out[1], e_out[1]
        tol = 1e-4 if name in FLOAT32_INTERMEDIATES else None
        diff = None if name in UNSPECIFIED else value_difference(e_out, t_out, tol)
        if diff and name in TIE_INDICES and equal_up_to_ties(call, e_out, t_out):
            diff = None
        return ("value", diff, te) if diff else (None, "both succeed", te)
    if ee is None:
        return "silent_success", f"ember succeeded, torch raised {type(te).__name__}: " \
                                 f"{first_line(te)}", te
    if te is None:
        return "ember_raised", f"torch succeeded, ember raised {type(ee).__name__}: " \
                               f"{first_line(ee)}", te
    if not same_class(ee, te):
        return "class", f"ember raised {type(ee).__name__}: {first_line(ee)}\ntorch raised " \
                        f"{type(te).__name__}: {first_line(te)}", te
    tl, el = first_line(te), first_line(ee)
    if tl == el:
        return None, "same first line", te
    if _allowed(name, tl):
        return None, "allowed difference", te
    return "message", f"{type(te).__name__}\nember: {el}\ntorch: {tl}", te


def check_call(name: str, call) -> None:
    kind, text, te = compare(name, call)
    STATS["calls"] += 1
    STATS["torch_raised"] += te is not None
    if kind is not None:
        STATS[kind] += 1
        raise AssertionError(f"{call!r}: {text}")
    STATS[text] += 1


@pytest.mark.parametrize("name", sorted(OPS))
@settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_call_matches_torch(name, data):
    COVERED.add(name)
    check_call(name, draw_call(data, name, OPS[name]))


def test_zz_figures(capsys):
    """The fuzzer's figures, after the whole table ran (skipped when only part of it did)."""
    if len(COVERED) < len(OPS):
        pytest.skip("only part of the op table ran")
    both = (STATS["same first line"] + STATS["allowed difference"] + STATS["message"]
            + STATS["class"])
    figures = {
        "functions covered": len(COVERED), "calls tried": STATS["calls"],
        "both succeed, equal results": STATS["both succeed"],
        "torch raised": STATS["torch_raised"], "both raised": both,
        "same class": both - STATS["class"], "same first line": STATS["same first line"],
        "allowed message differences": STATS["allowed difference"],
        "silent success": STATS["silent_success"], "NumPy-internal": STATS["numpy_internal"],
        "ember raised where torch did not": STATS["ember_raised"],
        "different values": STATS["value"],
    }
    with capsys.disabled():
        print("\nfuzzer figures: " + "; ".join(f"{k}: {v}" for k, v in figures.items()))
    assert len(COVERED) >= 200
    assert STATS["calls"] >= 5000
