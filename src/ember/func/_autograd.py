"""autograd.grad under vmap and with batched output gradients.

The graph always lives on the tensors under the batched wrappers (an op on a batched tensor
records its node on the values), so a gradient inside vmap is computed on those values: the
vmap levels of the outputs and inputs are unwrapped (their batch dimensions become ordinary
leading dimensions, and per-example independence makes the result the per-example
gradient), gradients batched at other levels flow through the engine as batched tensors,
and the results are wrapped back.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._tensor import Tensor
from . import _dispatch, _vmap
from ._vmap import BatchedTensor, unwrap_to, wrap_at


def _levels(t: Any, acc: set) -> set:
    while type(t) is BatchedTensor:
        acc.add(t._level)
        t = t._value
    return acc


def transformed_grad(outputs: tuple, inputs: tuple, grad_outputs: Any, retain_graph: Any,
                     create_graph: bool, allow_unused: bool, is_grads_batched: bool,
                     materialize_grads: bool) -> Any:
    """autograd.grad for batched tensors; NotImplemented when nothing is batched."""
    levels: set = set()
    for t in outputs + inputs:
        _levels(t, levels)
    gos = list(grad_outputs) if grad_outputs is not None else [None] * len(outputs)
    go_batched = any(type(g) is BatchedTensor for g in gos)
    if not levels and not go_batched and not is_grads_batched:
        return NotImplemented
    from ..autograd import _grad_plain

    new_level = None
    if is_grads_batched:
        _dispatch.install()
        sizes = {g.shape[0] for g in gos if g is not None}
        if len(sizes) != 1:
            raise RuntimeError("If `is_grads_batched=True`, we interpret the first dimension "
                               "of each grad_output as the batch dimension. The sizes of the "
                               "first dimensions should be the same.")
        new_level = next(_vmap._levels)
        _vmap.LEVEL_SIZE[new_level] = sizes.pop()
        _dispatch.ACTIVE[0] += 1
        gos = [None if g is None else wrap_at(g, new_level, 0) for g in gos]
    try:
        outs = list(outputs)
        ins = list(inputs)
        for lv in sorted(levels, reverse=True):
            outs = [unwrap_to(o, lv) for o in outs]
            ins = [unwrap_to(i, lv) for i in ins]
            gos = [None if g is None else unwrap_to(g, lv) for g in gos]
        for t in outs + ins:
            if type(t) is BatchedTensor:
                raise RuntimeError("vmap: autograd.grad on tensors batched differently from "
                                   "their graph is not supported")
        batched_grads = any(type(g) is BatchedTensor for g in gos)
        for i, (o, g) in enumerate(zip(outs, gos)):
            if g is None and o.requires_grad:
                if outputs[i].numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                gos[i] = Tensor._make(np.ones(tuple(o.shape), o.dtype.np))
        result = _grad_plain(tuple(outs), tuple(ins), tuple(gos), retain_graph, create_graph,
                             allow_unused, materialize_grads, tensor_math=batched_grads)
        res = list(result)
        for lv in sorted(levels):
            res = [None if r is None else wrap_at(r, lv) for r in res]
        if new_level is not None:
            res = [None if r is None else unwrap_to(r, new_level) for r in res]
        return tuple(res)
    finally:
        if new_level is not None:
            _dispatch.ACTIVE[0] -= 1
            del _vmap.LEVEL_SIZE[new_level]
