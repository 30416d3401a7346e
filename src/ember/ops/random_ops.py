"""Random sampling on tensors: the torch functions and in-place methods over the generator in
ember._random, which draws the same numbers as torch's CPU generator."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _dtypes, _random
from .._dtypes import FROM_NUMPY, type_meta_name
from .._tensor import Tensor, check_device
from .._transform_hooks import transform_ops
from .._version import bump_version
from ._core import broadcast_shape, check_new_shape, not_implemented
from .creation import different_randomness_level
from .inplace import check_inplace
from .shape import expand

__all__ = ["normal_", "uniform_", "bernoulli_", "exponential_", "random_", "bernoulli",
           "multinomial", "cauchy_", "geometric_", "log_normal_"]

# Functions only, not methods (torch.normal, torch.randperm).
FUNCTIONS = ["randperm", "normal"]


def _fill(self: Tensor, draw: Any) -> Tensor:
    """Runs an in-place sampler on the tensor's memory, as an in-place op."""
    value = getattr(self, "_value", None)  # a tensor batched by vmap
    different = different_randomness_level() is not None
    if value is None:
        check_inplace(self)
        if different:
            raise RuntimeError(
                "vmap: Cannot ask for different inplace randomness on an unbatched tensor. "
                "This will appear like same randomness. If this is necessary for your usage, "
                "please file an issue with functorch.")
        draw(self._data)
        bump_version(self)
        return self
    check_inplace(value)
    if different:
        draw(value._data)
    else:
        # The same draw for every example.
        one = np.empty(tuple(self.shape), value._data.dtype)
        draw(one)
        value._data[...] = one
    bump_version(value)
    return self


def _floating(self: Tensor, name: str) -> None:
    if self._data.dtype.kind != "f":
        raise not_implemented(name, self.dtype)


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fills self tensor with elements sampled from the normal distribution parameterized by
    mean and std."""
    if not std >= 0:  # a NaN std fails too
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    if self._data.size:  # torch's kernel returns at once on an empty tensor of any dtype
        _floating(self, "normal_kernel_cpu")
    return _fill(self, lambda a: _random.normal_(a, mean, std, generator=generator))


def uniform_(self: Tensor, from_: float = 0.0, to: float = 1.0, *, generator: Any = None,
             **kwargs: Any) -> Tensor:
    """Fills self tensor with numbers sampled from the continuous uniform distribution on
    [from, to)."""
    from_ = kwargs.pop("from", from_)
    _floating(self, "check_uniform_bounds")
    dt = self._data.dtype
    big = float(np.finfo(dt).max)
    for name, v in (("from", from_), ("to", to)):
        if not -big <= v <= big:
            raise RuntimeError(f"{name} is out of bounds for {type_meta_name(dt)}")
    if from_ > to:
        raise RuntimeError("uniform_ expects to return a [from, to) range, but found "
                           f"from={from_:g} > to={to:g}")
    if to - from_ > big:
        raise RuntimeError(f"uniform_ expects to-from <= std::numeric_limits<"
                           f"{self.dtype._legacy}>::max(), but found to={to:g} and "
                           f"from={from_:g} which result in to-from to exceed the limit")
    return _fill(self, lambda a: _random.uniform_(a, from_, to, generator=generator))


_P_IN_RANGE = ("Expected p_in >= 0 && p_in <= 1 to be true, but got false.  (Could this "
               "error message be improved?  If so, please report an enhancement request to "
               "PyTorch.)")


def bernoulli_(self: Tensor, p: Any = 0.5, *, generator: Any = None) -> Tensor:
    """Fills each location of self with an independent sample from Bernoulli(p)."""
    if isinstance(p, Tensor):
        probs = p._data
        # torch looks at a tensor p only when there is something to fill: its shape (which
        # expands to self's), its dtype, then its values.
        if not self._data.size:
            return _fill(self, lambda a: a)
        expand(p, self._data.shape)
        if probs.dtype.kind != "f":
            raise not_implemented("bernoulli_tensor_cpu_p_", p.dtype)
        if probs.size and not (probs.min() >= 0 and probs.max() <= 1):
            raise RuntimeError(_P_IN_RANGE)
    else:
        probs = p
        if not 0 <= p <= 1:
            raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return _fill(self, lambda a: _random.bernoulli_(a, probs, generator=generator))


def exponential_(self: Tensor, lambd: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fills self tensor with elements drawn from the exponential distribution of rate
    lambd."""
    if lambd <= 0:
        raise RuntimeError(
            f"exponential_ expects lambda > 0.0, but found lambda={lambd:g}")
    if self._data.dtype.kind != "f" and self._data.size:  # an empty tensor runs no kernel
        raise RuntimeError("Exponential distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {self.dtype._legacy}")
    return _fill(self, lambda a: _random.exponential_(a, lambd, generator=generator)
                 if a.size else None)


def _c_double(v: float) -> str:
    # How torch's messages print a double (a C++ stream: 6 significant digits).
    return f"{float(v):g}"


