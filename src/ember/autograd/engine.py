"""The backward engine.

Nodes are numbered in creation order, and every node is created after the nodes of its
inputs, so running nodes from the highest number down runs each one only after all of its
consumers have sent their gradients: a heap keyed by that number replaces dependency
counting. Nothing here recurses, so graphs of any depth work.
"""

from __future__ import annotations

from collections.abc import Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from .._quiet import quiet_off, quiet_on
from . import grad_mode
from .anomaly_mode import _state as _anomaly
from .graph import AccumulateGrad, Math, Node, hook_count

ndarray = np.ndarray


def run_backward(
    roots: Sequence[tuple],
    root_grads: Sequence[Any],
    retain_graph: bool,
    create_graph: bool,
    capture: Sequence[tuple] | None = None,
    accumulate_into: dict | None = None,
    record: bool | None = None,
) -> list | None:
    """Propagates `root_grads` (arrays, or tensors when `create_graph`) from the edges
    `roots` through the graph.

    With `capture`, a sequence of edges, returns the gradient that reaches each edge (None
    where none does) and accumulates into no leaf; with `accumulate_into`, a dict from edges
    to tensors, accumulates only into those tensors' .grad. Otherwise accumulates into every
    leaf reached. `record=False` runs the formulas on tensors (as `create_graph` does) with
    grad mode off: batched gradients need ember's ops but no graph.
    """
    m = Math.graph if create_graph else Math.raw
    targets = None
    if capture is not None or accumulate_into is not None:
        targets = _Targets(roots, capture, accumulate_into)
    buffers: dict = {}
    heap: list = []
    for (node, nr), g in zip(roots, root_grads):
        if node is not None:
            _add_to_buffer(buffers, heap, node, nr, g)
    state = grad_mode.state
    prev_mode = state.enabled
    state.enabled = create_graph if record is None else record
    anomaly = _anomaly.enabled
    # Formulas meet inf and nan as torch's do, silently; one silence for the whole pass.
    quiet = quiet_on()
    try:
        while heap:
            node = heappop(heap)[1]
            grads = buffers.pop(node)
            if hook_count[0] and hasattr(node, "_pre_hooks"):
                grads = _run_pre_hooks(node, grads, create_graph)
            if targets is not None:
                if not targets.reach(node, grads, create_graph):
                    continue
            elif type(node) is AccumulateGrad:
                node.accumulate(grads, create_graph)
                continue
            if anomaly:
                outs = _apply_checked(node, grads, create_graph)
            else:
                outs = node.apply(grads, create_graph)
            if not retain_graph and node._saved:
                node._saved = node._vars = node._checks = None
            if hook_count[0] and hasattr(node, "_hooks"):
                outs = _run_post_hooks(node, outs, grads, create_graph)
            # The edge/buffer step stays inline: as a function (one call per node) it cost
            # 0.05-0.09 us per node, 2-3% of a plain backward over a chain of 4,000 small
            # ops (old and new engine alternated in one process, medians of 15 passes).
            k = node._k
            if k == 1:
                nexts = (node._n0, node._r0)
            elif k == 2:
                nexts = (node._n0, node._r0, node._n1, node._r1)
            else:
                nexts = node._next
            if len(outs) != k:
                raise RuntimeError(
                    f"function {node.name()} returned an incorrect number of gradients "
                    f"(expected {k}, got {len(outs)})")
            meta = node._meta
            i = -1
            for g in outs:
                i += 1
                if g is None:
                    continue
                nxt = nexts[2 * i]
                if nxt is None:
                    continue
                if meta is not None and meta[i] is not None:
                    g = _conform(m, node, i, g, meta[i])
                elif not create_graph and (type(g) is not ndarray or _WIDENS_0DIM):
                    g = _as_array(g, grads)
                if nxt.n_outputs == 1:
                    old = buffers.get(nxt)
                    if old is None:
                        buffers[nxt] = g
                        heappush(heap, (-nxt._seq, nxt))
                    else:
                        buffers[nxt] = old + g
                else:
                    _add_to_buffer(buffers, heap, nxt, nexts[2 * i + 1], g)
    finally:
        quiet_off(quiet)
        state.enabled = prev_mode
    return targets.captured if capture is not None else None


class _Targets:
    """A targeted run: autograd.grad's `capture` (the gradients reaching some edges are
    returned, no leaf accumulates) or backward's `inputs` (`accumulate_into`: only those
    tensors' .grad change). Only nodes on a path from a root to a target run."""

    __slots__ = ("by_node", "edges", "capture", "accumulate_into", "captured", "needed")

    def __init__(self, roots: Sequence[tuple], capture: Sequence[tuple] | None,
                 accumulate_into: dict | None) -> None:
        self.capture, self.accumulate_into = capture, accumulate_into
        self.edges = capture if capture is not None else list(accumulate_into)
        self.by_node: dict = {}
        for i, edge in enumerate(self.edges):
            self.by_node.setdefault(edge[0], []).append((edge[1], i))
        self.needed = _needed_nodes(roots, self.by_node)
        self.captured = [None] * (len(capture) if capture is not None else 0)

    def reach(self, node: Node, grads: Any, create_graph: bool) -> bool:
        """Takes what a target node receives; whether the node must still run."""
        hits = self.by_node.get(node)
        if hits is not None:
            for nr, i in hits:
                g = grads[nr] if node.n_outputs > 1 else grads
                if self.capture is not None:
                    self.captured[i] = g
                elif type(node) is AccumulateGrad:
                    node.accumulate(g, create_graph)
                else:
                    t = self.accumulate_into[self.edges[i]]
                    # A retained grad was stored by its hook already; once is all.
                    if not t.retains_grad:
                        t._store_grad(g, create_graph)
        return node in self.needed and type(node) is not AccumulateGrad


