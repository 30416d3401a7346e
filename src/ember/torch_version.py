"""torch.torch_version: TorchVersion, the str that `torch.__version__` is, which compares
as a version (PEP 440) with strings, tuples and `packaging` versions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

__all__ = ["TorchVersion"]

# PEP 440, as packaging.version reads it (case-insensitive, with its spelling variants).
_VERSION = re.compile(
    r"\s*v?(?:(?P<epoch>\d+)!)?(?P<release>\d+(?:\.\d+)*)"
    r"(?:[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>\d+)?)?"
    r"(?:-(?P<post_n1>\d+)|[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>\d+)?)?"
    r"(?:[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>\d+)?)?"
    r"(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*", re.IGNORECASE)
_PRE = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "pre": "rc", "preview": "rc",
        "rc": "rc"}
# Missing segments sort below (_LOW) or above (_HIGH) every present one, as in PEP 440.
_LOW, _HIGH = (0,), (2,)


class _InvalidVersion(ValueError):
    pass


def _sort_key(text: str) -> tuple:
    m = _VERSION.fullmatch(text)
    if m is None:
        raise _InvalidVersion(text)
    release = [int(p) for p in m["release"].split(".")]
    while len(release) > 1 and release[-1] == 0:
        release.pop()
    post = m["post_n1"] or m["post_n2"] or ("0" if m["post_l"] else None)
    dev = m["dev_n"] or ("0" if m["dev_l"] else None)
    if m["pre_l"]:
        pre = (1, _PRE[m["pre_l"].lower()], int(m["pre_n"] or 0))
    else:
        pre = _LOW if post is None and dev is not None else _HIGH
    local = _LOW if m["local"] is None else (1, tuple(
        (1, int(p), "") if p.isdigit() else (0, 0, p.lower())
        for p in re.split(r"[-_.]", m["local"])))
    return (int(m["epoch"] or 0), tuple(release), pre,
            _LOW if post is None else (1, int(post)),
            _HIGH if dev is None else (1, int(dev)), local)


def _as_text(other: Any) -> str:
    if isinstance(other, str):
        return other
    if isinstance(other, Iterable):
        # (1, 20, 1) reads as "1.20.1".
        return ".".join(str(item) for item in other)
    if hasattr(other, "release"):  # a packaging.version.Version
        return str(other)
    raise _InvalidVersion(other)


class TorchVersion(str):
    """A string that compares as a version: with another version string
    (`torch.__version__ >= "2.2"`), a tuple (`> (1, 2, 1)`) or a `packaging` Version. A
    string that is not a version falls back to comparing as a string."""

    __slots__ = ()

    def _compare(self, other: Any, method: str) -> Any:
        try:
            mine, theirs = _sort_key(self), _sort_key(_as_text(other))
        except _InvalidVersion:
            return getattr(str, method)(self, other)
        return getattr(mine, method)(theirs)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, "__gt__")

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, "__lt__")

    def __eq__(self, other: Any) -> Any:
        return self._compare(other, "__eq__")

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, "__ge__")

    def __le__(self, other: Any) -> Any:
        return self._compare(other, "__le__")

    __hash__ = str.__hash__
