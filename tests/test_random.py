"""ember._random against torch's CPU generator: every comparison is bit for bit."""

from __future__ import annotations

import math
import sys
import warnings
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ember import _random as R
from ember._random_math import box_muller_f32, fma_f32, fma_f64

SIZES = [0, 1, 2, 7, 15, 16, 17, 31, 100, 1000, 12345]
SEEDS = [0, 1, 42, 2**31, -7]
FLOATS = [
    (np.float32, torch.float32), (np.float64, torch.float64), (np.float16, torch.float16)]
INTS = [
    (np.int64, torch.int64), (np.int32, torch.int32), (np.int16, torch.int16),
    (np.int8, torch.int8), (np.uint8, torch.uint8), (np.bool_, torch.bool)]
TORCH_DTYPE = dict(FLOATS + INTS)
FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


def same(ours: np.ndarray, theirs) -> None:
    """Exact equality: dtype, shape and every bit (so -0.0 differs from 0.0)."""
    theirs = theirs.numpy() if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.dtype == theirs.dtype
    assert ours.shape == theirs.shape
    if ours.dtype.kind == "f":
        bits = np.dtype(f"u{ours.dtype.itemsize}")
        np.testing.assert_array_equal(ours.view(bits), theirs.view(bits))
    else:
        np.testing.assert_array_equal(ours, theirs)


def seed_both(seed: int) -> None:
    torch.manual_seed(seed)
    R.manual_seed(seed)


def same_state() -> None:
    same(R.default_generator._get_state_bytes(), torch.get_rng_state())


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns about float ranges past 2**24
        yield


# ---------------------------------------------------------------------------------------
# seeds and state
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [0, 1, 42, 2**31, 2**32 + 5, 2**40, 2**63, 2**64 - 1,
                                  -1, -(2**63), 123456789])
def test_seed_state_matches_torch(seed):
    seed_both(seed)
    assert R.initial_seed() == torch.initial_seed()
    same_state()
    same(R.rand((5,)), torch.rand(5))
    same_state()


def test_seed_errors_and_types():
    g = R.Generator()
    for bad in (2**64, -(2**63) - 1):
        with pytest.raises(ValueError):
            g.manual_seed(bad)
        with pytest.raises(ValueError):
            R.manual_seed(bad)
    for bad in (1.5, "3", True):
        with pytest.raises(RuntimeError):
            g.manual_seed(bad)
    assert R.manual_seed(np.int64(9)) is R.default_generator
    assert R.initial_seed() == 9
    assert g.manual_seed(3) is g
    s = g.seed()
    assert 0 <= s < 2**64 and g.initial_seed() == s
    s = R.seed()
    assert R.initial_seed() == s


def test_fresh_generator_matches_torch():
    g = R.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert g.device == "cpu"
    same(g._get_state_bytes(), torch.Generator().get_state())


def test_state_layout_after_draws():
    for seed in (0, 5):
        seed_both(seed)
        same_state()
        for draw in (lambda m: m.randn(3), lambda m: m.rand(624), lambda m: m.randn(1),
                     lambda m: m.rand(700), lambda m: m.randn(3, dtype=m.float64)):
            draw(torch)
            draw(_Mod)
            same_state()


class _Mod:
    """A torch-like facade over the array functions, for writing sequences once."""

    float64 = np.float64

    @staticmethod
    def rand(n, dtype=np.float32):
        return R.rand((n,), dtype)

    @staticmethod
    def randn(n, dtype=np.float32):
        return R.randn((n,), dtype)


def test_set_state_from_torch_bytes():
    torch.manual_seed(11)
    torch.randn(3)  # leaves a cached normal in the state
    torch.rand(100)
    state = torch.get_rng_state()
    R.set_rng_state(state.numpy())
    same_state()
    same(R.randn((5,)), torch.randn(5))
    same(R.randn((40,)), torch.randn(40))
    same_state()
    # objects with .numpy() are accepted too
    R.set_rng_state(state)
    torch.set_rng_state(state)
    same(R.rand((3,)), torch.rand(3))


def test_set_state_just_seeded_and_exhausted():
    for draws in (0, 624, 1248):
        torch.manual_seed(3)
        torch.rand(draws)
        state = torch.get_rng_state()
        R.default_generator._set_state_bytes(state.numpy())
        same_state()
        same(R.rand((10,)), torch.rand(10))
        same_state()


