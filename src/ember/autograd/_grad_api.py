"""backward() and grad(), the public entries to the engine: their arguments checked as
torch checks them, the gradients to start from, and the engine run over the graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _transform_hooks
from .._tensor import Tensor
from .engine import run_backward

__all__ = ["backward", "grad", "tensor_backward"]


def _tensor_tuple(x: Any) -> tuple:
    if isinstance(x, Tensor):
        return (x,)
    return tuple(x)


def _root_grads(outputs: tuple, grad_outputs: Any, create_graph: bool,
                is_grads_batched: bool = False) -> list:
    """The gradients to start from: ones for scalar outputs, else the given ones after
    checking their shapes."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    else:
        grad_outputs = _tensor_tuple(grad_outputs) if isinstance(grad_outputs, (Tensor, list,
                                                                                tuple)) \
            else (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(
            f"grad requires one gradient per output: got {len(grad_outputs)} gradients and "
            f"{len(outputs)} outputs")
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out._rg:
                if out._data.size != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                if out._data.dtype.kind != "f":
                    raise RuntimeError("grad can be implicitly created only for real scalar "
                                       f"outputs but got {out.dtype}")
            arr = np.ones_like(out._data)
            grads.append(Tensor._make(arr) if create_graph else arr)
            continue
        if not isinstance(g, Tensor):
            raise TypeError("gradients can be either Tensors or None, but got "
                            f"{type(g).__name__}")
        if g._data.shape != out._data.shape:
            raise RuntimeError(
                f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                f"output[{i}] has a shape of {out.shape}.")
        if (g._data.dtype.kind == "f") != (out._data.dtype.kind == "f"):
            raise RuntimeError(
                "For complex Tensors, both grad_output and output are required to have the "
                f"same dtype. Mismatch in dtype: grad_output[{i}] has a dtype of {g.dtype} "
                f"and output[{i}] has a dtype of {out.dtype}.")
        if create_graph:
            grads.append(g if g._data.dtype == out._data.dtype else g.to(out.dtype))
        else:
            grads.append(g._data.astype(out._data.dtype, copy=False))
    return grads


def backward(
    tensors: Any,
    grad_tensors: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    grad_variables: Any = None,
    inputs: Any = None,
) -> None:
    """Computes the sum of gradients of given tensors with respect to graph leaves."""
    if grad_variables is not None:
        grad_tensors = grad_variables
    if inputs is not None:
        inputs = _tensor_tuple(inputs)
        if not inputs:
            raise RuntimeError("`inputs` argument to `backward()` cannot be empty.")
    outputs = _tensor_tuple(tensors)
    if retain_graph is None:
        retain_graph = create_graph
    # torch checks the gradients' shapes before whether the outputs require grad.
    grads = _root_grads(outputs, grad_tensors, create_graph)
    for i, out in enumerate(outputs):
        if not out._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
    accumulate_into = None
    if inputs is not None:
        accumulate_into = {}
        for t in inputs:
            if not t._rg:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            accumulate_into[t._edge()] = t
    run_backward([o._edge() for o in outputs], grads, retain_graph, create_graph,
                 accumulate_into=accumulate_into)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    only_inputs: bool = True,
    allow_unused: bool | None = None,
    is_grads_batched: bool = False,
    materialize_grads: bool = False,
) -> tuple:
    """Computes and returns the sum of gradients of outputs with respect to the inputs."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    if allow_unused is None:
        allow_unused = materialize_grads
    outputs = _tensor_tuple(outputs)
    inputs_t = _tensor_tuple(inputs)
    if not inputs_t:
        raise RuntimeError("grad requires non-empty inputs.")
    if (_transform_hooks.transforms_active() or is_grads_batched) and \
            _transform_hooks.grad_handler[0] is not None:
        gos = None if grad_outputs is None else (
            _tensor_tuple(grad_outputs) if isinstance(grad_outputs, (Tensor, list, tuple))
            else (grad_outputs,))
        result = _transform_hooks.grad_handler[0](
            outputs, inputs_t, gos, retain_graph, create_graph, allow_unused, is_grads_batched,
            materialize_grads)
        if result is not NotImplemented:
            return result
    return _grad_plain(outputs, inputs_t, grad_outputs, retain_graph, create_graph,
                       allow_unused, materialize_grads)


def _grad_plain(outputs: tuple, inputs_t: tuple, grad_outputs: Any, retain_graph: Any,
                create_graph: bool, allow_unused: bool, materialize_grads: bool,
                tensor_math: bool = False) -> tuple:
    """autograd.grad on unbatched outputs and inputs; `tensor_math` runs the formulas on
    tensors (for batched output gradients) without recording unless `create_graph`."""
    if retain_graph is None:
        retain_graph = create_graph
    for i, out in enumerate(outputs):
        if not out._rg:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn")
    for t in inputs_t:
        if not t._rg:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    graph = create_graph or tensor_math
    grads = _root_grads(outputs, grad_outputs, graph)
    result = run_backward([o._edge() for o in outputs], grads, retain_graph, graph,
                          capture=[t._edge() for t in inputs_t],
                          record=None if not tensor_math else create_graph)
    out: list = []
    for k, (t, g) in enumerate(zip(inputs_t, result)):
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {k} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                g = np.zeros_like(t._data)
                out.append(Tensor._make(g))
            else:
                out.append(None)
        elif graph:
            out.append(g if isinstance(g, Tensor) else Tensor._make(g))
        else:
            out.append(Tensor._make(g))
    return tuple(out)


def tensor_backward(self: Tensor, gradient: Tensor | None = None,
                    retain_graph: bool | None = None, create_graph: bool = False,
                    inputs: Any = None) -> None:
    """Computes the gradient of current tensor wrt graph leaves."""
    backward(self, gradient, retain_graph, create_graph, inputs=inputs)
