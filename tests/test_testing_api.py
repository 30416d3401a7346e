"""torch.testing against torch: assert_close passes and fails where torch's does, with
torch's exception types and messages; make_tensor draws torch's values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from helpers import assert_same, same_error

nan, inf = float("nan"), float("inf")

# Each case is a function of the library giving (actual, expected, keyword arguments).
CASES = [
    lambda L: (L.tensor([1.0, 2, 3, 4]), L.tensor([1.0, 2, 3, 4]) + 1e-7, {}),
    lambda L: (L.tensor([1.0, 2, 3, 4]), L.tensor([1.0, 2, 3.1, 4]), {}),
    lambda L: (L.tensor([1.0, 2, 3, 4]), L.tensor([1.0, 2, 3, 4]) * 1.1, {}),
    lambda L: (L.tensor([1.0, 2]), L.tensor([1.0, 2], dtype=L.float64), {}),
    lambda L: (L.tensor([1.0, 2]), L.tensor([1.0, 2], dtype=L.float64), {"check_dtype": False}),
    lambda L: (L.tensor([1.0, 2]), L.tensor([1.0, 2.5], dtype=L.float64),
               {"check_dtype": False}),
    lambda L: (L.zeros(4), L.zeros(3), {}),
    lambda L: (L.tensor([1, 2]), L.tensor([1, 3]), {}),
    lambda L: (L.tensor([[1.0, nan]]), L.tensor([[1.0, nan]]), {}),
    lambda L: (L.tensor([[1.0, nan]]), L.tensor([[1.0, nan]]), {"equal_nan": True}),
    lambda L: (1.0, 1.1, {}),
    lambda L: (1, 2, {}),
    lambda L: (1.0, 1.0 + 1e-9, {}),
    lambda L: (nan, nan, {"equal_nan": True}),
    lambda L: (True, False, {}),
    lambda L: (None, 1, {}),
    lambda L: (None, None, {}),
    lambda L: (L.tensor([1.0]), [1.0], {}),
    lambda L: ([L.ones(2), L.ones(2)], [L.ones(2), L.ones(2) + 1], {}),
    lambda L: ([L.ones(2)], [L.ones(2), L.ones(2)], {}),
    lambda L: ({"x": L.ones(2), "y": 1}, {"x": L.ones(2) + 1, "y": 1}, {}),
    lambda L: ({"x": L.ones(2)}, {"z": L.ones(2)}, {}),
    lambda L: (L.ones(2), L.ones(2) + 1, {"msg": "custom"}),
    lambda L: (L.ones(2), L.ones(2) + 1, {"msg": lambda m: "prefix: " + m}),
    lambda L: (L.ones(3), L.ones(3) + 0.5, {"rtol": 0, "atol": 0.6}),
    lambda L: (L.ones(3), L.ones(3), {"rtol": 0}),
    lambda L: (L.ones(3), L.ones(3) + 0.5, {"rtol": 0, "atol": 0}),
    lambda L: (L.tensor(True), L.tensor(False), {}),
    lambda L: (L.zeros(2, 3), L.ones(2, 3), {}),
    lambda L: (L.tensor([1.0, 2.0]), L.tensor([1.0, inf]), {}),
    lambda L: (L.tensor(1.0), L.tensor(2.0), {}),
    lambda L: (L.zeros(0), L.zeros(0), {}),
    lambda L: (L.tensor([1.0, 2.0], dtype=L.float16), L.tensor([1.0, 2.001],
                                                                 dtype=L.float16), {}),
    lambda L: (L.tensor([3, 4], dtype=L.uint8), L.tensor([4, 3], dtype=L.uint8), {}),
    lambda L: (np.array([1.0, 2.0]), np.array([1.0, 3.0]), {}),
    lambda L: ("a", "b", {}),
    lambda L: (L.ones(2, requires_grad=True), L.ones(2) * 2, {}),
    lambda L: (L.arange(6.0).reshape(2, 3), L.arange(6.0).reshape(2, 3) ** 1.5, {}),
]


@pytest.mark.parametrize("i", range(len(CASES)))
def test_assert_close_matches_torch(i):
    ea, ee, ekw = CASES[i](ember)
    ta, te, tkw = CASES[i](torch)
    try:
        torch.testing.assert_close(ta, te, **tkw)
    except Exception:  # noqa: BLE001
        same_error(lambda: ember.testing.assert_close(ea, ee, **ekw),
                   lambda: torch.testing.assert_close(ta, te, **tkw))
        return
    ember.testing.assert_close(ea, ee, **ekw)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int64", "int16",
                                   "uint8", "bool"])
def test_make_tensor_matches_torch(dtype):
    for kw in [{}, {"low": -2, "high": 3}, {"exclude_zero": True}, {"noncontiguous": True}]:
        outs = []
        for lib in (ember, torch):
            lib.manual_seed(3)
            outs.append(lib.testing.make_tensor(2, 3, dtype=getattr(lib, dtype), device="cpu",
                                                **kw))
        assert_same(outs[0], outs[1])
    e = ember.testing.make_tensor((2,), dtype=ember.float32, device="cpu", requires_grad=True)
    assert e.requires_grad and e.is_leaf


def test_make_tensor_errors():
    for kw in [dict(dtype="int64", requires_grad=True), dict(dtype="float32", low=2, high=1),
               dict(dtype="float32", low=nan), dict(dtype="uint8", low=300, high=400)]:
        kw = dict(kw)
        name = kw.pop("dtype")
        same_error(lambda kw=kw, name=name: ember.testing.make_tensor(
            2, dtype=getattr(ember, name), device="cpu", **kw),
                   lambda kw=kw, name=name: torch.testing.make_tensor(
            2, dtype=getattr(torch, name), device="cpu", **kw))