def test_state_float_cache_round_trip():
    torch.manual_seed(2)
    raw = torch.get_rng_state().numpy().copy()
    raw[5048:5052] = np.frombuffer(np.float32(1.25).tobytes(), np.uint8)
    raw[5052] = 1
    torch.set_rng_state(torch.from_numpy(raw))
    R.default_generator._set_state_bytes(raw)
    same_state()
    assert R.default_generator._next_float_normal == np.float32(1.25)


def test_set_state_rejects_bad_input():
    g = R.Generator()
    with pytest.raises(RuntimeError):
        g.set_state(np.zeros(100, np.uint8))
    with pytest.raises(TypeError):
        g.set_state(np.zeros(5056, np.int32))
    with pytest.raises(RuntimeError):
        g.set_state(np.zeros(5056, np.uint8))  # not seeded, left == 0


def test_get_state_is_wrapped_and_round_trips():
    g = R.Generator().manual_seed(4)
    state = g.get_state()
    arr = state.numpy() if hasattr(state, "numpy") else state
    assert arr.dtype == np.uint8 and arr.size == 5056
    first = R.randn((20,), generator=g)
    assert g.set_state(state) is g
    same(R.randn((20,), generator=g), first)


def test_fork_rng_restores_state():
    R.manual_seed(8)
    before = R.default_generator._get_state_bytes()
    with R.fork_rng():
        R.randn((50,))
    same(R.default_generator._get_state_bytes(), before)


# ---------------------------------------------------------------------------------------
# floating point distributions
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ndt,tdt", FLOATS)
def test_rand_randn(n, ndt, tdt):
    for seed in (0, 2**31):
        seed_both(seed)
        same(R.rand((n,), ndt), torch.rand(n, dtype=tdt))
        same(R.randn((n,), ndt), torch.randn(n, dtype=tdt))
        same(R.randn((n,), ndt), torch.randn(n, dtype=tdt))  # a cached normal, maybe
        same_state()


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("ndt,tdt", FLOATS)
def test_normal_uniform_exponential(n, ndt, tdt):
    seed_both(42)
    same(R.normal_(np.empty(n, ndt), 0.5, 2.5), torch.empty(n, dtype=tdt).normal_(0.5, 2.5))
    same(R.uniform_(np.empty(n, ndt), -1.7, 3.1), torch.empty(n, dtype=tdt).uniform_(-1.7, 3.1))
    same(R.exponential_(np.empty(n, ndt), 0.7), torch.empty(n, dtype=tdt).exponential_(0.7))
    same_state()


@pytest.mark.parametrize("seed", SEEDS)
def test_shapes_and_generators(seed):
    g = torch.Generator().manual_seed(seed)
    h = R.Generator().manual_seed(seed)
    same(R.randn((3, 4, 5), generator=h), torch.randn(3, 4, 5, generator=g))
    same(R.rand((2, 0, 3), generator=h), torch.rand(2, 0, 3, generator=g))
    same(R.randn((4, 4), np.float64, generator=h), torch.randn(4, 4, dtype=torch.float64,
                                                               generator=g))
    same(h._get_state_bytes(), g.get_state())


def test_generator_does_not_touch_default():
    seed_both(1)
    h = R.Generator().manual_seed(5)
    R.randn((100,), generator=h)
    same(R.rand((4,)), torch.rand(4))


@given(a=st.floats(-1e6, 1e6), width=st.floats(0, 1e6), n=st.integers(0, 300),
       seed=st.integers(-(2**63), 2**64 - 1))
@FAST
def test_uniform_any_range(a, width, n, seed):
    b = a + width
    for ndt, tdt in FLOATS[:2]:
        seed_both(seed)
        same(R.uniform_(np.empty(n, ndt), a, b), torch.empty(n, dtype=tdt).uniform_(a, b))


@given(mean=st.floats(-100, 100), std=st.floats(0, 100), n=st.integers(0, 200),
       seed=st.integers(0, 2**32))
@FAST
def test_normal_any_parameters(mean, std, n, seed):
    for ndt, tdt in FLOATS[:2]:
        seed_both(seed)
        same(R.normal_(np.empty(n, ndt), mean, std), torch.empty(n, dtype=tdt).normal_(mean, std))


