"""torch's CPU random number generator, reproduced bit for bit on NumPy arrays.

torch's CPU generator is a 32-bit Mersenne Twister (mt19937, seeded with the standard
``init_genrand`` on the low 32 bits of the seed) plus two cached normal samples. NumPy's
``MT19937`` bit generator runs the same recurrence, so its state is set from ours and
``random_raw`` supplies the 32-bit words. Every distribution below consumes those words in
the order torch does and transforms them with the same floating-point operations, so after
the same seed the same calls give identical arrays.

This module works on NumPy arrays only; the tensor layer wraps the results.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import struct
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from ._random_math import (
    box_muller_f32,
    box_muller_f64,
    fma_f32,
    fma_f64,
    libm_cos,
    libm_exp,
    libm_log,
    libm_log1p,
    libm_sin,
    libm_tan,
)

__all__ = [
    "Generator", "default_generator", "manual_seed", "seed", "initial_seed",
    "get_rng_state", "set_rng_state", "fork_rng",
    "rand", "randn", "randint", "random_", "uniform_", "normal_", "randperm",
    "bernoulli_scalar", "bernoulli_tensor", "bernoulli_", "dropout_noise",
    "multinomial", "exponential_", "cauchy_", "geometric_", "log_normal_",
]

_N = 624                      # words of mt19937 state
_STATE_SIZE = 5056            # sizeof(CPUGeneratorImplState)
_DEFAULT_SEED = 67280421310721  # c10::detail::default_rng_seed_val
_U64 = (1 << 64) - 1

# Byte layout of torch's CPUGeneratorImplState (the legacy THGeneratorState, then the
# float normal cache): seed, left, seeded, next, state[624] as uint64, normal_x,
# normal_y, normal_rho, normal_is_valid, padding, next_float_normal_sample, its flag.
_HEAD = struct.Struct("<QiiQ")
_OFF_STATE = _HEAD.size                          # 24
_OFF_NORMAL = _OFF_STATE + 8 * _N                # 5016
_NORMAL = struct.Struct("<dddi")                 # normal_x, normal_y, normal_rho, valid
_OFF_FLOAT = 5048
_FLOAT = struct.Struct("<f?")


@functools.lru_cache(maxsize=8)
def _seed_key(seed: int) -> np.ndarray:
    """mt19937's init_genrand on the low 32 bits of ``seed`` (read-only: the engine copies
    it). Programs reseed with the same few seeds, and the 624-step loop costs about a
    millisecond, so recent keys are kept."""
    key = [seed & 0xFFFFFFFF]
    prev = key[0]
    for j in range(1, _N):
        prev = (1812433253 * (prev ^ (prev >> 30)) + j) & 0xFFFFFFFF
        key.append(prev)
    out = np.array(key, dtype=np.uint32)
    out.flags.writeable = False
    return out


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise RuntimeError(f"manual_seed expected a long, but got {type(seed).__name__}")
    value = int(seed.__index__())
    if not -(1 << 63) <= value <= _U64:
        raise ValueError("Overflow when unpacking long long")
    return value & _U64


def _nondeterministic_seed() -> int:
    return int.from_bytes(os.urandom(8), "little")


# What a CPU-only build of torch says when asked for another device's generator.
_NO_GENERATOR = {
    "cuda": "Cannot get CUDA generator without ATen_cuda library. PyTorch splits its backend "
            "into two shared libraries: a CPU library and a CUDA library; this error has "
            "occurred because you are trying to use some CUDA functionality, but the CUDA "
            "library has not been loaded by the dynamic linker for some reason.  The CUDA "
            "library MUST be loaded, EVEN IF you don't directly use any symbols from the CUDA "
            "library! One common culprit is a lack of -Wl,--no-as-needed in your link "
            "arguments; many dynamic linkers will delete dynamic library dependencies if you "
            "don't depend on any of their symbols.  You can check if this has occurred by "
            "using ldd on your binary to see if there is a dependency on *_cuda.so library.",
    "xpu": "Cannot get XPU generator without ATen_xpu library.",
    "mps": "Cannot execute getNewGenerator() without MPS backend.",
}


def _check_generator_device(d: Any) -> None:
    from ._tensor import device

    kind = device(d).type
    if kind != "cpu":
        raise RuntimeError(_NO_GENERATOR.get(
            kind, f"{kind.upper()} device type not an accelerator."))


class Generator:
    """A CPU pseudo-random number generator with torch's algorithm and state."""

    def __init__(self, device: Any = "cpu") -> None:
        if device != "cpu":
            _check_generator_device(device)
        self.device = "cpu"
        self._bitgen = np.random.MT19937(0)
        self.manual_seed(_DEFAULT_SEED)

    # -- seeding ---------------------------------------------------------------------

    def manual_seed(self, seed: int) -> Generator:
        """Sets the seed for generating random numbers. Returns the Generator."""
        self._seed = _check_seed(seed)
        self._set_engine(_seed_key(self._seed), pos=_N, untouched_next=0)
        self._next_double_normal: float | None = None
        self._next_float_normal: np.float32 | None = None
        return self

    def seed(self) -> int:
        """Seeds from a nondeterministic source and returns the 64-bit seed used."""
        value = _nondeterministic_seed()
        self.manual_seed(value)
        return value

    def initial_seed(self) -> int:
        """Returns the initial seed for generating random numbers."""
        return self._seed

    # -- state -----------------------------------------------------------------------

    def _set_engine(self, key: np.ndarray, pos: int, untouched_next: int | None) -> None:
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.asarray(key, np.uint32), "pos": int(pos)},
        }
        # NumPy cannot tell a state that was just seeded (torch: left=1, next=0) from one
        # whose 624 words are all used up (left=1, next=624); remember which until the
        # next draw.
        self._untouched_next = untouched_next

    def _get_state_bytes(self) -> np.ndarray:
        """The generator state as torch's 5056-byte ``CPUGeneratorImplState``."""
        st = self._bitgen.state["state"]
        pos = int(st["pos"])
        if pos >= _N:
            left = 1
            nxt = _N if self._untouched_next is None else self._untouched_next
        else:
            left, nxt = _N + 1 - pos, pos
        buf = bytearray(_STATE_SIZE)
        _HEAD.pack_into(buf, 0, self._seed, left, 1, nxt)
        buf[_OFF_STATE:_OFF_NORMAL] = np.asarray(st["key"], "<u8").tobytes()
        dn = self._next_double_normal
        _NORMAL.pack_into(buf, _OFF_NORMAL, 0.0, 0.0 if dn is None else dn, 0.0, dn is not None)
        fn = self._next_float_normal
        _FLOAT.pack_into(buf, _OFF_FLOAT, 0.0 if fn is None else float(fn), fn is not None)
        return np.frombuffer(bytes(buf), dtype=np.uint8).copy()

    def _set_state_bytes(self, data: Any) -> None:
        """Restores a state produced by :meth:`_get_state_bytes` or torch."""
        arr = np.asarray(data)
        if arr.dtype != np.uint8:
            raise TypeError(f"expected a uint8 RNG state, but got {arr.dtype}")
        if arr.size != _STATE_SIZE:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE_SIZE} but found the "
                f"input RNG state size to be {arr.size}")
        raw = np.ascontiguousarray(arr).reshape(-1).tobytes()
        seed, left, seeded, nxt = _HEAD.unpack_from(raw, 0)
        nxt &= 0xFFFFFFFF
        if not (seeded != 0 and 0 < left <= _N and nxt <= _N):
            raise RuntimeError("Invalid mt19937 state")
        if left == 1:
            pos, untouched = _N, nxt
        elif left + nxt == _N + 1:
            pos, untouched = nxt, None
        else:
            # torch itself never produces such a state (it would twist early).
            raise RuntimeError("Unsupported mt19937 state: left + next != 625")
        key = np.frombuffer(raw, "<u8", _N, _OFF_STATE).astype(np.uint32)  # keeps low bits
        _, normal_y, _, normal_valid = _NORMAL.unpack_from(raw, _OFF_NORMAL)
        float_y, float_valid = _FLOAT.unpack_from(raw, _OFF_FLOAT)
        self._seed = seed
        self._set_engine(key, pos, untouched)
        self._next_double_normal = normal_y if normal_valid else None
        self._next_float_normal = np.float32(float_y) if float_valid else None

    def get_state(self) -> Any:
        """Returns the Generator state as a ``torch.ByteTensor`` of 5056 bytes."""
        return _wrap(self._get_state_bytes())

    def set_state(self, new_state: Any) -> Generator:
        """Sets the Generator state from a uint8 tensor (or array). Returns the Generator."""
        data = new_state.numpy() if hasattr(new_state, "numpy") else new_state
        self._set_state_bytes(data)
        return self

    def __repr__(self) -> str:
        return f"<ember.Generator object at {id(self):#x}>"

    # -- raw words -------------------------------------------------------------------

    def _random32(self, n: int) -> np.ndarray:
        """``n`` consecutive ``random()`` words (uint32 values in a uint64 array)."""
        if n <= 0:
            return np.zeros(0, np.uint64)
        self._untouched_next = None
        return self._bitgen.random_raw(n)

    def _random64(self, n: int) -> np.ndarray:
        """``n`` consecutive ``random64()`` values: (first word << 32) | second word."""
        w = self._random32(2 * n).reshape(-1, 2)
        return (w[:, 0] << np.uint64(32)) | w[:, 1]

    def _uniform_f32(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<float>(0, 1)``: low 24 bits of a word * 2**-24."""
        w = self._random32(n) & np.uint64(0xFFFFFF)
        out = w.astype(np.float32)
        out *= np.float32(2.0**-24)
        return out

    def _uniform_f64(self, n: int) -> np.ndarray:
        """``uniform_real_distribution<double>(0, 1)``: low 53 bits of random64 * 2**-53."""
        w = self._random32(2 * n).reshape(-1, 2)
        v = ((w[:, 0] & np.uint64(0x1FFFFF)) << np.uint64(32)) | w[:, 1]
        out = v.astype(np.float64)
        out *= 2.0**-53
        return out

    def _normal_f64(self, n: int) -> np.ndarray:
        """``n`` draws of ``normal_distribution<double>`` (Box-Muller with the cache)."""
        out = np.empty(n, np.float64)
        if n == 0:
            return out
        i = 0
        if self._next_double_normal is not None:
            out[0] = self._next_double_normal
            self._next_double_normal = None
            i = 1
        pairs = (n - i + 1) // 2
        if pairs:
            u = self._uniform_f64(2 * pairs).reshape(-1, 2)
            # u1 drives the angle, u2 the radius: r = sqrt(-2 log1p(-u2)), theta = 2 pi u1.
            r = np.sqrt(-2.0 * libm_log1p(-u[:, 1]))
            theta = (2.0 * math.pi) * u[:, 0]
            both = np.empty((pairs, 2), np.float64)
            both[:, 0] = r * libm_cos(theta)
            both[:, 1] = r * libm_sin(theta)
            flat = both.reshape(-1)
            out[i:] = flat[: n - i]
            if (n - i) % 2:
                self._next_double_normal = float(flat[-1])
        return out


def _wrap(arr: np.ndarray) -> Any:
    try:
        from ember._tensor import Tensor
    except ImportError:  # the tensor layer is optional for this module
        return arr
    return Tensor._from_array(arr)


default_generator = Generator()
default_generator.manual_seed(_nondeterministic_seed())


# Called before every draw while a vmap is running (set by ember.func), to refuse random
# operations in its randomness="error" mode; None otherwise.
draw_check: list = [None]


def _gen(generator: Generator | None) -> Generator:
    if draw_check[0] is not None:
        draw_check[0]()
    return default_generator if generator is None else generator


def manual_seed(seed: int) -> Generator:
    """Sets the seed for generating random numbers. Returns the default Generator."""
    return default_generator.manual_seed(int(seed))


def seed() -> int:
    """Seeds the default generator nondeterministically and returns the 64-bit seed."""
    return default_generator.seed()


def initial_seed() -> int:
    """Returns the initial seed of the default generator."""
    return default_generator.initial_seed()


def get_rng_state() -> Any:
    """Returns the default generator's state as a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state: Any) -> None:
    """Sets the default generator's state from a uint8 tensor."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, **_: Any) -> Iterator[None]:
    """Forks the RNG, so that the state is restored when you return."""
    if not enabled:
        yield
        return
    saved = default_generator._get_state_bytes()
    try:
        yield
    finally:
        default_generator._set_state_bytes(saved)


# ---------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------

def _np_dtype(dtype: Any) -> np.dtype:
    return np.dtype(getattr(dtype, "np", dtype))


def _shape(shape: Any) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(s) for s in shape)


def _double_to(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(double): Half goes through float first, like c10::Half."""
    if dt == np.float16:
        return values.astype(np.float32).astype(np.float16)
    return values.astype(dt)


def empty_like(x: np.ndarray, dtype: Any = None) -> np.ndarray:
    """An uninitialised array laid out as torch's empty_like(x): in x's dimension order
    where x does not overlap itself (NumPy's order "K"), in C order for a broadcast x."""
    if any(s == 0 and n > 1 for s, n in zip(x.strides, x.shape)):
        return np.empty(x.shape, x.dtype if dtype is None else dtype)
    return np.empty_like(x, dtype=dtype)


def _serial_fill(arr: np.ndarray, values: np.ndarray) -> None:
    """Write ``values`` into ``arr`` in the order torch's TensorIterator visits it.

    That order is memory order: for a contiguous array, C order; otherwise the
    dimensions sorted from the largest stride to the smallest.
    """
    if arr.flags.c_contiguous:
        arr.reshape(-1)[...] = values
        return
    order = sorted(range(arr.ndim), key=lambda d: -abs(arr.strides[d]))
    view = arr.transpose(order)
    view[...] = values.reshape(view.shape)


# The kernel that torch names when a draw asks for a dtype it cannot fill.
_KERNELS = {"uniform_": "check_uniform_bounds", "rand": "check_uniform_bounds",
            "normal_": "normal_kernel_cpu", "randn": "normal_kernel_cpu",
            "exponential_": "exponential_cpu"}


def _check_float(dt: np.dtype, what: str) -> None:
    if dt.kind != "f":
        from ._dtypes import FROM_NUMPY

        raise NotImplementedError(f'"{_KERNELS[what]}" not implemented for '
                                  f"'{FROM_NUMPY[dt]._legacy}'")


# ---------------------------------------------------------------------------------------
# uniform
# ---------------------------------------------------------------------------------------

def _uniform_values(g: Generator, n: int, dt: np.dtype, low: float, high: float) -> np.ndarray:
    """torch's uniform_kernel: fma(u, to - from, from) in opmath, cast, clamp to from."""
    if dt == np.float64:
        v = g._uniform_f64(n)
        if not (low == 0 and high == 1):
            v = fma_f64(v, high - low, low)
    else:
        f, t = np.float32(low), np.float32(high)
        v = g._uniform_f32(n)
        if not (f == 0 and t == 1):
            v = fma_f32(v, t - f, f)
        v = v.astype(dt, copy=False)
    if dt != np.float64 or not (low == 0 and high == 1):
        # A value that rounds up to the upper bound is replaced by the lower one.
        top = v == _double_to(np.float64(high), dt)
        if top.any():
            v[top] = _double_to(np.float64(low), dt)
    return v


def uniform_(arr: np.ndarray, a: float = 0.0, b: float = 1.0,
             generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with numbers from the continuous uniform distribution [a, b)."""
    dt = arr.dtype
    _check_float(dt, "uniform_")
    if not a <= b:
        raise RuntimeError(
            f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    _serial_fill(arr, _uniform_values(_gen(generator), arr.size, dt, float(a), float(b)))
    return arr


def rand(shape: Sequence[int], dtype: Any = np.float32,
         generator: Generator | None = None) -> np.ndarray:
    """Random numbers from a uniform distribution on the interval [0, 1)."""
    dt = _np_dtype(dtype)
    _check_float(dt, "rand")
    out = np.empty(_shape(shape), dt)
    return uniform_(out, 0.0, 1.0, generator)


# ---------------------------------------------------------------------------------------
# normal
# ---------------------------------------------------------------------------------------

def normal_(arr: np.ndarray, mean: float = 0.0, std: float = 1.0,
            generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with numbers from the normal distribution N(mean, std**2).

    Like torch: a contiguous array of 16 or more elements draws all its uniforms first
    and converts them by Box-Muller in blocks of 16 (the last, partial block is redrawn
    and converted whole); anything else draws one double-precision normal per element,
    two per pair of draws, keeping the spare in the generator's cache.
    """
    dt = arr.dtype
    if arr.size:  # torch's normal kernel returns at once on an empty tensor of any dtype
        _check_float(dt, "normal_")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    g = _gen(generator)
    n = arr.size
    mean, std = float(mean), float(std)
    if n >= 16 and arr.flags.c_contiguous:
        if dt == np.float64:
            draw, kernel = g._uniform_f64, box_muller_f64
        else:
            draw, kernel = g._uniform_f32, box_muller_f32  # Half computes in float
        full = n // 16 * 16
        if dt in (np.float32, np.float64):
            # float and double draw uniforms for the whole array before converting...
            head = draw(n)[:full]
        else:
            # ...reduced precision draws only for the whole blocks.
            head = draw(full)
        flat = arr.reshape(-1)
        flat[:full] = kernel(head, mean, std)
        if n % 16:
            # The partial last block is redrawn and converted as the last 16 values.
            flat[n - 16:] = kernel(draw(16), mean, std)
        return arr
    z = g._normal_f64(n)
    if not (mean == 0 and std == 1):
        z = fma_f64(z, std, mean)
    _serial_fill(arr, _double_to(z, dt))
    return arr


def randn(shape: Sequence[int], dtype: Any = np.float32,
          generator: Generator | None = None) -> np.ndarray:
    """Random numbers from the standard normal distribution."""
    dt = _np_dtype(dtype)
    shape = _shape(shape)
    if math.prod(shape):
        _check_float(dt, "randn")
    return normal_(np.empty(shape, dt), 0.0, 1.0, generator)


# ---------------------------------------------------------------------------------------
# integers
# ---------------------------------------------------------------------------------------

def _digits(dt: np.dtype) -> int:
    return {np.dtype(np.float16): 11, np.dtype(np.float32): 24, np.dtype(np.float64): 53}[dt]


def _float_int_float(value: int, dt: np.dtype) -> int:
    """static_cast<int64_t>(static_cast<scalar_t>(value)), Half via float like c10::Half.

    An infinite Half converts to the smallest int64, as x86's conversion does.
    """
    x = np.array([value], np.int64)
    f = x.astype(np.float32).astype(np.float16) if dt == np.float16 else x.astype(dt)
    f = float(f[0])
    return int(f) if math.isfinite(f) else -(1 << 63)


def _update_from(low: int, dt: np.dtype) -> int:
    """torch's update_from: nudge ``low`` up to a value the float dtype represents."""
    low_plus_1 = _float_int_float(low + 1, dt)
    if low_plus_1 < low:
        n = abs(low + 1).bit_length() - 1
        low = low_plus_1 + (1 << (n - _digits(dt) + 1))
    return low


def _update_to(high: int, dt: np.dtype) -> int:
    """torch's update_to: nudge ``high`` down to a value the float dtype represents."""
    high_minus_1 = _float_int_float(high - 1, dt)
    if high_minus_1 >= high:
        n = abs(high - 1).bit_length() - 1
        high = high_minus_1 - (1 << (n - _digits(dt) + 1))
    return high


def _int_bounds(dt: np.dtype) -> tuple[int, int]:
    if dt == np.bool_:
        return 0, 1
    if dt.kind == "f":
        return -(1 << _digits(dt)), 1 << _digits(dt)
    info = np.iinfo(dt)
    return int(info.min), int(info.max)


def _from_int64(values: np.ndarray, dt: np.dtype) -> np.ndarray:
    """static_cast<scalar_t>(int64_t) for an array."""
    if dt == np.float16:
        return values.astype(np.float32).astype(np.float16)
    if dt == np.bool_:
        return values != 0
    return values.astype(dt)


def _from_to_values(g: Generator, n: int, span: int, base: int, dt: np.dtype) -> np.ndarray:
    """uniform_int_from_to_distribution: (word % range) + base, in 64-bit wraparound."""
    # torch switches to 64-bit words from a range of 2**28 (to limit modulo bias).
    words = g._random64(n) if span >= 1 << 28 else g._random32(n)
    if span >= 1 << 64:
        raise RuntimeError("range too large")
    v = (words % np.uint64(span)) + np.uint64(base & _U64)
    return _from_int64(v.view(np.int64), dt)


def random_(arr: np.ndarray, low: int | None = None, high: int | None = None,
            generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with integers from [low, high).

    With neither bound: [0, 2**mantissa] for floating dtypes and [0, max] for integer
    dtypes. With only ``low``: [low, max] (the whole int64 range when ``low`` is the
    smallest int64). ``random_(arr, None, high)`` is [0, high).
    """
    g = _gen(generator)
    dt = arr.dtype
    n = arr.size
    if low is None and high is None:
        _serial_fill(arr, _random_default(g, n, dt))
        return arr
    low = 0 if low is None else int(low)
    if high is not None:
        high = int(high)
        if not low < high:
            raise RuntimeError(
                f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}")
        if dt.kind == "f":
            low, high = _update_from(low, dt), _update_to(high, dt)
            if not low < high:
                raise RuntimeError("random_ expects 'from' casted to dtype to be less than "
                                   f"'to' casted to dtype, but got from={low} >= to={high}")
        _check_in_range(low, high - 1, dt)
        span = high - low
    elif low != -(1 << 63):
        if dt.kind == "f":
            top = min(1 << _digits(dt), (1 << 63) - 1)
            low = _update_from(low, dt)
        else:
            top = _int_bounds(dt)[1]
        _check_in_range(low, top, dt)
        span = top - low + 1
    else:
        if dt not in (np.int64, np.float64, np.float32):
            raise RuntimeError("random_full_64_bits_range_kernel_cpu handles only int64, "
                               "double, float and bfloat16")
        _serial_fill(arr, _from_int64(g._random64(n).view(np.int64), dt))
        return arr
    _serial_fill(arr, _from_to_values(g, n, span, low, dt))
    return arr


def _check_in_range(low: int, high_inc: int, dt: np.dtype) -> None:
    if dt.kind == "f":
        # Past +-2**digits torch only warns; past the dtype's finite range it refuses.
        lo = hi = float(np.finfo(dt).max)
        lo = -lo
    else:
        lo, hi = _int_bounds(dt)
    if not lo <= low <= hi:
        raise RuntimeError(f"from is out of bounds for {dt}")
    if not lo <= high_inc <= hi:
        raise RuntimeError(f"to - 1 is out of bounds for {dt}")


def _random_default(g: Generator, n: int, dt: np.dtype) -> np.ndarray:
    """uniform_int_distribution: random() or random64() modulo the dtype's range."""
    if dt == np.bool_:
        return (g._random32(n) & np.uint64(1)).astype(np.bool_)
    if dt == np.int64:
        return (g._random64(n) % np.uint64(1 << 63)).astype(np.int64)
    if dt == np.float64:
        return (g._random64(n) % np.uint64((1 << 53) + 1)).astype(np.float64)
    if dt.kind == "f":
        v = g._random32(n) % np.uint64((1 << _digits(dt)) + 1)
        return v.astype(np.float32).astype(dt)
    return (g._random32(n) % np.uint64(int(np.iinfo(dt).max) + 1)).astype(dt)


def randint(low: int, high: int, shape: Sequence[int], dtype: Any = np.int64,
            generator: Generator | None = None) -> np.ndarray:
    """Random integers drawn uniformly from [low, high)."""
    out = np.empty(_shape(shape), _np_dtype(dtype))
    return random_(out, int(low), int(high), generator)


def _stable_argsort_u32(keys: np.ndarray) -> np.ndarray:
    """Stable argsort of keys below 2**32: two 16-bit passes, which NumPy radix-sorts."""
    low = (keys & 0xFFFF).astype(np.uint16)
    high = (keys >> 16).astype(np.uint16)
    order = np.argsort(low, kind="stable")
    return order[np.argsort(high[order], kind="stable")]


def _swap_front(targets: np.ndarray) -> np.ndarray:
    """The array left by ``for i: a[i], a[t[i]] = a[t[i]], a[i]`` on ``a = arange(n)``.

    ``targets`` holds t[0 .. n-2] with t[i] >= i. Step i fixes a[i] for good, so the
    sequential loop can be solved in bulk: let B[j] be the value sitting at position j
    just before step j. Position j only changes before then when an earlier step k swaps
    into it (t[k] == j), which brings B[k]; so B[j] is B of the last such k, or j if there
    is none, which pointer jumping resolves. The final a[i] is B[i] when t[i] == i, else
    the value at t[i] before step i: B of the last earlier step with the same target, or
    t[i] itself if there was none. The last element is B[n - 1].
    """
    steps = targets.size
    n = steps + 1
    idx = np.arange(steps, dtype=np.int64)
    # last[j]: the last step k < j with t[k] == j, or j itself when there is none.
    last = np.arange(n, dtype=np.int64)
    moved = idx < targets
    latest = np.full(n, -1, dtype=np.int64)
    np.maximum.at(latest, targets[moved], idx[moved])
    has = latest >= 0
    last[has] = latest[has]
    while True:
        jumped = last[last]
        if np.array_equal(jumped, last):
            break
        last = jumped
    before = last                       # B[j]: the root of j's chain
    # prev[i]: the previous step with the same target as step i, or -1.
    order = _stable_argsort_u32(targets)
    sorted_t = targets[order]
    prev = np.full(steps, -1, dtype=np.int64)
    same = sorted_t[1:] == sorted_t[:-1]
    prev[order[1:][same]] = order[:-1][same]
    out = np.empty(n, dtype=np.int64)
    head = np.where(prev >= 0, before[np.maximum(prev, 0)], targets)
    out[:steps] = np.where(targets == idx, before[:steps], head)
    out[steps] = before[steps]
    return out


def randperm(n: int, dtype: Any = np.int64, generator: Generator | None = None) -> np.ndarray:
    """A random permutation of the integers 0 .. n - 1."""
    n = int(n)
    if n < 0:
        raise RuntimeError(f"n must be non-negative, got{n}")
    g = _gen(generator)
    dt = _np_dtype(dtype)
    if n == 0:
        return np.zeros(0, dt)
    if n < 0xFFFFFFFF // 20:
        # Fisher-Yates from the front: swap i with i + random() % (n - i).
        steps = n - 1
        words = g._random32(steps)
        targets = (words % (n - np.arange(steps, dtype=np.uint64))).astype(np.int64)
        targets += np.arange(steps, dtype=np.int64)
        perm = _swap_front(targets)
    else:
        # The "inside-out" variant with 64-bit words, as torch does for huge n.
        words = g._random64(n)
        out = [0] * n
        for i, w in enumerate(words.tolist()):
            z = w % (i + 1)
            out[i] = out[z]
            out[z] = i
        perm = np.array(out, dtype=np.int64)
    return _from_int64(perm, dt)


# ---------------------------------------------------------------------------------------
# bernoulli, dropout, exponential, multinomial
# ---------------------------------------------------------------------------------------

def bernoulli_scalar(shape: Sequence[int], p: float, dtype: Any = np.float32,
                     generator: Generator | None = None) -> np.ndarray:
    """Draws 0/1 values that are 1 with probability ``p`` (``empty(shape).bernoulli_(p)``)."""
    out = np.empty(_shape(shape), _np_dtype(dtype))
    return bernoulli_(out, p, generator)


def bernoulli_(arr: np.ndarray, p: Any = 0.5,
               generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with 0/1 draws; ``p`` is a float or an array of probabilities."""
    if isinstance(p, (np.ndarray, list, tuple)):
        return bernoulli_tensor(np.asarray(p), arr.shape, arr.dtype, generator, out=arr)
    p = float(p)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    # bernoulli_distribution<double>: one 53-bit uniform per element, 1 if u < p.
    u = _gen(generator)._uniform_f64(arr.size)
    _serial_fill(arr, (u < p).astype(arr.dtype))
    return arr


def bernoulli_tensor(p: np.ndarray, shape: Sequence[int] | None = None,
                     dtype: Any = None, generator: Generator | None = None,
                     out: np.ndarray | None = None) -> np.ndarray:
    """Draws 0/1 values that are 1 with the probabilities in ``p`` (``torch.bernoulli(p)``).

    Float64 probabilities compare against 53-bit uniforms, others against float32
    uniforms (24 bits), one draw per output element in order. ``p`` is broadcast to
    ``shape``; the result has ``dtype`` (default: that of ``p``).
    """
    p = np.asarray(p)
    if p.dtype.kind != "f":
        raise TypeError(f"bernoulli expects floating point probabilities, got {p.dtype}")
    if out is None:
        shp = p.shape if shape is None else _shape(shape)
        out = np.empty(shp, p.dtype if dtype is None else _np_dtype(dtype))
    probs = np.broadcast_to(p, out.shape).reshape(-1) if out.flags.c_contiguous else None
    if probs is None:
        order = sorted(range(out.ndim), key=lambda d: -abs(out.strides[d]))
        probs = np.broadcast_to(p, out.shape).transpose(order).reshape(-1)
    g = _gen(generator)
    if p.dtype == np.float64:
        hit = g._uniform_f64(out.size) < probs
    else:
        hit = g._uniform_f32(out.size) < probs.astype(np.float32)
    _serial_fill(out, hit.astype(out.dtype))
    return out


def dropout_noise(shape: Sequence[int], p: float, dtype: Any = np.float32,
                  generator: Generator | None = None,
                  like: np.ndarray | None = None) -> np.ndarray:
    """The scaled mask of training-mode dropout: ``bernoulli_(1 - p) / (1 - p)``.

    ``dropout(x, p)`` is ``x * dropout_noise(x.shape, p)``; feature dropout passes the
    noise shape, e.g. (N, C, 1, 1). The division happens in the array's dtype, as
    torch's ``div_`` by a scalar does. For p == 0 and p == 1 torch draws nothing
    (it returns ``x``, or ``x * 0``), and neither does this: the noise is all ones or
    all zeros. Given ``like`` (the input, of that shape), the noise is laid out as it, as
    torch's ``empty_like(input)``, so that the draws land in the input's memory order.
    """
    dt = _np_dtype(dtype)
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if p == 0 or p == 1:
        return np.full(_shape(shape), 1 - p, dt)  # torch draws nothing in these cases
    if like is not None and like.shape == _shape(shape):
        noise = bernoulli_(empty_like(like, dt), 1.0 - p, generator)
    else:
        noise = bernoulli_scalar(shape, 1.0 - p, dt, generator)
    return noise / dt.type(1.0 - p)


def exponential_(arr: np.ndarray, lambd: float = 1.0,
                 generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with draws from the exponential distribution of rate ``lambd``.

    Computed in double as ``-1 / lambd * log1p(-u)`` with a 53-bit uniform u, then cast.
    """
    if arr.size:
        _check_float(arr.dtype, "exponential_")
    if not lambd > 0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    u = _gen(generator)._uniform_f64(arr.size)
    v = (-1.0 / float(lambd)) * libm_log1p(-u)
    _serial_fill(arr, _double_to(v, arr.dtype))
    return arr


def cauchy_(arr: np.ndarray, median: float = 0.0, sigma: float = 1.0,
            generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with draws from the Cauchy distribution: in double,
    fma(sigma, tan(pi * (u - 0.5)), median) with a 53-bit uniform u (torch's kernel, whose
    multiply-add the compiler fuses), then cast."""
    u = _gen(generator)._uniform_f64(arr.size)
    v = fma_f64(libm_tan(math.pi * (u - 0.5)), float(sigma), float(median))
    _serial_fill(arr, _double_to(v, arr.dtype))
    return arr


def geometric_(arr: np.ndarray, p: float, generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with draws from the geometric distribution: in double,
    ceil(log(u) / log1p(-p)) with a 53-bit uniform u, then cast."""
    u = _gen(generator)._uniform_f64(arr.size)
    with np.errstate(divide="ignore"):
        v = np.ceil(libm_log(u) / math.log1p(-float(p)))
    _serial_fill(arr, _double_to(v, arr.dtype) if arr.dtype.kind == "f" else
                 v.astype(arr.dtype))
    return arr


def log_normal_(arr: np.ndarray, mean: float = 1.0, std: float = 2.0,
                generator: Generator | None = None) -> np.ndarray:
    """Fills ``arr`` in place with exp of draws of normal_distribution<double>(mean, std)
    (one per element, with the generator's cached spare), then cast."""
    z = fma_f64(_gen(generator)._normal_f64(arr.size), float(std), float(mean))
    _serial_fill(arr, _double_to(libm_exp(z), arr.dtype))
    return arr


def multinomial(probs: np.ndarray, num_samples: int, replacement: bool = False,
                generator: Generator | None = None) -> np.ndarray:
    """Samples category indices (int64) from each row of ``probs`` (1-D or 2-D).

    Without replacement, or for a single sample, torch draws q ~ Exp(1) for every entry
    and takes the top ``num_samples`` of ``probs / q``. With replacement it walks the
    normalised cumulative sum with one 53-bit uniform per sample, row after row.
    """
    p = np.asarray(probs)
    if p.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if p.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input")
    num_samples = int(num_samples)
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    n_cat = p.shape[-1]
    if not replacement and num_samples > n_cat:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    rows = p.reshape(-1, n_cat)
    g = _gen(generator)
    if not replacement or num_samples == 1:
        if not (np.all(rows >= 0) and np.all(np.isfinite(rows))):
            raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
        if np.any(rows.sum(axis=1) == 0):
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        # Drawn into an array laid out as probs (torch's empty_like): in its memory order.
        q = exponential_(empty_like(p), 1.0, g).reshape(rows.shape)
        keys = rows / q
        if num_samples == 1:
            result = np.argmax(keys, axis=1)[:, None]
        else:
            # topk: largest first; equal keys (zero probabilities) keep index order.
            result = np.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    else:
        acc = np.float32 if p.dtype == np.float16 else p.dtype
        result = np.empty((rows.shape[0], num_samples), np.int64)
        for i, row in enumerate(rows.astype(acc)):
            bad = ~(row >= 0) | ~np.isfinite(row)
            if bad.any():
                # torch checks the entries in order, each for sign (a NaN fails it) first
                v = row[int(np.argmax(bad))]
                raise RuntimeError("invalid multinomial distribution (encountering probability "
                                   + ("entry < 0)" if not v >= 0 else
                                      "entry = infinity or NaN)"))
            cum = np.cumsum(row, dtype=acc)          # sequential sums, like torch
            total = cum[-1]
            if not total > 0:
                raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
            cum = cum / total
            cum[-1] = 1
            u = g._uniform_f64(num_samples)
            result[i] = np.searchsorted(cum.astype(np.float64), u, side="left")
    return result.astype(np.int64).reshape(p.shape[:-1] + (num_samples,))
