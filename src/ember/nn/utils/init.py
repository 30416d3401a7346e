"""skip_init: a module made without its parameter initialization."""

from __future__ import annotations

import inspect
from typing import Any

from ... import _random
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls: Any, *args: Any, **kwargs: Any) -> Any:
    """Given a module class object and args / kwargs, instantiate the module without
    initializing parameters / buffers."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    # torch builds the module on the meta device, which draws nothing, and then gives it
    # uninitialized storage; ember has no meta device, so it builds the module as usual
    # and puts the default generator back: the parameters hold values no program may rely
    # on, and the random stream goes on as torch's does.
    with _random.fork_rng():
        return module_cls(*args, **kwargs)
