"""Printing tensors: ``repr(tensor)`` and the print options, character for character as torch.

A tensor prints as ``tensor(<values>, <suffixes>)``. The values are laid out by one formatter
shared by every element, so that all of them take a common width; the suffixes (``size=``,
``dtype=``, ``grad_fn=`` or ``requires_grad=True``) follow and move to their own line when the
last line would grow past ``linewidth``.

Tensors with more than ``threshold`` elements are summarised: along each dimension longer than
``2 * edgeitems`` only the first and last ``edgeitems`` entries are shown, around ``...``. Only
those entries are ever formatted, so printing a large tensor costs little.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from . import _dtypes

__all__ = ["set_printoptions", "get_printoptions", "printoptions", "tensor_repr", "PRINT_OPTS"]


@dataclasses.dataclass
class _PrinterOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrinterOptions()

# precision, threshold, edgeitems, linewidth
_PROFILES: dict[str, tuple[int, float, int, int]] = {
    "default": (4, 1000, 3, 80),
    "short": (2, 1000, 2, 80),
    "full": (4, math.inf, 3, 80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set options for printing.

    Args:
        precision: Number of digits of precision for floating point output (default = 4).
        threshold: Total number of array elements which trigger summarization rather than
            full `repr` (default = 1000).
        edgeitems: Number of array items in summary at beginning and end of each dimension
            (default = 3).
        linewidth: The number of characters per line for the purpose of inserting line
            breaks (default = 80). Thresholded matrices will ignore this parameter.
        profile: Sane defaults for pretty printing. Can override with any of the above
            options. (any one of `default`, `short`, `full`)
        sci_mode: Enable (True) or disable (False) scientific notation. If None (default)
            is specified, the value is chosen automatically.
    """
    if profile in _PROFILES:
        (PRINT_OPTS.precision, PRINT_OPTS.threshold,
         PRINT_OPTS.edgeitems, PRINT_OPTS.linewidth) = _PROFILES[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    # torch resets sci_mode on every call, even when it is not passed.
    PRINT_OPTS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    """Gets the current options for printing, as a dictionary that can be passed as
    ``**kwargs`` to set_printoptions()."""
    return dataclasses.asdict(PRINT_OPTS)


@contextlib.contextmanager
def printoptions(**kwargs: Any) -> Iterator[None]:
    """Context manager that temporarily changes the print options. Accepted arguments are
    same as :func:`set_printoptions`."""
    old = get_printoptions()
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        set_printoptions(**old)


# --------------------------------------------------------------------------- formatters


class _Formatter:
    """Chooses one layout (fixed, integer-valued or scientific) and one width for all the
    elements it will print, from the values it is shown."""

    __slots__ = ("floating", "int_mode", "sci_mode", "width")

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.width = 1
        if values.size == 0:
            return
        if not self.floating:
            if values.dtype.kind == "b":
                self.width = 4 if values.all() else 5
            else:
                lo, hi = values.min().item(), values.max().item()
                self.width = max(len(str(lo)), len(str(hi)))
            return

        flat = values.ravel()
        vals = flat[np.isfinite(flat) & (flat != 0)]
        if vals.size == 0:
            # Only zeros, nans and infs: nothing to size the layout by.
            return
        mags = np.abs(vals).astype(np.float64)
        lo, hi = mags.min(), mags.max()
        self.int_mode = bool(np.all(vals == np.ceil(vals)))
        sci = PRINT_OPTS.sci_mode
        if sci is None:
            with np.errstate(over="ignore"):  # a ratio past the float range is just inf
                ratio = hi / lo
            sci = ratio > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
        self.sci_mode = sci

        # Widths of the fixed layouts grow with |x|, and the scientific exponent's digit
        # count is extreme at the extremes of |x|, so the smallest and largest value of
        # each sign are enough to find the widest string.
        probes = []
        for part in (vals[vals > 0], vals[vals < 0]):
            if part.size:
                probes += [part.min().item(), part.max().item()]
        p = PRINT_OPTS.precision
        if self.sci_mode:
            self.width = max(1, *(len(f"{v:.{p}e}") for v in probes))
        elif self.int_mode:
            # The trailing '.' marks the tensor as floating point.
            self.width = max(1, *(len(f"{v:.0f}") + 1 for v in probes))
        else:
            self.width = max(1, *(len(f"{v:.{p}f}") for v in probes))

    def format(self, value: Any) -> str:
        if self.floating:
            p = PRINT_OPTS.precision
            if self.sci_mode:
                s = f"{value:{self.width}.{p}e}"
            elif self.int_mode:
                s = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = f"{value:.{p}f}"
        else:
            s = f"{value}"
        return (self.width - len(s)) * " " + s


def _summarized(data: np.ndarray) -> np.ndarray:
    """The elements a summarised print shows: the edge items of every long dimension."""
    if data.ndim == 0:
        return data
    e = PRINT_OPTS.edgeitems
    if not e:
        return data if data.ndim == 1 else np.empty((0,) * data.ndim, data.dtype)
    for axis, n in enumerate(data.shape):
        if n > 2 * e:
            data = data.take(np.r_[0:e, n - e:n], axis=axis)
    return data


def _vector_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    # Each element takes its width plus the ", " after it.
    per_line = max(1, math.floor((PRINT_OPTS.linewidth - indent) / (fmt.width + 2)))
    e = PRINT_OPTS.edgeitems
    if summarize and not e:
        items = ["..."]
    elif summarize and data.shape[0] > 2 * e:
        items = ([fmt.format(v) for v in data[:e].tolist()] + [" ..."]
                 + [fmt.format(v) for v in data[-e:].tolist()])
    else:
        items = [fmt.format(v) for v in data.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested_str(data: np.ndarray, indent: int, summarize: bool, fmt: _Formatter) -> str:
    if data.ndim == 0:
        return fmt.format(data.item())
    if data.ndim == 1:
        return _vector_str(data, indent, summarize, fmt)
    n, e = data.shape[0], PRINT_OPTS.edgeitems
    if summarize and n > 2 * e:
        rows = ([_nested_str(data[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                + [_nested_str(data[i], indent + 1, summarize, fmt) for i in range(n - e, n)])
    else:
        rows = [_nested_str(data[i], indent + 1, summarize, fmt) for i in range(n)]
    # Blocks of higher dimensions are set apart by more blank lines.
    sep = "," + "\n" * (data.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(rows) + "]"


def _tensor_str(data: np.ndarray, indent: int) -> str:
    if data.size == 0:
        return "[]"
    summarize = data.size > PRINT_OPTS.threshold
    fmt = _Formatter(_summarized(data) if summarize else data)
    return _nested_str(data, indent, summarize, fmt)


def _add_suffixes(tensor_str: str, suffixes: list[str], indent: int) -> str:
    parts = [tensor_str]
    # Matches torch's count, which runs two past the last line's length.
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


# --------------------------------------------------------------------------- tensor repr


def _is_ember_class(cls: type, name: str) -> bool:
    return cls.__name__ == name and cls.__module__.split(".")[0] == "ember"


def _class_prefix(t: Any) -> tuple[str, bool]:
    """The opening of the repr, and whether the tensor is a user subclass of Parameter.

    Tensors and Parameters print as ``tensor(``; user subclasses of Tensor print their own
    class name instead.
    """
    cls = type(t)
    if cls.__module__.split(".")[0] == "ember":
        return "tensor(", False
    bases = cls.__mro__[1:]
    if not any(_is_ember_class(b, "Tensor") for b in bases):
        return "tensor(", False
    return cls.__name__ + "(", any(_is_ember_class(b, "Parameter") for b in bases)


def tensor_repr(t: Any, *, tensor_contents: str | None = None) -> str:
    """The string ``repr(t)`` and ``str(t)`` give for a tensor: its values laid out under the
    current print options, followed by the size, dtype and autograd suffixes that apply.

    ``tensor_contents``, when given, replaces the printed values.
    """
    data = np.asarray(t._data)
    prefix, parameter_subclass = _class_prefix(t)
    indent = len(prefix)
    suffixes = []
    dtype = t.dtype
    default = _dtypes.get_default_dtype()

    if getattr(t, "is_meta", False):
        # No values to show: torch names the device and always the size.
        suffixes += ["device='meta'", "size=" + str(tuple(data.shape))]
        if dtype != default:
            suffixes.append("dtype=" + repr(dtype))
        body = "..."
    elif data.size == 0:
        # Only shape (0,) is implied by "[]"; any other shape is spelled out, as NumPy does.
        if data.ndim != 1:
            suffixes.append("size=" + str(tuple(data.shape)))
        # No values hint at the dtype, so any but the default float dtype is named.
        if dtype != default:
            suffixes.append("dtype=" + repr(dtype))
        body = tensor_contents if tensor_contents is not None else "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append("size=" + str(tuple(data.shape)))
        if dtype not in (default, _dtypes.int64, _dtypes.bool):
            suffixes.append("dtype=" + repr(dtype))
        body = tensor_contents if tensor_contents is not None else _tensor_str(data, indent)

    try:
        grad_fn = getattr(t, "grad_fn", None)
        # torch prints the node's class name, also where name() is the C++ one (CopySlices).
        grad_fn_name = None if grad_fn is None else type(grad_fn).__name__
    except RuntimeError:
        # A view that may not take its base's in-place change has no valid history.
        grad_fn_name = "Invalid"
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")

    out = _add_suffixes(prefix + body, suffixes, indent)
    if parameter_subclass:
        out = f"Parameter({out})"
    return out
