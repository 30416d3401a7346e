"""Version counters: how many times a tensor's memory was changed in place. Views and
detach() share their base's counter; saved tensors remember the version they had.

Most tensors are never viewed, detached or changed in place, so a tensor starts with the
shared immutable counter ZERO_VC and gets a counter of its own only when one is needed: one
object less per op for Python's cyclic collector to walk.
"""

from __future__ import annotations

from typing import Any

ZERO_VC: tuple = (0,)


def shared_counter(t: Any) -> list:
    """The tensor's own counter, made on first need, to share with a view or to save."""
    vc = t._vc
    if vc is ZERO_VC:
        vc = t._vc = [0]
    return vc


def bump_version(t: Any) -> None:
    """Records an in-place change of the tensor's memory."""
    vc = t._vc
    if vc is ZERO_VC:
        t._vc = [1]
    else:
        vc[0] += 1
