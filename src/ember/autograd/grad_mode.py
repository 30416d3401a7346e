"""Grad modes: thread-local switches that decide whether operations record a graph."""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

__all__ = [
    "no_grad", "enable_grad", "set_grad_enabled", "inference_mode", "is_grad_enabled",
    "is_inference_mode_enabled",
]


class _ModeState(threading.local):
    # Class attributes are each thread's starting values.
    enabled = True
    inference = False


state = _ModeState()


def is_grad_enabled() -> bool:
    """Returns True if grad mode is currently enabled."""
    return state.enabled


def is_inference_mode_enabled() -> bool:
    """Returns True if inference mode is currently enabled."""
    return state.inference


class _DecoratorContextManager:
    """A context manager that also works as a function decorator, as torch's grad modes do."""

    def __call__(self, func: Callable) -> Callable:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return wrapper

    def clone(self):
        return type(self)()


class _NoParamDecoratorContextManager(_DecoratorContextManager):
    """Also works as a bare decorator: `@no_grad` as well as `@no_grad()`."""

    def __new__(cls, orig_func: Callable | None = None):
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_NoParamDecoratorContextManager):
    """Context-manager that disables gradient calculation."""

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = False

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class enable_grad(_NoParamDecoratorContextManager):
    """Context-manager that enables gradient calculation."""

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = state.enabled
        state.enabled = True

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class set_grad_enabled(_DecoratorContextManager):
    """Context-manager that sets gradient calculation on or off. It takes effect at once,
    so it also works as a plain function call."""

    def __init__(self, mode: bool) -> None:
        self.prev = state.enabled
        self.mode = mode
        state.enabled = mode

    def __call__(self, func: Callable) -> Callable:
        state.enabled = self.prev
        return super().__call__(func)

    def clone(self):
        return type(self)(self.mode)

    def __enter__(self) -> None:
        state.enabled = self.mode

    def __exit__(self, *exc: Any) -> None:
        state.enabled = self.prev


class inference_mode(_DecoratorContextManager):
    """Context-manager that enables or disables inference mode: no graph is recorded."""

    def __new__(cls, mode_or_func: Any = True):
        # `@inference_mode` bare decorates the function with inference mode on.
        if isinstance(mode_or_func, bool):
            return super().__new__(cls)
        return cls()(mode_or_func)

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode
        self.prev = (True, False)

    def __call__(self, func: Callable) -> Callable:
        if not callable(func) or isinstance(func, bool):
            raise TypeError("inference_mode takes a function or a bool")
        return super().__call__(func)

    def clone(self):
        return type(self)(self.mode)

    def __enter__(self) -> None:
        self.prev = (state.enabled, state.inference)
        # As torch: turning inference mode off turns grad mode on.
        state.enabled = not self.mode
        state.inference = bool(self.mode)

    def __exit__(self, *exc: Any) -> None:
        state.enabled, state.inference = self.prev
