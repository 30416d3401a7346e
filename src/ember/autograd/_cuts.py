"""Where tensors lose their history, for `explain`: a record kept only while a program asks
for it (`with ember.autograd.record_cuts(): ...`), because a cut tensor is not in any graph
that `explain` could read afterwards.

The ops that cut a path (detach(), .data, argmax/argmin, comparisons, casts to an integer
dtype) look at `recorder` and do nothing more while it is None. While it is set they note
the tensor whose path ends there, how, and the program's line. Blocks with grad mode off
(no_grad, inference_mode, set_grad_enabled(False)) are seen by watching the grad-mode switch
while recording, and only then: the tensors such a block binds to names in the program's
frame are noted as made without grad. Notes are weak: they die with their tensors.
"""

from __future__ import annotations

import os
import sys
import weakref
from typing import Any

from . import grad_mode, graph

__all__ = ["recorder", "record_cuts", "note", "cut_of", "made_at"]


class Record:
    """The notes of one recording, by tensor id: `cuts` (weak reference, [(how, where)]) and
    `made` (weak reference, (mode, where)). Not WeakKeyDictionaries: they compare keys with
    ==, which on tensors is elementwise."""

    def __init__(self) -> None:
        self.cuts: dict[int, tuple] = {}
        self.made: dict[int, tuple] = {}
        self.blocks: list = []  # open grad-mode-off blocks: [frame, names -> tensors, line]


# The recording in progress, or None (the only thing the ops look at when nothing records).
recorder: Record | None = None
# The latest recording, still read by explain after its block ended.
_latest: list = [None]

_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _program_frame() -> Any:
    """The innermost frame outside ember."""
    frame = sys._getframe(2)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
    return frame


def _line(frame: Any, lineno: int | None = None) -> str:
    if frame is None:
        return "an unknown line"
    name = os.path.basename(frame.f_code.co_filename)
    return f"{name}:{frame.f_lineno if lineno is None else lineno}"


def _forget(table: dict, key: int) -> Any:
    def forget(ref: Any) -> None:
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]
    return forget


def note(source: Any, how: str) -> None:
    """Called by a cutting op while a recording is on: `source`'s path ends here."""
    rec = recorder
    if rec is None or not source._rg:
        return
    where = _line(_program_frame())
    entry = rec.cuts.get(id(source))
    if entry is None or entry[0]() is not source:
        entry = (weakref.ref(source, _forget(rec.cuts, id(source))), [])
        rec.cuts[id(source)] = entry
    if (how, where) not in entry[1]:
        entry[1].append((how, where))


def _tensors(frame: Any) -> dict:
    """Names -> tensors among the frame's variables (type() never runs user code)."""
    cls = graph.Tensor
    return {k: v for k, v in frame.f_locals.items() if issubclass(type(v), cls)}


class _WatchedState(grad_mode._ModeState):
    """The grad-mode state while recording: turning grad mode off opens a block in the
    program's frame, turning it back on marks what the block bound there."""

    # The value stays where the plain state keeps it (each thread's own dict), so threads
    # that switched grad mode before the recording began keep their setting.
    @property
    def enabled(self) -> bool:
        return self.__dict__.get("enabled", True)

    @enabled.setter
    def enabled(self, value: bool) -> None:
        was = self.__dict__.get("enabled", True)
        self.__dict__["enabled"] = value
        rec = recorder
        if rec is None or bool(was) == bool(value):
            return
        if not value:
            frame = _program_frame()
            if frame is not None:
                rec.blocks.append([frame, _tensors(frame), frame.f_lineno])
        elif rec.blocks:
            frame, before, line = rec.blocks.pop()
            mode = "inference_mode" if self.inference else "no_grad"
            where = _line(frame, line)
            for v in _tensors(frame).values():
                if any(v is b for b in before.values()) or v._rg:
                    continue
                rec.made[id(v)] = (weakref.ref(v, _forget(rec.made, id(v))), (mode, where))


class record_cuts:
    """Context manager that records where tensors lose their history: detach(), .data,
    argmax, comparisons, integer casts, and tensors made inside no_grad or inference_mode.
    `ember.autograd.explain` then names the cut and its line. Costs nothing while off."""

    def __enter__(self) -> record_cuts:
        global recorder
        self.prev = recorder
        self.prev_class = type(grad_mode.state)
        recorder = Record()
        _latest[0] = recorder
        grad_mode.state.__class__ = _WatchedState
        return self

    def __exit__(self, *exc: Any) -> None:
        global recorder
        grad_mode.state.__class__ = self.prev_class
        recorder = self.prev


def _lookup(table_name: str, t: Any) -> Any:
    rec = recorder if recorder is not None else _latest[0]
    entry = getattr(rec, table_name).get(id(t)) if rec is not None else None
    if entry is None or entry[0]() is not t:
        return None
    return entry[1]


def cut_of(t: Any) -> list[tuple[str, str]] | None:
    """The recorded cuts of `t`'s path as (how, where), in the order they happened."""
    return _lookup("cuts", t)


def made_at(t: Any) -> tuple[str, str] | None:
    """(grad mode, where) for a tensor made with grad mode off while recording."""
    return _lookup("made", t)
