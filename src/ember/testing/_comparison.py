"""assert_close: torch.testing's comparison of tensors, numbers, None, booleans and nested
sequences and mappings of them, with torch's default tolerances by dtype and torch's
mismatch messages ("Tensor-likes are not close!", the mismatch counts, the greatest
differences and where they are)."""

from __future__ import annotations

import cmath
import collections.abc
import contextlib
from typing import Any, Callable, NoReturn

import numpy as np

from .. import _dtypes
from .._tensor import Tensor

__all__ = ["assert_close"]


class ErrorMeta(Exception):
    """An error to raise once the whole comparison is done, with the item it is about."""

    def __init__(self, type: type, msg: str, *, id: tuple = ()) -> None:
        super().__init__(msg)
        self.type = type
        self.msg = msg
        self.id = id

    def to_error(self, msg: Any = None) -> Exception:
        if not isinstance(msg, str):
            generated_msg = self.msg
            if self.id:
                generated_msg += ("\n\nThe failure occurred for item "
                                  + "".join(str([item]) for item in self.id))
            msg = msg(generated_msg) if callable(msg) else generated_msg
        return self.type(msg)


_DTYPE_PRECISIONS = {
    _dtypes.float16: (0.001, 1e-05),
    _dtypes.bfloat16: (0.016, 1e-05),
    _dtypes.float32: (1.3e-06, 1e-05),
    _dtypes.float64: (1e-07, 1e-07),
}
_TYPE_TO_DTYPE = {int: _dtypes.int64, float: _dtypes.float64}


def default_tolerances(*inputs: Any) -> tuple:
    """The (rtol, atol) torch uses by default for comparing these tensors or dtypes: the
    loosest of their dtypes' precisions (0 for integers and bool)."""
    dtypes = [i.dtype if isinstance(i, Tensor) else i for i in inputs]
    rtols, atols = zip(*[_DTYPE_PRECISIONS.get(d, (0.0, 0.0)) for d in dtypes])
    return max(rtols), max(atols)


def _get_tolerances(*inputs: Any, rtol: Any, atol: Any, id: tuple = ()) -> tuple:
    if (rtol is None) ^ (atol is None):
        raise ErrorMeta(ValueError, "Both 'rtol' and 'atol' must be either specified or "
                        f"omitted, but got no {'rtol' if rtol is None else 'atol'}.", id=id)
    if rtol is not None and atol is not None:
        return rtol, atol
    return default_tolerances(*inputs)


def _make_mismatch_msg(*, default_identifier: str, identifier: Any = None, extra: str = "",
                       abs_diff: float, abs_diff_idx: Any = None, atol: float,
                       rel_diff: float, rel_diff_idx: Any = None, rtol: float) -> str:
    equality = rtol == 0 and atol == 0

    def make_diff_msg(*, type: str, diff: float, idx: Any, tol: float) -> str:
        if idx is None:
            msg = f"{type.title()} difference: {diff}"
        else:
            msg = f"Greatest {type} difference: {diff} at index {idx}"
        if not equality:
            msg += f" (up to {tol} allowed)"
        return msg + "\n"

    if identifier is None:
        identifier = default_identifier
    elif callable(identifier):
        identifier = identifier(default_identifier)
    msg = f"{identifier} are not {'equal' if equality else 'close'}!\n\n"
    if extra:
        msg += f"{extra.strip()}\n"
    msg += make_diff_msg(type="absolute", diff=abs_diff, idx=abs_diff_idx, tol=atol)
    msg += make_diff_msg(type="relative", diff=rel_diff, idx=rel_diff_idx, tol=rtol)
    return msg.strip()


def _scalar_mismatch_msg(actual: Any, expected: Any, *, rtol: float, atol: float) -> str:
    abs_diff = abs(actual - expected)
    rel_diff = float("inf") if expected == 0 else abs_diff / abs(expected)
    return _make_mismatch_msg(default_identifier="Scalars",
                              extra=f"Expected {expected} but got {actual}.",
                              abs_diff=abs_diff, atol=atol, rel_diff=rel_diff, rtol=rtol)


