"""Bit-exact agreement with the oneDNN kernels torch hands work to: float32 gelu (the exact
form) and its gradient at a contiguous tensor of more than one element."""

from __future__ import annotations

import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
import torch

import ember
from ember.ops import _onednn

pytestmark = pytest.mark.skipif(_onednn.GELU_ISA is None,
                                reason="no oneDNN x86 kernel on this CPU: gelu bits unchecked")


def _sample(n: int, seed: int) -> np.ndarray:
    """n values: random bit patterns (every exponent, subnormals, NaNs), values where 1 + erf
    cancels, typical activations, and the special values first."""
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 2**32, n // 4, dtype=np.uint64).astype(np.uint32).view(np.float32)
    cancel = rng.uniform(-14, -1, n // 4)
    typical = rng.standard_normal(n) * 10 ** rng.uniform(-8, 2, n)
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 3e38, -3e38, 88.0, -88.0,
               89.0, -89.0, -13.2, -13.3, -2.0, 5.5426, 5.5427, 0.125, 0.1875, 1e-39]
    rest = [np.asarray(a, np.float32) for a in (special, cancel, typical)]
    return np.concatenate([rest[0], raw, rest[1], rest[2]])[:n]


def _same_bits(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), (np.flatnonzero(~same)[:5], got[~same][:5], want[~same][:5])


@pytest.mark.parametrize("n", [2, 3, 17, 20000])
def test_gelu_bits(n):
    x = _sample(n, n)
    want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
    _same_bits(ember.nn.functional.gelu(ember.from_numpy(x)).numpy(), want)


def test_gelu_every_tail():
    # AVX-512 does a partial vector with a mask, AVX2 with its own code: lengths 2 to 64
    # cover every remainder of both, at two alignments.
    for n in range(2, 65):
        for start in (0, 3):
            x = _sample(n + start, n)[start:]
            want = torch.nn.functional.gelu(torch.from_numpy(x)).numpy()
            _same_bits(ember.nn.functional.gelu(ember.from_numpy(x)).numpy(), want)


def test_gelu_with_grad_and_2d():
    # requires_grad and a 2-d shape change nothing: the forward still goes to oneDNN, and
    # so does the gradient, whether the incoming gradient is contiguous or not.
    x = _sample(600, 1).reshape(30, 20)
    g = np.random.default_rng(2).standard_normal((20, 30)).astype(np.float32)
    t = torch.from_numpy(x.copy()).requires_grad_()
    e = ember.from_numpy(x.copy()).requires_grad_()
    yt, ye = torch.nn.functional.gelu(t), ember.nn.functional.gelu(e)
    _same_bits(ye.detach().numpy(), yt.detach().numpy())
    yt.backward(torch.from_numpy(g).t())
    ye.backward(ember.from_numpy(g).t())
    _same_bits(e.grad.numpy(), t.grad.numpy())


def test_gelu_backward_bits():
    x = _sample(20000, 4)
    g = np.random.default_rng(3).standard_normal(x.size).astype(np.float32)
    t = torch.from_numpy(x.copy()).requires_grad_()
    e = ember.from_numpy(x.copy()).requires_grad_()
    torch.nn.functional.gelu(t).backward(torch.from_numpy(g))
    ember.nn.functional.gelu(e).backward(ember.from_numpy(g))
    _same_bits(e.grad.numpy(), t.grad.numpy())


def test_fma_rounds_once():
    # c close to -a*b, and sums one float64 step off a float32 tie: where a second rounding
    # would show. Exponents keep the results normal, as every sum the kernels round is.
    rng = np.random.default_rng(7)
    n = 600
    a = (rng.standard_normal(n) * 2.0 ** rng.integers(-30, 20, n)).astype(np.float32)
    b = (rng.standard_normal(n) * 2.0 ** rng.integers(-30, 20, n)).astype(np.float32)
    p = a.astype(np.float64) * b
    c = (-p * (1 + rng.choice([0, 2.0**-24, -(2.0**-25), 3 * 2.0**-25], n))).astype(np.float32)
    # a*b = h (1 - d*d) with h half an ulp of c and d = j 2**-20: the exact sum lies just
    # inside the tie between c and a neighbour, the float64 sum on it
    m = n // 2
    c[:m] = rng.standard_normal(m).astype(np.float32)
    h = np.spacing(np.abs(c[:m])).astype(np.float64) / 2 * rng.choice([1, -1], m)
    d = rng.integers(1, 8, m) * 2.0**-20
    scale = 2.0 ** rng.integers(-10, 10, m)
    a[:m], b[:m] = (1 + d) * scale, (1 - d) * h / scale
    for fb in (b, b.astype(np.float64)):
        got = _onednn._fma(a, fb, c, np.empty(n))
        for x, y, z, r in zip(a, b, c, got):
            exact = Fraction(float(x)) * Fraction(float(y)) + Fraction(float(z))
            near = np.float32(float(exact))
            cands = [near, np.nextafter(near, np.float32(-np.inf)),
                     np.nextafter(near, np.float32(np.inf))]
            best = min(cands, key=lambda v: (abs(Fraction(float(v)) - exact),
                                             int(np.array(v).view(np.uint32)) & 1))
            assert r == best, (x, y, z)


