"""Bit-exact agreement with the oneDNN kernels torch hands work to: float32 gelu (the exact
form) of a contiguous tensor of more than one element."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember.ops import _onednn

pytestmark = pytest.mark.skipif(_onednn.GELU_ISA != "avx2",
                                reason="oneDNN's AVX2 gelu is the one replayed")


def _sample(n: int, seed: int) -> np.ndarray:
    """Random bit patterns (every exponent, subnormals, NaNs), values where 1 + erf cancels,
    typical activations, and the special values."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2**32, n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32)
    cancel = rng.uniform(-14, -1, n // 4)
    typical = rng.standard_normal(n // 2) * 10 ** rng.uniform(-8, 2, n // 2)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3e38, -3e38, 88.0, -88.0,
               89.0, -89.0, -13.2, -13.3, -2.0]
    rest = [np.asarray(a, np.float32) for a in (special, cancel, typical)]
    return np.concatenate([rest[0], raw, rest[1], rest[2]])


@pytest.mark.parametrize("n", [2, 3, 17, 20000])
def test_gelu_bits(n):
    x = _sample(20000, n)[:n]
    want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    got = ember.nn.functional.gelu(ember.from_numpy(x)).numpy()
    assert got.dtype == want.dtype
    same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), (x[~same][:5], got[~same][:5], want[~same][:5])


def test_gelu_with_grad_and_2d():
    # requires_grad and a 2-d shape change nothing: the forward still goes to oneDNN.
    x = _sample(600, 1)[:600].reshape(30, 20)
    t = torch.from_numpy(x.copy()).requires_grad_()
    e = ember.from_numpy(x.copy()).requires_grad_()
    want = torch.nn.functional.gelu(t).detach().numpy()
    got = ember.nn.functional.gelu(e).detach().numpy()
    np.testing.assert_array_equal(got.view(np.uint32)[~np.isnan(want)],
                                  want.view(np.uint32)[~np.isnan(want)])
