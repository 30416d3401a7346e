"""Where tensors without history came from, for `explain`: a tensor assigned inside a
`no_grad` (or `inference_mode`) block carries no graph even when its inputs required grad.

Nothing here runs per operation. Entering such a block notes which tensors the caller's
frame holds; leaving it marks the tensors that the block bound to names there and that do
not require grad. Marks are weak: they die with their tensors.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

__all__ = ["enter_block", "exit_block", "made_without_grad"]

# id(tensor) -> (weak reference, where). Not a WeakKeyDictionary: that compares keys with ==,
# which on tensors is elementwise.
_marks: dict[int, tuple] = {}
_tensor_type: list = []


def _tensor_cls() -> type:
    if not _tensor_type:
        from .._tensor import Tensor

        _tensor_type.append(Tensor)
    return _tensor_type[0]


def _scan(frame: Any) -> dict:
    """Names -> tensors among the frame's variables."""
    cls = _tensor_cls()
    names = frame.f_locals
    # type(v) never runs user code, unlike isinstance on objects with a __class__ property.
    # Before Python 3.13 a function's f_locals is a copy cached on the frame, so tensors the
    # function drops after the block live on until it returns. Emptying that copy would
    # also empty a dict the function got from locals(), so it is left alone.
    return {name: v for name, v in names.items() if issubclass(type(v), cls)}


def enter_block(depth: int = 2) -> Any:
    """Called by a grad-mode context manager's __enter__ when it turns recording off:
    returns the token that exit_block needs."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    return [frame, _scan(frame), frame.f_lineno]


def exit_block(token: Any, kind: str = "no_grad") -> None:
    """Called by the same context manager's __exit__: marks the tensors the block made."""
    if not token:
        return
    frame, before, line = token
    token.clear()  # the context manager may outlive the block: keep no frame alive
    where = f"{kind} block at {os.path.basename(frame.f_code.co_filename)}:{line}"
    for name, v in _scan(frame).items():
        if before.get(name) is not v and not v._rg:
            _mark(v, where)


def _mark(t: Any, where: str) -> None:
    key = id(t)

    def forget(ref: Any) -> None:
        entry = _marks.get(key)
        if entry is not None and entry[0] is ref:
            del _marks[key]

    _marks[key] = (weakref.ref(t, forget), where)


def made_without_grad(t: Any) -> str | None:
    """Where `t` was made with grad mode off ("no_grad block at file.py:12"), if known."""
    entry = _marks.get(id(t))
    if entry is None or entry[0]() is not t:
        return None
    return entry[1]