def test_non_contiguous_fill_in_memory_order():
    for shape in [(20, 30), (5, 3), (4, 8)]:
        for ndt, tdt in FLOATS[:2]:
            seed_both(2)
            t = torch.empty(*shape, dtype=tdt).t()
            t.normal_(1.0, 3.0)
            a = np.empty(shape, ndt).T
            same(R.normal_(a, 1.0, 3.0), t)
            t = torch.empty(*shape, dtype=tdt).t()
            t.uniform_(-2, 2)
            a = np.empty(shape, ndt).T
            same(R.uniform_(a, -2, 2), t)


def test_float32_box_muller_extremes():
    # every uniform torch can produce is k * 2**-24; check the ends of that range and
    # a dense sample in between, by feeding the crafted uniforms through torch
    ks = np.concatenate([np.arange(0, 4000), np.arange(2**24 - 4000, 2**24),
                         np.random.default_rng(0).integers(0, 2**24, 8000)]).astype(np.uint64)
    ks = ks[: ks.size // 16 * 16]
    u = (ks.astype(np.float32) * np.float32(2.0**-24)).reshape(-1, 16)
    for start in range(0, u.shape[0], 38):
        chunk = u[start:start + 38]
        _feed_torch(chunk.reshape(-1))
        same(box_muller_f32(chunk.reshape(-1)), torch.randn(chunk.size))


def _untemper(y: np.ndarray) -> np.ndarray:
    y = y.astype(np.uint64)
    y ^= y >> np.uint64(18)
    y ^= (y << np.uint64(15)) & np.uint64(0xEFC60000)
    r = y.copy()
    for _ in range(5):
        r = y ^ ((r << np.uint64(7)) & np.uint64(0x9D2C5680))
    y = r & np.uint64(0xFFFFFFFF)
    r = y.copy()
    for _ in range(3):
        r = y ^ (r >> np.uint64(11))
    return r & np.uint64(0xFFFFFFFF)


def _feed_torch(u: np.ndarray) -> None:
    """Set torch's generator so that its next float32 uniforms are exactly ``u``."""
    assert u.size <= 623
    words = np.zeros(624, np.uint64)
    words[1:1 + u.size] = _untemper((u.astype(np.float64) * 2**24).astype(np.uint64))
    state = bytearray(5056)
    state[0:24] = (np.array([0], "<u8").tobytes() + np.array([624, 1], "<i4").tobytes()
                   + np.array([1], "<u8").tobytes())
    state[24:5016] = words.astype("<u8").tobytes()
    torch.set_rng_state(torch.frombuffer(state, dtype=torch.uint8).clone())


# ---------------------------------------------------------------------------------------
# integers
# ---------------------------------------------------------------------------------------

RANGES = [(0, 10), (-5, 7), (0, 2), (-100, 100), (0, 2**28 - 1), (0, 2**28), (0, 2**32),
          (-(2**40), 2**40), (3, 2**62), (-(2**63), 2**63 - 1)]


@pytest.mark.parametrize("low,high", RANGES)
def test_randint(low, high):
    for ndt, tdt in FLOATS + INTS:
        seed_both(7)
        try:
            expected = torch.randint(low, high, (33,), dtype=tdt)
        except RuntimeError:
            with pytest.raises(RuntimeError):
                R.randint(low, high, (33,), ndt)
            continue
        same(R.randint(low, high, (33,), ndt), expected)
        same_state()


@given(low=st.integers(-(2**40), 2**40), span=st.integers(1, 2**41), n=st.integers(0, 50),
       seed=st.integers(0, 2**64 - 1))
@FAST
def test_randint_any_range(low, span, n, seed):
    seed_both(seed)
    same(R.randint(low, low + span, (n,)), torch.randint(low, low + span, (n,)))
    same_state()


@pytest.mark.parametrize("ndt,tdt", FLOATS + INTS)
def test_random_(ndt, tdt):
    seed_both(9)
    same(R.random_(np.empty(20, ndt)), torch.empty(20, dtype=tdt).random_())
    for args in [(5,), (3, None), (-3, None), (2, 9)]:
        try:
            expected = torch.empty(20, dtype=tdt).random_(*args)
        except RuntimeError:
            continue
        low, high = (None, args[0]) if len(args) == 1 else args
        same(R.random_(np.empty(20, ndt), low, high), expected)
    if ndt in (np.int64, np.float32, np.float64):
        same(R.random_(np.empty(9, ndt), -(2**63), None),
             torch.empty(9, dtype=tdt).random_(-(2**63), None))
    same_state()


@pytest.mark.parametrize("n", list(range(0, 101)) + [1000, 10000])
def test_randperm(n):
    seed_both(n)
    same(R.randperm(n), torch.randperm(n))
    same_state()


def test_randperm_dtypes_and_generator():
    seed_both(3)
    same(R.randperm(50, np.int32), torch.randperm(50, dtype=torch.int32))
    same(R.randperm(50, np.float32), torch.randperm(50, dtype=torch.float32))
    g = torch.Generator().manual_seed(1)
    h = R.Generator().manual_seed(1)
    same(R.randperm(300, generator=h), torch.randperm(300, generator=g))


@given(targets=st.lists(st.integers(0, 10**6), max_size=60))
@settings(max_examples=200, deadline=None)
def test_bulk_fisher_yates_equals_the_loop(targets):
    n = len(targets) + 1
    t = np.array([i + v % (n - i) for i, v in enumerate(targets)], dtype=np.int64)
    expected = list(range(n))
    for i, j in enumerate(t.tolist()):
        expected[i], expected[j] = expected[j], expected[i]
    np.testing.assert_array_equal(R._swap_front(t), expected)


# ---------------------------------------------------------------------------------------
# bernoulli, dropout, multinomial
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("p", [0.0, 0.1, 0.5, 0.77, 1.0])
def test_bernoulli_scalar(p):
    for ndt in (np.float32, np.float64, np.int64, np.bool_, np.uint8):
        seed_both(4)
        same(R.bernoulli_scalar((5, 7), p, ndt),
             torch.empty(5, 7, dtype=TORCH_DTYPE[ndt]).bernoulli_(p))


@pytest.mark.parametrize("tdt", [torch.float32, torch.float64, torch.float16])
def test_bernoulli_tensor(tdt):
    torch.manual_seed(0)
    p = torch.rand(6, 9).to(tdt)
    seed_both(5)
    same(R.bernoulli_tensor(p.numpy()), torch.bernoulli(p))
    same(R.bernoulli_(np.empty((6, 9), np.float64), p.numpy()),
         torch.empty(6, 9, dtype=torch.float64).bernoulli_(p))
    same(R.bernoulli_(np.empty((4, 6, 9), np.float32), p.numpy()),
         torch.empty(4, 6, 9).bernoulli_(p))
    same_state()


@pytest.mark.parametrize("p", [0.1, 0.25, 0.3, 0.5, 0.9])
@pytest.mark.parametrize("tdt", [torch.float32, torch.float64])
def test_dropout(p, tdt):
    torch.manual_seed(0)
    x = torch.randn(8, 50, dtype=tdt)
    seed_both(6)
    y = torch.nn.functional.dropout(x, p, training=True)
    xn = x.numpy()
    same(xn * R.dropout_noise(xn.shape, p, xn.dtype), y)


def test_dropout_edges_draw_nothing():
    x = torch.randn(5, 6)
    seed_both(3)
    for p in (0.0, 1.0):
        y = torch.nn.functional.dropout(x, p, training=True)
        same(x.numpy() * R.dropout_noise((5, 6), p), y)
        same_state()
    y = torch.nn.functional.dropout2d(x.reshape(1, 5, 6, 1), 0.4, training=True)
    noise = R.dropout_noise((1, 5, 1, 1), 0.4)
    same(x.numpy().reshape(1, 5, 6, 1) * noise, y)


@pytest.mark.parametrize("tdt", [torch.float32, torch.float64])
@pytest.mark.parametrize("shape", [(10,), (4, 10)])
def test_multinomial(tdt, shape):
    torch.manual_seed(0)
    probs = torch.rand(*shape, dtype=tdt)
    probs[..., 3] = 0
    for num, replacement in [(1, False), (1, True), (3, False), (8, True), (5, False),
                             (100, True)]:
        seed_both(11)
        same(R.multinomial(probs.numpy(), num, replacement),
             torch.multinomial(probs, num, replacement))
        same_state()


def test_multinomial_errors():
    with pytest.raises(RuntimeError):
        R.multinomial(np.ones(3, np.float32), 4, False)
    with pytest.raises(RuntimeError):
        R.multinomial(np.zeros(3, np.float32), 1, False)
    with pytest.raises(RuntimeError):
        R.multinomial(np.array([1.0, -1.0]), 1, True)


# ---------------------------------------------------------------------------------------
# interleaving
# ---------------------------------------------------------------------------------------

def _ops(m, np_like: bool):
    """One step of every kind, written once for torch and once for ember."""
    f64 = np.float64 if np_like else torch.float64
    if np_like:
        return [
            lambda n: R.rand((n,)), lambda n: R.randn((n,)), lambda n: R.randn((n,), f64),
            lambda n: R.rand((n,), f64), lambda n: R.randint(0, 10, (n,)),
            lambda n: R.randperm(n), lambda n: R.bernoulli_scalar((n,), 0.3),
            lambda n: R.exponential_(np.empty(n, np.float32)),
            lambda n: R.normal_(np.empty(n), 2.0, 0.5),
        ]
    return [
        lambda n: torch.rand(n), lambda n: torch.randn(n), lambda n: torch.randn(n, dtype=f64),
        lambda n: torch.rand(n, dtype=f64), lambda n: torch.randint(0, 10, (n,)),
        lambda n: torch.randperm(n), lambda n: torch.empty(n).bernoulli_(0.3),
        lambda n: torch.empty(n).exponential_(),
        lambda n: torch.empty(n, dtype=torch.float64).normal_(2.0, 0.5),
    ]


def test_documented_sequence():
    seed_both(0)
    same(R.rand((3,)), torch.rand(3))
    same(R.randn((5,)), torch.randn(5))
    same(R.randint(0, 10, (4,)), torch.randint(0, 10, (4,)))
    same(R.randn((100,)), torch.randn(100))
    same_state()


@given(seed=st.integers(-(2**63), 2**64 - 1),
       steps=st.lists(st.tuples(st.integers(0, 8), st.sampled_from([0, 1, 2, 3, 15, 16, 17,
                                                                    33, 700])),
                      min_size=1, max_size=8))
@FAST
def test_random_interleavings(seed, steps):
    seed_both(seed)
    ours, theirs = _ops(R, True), _ops(torch, False)
    for k, n in steps:
        same(ours[k](n), theirs[k](n))
    same_state()


# ---------------------------------------------------------------------------------------
# arithmetic helpers
# ---------------------------------------------------------------------------------------

finite32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(a=finite32, b=finite32, c=finite32)
@settings(max_examples=300, deadline=None)
def test_fma_f32_is_exact(a, b, c):
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    got = fma_f32(np.float32(a), np.float32(b), np.float32(c))
    if abs(exact) < Fraction(3.4e38):
        assert got.dtype == np.float32
        assert _nearest32(exact) == float(got)


def _nearest32(x: Fraction) -> float:
    lo = np.float32(float(x))
    cands = {np.nextafter(lo, np.float32(-np.inf)), lo, np.nextafter(lo, np.float32(np.inf))}
    best = min(cands, key=lambda v: (abs(Fraction(float(v)) - x),
                                     int(np.array(v).view(np.uint32)) & 1))
    return float(best)


def test_fma_f32_double_rounding_case():
    a = np.float32(2.0**-24 * (1 + 2.0**-23))
    b = np.float32(1 - 2.0**-23)
    c = np.float32(1 + 2.0**-23)
    assert fma_f32(a, b, c) == c   # naive float64 evaluation gives 1 + 2**-22


finite64 = st.floats(-1e300, 1e300, allow_nan=False)


@given(a=finite64, b=finite64, c=finite64, k=st.integers(-4, 4))
@settings(max_examples=300, deadline=None)
def test_fma_f64_is_exact(a, b, c, k):
    # also build near ties: c cancels most of a * b, leaving a few half-ulps
    p = a * b
    if math.isfinite(p) and k and p != 0:
        c = -p + k * math.ulp(p) / 2
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    try:
        want = float(exact)
    except OverflowError:
        return
    got = fma_f64(a, b, c)
    assert float(got) == want


# ---------------------------------------------------------------------------------------
# speed
# ---------------------------------------------------------------------------------------

def test_float32_draws_are_vectorized():
    # The work per element is NumPy's: the generator runs in blocks of its state, so 10**6
    # draws make a few thousand Python calls, where a per-element loop would make millions.
    # Counted, not timed.
    def python_calls(fn, n: int) -> int:
        calls = [0]

        def count(frame, event, arg):
            if event == "call":
                calls[0] += 1

        sys.setprofile(count)
        try:
            fn((n,))
        finally:
            sys.setprofile(None)
        return calls[0]

    for fn in (R.rand, R.randn):
        assert python_calls(fn, 10**6) < 10**6 // 100
