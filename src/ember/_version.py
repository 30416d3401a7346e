"""Version counters: how many times a tensor's memory was changed in place. Views and
detach() share their base's counter; saved tensors remember the version they had.

A counter is a little-endian bytearray: mutable and shared like torch's counter, yet not an
object that Python's cyclic collector tracks, so that a node can keep the counter of a
tensor it saved without keeping the tensor (and without adding to what the collector walks
on every full collection of a large graph). Most tensors are never viewed, detached, saved
or changed in place, so a tensor starts with the shared immutable zero ZERO_VC and gets a
counter of its own only when one is needed.
"""

from __future__ import annotations

from typing import Any

ZERO_VC: bytes = bytes(8)
_ONE = bytes((1,)) + bytes(7)


def shared_counter(t: Any) -> bytearray:
    """The tensor's own counter, made on first need, to share with a view or to save."""
    vc = t._vc
    if vc is ZERO_VC:
        vc = t._vc = bytearray(8)
    return vc


def saved_counter(t: Any) -> tuple:
    """(counter, snapshot) for a node that saves `t`: the counter has changed since saving
    exactly when `counter != snapshot`."""
    vc = t._vc
    if vc is ZERO_VC:
        vc = t._vc = bytearray(8)
        return vc, ZERO_VC
    return vc, snapshot(vc)


def snapshot(vc: Any) -> bytes:
    """The counter's present value, to compare the counter with later (`vc != snapshot`)."""
    return ZERO_VC if vc == ZERO_VC else bytes(vc)


def version(vc: Any) -> int:
    """The counter's value as a number."""
    return int.from_bytes(vc, "little") & _VERSION_MASK


# The last byte flags a tensor that was detached in place after it was saved: its
# counter then differs from every snapshot taken before, and the node can tell why.
_VERSION_MASK = (1 << 56) - 1


def mark_detached(t: Any) -> None:
    """Records detach_() of a tensor that requires grad, for the nodes that saved it."""
    if t._rg and t._vc is not ZERO_VC:
        t._vc[7] = 1


def detached_since(vc: Any, snap: bytes) -> bool:
    """Whether the counter's tensor was detached in place after the snapshot was taken."""
    return vc[7] != snap[7]


def bump_version(t: Any) -> None:
    """Records an in-place change of the tensor's memory."""
    vc = t._vc
    if vc is ZERO_VC:
        t._vc = bytearray(_ONE)
    elif vc[0] != 255:
        vc[0] += 1
    else:
        vc[:] = (int.from_bytes(vc, "little") + 1).to_bytes(8, "little")
