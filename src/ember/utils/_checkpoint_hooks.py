"""Non-reentrant activation checkpointing, built on saved-tensor hooks as torch's is: during
the forward every tensor an op saves is replaced by an empty holder; the first unpack of a
holder in backward reruns the function (same inputs, same RNG state) with hooks that fill
the holders with the recomputed tensors, which then take the saved tensors' places in the
original graph. Backward through them, double backward and autograd.grad inside the
function all work as without checkpointing."""

from __future__ import annotations

import contextlib
import weakref
from typing import Any, Callable

__all__ = ["CheckpointError", "checkpoint_without_reentrant"]


class CheckpointError(RuntimeError):
    """Error raised when a recomputation does not reproduce the original forward."""


_DEBUG_TIP = """
Tip: To see a more detailed error message, either pass `debug=True` to
`torch.utils.checkpoint.checkpoint(...)` or wrap the code block
with `with torch.utils.checkpoint.set_checkpoint_debug_enabled(True):` to
enable checkpoint\u2011debug mode globally.

If this error occurs under torch.compile with automatic_dynamic_shapes enabled,
it may be because the recomputation selected a different compiled graph than the
forward pass (e.g., a dynamic graph instead of the original static graph).
To fix this, either:
  - Use torch._dynamo.mark_dynamic() to explicitly mark varying dimensions as
    dynamic upfront, avoiding the static-to-dynamic transition.
  - Call torch._C._dynamo.eval_frame._set_lru_cache(False) to disable LRU cache
    reordering, which can change which graph is checked first between forward
    and recompute.
See https://github.com/pytorch/pytorch/issues/166926 for more details and
workaround examples.
"""


def _default_meta(x: Any) -> dict:
    return {"shape": x.shape, "dtype": x.dtype, "device": x.device}


_CHECKS = {"default": _default_meta, "none": lambda _: None}


class _Holder:
    """Stands for one saved tensor; holds its recomputed value between recomputation and
    unpacking."""

    __slots__ = ("value", "__weakref__")

    def __init__(self) -> None:
        self.value = None


class _StopRecomputation(Exception):
    """Ends a recomputation once every holder is filled (early stop)."""


class _Frame:
    def __init__(self, recompute: Callable, metadata_fn: Callable, early_stop: bool) -> None:
        self.early_stop = early_stop
        self.recompute_fn = recompute
        self.metadata_fn = metadata_fn
        self.holders: list = []
        self.metas: list = []
        self.forward_completed = False

    def pack(self, x: Any) -> _Holder:
        h = _Holder()
        self.holders.append(weakref.ref(h))
        self.metas.append(self.metadata_fn(x))
        return h

    def unpack(self, h: _Holder) -> Any:
        if h.value is None:
            self.recompute()
        value, h.value = h.value, None
        return value

    def recompute(self) -> None:
        from ..autograd.graph import saved_tensors_hooks

        count = [0]
        ignore_mismatch = not self.forward_completed
        recomputed: list = []

        def pack(x: Any) -> Any:
            k = count[0]
            count[0] += 1
            if k >= len(self.holders):
                if ignore_mismatch:
                    # autograd.grad inside the function during its forward: what it saves
                    # past the holders made so far is needed by nobody.
                    return x
                raise CheckpointError(
                    "torch.utils.checkpoint: trying to save more tensors during recomputation "
                    f"than during the original forward pass.\n{_DEBUG_TIP}")
            h = self.holders[k]()
            value = x.detach() if x.requires_grad else x
            recomputed.append(value)
            if h is not None:
                h.value = value
            if self.early_stop and count[0] == len(self.holders) and not ignore_mismatch:
                raise _StopRecomputation
            return x

        try:
            with saved_tensors_hooks(pack, lambda x: x):
                self.recompute_fn()
        except _StopRecomputation:
            pass
        if ignore_mismatch:
            return
        if len(self.holders) != count[0]:
            raise CheckpointError(
                "torch.utils.checkpoint: A different number of tensors was saved during the "
                "original forward and recomputation.\n"
                f"Number of tensors saved during forward: {len(self.holders)}\n"
                f"Number of tensors saved during recomputation: {count[0]}.\n{_DEBUG_TIP}")
        bad = ""
        for idx, (meta, x) in enumerate(zip(self.metas, recomputed)):
            new = self.metadata_fn(x)
            if meta != new:
                bad += (f"tensor at position {idx}:\nsaved metadata: {meta}\n"
                        f"recomputed metadata: {new}\n")
        if bad:
            raise CheckpointError(
                "torch.utils.checkpoint: Recomputed values for the following tensors have "
                f"different metadata than during the forward pass.\n{bad}.\n{_DEBUG_TIP}")


def checkpoint_without_reentrant(function: Callable, preserve_rng_state: bool,
                                 context_fn: Any, determinism_check: str, early_stop: bool,
                                 args: tuple, kwargs: dict) -> Any:
    """Runs `function(*args, **kwargs)` keeping none of the tensors its ops save; backward
    recomputes them."""
    from .. import _random
    from ..autograd.grad_mode import enable_grad
    from ..autograd.graph import saved_tensors_hooks

    if determinism_check not in _CHECKS:
        raise ValueError(f"determinism_check should be one of {list(_CHECKS)}, but got "
                         f"{determinism_check}")
    if context_fn is None:
        forward_ctx, recompute_ctx = contextlib.nullcontext(), contextlib.nullcontext()
    else:
        forward_ctx, recompute_ctx = context_fn()
    rng_state = _random.get_rng_state() if preserve_rng_state else None

    def recompute() -> None:
        current = _random.get_rng_state() if preserve_rng_state else None
        try:
            if preserve_rng_state:
                _random.set_rng_state(rng_state)
            with enable_grad(), recompute_ctx:
                function(*args, **kwargs)
        finally:
            if preserve_rng_state:
                _random.set_rng_state(current)

    frame = _Frame(recompute, _CHECKS[determinism_check], early_stop)
    with saved_tensors_hooks(frame.pack, frame.unpack), forward_ctx:
        out = function(*args, **kwargs)
    frame.forward_completed = True
    return out