def test_max_cpu_isa_environment():
    # As oneDNN reads it: ONEDNN_ before DNNL_, an empty value unset, any case, a value it
    # does not know (or one too long for its buffer) no cap at all.
    features = {"SSE41": True, "AVX": True, "AVX2": True, "AVX512F": True, "AVX512BW": True,
                "AVX512VL": True, "AVX512DQ": True}
    cases = [({}, "avx512_core"), ({"ONEDNN_MAX_CPU_ISA": "AVX2"}, "avx2"),
             ({"DNNL_MAX_CPU_ISA": "avx2_vnni"}, "avx2"),
             ({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE", "DNNL_MAX_CPU_ISA": "AVX2"}, "avx512_core"),
             ({"ONEDNN_MAX_CPU_ISA": "", "DNNL_MAX_CPU_ISA": "SSE41"}, "sse41"),
             ({"ONEDNN_MAX_CPU_ISA": "A" * 40, "DNNL_MAX_CPU_ISA": "AVX2"}, "avx512_core"),
             ({"ONEDNN_MAX_CPU_ISA": "Avx"}, "avx"), ({"ONEDNN_MAX_CPU_ISA": "foo"}, "avx512_core"),
             ({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_AMX"}, "avx512_core")]
    for environ, want in cases:
        assert _onednn._isa(features, environ) == want, environ
    no512 = {"SSE41": True, "AVX": True, "AVX2": True}
    assert _onednn._isa(no512, {}) == "avx2"
    assert _onednn._isa(no512, {"ONEDNN_MAX_CPU_ISA": "SSE41"}) == "sse41"
    assert _onednn._isa({}, {}) is None


_CAPPED = """
import numpy as np, torch, ember
from ember.ops import _onednn
assert _onednn.GELU_ISA == "avx2", _onednn.GELU_ISA
rng = np.random.default_rng(9)
x = np.concatenate([rng.integers(0, 2**32, 3000, dtype=np.uint64).astype(np.uint32)
                    .view(np.float32), rng.uniform(-14, 6, 3000).astype(np.float32)])
g = rng.standard_normal(x.size).astype(np.float32)
t = torch.from_numpy(x.copy()).requires_grad_()
e = ember.from_numpy(x.copy()).requires_grad_()
yt, ye = torch.nn.functional.gelu(t), ember.nn.functional.gelu(e)
yt.backward(torch.from_numpy(g))
ye.backward(ember.from_numpy(g))
for a, b in ((ye.detach().numpy(), yt.detach().numpy()), (e.grad.numpy(), t.grad.numpy())):
    same = (a.view(np.uint32) == b.view(np.uint32)) | (np.isnan(a) & np.isnan(b))
    assert same.all(), int((~same).sum())
"""


@pytest.mark.skipif(_onednn.GELU_ISA != "avx512_core",
                    reason="the AVX2 kernel runs here already: no capped AVX-512 run to check")
def test_gelu_bits_capped_to_avx2():
    # torch and ember both read ONEDNN_MAX_CPU_ISA at start: a fresh process checks the AVX2
    # kernel on an AVX-512 machine.
    env = dict(os.environ, ONEDNN_MAX_CPU_ISA="AVX2")
    env.pop("DNNL_MAX_CPU_ISA", None)
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(ember.__file__))
    subprocess.run([sys.executable, "-W", "error", "-c", _CAPPED], env=env, check=True)