def _apply_checked(node: Node, grads: Any, create_graph: bool) -> tuple:
    """`node.apply` under anomaly detection: a failure shows where the node was created,
    and NaN results raise."""
    from . import anomaly_mode

    try:
        outs = node.apply(grads, create_graph)
        anomaly_mode.check_nan(node, outs)
    except Exception:
        anomaly_mode.report(node)
        raise
    return outs


# NumPy 1.x computes a 0-dim float32 array with a Python number in float64 (NumPy 2, as
# torch, keeps float32: NEP 50), so formulas that meet 0-dim values widen there (and may
# broadcast the widened value on).
_WIDENS_0DIM = np.result_type(np.float32(1), 1.0) != np.float32


def _as_array(g: Any, grads: Any) -> ndarray:
    """A formula's result as an array; on NumPy 1.x, one widened by the formula gets its
    dtype back (see `narrowed`)."""
    g = np.asarray(g)
    return narrowed(g, grads) if _WIDENS_0DIM else g


def narrowed(g: Any, grads: Any) -> Any:
    """A float gradient that a formula widened (NumPy 1.x, `_WIDENS_0DIM`) cast back:
    without meta (see `_meta`), a node's input gradients have the dtype of its output's
    gradient `grads` (a list for a node of several outputs). Shared with compile's traced
    backward, whose replay must cast where plain backward does."""
    if g.dtype.kind == "f":
        out = grads if type(grads) is not list else next(x for x in grads if x is not None)
        dt = out.dtype
        if dt != g.dtype and dt.kind == "f":
            g = g.astype(dt)
    return g


def _add_to_buffer(buffers: dict, heap: list, node: Node, nr: int, g: Any) -> None:
    if node.n_outputs == 1:
        old = buffers.get(node)
        if old is None:
            buffers[node] = g
            heappush(heap, (-node._seq, node))
        else:
            buffers[node] = old + g
        return
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * node.n_outputs
        heappush(heap, (-node._seq, node))
    slot[nr] = g if slot[nr] is None else slot[nr] + g


def _conform(m: Any, node: Node, i: int, g: Any, meta: tuple) -> Any:
    """Sums a broadcast gradient down to its input's shape and casts it to its dtype: the
    one place where broadcasting is undone for every op."""
    shape, dtype = meta
    if g.shape != shape:
        if not _expandable(shape, tuple(g.shape)):
            raise RuntimeError(
                f"Function {node.name()} returned an invalid gradient at index {i} - got "
                f"[{', '.join(map(str, g.shape))}] but expected shape compatible with "
                f"[{', '.join(map(str, shape))}]")
        g = m.sum_to(g, shape)
    if g.dtype != dtype:
        g = m.cast(g, dtype)
    return g


def _expandable(shape: tuple, to: tuple) -> bool:
    if len(shape) > len(to):
        return False
    for a, b in zip(reversed(shape), reversed(to)):
        if a != b and a != 1:
            return False
    return True


def _needed_nodes(roots: Sequence[tuple], targets: dict) -> set:
    """The nodes that lie on some path from a root to a target."""
    inputs: dict = {}  # node -> the nodes its edges lead to
    stack = [e[0] for e in roots if e[0] is not None]
    while stack:
        n = stack.pop()
        if n in inputs:
            continue
        k = n._k
        nodes = inputs[n] = (n._n0,) if k == 1 else (n._n0, n._n1) if k == 2 else \
            n._next[::2]
        for nxt in nodes:
            if nxt is not None and nxt not in inputs:
                stack.append(nxt)
    needed: set = set()
    for n in sorted(inputs, key=_seq_of):
        if n in targets or any(nxt in needed for nxt in inputs[n]):
            needed.add(n)
    return needed


def _seq_of(node: Node) -> int:
    return node._seq


def _as_tensor(g: Any, graph: bool) -> Any:
    from .._tensor import Tensor

    if g is None or graph:
        return g
    return Tensor._make(g)


def _as_grad(g: Any, graph: bool) -> Any:
    if g is None or graph:
        return g
    return g._data


def _run_pre_hooks(node: Node, grads: Any, graph: bool) -> Any:
    multi = node.n_outputs > 1
    glist = list(grads) if multi else [grads]
    retain = []
    # Tensor hooks first, then node pre-hooks, and retained grads last, as in torch.
    for key, fn in list(node._pre_hooks.items()):
        if type(key) is tuple:
            t = fn()
            nr = key[1]
            if t is None or not t._hooks or glist[nr] is None:
                continue
            glist[nr] = t._apply_hooks(glist[nr], graph)
            if "retain" in t._hooks:
                retain.append((t, nr))
    for key, fn in list(node._pre_hooks.items()):
        if type(key) is not tuple:
            r = fn(tuple(_as_tensor(g, graph) for g in glist))
            if r is not None:
                glist = [_as_grad(g, graph) for g in r]
    for t, nr in retain:
        t._store_grad(glist[nr], graph)
    return glist if multi else glist[0]


def _run_post_hooks(node: Node, outs: tuple, grads: Any, graph: bool) -> tuple:
    gin = tuple(_as_tensor(g, graph) for g in outs)
    gout = tuple(_as_tensor(g, graph) for g in (grads if node.n_outputs > 1 else (grads,)))
    for fn in list(node._hooks.values()):
        r = fn(gin, gout)
        if r is not None:
            gin = tuple(r)
    return tuple(_as_grad(g, graph) for g in gin)

