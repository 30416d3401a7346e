"""Opening what torch.save and torch.load take (a path, an os.PathLike or a binary file
object) and reading from it no more than the file holds."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from typing import IO, Any, Union

FileLike = Union[str, os.PathLike, IO[bytes]]

# Reads of unknown length go in pieces of this size, so that a length read from a hostile
# file never becomes one allocation larger than what the file really holds.
_CHUNK = 1 << 24


def is_path(f: Any) -> bool:
    """Whether f names a file (a str or an os.PathLike) rather than being a file object."""
    return isinstance(f, (str, os.PathLike))


@contextlib.contextmanager
def open_for_reading(f: FileLike) -> Iterator[IO[bytes]]:
    """The binary file f names, or f itself when it is a file object (left open)."""
    if is_path(f):
        with open(f, "rb") as fh:
            yield fh
    else:
        if not callable(getattr(f, "read", None)):
            raise AttributeError(f"'{type(f).__name__}' object has no attribute 'read'")
        yield f  # type: ignore[misc]


@contextlib.contextmanager
def open_for_writing(f: FileLike) -> Iterator[IO[bytes]]:
    """The binary file f names, created or truncated, or f itself when it is a file object."""
    if is_path(f):
        parent = os.path.dirname(os.path.abspath(os.fspath(f)))
        if not os.path.isdir(parent):
            raise RuntimeError(f"Parent directory {parent} does not exist.")
        with open(f, "wb") as fh:
            yield fh
    else:
        if not callable(getattr(f, "write", None)):
            msg = f"Buffer of {str(type(f)).strip('<>')} has no callable attribute 'write'"
            if not hasattr(f, "write"):
                raise AttributeError(msg)
            raise TypeError(msg)
        yield f  # type: ignore[misc]
        flush = getattr(f, "flush", None)
        if callable(flush):
            flush()


def read_at_most(fh: IO[bytes], n: int) -> bytes:
    """Up to n bytes from fh, fewer when the file ends first; memory grows with what is
    actually read, never with n."""
    if n <= _CHUNK:
        return fh.read(n)
    parts = []
    while n > 0:
        part = fh.read(min(n, _CHUNK))
        if not part:
            break
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def is_seekable(fh: IO[bytes]) -> bool:
    """Whether fh can seek (a regular file or an in-memory buffer)."""
    try:
        return bool(fh.seekable())
    except (AttributeError, ValueError, io.UnsupportedOperation):
        return False