def _tensor_mismatch_msg(actual: Tensor, expected: Tensor, matches: Tensor, *, rtol: float,
                         atol: float) -> str:
    shape = tuple(matches.shape)

    def unravel(flat_index: int) -> tuple:
        return tuple(int(i) for i in np.unravel_index(flat_index, shape)) if shape else ()

    number_of_elements = matches.numel()
    total_mismatches = number_of_elements - int(matches.sum())
    extra = (f"Mismatched elements: {total_mismatches} / {number_of_elements} "
             f"({total_mismatches / number_of_elements:.1%})")
    actual_flat = actual.flatten()
    expected_flat = expected.flatten()
    matches_flat = matches.flatten()
    if not actual.dtype.is_floating_point:
        actual_flat = actual_flat.to(_dtypes.int64)
        expected_flat = expected_flat.to(_dtypes.int64)
    abs_diff = (actual_flat - expected_flat).abs()
    abs_diff[matches_flat] = 0
    max_abs_diff, max_abs_diff_flat_idx = abs_diff.max(0)
    rel_diff = abs_diff / expected_flat.abs()
    rel_diff[matches_flat] = 0
    max_rel_diff, max_rel_diff_flat_idx = rel_diff.max(0)
    return _make_mismatch_msg(
        default_identifier="Tensor-likes", extra=extra, abs_diff=max_abs_diff.item(),
        abs_diff_idx=unravel(int(max_abs_diff_flat_idx)), atol=atol,
        rel_diff=max_rel_diff.item(), rel_diff_idx=unravel(int(max_rel_diff_flat_idx)),
        rtol=rtol)


class _Unsupported(Exception):
    """The inputs are not this pair's kind."""


def _none_pair(actual: Any, expected: Any, id: tuple, **_: Any) -> Callable:
    if not (actual is None or expected is None):
        raise _Unsupported

    def compare() -> None:
        if not (actual is None and expected is None):
            raise ErrorMeta(AssertionError, f"None mismatch: {actual} is not {expected}", id=id)

    return compare


def _boolean_pair(actual: Any, expected: Any, id: tuple, **_: Any) -> Callable:
    if not all(isinstance(x, (bool, np.bool_)) for x in (actual, expected)):
        raise _Unsupported
    a, e = bool(actual), bool(expected)

    def compare() -> None:
        if a is not e:
            raise ErrorMeta(AssertionError, f"Booleans mismatch: {a} is not {e}", id=id)

    return compare


def _number_pair(actual: Any, expected: Any, id: tuple, rtol: Any = None, atol: Any = None,
                 equal_nan: bool = False, **_: Any) -> Callable:
    if not all(isinstance(x, (int, float, np.number)) and not isinstance(x, bool)
               for x in (actual, expected)):
        raise _Unsupported
    a = actual.item() if isinstance(actual, np.number) else actual
    e = expected.item() if isinstance(expected, np.number) else expected
    rtol, atol = _get_tolerances(*[_TYPE_TO_DTYPE[type(x)] for x in (a, e)], rtol=rtol,
                                 atol=atol, id=id)

    def compare() -> None:
        if a == e:
            return
        if equal_nan and cmath.isnan(a) and cmath.isnan(e):
            return
        abs_diff = abs(a - e)
        if cmath.isfinite(abs_diff) and abs_diff <= atol + rtol * abs(e):
            return
        raise ErrorMeta(AssertionError, _scalar_mismatch_msg(a, e, rtol=rtol, atol=atol), id=id)

    return compare


