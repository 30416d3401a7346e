"""Activation checkpointing: run a function without keeping its intermediate values and
recompute them during backward."""

from __future__ import annotations

import warnings
from typing import Any, Callable

from ._checkpoint_hooks import CheckpointError

__all__ = ["checkpoint", "checkpoint_sequential", "CheckpointError"]


def _rng_state() -> Any:
    from .. import _random

    return _random.get_rng_state()


def _set_rng_state(state: Any) -> None:
    from .. import _random

    _random.set_rng_state(state)


def _checkpoint_function() -> type:
    from ..autograd.function import Function

    class CheckpointFunction(Function):
        @staticmethod
        def forward(ctx: Any, run_function: Callable, preserve_rng_state: bool,
                    *args: Any) -> Any:
            from .._tensor import Tensor

            ctx.run_function = run_function
            ctx.preserve_rng_state = preserve_rng_state
            ctx.rng_state = _rng_state() if preserve_rng_state else None
            ctx.tensor_indices = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
            ctx.inputs = [None if isinstance(a, Tensor) else a for a in args]
            ctx.save_for_backward(*[a for a in args if isinstance(a, Tensor)])
            return run_function(*args)

        @staticmethod
        def backward(ctx: Any, *grads: Any) -> tuple:
            from .._tensor import Tensor
            from ..autograd import backward as autograd_backward
            from ..autograd.grad_mode import enable_grad

            inputs = list(ctx.inputs)
            tensors = ctx.saved_tensors
            detached = []
            for i, t in zip(ctx.tensor_indices, tensors):
                d = t.detach()
                d.requires_grad_(t.requires_grad)
                inputs[i] = d
                detached.append(d)
            saved = _rng_state() if ctx.preserve_rng_state else None
            try:
                if saved is not None:
                    _set_rng_state(ctx.rng_state)
                with enable_grad():
                    outputs = ctx.run_function(*inputs)
            finally:
                if saved is not None:
                    _set_rng_state(saved)
            outs = (outputs,) if isinstance(outputs, Tensor) else tuple(outputs)
            pairs = [(o, g) for o, g in zip(outs, grads)
                     if isinstance(o, Tensor) and o.requires_grad and g is not None]
            if not pairs:
                raise RuntimeError("none of output has requires_grad=True, this checkpoint() is "
                                   "not necessary")
            autograd_backward([o for o, _ in pairs], [g for _, g in pairs])
            grads_in = [None] * len(inputs)
            for i, d in zip(ctx.tensor_indices, detached):
                grads_in[i] = d.grad if d.requires_grad else None
            return (None, None) + tuple(grads_in)

    return CheckpointFunction


_CLS: list = []


def checkpoint(function: Callable, *args: Any, use_reentrant: bool | None = None,
               context_fn: Any = None, determinism_check: str = "default", debug: bool = False,
               early_stop: bool = True, preserve_rng_state: bool = True, **kwargs: Any) -> Any:
    """Checkpoint a model or part of the model: its activations are not kept but recomputed
    in backward (with the RNG state of the forward when preserve_rng_state)."""
    if use_reentrant is None:
        warnings.warn(
            "torch.utils.checkpoint: the use_reentrant parameter should be passed explicitly. "
            "Starting in PyTorch 2.9, calling checkpoint without use_reentrant will raise an "
            "exception. use_reentrant=False is recommended, but if you need to preserve the "
            "current default behavior, you can pass use_reentrant=True. Refer to docs for more "
            "details on the differences between the two variants.", stacklevel=2)
        use_reentrant = True
    if kwargs and use_reentrant:
        raise ValueError("Unexpected keyword arguments: " + ",".join(kwargs))
    if use_reentrant:
        if context_fn is not None or debug is not False:
            raise ValueError("Passing `context_fn` or `debug` is only supported when "
                             "use_reentrant=False.")
    else:
        from ._checkpoint_hooks import checkpoint_without_reentrant

        return checkpoint_without_reentrant(function, preserve_rng_state, context_fn,
                                            determinism_check, early_stop, args, kwargs)
    fn = function if not kwargs else (lambda *a: function(*a, **kwargs))
    if not _CLS:
        _CLS.append(_checkpoint_function())
    return _CLS[0].apply(fn, preserve_rng_state, *args)


def checkpoint_sequential(functions: Any, segments: int, input: Any,
                          use_reentrant: bool | None = None, **kwargs: Any) -> Any:
    """Checkpoints a sequential model in `segments` chunks."""
    funcs = list(functions.children()) if hasattr(functions, "children") else list(functions)
    size = max(len(funcs) // segments, 1)
    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1

        def run(x: Any, s: int = start, e: int = end) -> Any:
            for f in funcs[s:e + 1]:
                x = f(x)
            return x

        input = checkpoint(run, input, use_reentrant=use_reentrant, **kwargs)
    for f in funcs[end + 1:]:
        input = f(input)
    return input
