"""Argument helpers the layers share."""

from __future__ import annotations

from typing import Any


def _ntuple(v: Any, n: int) -> tuple:
    if isinstance(v, (list, tuple)):
        return tuple(v)
    return (v,) * n
