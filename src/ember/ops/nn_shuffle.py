"""pixel_shuffle, pixel_unshuffle and channel_shuffle.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from .._transform_hooks import transform_ops
from . import _math
from ._core import (
    attach,
    needs_grad,
    node_class,
    wrap,
)
from ._math import register_math_pairs

__all__ = []


def _pixel_shuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    # (*, C*r*r, H, W) -> (*, C, H*r, W*r): out[c, h*r+i, w*r+j] = in[c*r*r + i*r + j, h, w]
    *lead, c, h, w = x.shape
    n = len(lead)
    y = x.reshape(*lead, c // (r * r), r, r, h, w)
    y = y.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return y.reshape(*lead, c // (r * r), h * r, w * r)


def _pixel_unshuffle_np(x: np.ndarray, r: int) -> np.ndarray:
    *lead, c, hr, wr = x.shape
    n = len(lead)
    y = x.reshape(*lead, c, hr // r, r, wr // r, r)
    y = y.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return y.reshape(*lead, c * r * r, hr // r, wr // r)


PixelShuffleBackward0 = node_class("PixelShuffleBackward0",
                                   lambda m, g, r: m.pixel_unshuffle(g, r))
PixelUnshuffleBackward0 = node_class("PixelUnshuffleBackward0",
                                     lambda m, g, r: m.pixel_shuffle(g, r))


def _check_shuffle(x: np.ndarray, name: str, factor: int, what: str) -> None:
    if x.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got "
                           f"input with {x.ndim} dimension(s)")
    if factor <= 0:
        raise RuntimeError(f"{name} expects a positive {what}, but got {factor}")


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """Rearranges (*, C*r^2, H, W) into (*, C, H*r, W*r), r the upscale factor."""
    x, r = input._data, upscale_factor
    _check_shuffle(x, "pixel_shuffle", r, "upscale_factor")
    if x.shape[-3] % (r * r):
        raise RuntimeError(
            "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
            f"square of upscale_factor, but input.size(-3)={x.shape[-3]} is not divisible by "
            f"{r * r}")
    out = wrap(np.ascontiguousarray(_pixel_shuffle_np(x, r)))
    if needs_grad(input):
        attach(PixelShuffleBackward0, out, (input,), (), (r,))
    return out


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """Rearranges (*, C, H*r, W*r) into (*, C*r^2, H, W), r the downscale factor."""
    x, r = input._data, downscale_factor
    _check_shuffle(x, "pixel_unshuffle", r, "downscale_factor")
    for dim, what in ((-2, "height"), (-1, "width")):
        if x.shape[dim] % r:
            raise RuntimeError(
                f"pixel_unshuffle expects {what} to be divisible by downscale_factor, but "
                f"input.size({dim})={x.shape[dim]} is not divisible by {r}")
    out = wrap(np.ascontiguousarray(_pixel_unshuffle_np(x, r)))
    if needs_grad(input):
        attach(PixelUnshuffleBackward0, out, (input,), (), (r,))
    return out


# The formulas' shuffle helpers, as NumPy (plain backward) and as ember ops (create_graph).
register_math_pairs({
    "pixel_shuffle": (_pixel_shuffle_np, lambda x, r: pixel_shuffle(x, r)),
    "pixel_unshuffle": (_pixel_unshuffle_np, lambda x, r: pixel_unshuffle(x, r)),
})


def _channel_shuffle(m: Any, x: Any, groups: int) -> Any:
    # (N, C, *) -> (N, g, C/g, *) -> (N, C/g, g, *) -> (N, C, *), for arrays or tensors.
    shape = tuple(x.shape)
    split = shape[:1] + (groups, shape[1] // groups) + shape[2:]
    return m.reshape(m.transpose(m.reshape(x, split), 1, 2), shape)


# The shuffle by C/g groups undoes the shuffle by g.
ChannelShuffleBackward0 = node_class(
    "ChannelShuffleBackward0",
    lambda m, g, groups: _channel_shuffle(m, g, g.shape[1] // groups))


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Divide the channels in a tensor of shape (N, C, *) into g groups and rearrange them
    as (N, C/g, g, *), keeping the original tensor shape."""
    if not isinstance(groups, int) or isinstance(groups, bool):
        raise TypeError("channel_shuffle(): argument 'groups' (position 2) must be int, not "
                        f"{type(groups).__name__}")
    x = input._data
    if x.ndim <= 2:
        raise RuntimeError("channel_shuffle expects input with > 2 dims, but got input with "
                           f"sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError("Number of groups to divide channels in must be positive. Value of "
                           f"groups:{groups}")
    if x.shape[1] % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {x.shape[1]} "
                           f"channels and {groups} groups.")
    out = wrap(np.ascontiguousarray(_channel_shuffle(_math.raw, x, groups)))
    if needs_grad(input):
        attach(ChannelShuffleBackward0, out, (input,), (), (groups,))
    return out


RreluWithNoiseBackward0 = node_class("RreluWithNoiseBackward0",
                                     lambda m, g, x, noise: m.tie(g * m.const(noise), x))
RreluWithNoiseBackward1 = node_class("RreluWithNoiseBackward1",
                                     lambda m, g, noise: g * m.const(noise))


# Last, before any other module imports them: every importer holds the transform-aware
# ops (see _transform_hooks).
transform_ops(globals())