def cauchy_(self: Tensor, median: float = 0.0, sigma: float = 1.0, *,
            generator: Any = None) -> Tensor:
    """Fills the tensor with numbers drawn from the Cauchy distribution of the given median
    and scale sigma."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={_c_double(sigma)}")
    if self._data.dtype.kind != "f":
        raise RuntimeError("Cauchy distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified "
                           f"{type_meta_name(self._data.dtype)}")
    return _fill(self, lambda a: _random.cauchy_(a, median, sigma, generator=generator))


def geometric_(self: Tensor, p: float, *, generator: Any = None) -> Tensor:
    """Fills self tensor with elements drawn from the geometric distribution: the number of
    Bernoulli(p) trials up to the first success."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={_c_double(p)}")
    if self._data.dtype == np.bool_:
        raise not_implemented("geometric_cpu", self.dtype)
    return _fill(self, lambda a: _random.geometric_(a, p, generator=generator))


def log_normal_(self: Tensor, mean: float = 1.0, std: float = 2.0, *,
                generator: Any = None) -> Tensor:
    """Fills self tensor with numbers sampled from the log-normal distribution whose
    logarithm has the given mean and standard deviation."""
    if not std > 0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={_c_double(std)}")
    if self._data.dtype.kind != "f":
        raise not_implemented("log_normal_cpu", self.dtype)
    return _fill(self, lambda a: _random.log_normal_(a, mean, std, generator=generator))


def random_(self: Tensor, from_: int | None = None, to: int | None = None, *,
            generator: Any = None) -> Tensor:
    """Fills self tensor with numbers sampled from the discrete uniform distribution over
    [from, to - 1] (or [0, from - 1] with one argument)."""
    if from_ is not None and to is None:
        from_, to = 0, from_
    return _fill(self, lambda a: _random.random_(a, from_, to, generator=generator))


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None,
              out: Any = None) -> Tensor:
    """Draws binary random numbers (0 or 1) from a Bernoulli distribution whose
    probabilities are input (or p)."""
    if p is not None:
        return bernoulli_(Tensor._make(np.empty_like(input._data)), p, generator=generator)
    # torch fills an empty tensor like input with bernoulli_(input).
    x = input._data
    if not x.size:
        return Tensor._make(np.empty_like(x))
    if x.dtype.kind != "f":
        raise not_implemented("bernoulli_tensor_cpu_p_", input.dtype)
    if not (x.min() >= 0 and x.max() <= 1):
        raise RuntimeError(_P_IN_RANGE)
    return Tensor._make(_random.bernoulli_tensor(x, generator=generator))


def multinomial(input: Tensor, num_samples: int, replacement: bool = False, *,
                generator: Any = None, out: Any = None) -> Tensor:
    """Returns a tensor where each row contains num_samples indices sampled from the
    multinomial distribution located in the corresponding row of input."""
    x = input._data
    if x.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    if x.dtype.kind != "f":
        raise RuntimeError("multinomial only supports floating-point dtypes for input, got: "
                           f"{input.dtype._legacy}")
    if not replacement and num_samples > x.shape[-1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if num_samples <= 0:
        raise RuntimeError("cannot sample n_sample <= 0 samples")
    return Tensor._make(_random.multinomial(x, num_samples, replacement, generator=generator))


def randperm(n: int, *, generator: Any = None, out: Any = None, dtype: Any = None,
             layout: Any = None, device: Any = None, requires_grad: bool = False,
             pin_memory: bool = False) -> Tensor:
    """Returns a random permutation of integers from 0 to n - 1."""
    check_device(device)
    check_new_shape((n,))
    if dtype is _dtypes.bool:
        raise not_implemented("randperm", dtype)
    dt = (dtype or _dtypes.int64).np
    t = Tensor._make(_random.randperm(n, dt, generator=generator))
    return t.requires_grad_(True) if requires_grad else t


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           out: Any = None, dtype: Any = None, layout: Any = None, device: Any = None,
           requires_grad: bool = False, pin_memory: bool = False) -> Tensor:
    """Returns a tensor of random numbers drawn from separate normal distributions whose
    mean and standard deviation are given."""
    check_device(device)
    tm, ts = isinstance(mean, Tensor), isinstance(std, Tensor)
    if not tm and not ts:
        if size is None:
            raise TypeError("normal() received an invalid combination of arguments: a size "
                            "is needed when mean and std are numbers")
        shape = tuple(size)
        dt = (dtype or _dtypes.get_default_dtype()).np
        t = Tensor._make(_random.normal_(np.empty(shape, dt), mean, std, generator=generator))
        return t.requires_grad_(True) if requires_grad else t
    # torch draws standard normals of the broadcast shape, then scales and shifts them as
    # separate roundings.
    m = mean._data if tm else None
    s = std._data if ts else None
    if s is not None and s.size and s.min() < 0:
        raise RuntimeError("normal expects all elements of std >= 0.0")
    if s is None and not std >= 0:  # a NaN std fails too
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    shape = m.shape if s is None else s.shape if m is None else broadcast_shape(m.shape, s.shape)
    dt = (m if m is not None else s).dtype
    if dt.kind != "f":
        if math.prod(shape):
            raise not_implemented("normal_kernel_cpu", FROM_NUMPY[dt])
        return Tensor._make(np.empty(shape, dt))
    z = _random.normal_(np.empty(shape, dt), 0.0, 1.0, generator=generator)
    z = z * (s if s is not None else dt.type(std))
    z = z + (m if m is not None else dt.type(mean))
    return Tensor._make(np.asarray(z, dtype=dt))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
