"""Tensor.cauchy_, geometric_ and log_normal_: the same numbers as torch after the same
seed, in every dtype torch fills, and torch's errors."""

from __future__ import annotations

import pytest
import torch

import ember

DTYPES = ["float64", "float32", "float16", "int64", "uint8"]
CALLS = ["cauchy_()", "cauchy_(1.5, 0.3)", "geometric_(0.3)", "geometric_(0.001)",
         "log_normal_()", "log_normal_(0.0, 0.25)", "cauchy_(0, 0)", "cauchy_(0, -1.5)",
         "geometric_(1.5)", "geometric_(1)", "log_normal_(0, -1)"]


def _outcome(lib, dtype: str, call: str):
    lib.manual_seed(3)
    t = lib.empty(500, dtype=getattr(lib, dtype))
    try:
        return eval("t." + call, {"t": t}).tolist()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__, str(e)


@pytest.mark.parametrize("call", CALLS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_draws_match_torch(dtype, call):
    assert _outcome(ember, dtype, call) == _outcome(torch, dtype, call)


def test_draws_fill_a_transposed_tensor_in_memory_order_and_share_the_normal_cache():
    results = []
    for lib in (torch, ember):
        lib.manual_seed(4)
        a = lib.zeros(3, 4).t().cauchy_().tolist()
        lib.randn(3)  # leaves a spare normal in the generator's cache
        b = lib.empty(5, dtype=lib.float64).log_normal_().tolist()
        results.append((a, b))
    assert results[0] == results[1]


@pytest.mark.parametrize("call", ["L.empty(3, dtype=L.bool).geometric_(0.5)",
                                  "L.empty(0).cauchy_(0, -1)"])
def test_errors_match_torch(call):
    results = []
    for lib in (torch, ember):
        try:
            results.append(repr(eval(call, {"L": lib})))
        except Exception as e:  # noqa: BLE001
            results.append(f"{type(e).__name__}: {e}")
    assert results[0] == results[1]
