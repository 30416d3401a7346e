"""Anomaly detection: remember where each node was created, report it when that node's
backward fails, and fail on NaN gradients.

Recording costs nothing while the mode is off: node creation looks at one global hook slot
(`graph.attach_hook`), which is only set while anomaly mode or saved-tensor hooks are on.
"""

from __future__ import annotations

import os
import traceback
import warnings
from typing import Any

import numpy as np

from . import graph
from .grad_mode import _DecoratorContextManager

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]


class _AnomalyState:
    # One setting for the process, as torch's AnomalyMode: a mode set in one thread holds in
    # every thread.
    enabled = False
    check_nan = True


_state = _AnomalyState()

# ember's own source files: frames from them are left out of a recorded forward traceback.
_PACKAGE_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "")


def is_anomaly_enabled() -> bool:
    """Returns True if anomaly detection is currently enabled."""
    return _state.enabled


def is_anomaly_check_nan_enabled() -> bool:
    """Returns True if anomaly detection checks backward results for NaN."""
    return _state.check_nan


def _attach_source() -> Any:
    # Node creation records the forward traceback while the mode is on.
    return _record_call if _state.enabled else None


def _record_call(node: Any, outs: tuple) -> None:
    record(node)


graph.attach_sources.append(_attach_source)


def _set(enabled: bool, check_nan: bool) -> None:
    _state.enabled = enabled
    _state.check_nan = check_nan
    graph.refresh_attach_hook()


class detect_anomaly(_DecoratorContextManager):
    """Context-manager that enables anomaly detection for the autograd engine: the forward
    traceback of a node whose backward fails is shown, and NaN results raise."""

    def __init__(self, check_nan: bool = True) -> None:
        self.prev = _state.enabled
        self.check_nan = check_nan
        self.prev_check_nan = _state.check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)

    def clone(self):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return type(self)(self.check_nan)

    def __enter__(self) -> None:
        self.prev, self.prev_check_nan = _state.enabled, _state.check_nan
        _set(True, self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev, self.prev_check_nan)


class set_detect_anomaly(_DecoratorContextManager):
    """Context-manager (or plain call) that sets anomaly detection on or off."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev, self.prev_check_nan = _state.enabled, _state.check_nan
        self.mode, self.check_nan = mode, check_nan
        _set(mode, check_nan)

    def clone(self):
        return type(self)(self.mode, self.check_nan)

    def __enter__(self) -> None:
        _set(self.mode, self.check_nan)

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev, self.prev_check_nan)


def record(node: Any) -> None:
    """Stores the forward traceback on a new node (only called while the mode is on)."""
    stack = traceback.extract_stack()
    # Drop ember's own frames at the top of the stack (the op and the recording).
    while stack and _is_internal(stack[-1].filename):
        stack.pop()
    node._trace = traceback.format_list(stack)


def _is_internal(filename: str) -> bool:
    # By the package's real location: a program of the user's may well lie in some other
    # folder named ember (a clone of this project is one).
    return os.path.abspath(filename).startswith(_PACKAGE_DIR)


def report(node: Any) -> None:
    """Warns with the forward traceback of the node whose backward failed."""
    trace = getattr(node, "_trace", None)
    if trace is None:
        msg = (f"Error detected in {node.name()}. No forward pass information available. "
               "Enable detect anomaly during forward pass for more information.")
    else:
        msg = (f"Error detected in {node.name()}. Traceback of forward call that caused the "
               "error:\n" + "".join(trace))
    warnings.warn(msg, stacklevel=2)


def check_nan(node: Any, outs: tuple) -> None:
    """Raises torch's error when a backward result holds NaN."""
    if not _state.check_nan:
        return
    for i, g in enumerate(outs):
        if g is None:
            continue
        data = g if isinstance(g, np.ndarray) else getattr(g, "_data", None)
        if data is not None and data.dtype.kind == "f" and np.isnan(data).any():
            raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th "
                               "output.")