def _tensor_pair(actual: Any, expected: Any, id: tuple, allow_subclasses: bool = True,
                 rtol: Any = None, atol: Any = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False, **_: Any) -> Callable:
    from ..ops.creation import as_tensor

    if not (isinstance(actual, type(expected)) or isinstance(expected, type(actual))):
        raise _Unsupported
    if not allow_subclasses and type(actual) is not type(expected):
        raise _Unsupported
    try:
        a, e = (x if isinstance(x, Tensor) else as_tensor(x) for x in (actual, expected))
    except Exception:  # noqa: BLE001
        raise _Unsupported from None
    rtol, atol = _get_tolerances(a, e, rtol=rtol, atol=atol, id=id)

    def fail(name: str, av: Any, ev: Any) -> NoReturn:
        raise ErrorMeta(AssertionError, f"The values for attribute '{name}' do not match: "
                        f"{av} != {ev}.", id=id)

    def compare() -> None:
        x, y = a, e
        if x.shape != y.shape:
            fail("shape", x.shape, y.shape)
        if check_stride and x.stride() != y.stride():
            fail("stride()", x.stride(), y.stride())
        if check_device and x.device != y.device:
            fail("device", x.device, y.device)
        if check_dtype and x.dtype != y.dtype:
            fail("dtype", x.dtype, y.dtype)
        if x.dtype != y.dtype:
            dt = _dtypes.promote_types(x.dtype, y.dtype)
            x, y = x.to(dt), y.to(dt)
        x, y = x.detach(), y.detach()
        matches = x.isclose(y, rtol=rtol, atol=atol, equal_nan=equal_nan)
        if bool(matches.all()):
            return
        if x.shape == ():
            msg = _scalar_mismatch_msg(x.item(), y.item(), rtol=rtol, atol=atol)
        else:
            msg = _tensor_mismatch_msg(x, y, matches, rtol=rtol, atol=atol)
        raise ErrorMeta(AssertionError, msg, id=id)

    return compare


_PAIRS = (_none_pair, _boolean_pair, _number_pair, _tensor_pair)


def _originate(actual: Any, expected: Any, id: tuple, options: dict) -> list:
    seq = collections.abc.Sequence
    if isinstance(actual, seq) and not isinstance(actual, str) and isinstance(expected, seq) \
            and not isinstance(expected, str):
        if len(actual) != len(expected):
            raise ErrorMeta(AssertionError, "The length of the sequences mismatch: "
                            f"{len(actual)} != {len(expected)}", id=id)
        return [c for i in range(len(actual))
                for c in _originate(actual[i], expected[i], (*id, i), options)]
    mapping = collections.abc.Mapping
    if isinstance(actual, mapping) and isinstance(expected, mapping):
        actual_keys, expected_keys = set(actual.keys()), set(expected.keys())
        if actual_keys != expected_keys:
            raise ErrorMeta(
                AssertionError, "The keys of the mappings do not match:\nMissing keys in the "
                f"actual mapping: {sorted(expected_keys - actual_keys)}\nAdditional keys in "
                f"the actual mapping: {sorted(actual_keys - expected_keys)}", id=id)
        keys: Any = actual_keys
        with contextlib.suppress(Exception):
            keys = sorted(keys)
        return [c for k in keys for c in _originate(actual[k], expected[k], (*id, k), options)]
    for make in _PAIRS:
        try:
            return [make(actual, expected, id, **options)]
        except _Unsupported:
            continue
    raise ErrorMeta(TypeError, "No comparison pair was able to handle inputs of type "
                    f"{_type_name(actual)} and {_type_name(expected)}.", id=id)


def _type_name(x: Any) -> str:
    # ember's Tensor stands for torch's, as in every message.
    return "<class 'torch.Tensor'>" if type(x) is Tensor else str(type(x))


def assert_close(actual: Any, expected: Any, *, allow_subclasses: bool = True,
                 rtol: float | None = None, atol: float | None = None, equal_nan: bool = False,
                 check_device: bool = True, check_dtype: bool = True,
                 check_layout: bool = True, check_stride: bool = False,
                 msg: str | Callable[[str], str] | None = None) -> None:
    """Asserts that actual and expected are close: |actual - expected| <= atol + rtol *
    |expected| elementwise, with default tolerances by dtype (float32: rtol 1.3e-6, atol
    1e-5; float64: 1e-7 and 1e-7; float16: 1e-3 and 1e-5; integers and bool: equality),
    over tensors, numbers, None, booleans, and sequences and mappings of them."""
    __tracebackhide__ = True
    options = dict(allow_subclasses=allow_subclasses, rtol=rtol, atol=atol,
                   equal_nan=equal_nan, check_device=check_device, check_dtype=check_dtype,
                   check_layout=check_layout, check_stride=check_stride)
    try:
        compares = _originate(actual, expected, (), options)
    except ErrorMeta as error_meta:
        raise error_meta.to_error() from None
    for compare in compares:
        try:
            compare()
        except ErrorMeta as error_meta:
            raise error_meta.to_error(msg) from None
