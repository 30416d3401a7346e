"""History rebasing for in-place ops on views (torch's CopySlices).

When an in-place op writes into a view, the base's values change too. The base then gets a
CopySlices node: its gradient is the base's incoming gradient with the view's region replaced
by what the in-place op's node makes of that region, and the op's other inputs get their
gradients from the same node. The view's own history is regenerated from the base's
(AsStridedBackward0), as torch does.

The view's region is described by the flat positions, in the base, of the view's elements,
so any view (slices, steps, transposes, diagonals) works the same way."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _tensor as _tensor_module
from .._tensor import Tensor
from .._version import snapshot
from ..autograd.graph import MULTI_OUTPUT_VIEW, NO_GRAD_VIEW, Math, Node, _next_seq, note_rebase
from ._core import attach
from .shape import AsStridedBackward0, shares_locations, storage_positions

_new = object.__new__


OVERLAP_MESSAGE = ("unsupported operation: more than one element of the written-to tensor "
                   "refers to a single memory location. Please clone() the tensor before "
                   "performing the operation.")


class CopySlices(Node):
    """The node of a base tensor after an in-place op on one of its views: it wraps the op's
    node, which runs on the view's region of the gradient."""

    __slots__ = ()
    n_outputs = 1

    def name(self) -> str:
        """torch names this node by its C++ class."""
        return "torch::autograd::CopySlices"

    def apply(self, grad: Any, graph: bool) -> tuple:
        fn, index, overlapping = self._ctx
        m = Math.graph if graph else Math.raw
        res = fn.apply(m.as_strided_view(grad, index), graph)
        first = res[0]
        if overlapping and first is not None:
            # torch copies the region's gradient back through the view itself.
            raise RuntimeError(OVERLAP_MESSAGE)
        meta = fn._meta
        if first is not None and meta is not None and meta[0] is not None:
            from ..autograd.engine import _conform

            first = _conform(m, fn, 0, first, meta[0])
        if first is None:
            first = m.zeros(index.shape, grad.dtype)
        return (m.as_strided_scatter(grad, first, index),) + tuple(res[1:])

    def release(self) -> None:
        self._ctx[0].release()


CopySlices.__module__ = "ember.autograd.graph"


def view_index(base: np.ndarray, view: np.ndarray) -> np.ndarray:
    """For each element of `view` (an array over base's memory), its flat C-order position
    in `base`."""
    if base.flags.c_contiguous:
        return storage_positions(view, base.__array_interface__["data"][0])
    off = view.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    nd = view.ndim
    boff = np.zeros(base.shape, np.int64)
    for k in range(base.ndim):
        step = np.arange(base.shape[k], dtype=np.int64) * base.strides[k]
        boff += step.reshape([-1 if j == k else 1 for j in range(base.ndim)])
    voff = np.full(view.shape, off, np.int64)
    for k in range(nd):
        step = np.arange(view.shape[k], dtype=np.int64) * view.strides[k]
        voff += step.reshape([-1 if j == k else 1 for j in range(nd)])
    flat = boff.reshape(-1)
    order = np.argsort(flat, kind="stable")
    return order[np.searchsorted(flat[order], voff)]


def rebase_view(view: Tensor) -> None:
    """After an in-place op gave the view `view` its node, moves that node under a
    CopySlices on the base and regenerates the view's history from the base."""
    fn = view._fn
    base = view._base
    index = view_index(base._data, view._data)
    cs = _new(CopySlices)
    cs.next_functions = (base._edge(),) + tuple(fn.next_functions[1:])
    cs._saved = ()
    cs._checks = ()
    cs._ctx = (fn, index, shares_locations(view._data.shape, view._data.strides))
    cs._meta = None if fn._meta is None else (None,) + tuple(fn._meta[1:])
    cs._seq = _next_seq()
    note_rebase(base, cs)
    base._fn = cs
    base._nr = 0
    base._rg = True
    attach(AsStridedBackward0, view, (base,), (), (base._data.shape, index, None, None))
    view._vv = snapshot(view._vc)


def check_view_rebase(view: Tensor, indirect: bool) -> None:
    """torch's handle_view_on_rebase: a view made in no_grad mode or by an op that returns
    several views cannot take a history from an in-place change, whether the change was to
    the view itself or (indirect) to its base or another view of it."""
    meta = getattr(view, "_cm", 0)
    if not meta:
        return
    fn = view._fn
    changed = "its base or another view of its base has been" if indirect else "is being"
    name = ""
    if fn is not None:
        # torch names the view's op: its node's name without "Backward" (and a 0 after it:
        # SelectBackward0 is Select, SqueezeBackward1 is Squeeze1).
        name = fn.name().replace("Backward0", "").replace("Backward", "")
    if meta == NO_GRAD_VIEW or fn is None:
        prefix = (f"Output {view._nr} of {name} is a view of a view which was created in"
                  if fn is not None else "A view was created in")
        msg = f"{prefix} no_grad mode and {changed} modified inplace with grad mode enabled."
    else:
        msg = f"Output {view._nr} of {name} is a view and {changed} modified inplace."
    if meta == MULTI_OUTPUT_VIEW:
        msg += (" This view is the output of a function that returns multiple views. Such "
                "functions do not allow the output views to be modified inplace. You should "
                "replace the inplace operation by an out-of-place one.")
    else:
        msg += (" Given that this use case is ambiguous and error-prone, it is forbidden. You "
                "can clarify your code by moving both the view and the inplace either both "
                "inside the no_grad block (if you don't want the inplace to be tracked) or "
                "both outside (if you want the inplace to be tracked).")
    raise RuntimeError(msg)


def regenerate(view: Tensor) -> None:
    """Gives a view whose base was changed in place a history through the base's."""
    check_view_rebase(view, True)
    view._vv = snapshot(view._vc)
    base = view._base
    if base._rg:
        attach(AsStridedBackward0, view, (base,), (),
               (base._data.shape, view_index(base._data, view._data), None, None))


_tensor_module._view_hooks[0] = regenerate
