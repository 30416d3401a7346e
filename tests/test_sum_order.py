"""Full sums and means add in torch's CPU order, so they match torch's to the last bit:
every size, float32/float64/float16, one and two intra-op threads, dense and strided
layouts, special values."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import ember
from ember.ops._cascade import cascade_sum

DTYPES = [np.float32, np.float64, np.float16]
SIZES = list(range(0, 700)) + [2**k + d for k in range(10, 18) for d in (-1, 0, 1)] + [
    40000, 65537 * 3]


@pytest.fixture
def threads():
    """Runs a test body under a given torch and ember intra-op thread count."""
    saved_torch, saved_ember = torch.get_num_threads(), ember.get_num_threads()

    def use(n):
        torch.set_num_threads(n)
        ember.set_num_threads(n)

    yield use
    torch.set_num_threads(saved_torch)
    ember.set_num_threads(saved_ember)


def _bits(a) -> int:
    a = np.asarray(a)
    return int(a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize]))


def _same(got, want) -> bool:
    got, want = np.asarray(got), np.asarray(want)
    if got.dtype != want.dtype:
        return False
    return bool(np.isnan(got) and np.isnan(want)) or _bits(got) == _bits(want)


def _data(rng, n, dtype, kind):
    if kind == 0:  # mixed signs over six orders of magnitude
        x = rng.standard_normal(n) * np.exp(rng.uniform(-7, 7, n))
    elif kind == 1:  # all positive, where every rounding pushes one way
        x = rng.uniform(0, 1, n)
    else:  # large magnitudes that cancel
        top = 4 if dtype == np.float16 else 30
        x = rng.choice([-1.0, 1.0], n) * 10.0 ** rng.uniform(-3, top, n)
    return x.astype(dtype)


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_size(dtype, nthreads, threads):
    threads(nthreads)
    rng = np.random.default_rng(nthreads)
    bad = []
    for n in SIZES:
        x = _data(rng, n, dtype, n % 3)
        want = torch.from_numpy(x).sum().numpy()
        if not _same(cascade_sum(x, nthreads), want):
            bad.append(n)
    assert not bad, bad


def _views(base: np.ndarray) -> dict:
    nd = base.ndim
    views = {
        "reversed dims": lambda a: a.transpose(tuple(range(nd - 1, -1, -1))) if isinstance(
            a, np.ndarray) else a.permute(*range(nd - 1, -1, -1)),
        "inner slice": lambda a: a[..., 1:],
        "inner step": lambda a: a[..., ::2],
        "outer slice": lambda a: a[1:],
        "both slices": lambda a: a[1:, 1:],
        "swapped": lambda a: a.swapaxes(0, 1),
    }
    if nd == 3:
        views["middle slice"] = lambda a: a[:, 1:, :]
        views["permuted slice"] = lambda a: a.transpose(1, 2, 0)[:, 1:] if isinstance(
            a, np.ndarray) else a.permute(1, 2, 0)[:, 1:]
    return views


@pytest.mark.parametrize("nthreads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(3, 5), (7, 9), (33, 17), (300, 130), (5, 40000),
                                   (40000, 3), (9, 8, 7), (130, 7, 50), (2, 3, 7000)])
def test_layouts(shape, dtype, nthreads, threads):
    # torch walks a dense tensor in memory order and a strided one row piece by row piece
    # (float16 through a float32 copy); ember's strides are torch's.
    threads(nthreads)
    rng = np.random.default_rng(len(shape) * 100 + shape[-1])
    base = _data(rng, int(np.prod(shape)), dtype, 0).reshape(shape)
    for name, view in _views(base).items():
        e = view(ember.from_numpy(base.copy()))
        t = view(torch.from_numpy(base.copy()))
        assert e.stride() == t.stride(), name
        assert _same(e.sum().numpy(), t.sum().numpy()), name
        assert _same(e.mean().numpy(), t.mean().numpy()), name


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64, ember.float16])
def test_sum_and_mean_entry_points(dtype):
    tdtype = getattr(torch, str(dtype).split(".")[1])
    for n in (7, 8, 1000, 2000, 40000):
        torch.manual_seed(n)
        t = torch.rand(n, dtype=torch.float64).to(tdtype)
        e = ember.from_numpy(t.numpy().copy())
        assert _same(e.sum().numpy(), t.sum().numpy()), n
        assert _same(ember.sum(e).numpy(), torch.sum(t).numpy()), n
        assert _same(e.mean().numpy(), t.mean().numpy()), n
        assert _same(ember.mean(e).numpy(), torch.mean(t).numpy()), n


def test_torch_rand_example():
    torch.manual_seed(0)
    t = torch.rand(8)
    assert ember.from_numpy(t.numpy().copy()).sum().item() == t.sum().item() == \
        3.813026189804077


@pytest.mark.parametrize("dtype", DTYPES)
def test_special_values(dtype):
    inf, nan = np.inf, np.nan
    big = float(np.finfo(dtype).max)
    cases = [[], [-0.0], [-0.0] * 40, [0.0, -0.0], [1.0, -1.0], [inf], [-inf] * 9,
             [inf, -inf], [nan, 1.0], [1.0] * 20 + [nan], [big, big], [-big] * 33,
             [big, -big, big] * 7]
    for c in cases:
        x = np.array(c, dtype)
        e, t = ember.from_numpy(x.copy()), torch.from_numpy(x.copy())
        assert _same(e.sum().numpy(), t.sum().numpy()), c
        assert _same(e.mean().numpy(), t.mean().numpy()), c


def test_sum_gradient_unchanged():
    e = ember.from_numpy(np.arange(12.0, dtype=np.float32).reshape(3, 4)[:, 1:].copy())
    e.requires_grad_(True)
    e.mean().backward()
    t = torch.arange(12.0).reshape(3, 4)[:, 1:].clone().requires_grad_(True)
    t.mean().backward()
    np.testing.assert_array_equal(e.grad.numpy(), t.grad.numpy())
