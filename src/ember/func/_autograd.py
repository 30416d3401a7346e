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

from .. import _transform_hooks
from .._tensor import Tensor
from . import _dispatch, _vmap
from ._dispatch import op
from ._vmap import BatchedTensor, unwrap_to, wrap_at


def _batched_at(t: Any, level: int) -> bool:
    while type(t) is BatchedTensor:
        if t._level == level:
            return True
        t = t._value
    return False


def _one_hot_rows(g: Any, level: int, size: int) -> Any:
    """From g (logical batch dimension first), the gradients for `size` examples: row b
    holds g[b] in place b and zeros elsewhere, batched at `level`."""
    nd = g.dim()
    eye = Tensor._make(np.eye(size, dtype=g.dtype.np).reshape((size, size) + (1,) * (nd - 1)))
    return wrap_at(op("mul")(eye, op("unsqueeze")(g, 0)), level)


def _at_level(r: Any, level: int) -> Any:
    """A result of a diag level: batched at that level (an input shared by the batch gets
    a result that is not batched only when no gradient reached it)."""
    if _batched_at(r, level):
        return r
    size = _vmap.LEVEL_SIZE[level]
    return wrap_at(op("expand")(op("unsqueeze")(r, 0), (size,) + tuple(r.shape)), level)


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
    from ..autograd._grad_api import _grad_plain

    new_level = None
    if is_grads_batched:
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
        for i, (o, g) in enumerate(zip(outs, gos)):
            if g is None and o.requires_grad:
                if o.numel() != 1:
                    raise RuntimeError("grad can be implicitly created only for scalar outputs")
                gos[i] = op("ones_like")(o)
        # Per level: "diag" when some input is shared by the whole batch (not batched at the
        # level): its per-example gradients need one output gradient per example, so the
        # level stays a gradient batch over one-hot rows and batched inputs take the diagonal.
        modes = []
        for lv in sorted(levels, reverse=True):
            diag = any(not _batched_at(i, lv) for i in ins) and \
                any(_batched_at(o, lv) for o in outs)
            outs = [unwrap_to(o, lv) for o in outs]
            if diag:
                size = _vmap.LEVEL_SIZE[lv]
                gos = [None if g is None else _one_hot_rows(unwrap_to(g, lv), lv, size)
                       for g in gos]
                flags = [_batched_at(i, lv) for i in ins]
                ins = [unwrap_to(i, lv) if f else i for i, f in zip(ins, flags)]
                modes.append((lv, flags))
            else:
                ins = [unwrap_to(i, lv) for i in ins]
                gos = [None if g is None else unwrap_to(g, lv) for g in gos]
                modes.append((lv, None))
        for t in outs + ins:
            if type(t) is BatchedTensor:
                raise RuntimeError("vmap: autograd.grad on tensors batched differently from "
                                   "their graph is not supported")
        batched_grads = any(type(g) is BatchedTensor for g in gos)
        result = _grad_plain(tuple(outs), tuple(ins), tuple(gos), retain_graph, create_graph,
                             allow_unused, materialize_grads, tensor_math=batched_grads)
        res = list(result)
        for lv, flags in reversed(modes):
            if flags is None:
                res = [None if r is None else wrap_at(r, lv) for r in res]
            else:
                res = [None if r is None else
                       (op("sum")(_at_level(r, lv), 0) if f else _at_level(r, lv))
                       for r, f in zip(res, flags)]
        if new_level is not None:
            res = [None if r is None else unwrap_to(r, new_level) for r in res]
        return tuple(res)
    finally:
        if new_level is not None:
            _dispatch.ACTIVE[0] -= 1
            del _vmap.LEVEL_SIZE[new_level]


_transform_hooks.grad_handler[0] = transformed_grad
