"""ember.func: composable function transforms (grad, vjp, jvp, jacrev, jacfwd, hessian,
vmap, functional_call, stack_module_state, linearize), as torch.func."""

from __future__ import annotations

# Loaded with the transforms: autograd.grad hands batched gradients to it.
from . import _autograd  # noqa: F401
from ._transforms import (
    functional_call,
    grad,
    grad_and_value,
    hessian,
    jacfwd,
    jacrev,
    jvp,
    linearize,
    stack_module_state,
    vjp,
)
from ._vmap import vmap

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap",
           "functional_call", "stack_module_state", "linearize"]
