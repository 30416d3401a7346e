"""torch.jit as torch documents it with the JIT disabled (PYTORCH_JIT=0): `script` and
`trace` hand back the function or module itself, which runs eagerly, and the decorators
(`ignore`, `unused`, `export`) leave what they decorate as it is. ember has no TorchScript,
so saving and loading compiled programs raise."""

from __future__ import annotations

from typing import Any, Callable, Final  # noqa: F401  (torch.jit.Final)

__all__ = ["script", "trace", "trace_module", "ignore", "unused", "export", "is_scripting",
           "is_tracing", "annotate", "script_if_tracing", "interface", "Final", "save", "load",
           "freeze", "optimize_for_inference"]

_NO_TORCHSCRIPT = ("ember has no TorchScript: torch.jit.{} works on compiled programs; save "
                   "and load the model's state_dict with torch.save and torch.load instead")


def script(obj: Any, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None,
           example_inputs: Any = None) -> Any:
    """Script the function or module: with the JIT disabled, returns obj itself, which runs
    eagerly."""
    return obj


def trace(func: Any, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-05, strict: bool = True,
          _force_outplace: bool = False, _module_class: Any = None,
          _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> Any:
    """Trace a function or module: with the JIT disabled, returns func itself, which runs
    eagerly."""
    return func


def trace_module(mod: Any, inputs: Any, *args: Any, **kwargs: Any) -> Any:
    """Trace a module's methods: with the JIT disabled, returns mod itself."""
    return mod


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """Leaves a function to Python when its module is scripted; usable as `@ignore` and
    `@ignore(drop=True)`."""
    if callable(drop):
        return drop
    return lambda fn: fn


def unused(fn: Callable) -> Callable:
    """Marks a function or method to be replaced by an exception when scripted; it runs as
    written eagerly."""
    return fn


def export(fn: Callable) -> Callable:
    """Marks a method of a module as an entry point to compile; eagerly it is the method."""
    return fn


def is_scripting() -> bool:
    """Returns True while compiling with script: never, in ember."""
    return False


def is_tracing() -> bool:
    """Returns True while tracing: never, in ember."""
    return False


def annotate(the_type: Any, the_value: Any) -> Any:
    """Gives the TorchScript compiler the type of the_value; returns the_value."""
    return the_value


def script_if_tracing(fn: Callable) -> Callable:
    """Compiles fn when it is first called while tracing; eagerly it is fn."""
    return fn


def interface(obj: Any) -> Any:
    """Decorates a class or module as a TorchScript interface; eagerly it is obj."""
    return obj


def freeze(mod: Any, preserved_attrs: Any = None, optimize_numerics: bool = True) -> Any:
    """Freezes a compiled module; raises, as ember has no TorchScript."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format("freeze"))


def optimize_for_inference(mod: Any, other_methods: Any = None) -> Any:
    """Optimizes a compiled module for inference; raises, as ember has no TorchScript."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format("optimize_for_inference"))


def save(m: Any, f: Any, _extra_files: Any = None) -> None:
    """Saves a compiled module; raises, as ember has no TorchScript."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format("save"))


def load(f: Any, map_location: Any = None, _extra_files: Any = None,
         _restore_shapes: bool = False, **kwargs: Any) -> Any:
    """Loads a compiled module; raises, as ember has no TorchScript."""
    raise NotImplementedError(_NO_TORCHSCRIPT.format("load"))
