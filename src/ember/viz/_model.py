"""The picture of an autograd graph as plain data: nodes, edges and repeated blocks, with long
runs of repeated structure folded so that a graph of any size stays readable.

Every walk here is iterative: graphs may be millions of nodes deep.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._version import ZERO_VC
from ..autograd._introspect import FREED, PACKED, saved_values

__all__ = ["Picture", "build"]


class Picture:
    """What `draw` renders: `nodes` maps a DOT id to (label lines, kind), `edges` holds
    (tail, head, attributes) in data-flow direction (from a node's input to the node, as
    torchviz draws them), `blocks` holds (label, member ids) for folded repeated runs."""

    def __init__(self) -> None:
        self.nodes: dict[str, tuple[list[str], str]] = {}
        self.edges: list[tuple[str, str, dict]] = []
        self.blocks: list[tuple[str, list[str]]] = []


def shape_text(shape: tuple) -> str:
    """A shape as torchviz prints it: (5, 3), (3,), ()."""
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "(" + ", ".join(str(s) for s in shape) + ")"


def tensor_text(t: Any) -> str:
    data = t._data if hasattr(t, "_data") else t
    return f"{shape_text(data.shape)} {data.dtype.name}"


def named(params: Any) -> dict[int, str]:
    """Names by tensor id from a dict name -> tensor or an iterable of (name, tensor) pairs."""
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    return {id(t): str(name) for name, t in items}


def _node_name(node: Any) -> str:
    return type(node).__name__


class _Walk:
    """The function nodes reachable from the roots, numbered in post-order (inputs before
    their consumers), with their input edges and consumer counts."""

    def __init__(self, roots: list) -> None:
        self.objs: list = []
        self.ins: list[list[int]] = []
        index: dict[int, int] = {}
        # Post-order DFS with an explicit stack of (node, its edges, next edge position).
        for root in roots:
            if root is None or id(root) in index:
                continue
            index[id(root)] = -2
            stack = [(root, _edges(root), 0)]
            while stack:
                node, edges, pos = stack[-1]
                while pos < len(edges):
                    nxt = edges[pos]
                    pos += 1
                    if nxt is not None and id(nxt) not in index:
                        index[id(nxt)] = -2
                        stack[-1] = (node, edges, pos)
                        stack.append((nxt, _edges(nxt), 0))
                        break
                else:
                    stack.pop()
                    index[id(node)] = len(self.objs)
                    self.objs.append(node)
                    self.ins.append([-1 if e is None else index[id(e)] for e in edges])
        self.index = index
        n = len(self.objs)
        consumers = [0] * n
        for i in range(n):
            for j in set(self.ins[i]):
                if j >= 0:
                    consumers[j] += 1
        for root in roots:
            if root is not None:
                consumers[index[id(root)]] += 1
        self.consumers = consumers


def _edges(node: Any) -> list:
    return [e[0] for e in getattr(node, "next_functions", ())]


def _fold(walk: _Walk, min_repeats: int) -> tuple[set, dict, list]:
    """Finds runs of repeated structure and folds each into its first repetition.

    A run follows, from a node, its input with the longest history among the inputs that
    nothing else consumes. Along a run each node gets a key (its type and what its other
    inputs are); a stretch whose keys repeat with a period p at least `min_repeats` times is
    kept as one block of p nodes. Returns the hidden nodes, the redirected edges
    {(node, old input): new input} and the blocks (count, member indices)."""
    objs, ins, consumers = walk.objs, walk.ins, walk.consumers
    n = len(objs)
    height = [0] * n
    cont = [-1] * n
    for i in range(n):  # post-order: inputs are done before their consumers
        best = -1
        for j in ins[i]:
            if j >= 0:
                if height[j] + 1 > height[i]:
                    height[i] = height[j] + 1
                if consumers[j] == 1 and (best < 0 or height[j] > height[best]):
                    best = j
        cont[i] = best
    is_cont = [False] * n
    for j in cont:
        if j >= 0:
            is_cont[j] = True
    names = [_node_name(o) for o in objs]

    def key(i: int) -> tuple:
        parts = []
        for j in ins[i]:
            if j < 0:
                parts.append(None)
            elif j == cont[i]:
                parts.append("C")
            elif consumers[j] > 1:
                parts.append(("S", j))
            else:
                parts.append(("P", names[j]))
        return (names[i], tuple(parts))

    hidden: set[int] = set()
    redirect: dict[tuple[int, int], int] = {}
    blocks: list[tuple[int, list[int]]] = []
    max_period = 8
    for head in range(n - 1, -1, -1):
        if is_cont[head]:
            continue
        run = [head]
        while cont[run[-1]] >= 0:
            run.append(cont[run[-1]])
        if len(run) < min_repeats:
            continue
        keys = [key(i) for i in run]
        length = len(run)
        s = 0
        while s < length:
            best_p, best_reps = 0, 0
            for p in range(1, max_period + 1):
                if s + p * min_repeats > length:
                    break
                j = s
                while j + p < length and keys[j] == keys[j + p]:
                    j += 1
                reps = (j - s + p) // p
                if reps >= min_repeats and reps * p > best_reps * best_p:
                    best_p, best_reps = p, reps
            if not best_p:
                s += 1
                continue
            end = s + best_p * best_reps
            members = run[s:s + best_p]
            hidden.update(run[s + best_p:end])
            last = members[-1]
            redirect[(last, run[s + best_p])] = run[end] if end < length else -1
            blocks.append((best_reps, members))
            s = end
    return hidden, redirect, blocks


def _fold_fan_in(walk: _Walk, min_repeats: int, hidden: set) -> dict:
    """Many alike inputs of one node (a stack or cat of thousands of pieces): keeps the
    first of each group of consecutive private inputs of the same type and counts the rest.
    Returns {(node, edge position): count} for kept edges; dropped edges get count 0."""
    objs, ins, consumers = walk.objs, walk.ins, walk.consumers
    counts: dict[tuple[int, int], int] = {}
    for i in range(len(objs)):
        edges = ins[i]
        if i in hidden or len(edges) < 2 * min_repeats:
            continue
        pos = 0
        while pos < len(edges):
            j = edges[pos]
            end = pos + 1
            if j >= 0 and consumers[j] == 1:
                name = _node_name(objs[j])
                while end < len(edges) and edges[end] >= 0 and consumers[edges[end]] == 1 \
                        and _node_name(objs[edges[end]]) == name:
                    end += 1
            if end - pos >= min_repeats:
                counts[(i, pos)] = end - pos
                for q in range(pos + 1, end):
                    counts[(i, q)] = 0
            pos = end
    return counts


# torch's names (after `_saved_`) for the parameters of ember's derivative formulas, where
# they differ: a loss's x and t are torch's self and target, a view's shape is the input's
# sizes. Values ember keeps that torch does not (counts, scales it folds in) are not shown.
_TORCH_NAMES = {
    "x": "self", "t": "target", "y": "target", "red": "reduction", "w": "weight",
    "pw": "pos_weight", "dims": "dim", "shape": "self_sym_sizes", "idx": "indices",
}
_SAME_NAMES = frozenset({
    "self", "other", "result", "dim", "keepdim", "alpha", "beta", "index", "indices", "mat1",
    "mat2", "exponent", "mask", "weight", "threshold", "value", "lambd", "p", "eps",
    "correction", "repeats", "shifts", "decimals", "padding_idx", "upper", "start", "end",
    "step", "ord", "vec", "mat", "src", "condition", "reduce", "accumulate", "sizes",
    "approximate", "min_val", "max_val", "negative_slope", "delta",
})
_NODE_NAMES = {
    "MeanBackward0": {"n": "self_sym_numel"},
    "GeluBackward0": {"approx": "approximate"},
    "HardtanhBackward0": {"lo": "min_val", "hi": "max_val"},
    "LeakyReluBackward0": {"slope": "negative_slope"},
    "AddcdivBackward0": {"t1": "tensor1", "t2": "tensor2"},
    "AddcmulBackward0": {"t1": "tensor1", "t2": "tensor2"},
    "BaddbmmBackward0": {"b1": "batch1", "b2": "batch2"},
    "AddbmmBackward0": {"b1": "batch1", "b2": "batch2"},
    "LerpBackward1": {"end": "end", "weight": "weight"},
    "PowBackward2": {"base": "self"},
    "CatBackward0": {"ctx[0]": "dim"},
}


def torch_saved_name(node_name: str, name: str) -> str | None:
    """The attribute torch's node of that name has for a formula parameter (`_saved_self`),
    or None when torch keeps no such value."""
    name = _NODE_NAMES.get(node_name, {}).get(name, name)
    name = _TORCH_NAMES.get(name, name)
    if name in _SAME_NAMES or name.startswith("self_sym") or name in (
            "target", "reduction", "pos_weight", "tensor1", "tensor2", "batch1", "batch2"):
        return f"_saved_{name}"
    return None


def plain(value: Any) -> str:
    """A saved constant as torch prints its own: Python numbers, tuples and lists of them,
    and arrays (index tensors) by shape and dtype as saved tensors are shown."""
    if isinstance(value, np.ndarray):
        return tensor_text(value)
    if isinstance(value, np.generic):
        return repr(value.item())
    if isinstance(value, (tuple, list)):
        parts = [plain(v) for v in value]
        if isinstance(value, tuple):
            return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
        return "[" + ", ".join(parts) + "]"
    return repr(value)


def _saved_lines(node: Any, show_saved: bool, show_attrs: bool) -> list[str]:
    values = saved_values(node)
    ctx = getattr(node, "_ctx", ()) or ()
    n_saved = len(values) if isinstance(values, list) else 0
    names = _argument_names(node, n_saved, len(ctx))
    node_name = _node_name(node)
    lines = []
    if show_saved:
        if values is FREED:
            lines.append("saved: freed")
        elif values is PACKED:
            lines.append("saved: packed by hooks")
        else:
            for k, (value, _, is_output) in enumerate(values):
                name = "_saved_result" if is_output else torch_saved_name(node_name, names[k])
                if value is None or name is None:
                    continue
                lines.append(f"{name}: {_short(value)}")
    if show_attrs and ctx:
        off = len(names) - len(ctx)
        for k, c in enumerate(ctx):
            name = torch_saved_name(node_name, names[off + k] if off >= 0 else f"ctx[{k}]")
            if name is not None:
                lines.append(f"{name}: {_short(c)}")
    return lines


def _argument_names(node: Any, n_saved: int, n_ctx: int) -> list[str]:
    """The parameter names of the node's formulas for its saved values and constants: a
    formula is f(m, grad, *saved, *ctx), so its own argument names say what each one is."""
    want = n_saved + n_ctx
    for f in getattr(type(node), "formulas", ()):
        code = getattr(f, "__code__", None)
        if code is not None and code.co_argcount == 2 + want:
            return list(code.co_varnames[2:2 + want])
    return [f"saved[{k}]" for k in range(n_saved)] + [f"ctx[{k}]" for k in range(n_ctx)]


def _short(value: Any, limit: int = 40) -> str:
    text = plain(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def build(outputs: tuple, params: Any = None, show_saved: bool = False,
          show_attrs: bool = False, min_repeats: int | None = 4) -> Picture:
    """The picture of the graphs behind `outputs`."""
    names = named(params)
    roots = [t._fn for t in outputs]
    walk = _Walk(roots)
    objs, ins = walk.objs, walk.ins
    if min_repeats:
        hidden, redirect, blocks = _fold(walk, min_repeats)
        fan = _fold_fan_in(walk, min_repeats, hidden)
    else:
        hidden, redirect, blocks, fan = set(), {}, [], {}

    # The edges that stay, then the nodes still reachable from the roots through them.
    kept: list[list[tuple[int, int]]] = [[] for _ in objs]
    for i in range(len(objs)):
        if i in hidden:
            continue
        for pos, j in enumerate(ins[i]):
            if j < 0:
                continue
            j = redirect.get((i, j), j)
            count = fan.get((i, pos), 1)
            if j >= 0 and count:
                kept[i].append((j, count))
    visible = [False] * len(objs)
    stack = [walk.index[id(r)] for r in roots if r is not None]
    for i in stack:
        visible[i] = True
    while stack:
        i = stack.pop()
        for j, _ in kept[i]:
            if not visible[j]:
                visible[j] = True
                stack.append(j)

    pic = Picture()
    single = {}  # a run of one node type: that node, labelled with its count
    exits = set(redirect.values())  # where each folded run continues: not its own inputs
    for reps, members in blocks:
        if not all(visible[m] for m in members):
            continue
        inputs = _private_inputs(members, kept, walk.consumers, exits)
        if len(members) == 1 and not inputs:
            single[members[0]] = reps
            continue
        # Each repetition takes inputs of its own: the frame holds them with the block, so
        # that what repeats is all inside it.
        ids = [f"n{m}" for m in members + inputs]
        ids += [f"t{m}" for m in members + inputs if getattr(objs[m], "variable", None)
                is not None]
        pic.blocks.append((f"×{reps}", ids))

    non_leaf_names: dict[tuple[int, int], list[str]] = {}
    by_id = _param_tensors(params)
    output_ids = {id(t) for t in outputs}
    for t in by_id.values():
        if t._fn is not None and id(t._fn) in walk.index and id(t) not in output_ids:
            non_leaf_names.setdefault((id(t._fn), t._nr), []).append(
                f"{names[id(t)]} {shape_text(t._data.shape)}")

    for i, node in enumerate(objs):
        if not visible[i]:
            continue
        lines = [_node_name(node)]
        for (fid, _), labels in non_leaf_names.items():
            if fid == id(node):
                lines += [f"→ {label}" for label in labels]
        lines += _saved_lines(node, show_saved, show_attrs)
        if i in single:
            lines.append(f"×{single[i]}")
        pic.nodes[f"n{i}"] = (lines, "fn")
        for j, count in kept[i]:
            pic.edges.append((f"n{j}", f"n{i}", {"label": f"×{count}"} if count > 1 else {}))
        var = getattr(node, "variable", None)
        if var is not None:
            tid = f"t{i}"
            label = [names[id(var)]] if id(var) in names else []
            pic.nodes[tid] = (label + [shape_text(var._data.shape)], "leaf")
            pic.edges.append((tid, f"n{i}", {}))

    _constants(pic, objs, visible, by_id, names)

    for k, t in enumerate(outputs):
        oid = f"o{k}"
        label = [names[id(t)]] if id(t) in names else []
        pic.nodes[oid] = (label + [shape_text(t._data.shape)], "output")
        if t._fn is not None:
            pic.edges.append((f"n{walk.index[id(t._fn)]}", oid, {}))
    return pic


def _private_inputs(members: list[int], kept: list, consumers: list, exits: set) -> list[int]:
    """The nodes that only a block's members consume, directly or through each other: the
    inputs that each repetition of the block computes for itself (not the history before
    the run, where it `exits`)."""
    inside = set(members)
    out: list[int] = []
    stack = [j for m in members for j, _ in kept[m]]
    while stack:
        j = stack.pop()
        if j in inside or j in exits or consumers[j] != 1:
            continue
        inside.add(j)
        out.append(j)
        stack.extend(k for k, _ in kept[j])
    return out


def _param_tensors(params: Any) -> dict[int, Any]:
    if params is None:
        return {}
    items = params.items() if isinstance(params, dict) else params
    return {id(t): t for _, t in items if hasattr(t, "_data")}


def _constants(pic: Picture, objs: list, visible: list, by_id: dict, names: dict) -> None:
    """Named tensors that need no gradient but that a node saved (the x of x @ w, a target):
    drawn as inputs with a dashed edge into the node that keeps them. A view of the tensor
    counts as the tensor (it shares the version counter)."""
    consts = [t for t in by_id.values() if not t._rg]
    if not consts:
        return
    by_vc = {id(t._vc): t for t in consts if t._vc is not ZERO_VC}
    labels = [t for t in consts if t._data.dtype.kind in "biu"]
    drawn: dict[int, str] = {}
    for i, node in enumerate(objs):
        if not visible[i]:
            continue
        values = saved_values(node)
        if not isinstance(values, list):
            continue
        held = [tensor if any(tensor is c for c in consts) else
                by_vc.get(id(getattr(tensor, "_vc", None))) for _, tensor, _ in values]
        # A class-index target is kept as an index array of its own (converted for NumPy's
        # indexing): it is the named integer tensor with the same values.
        arrays = [v for v in getattr(node, "_ctx", ()) or () if isinstance(v, np.ndarray)]
        arrays += [v for v, tensor, _ in values if tensor is None and isinstance(v, np.ndarray)]
        held += [next((c for c in labels if c._data.shape == a.shape
                       and np.array_equal(c._data, a)), None) for a in arrays
                 if a.dtype.kind in "biu"] if labels else []
        for t in held:
            if t is None:
                continue
            if id(t) not in drawn:
                drawn[id(t)] = f"c{len(drawn)}"
                label = [names[id(t)], shape_text(t._data.shape)]
                pic.nodes[drawn[id(t)]] = (label, "const")
            pic.edges.append((drawn[id(t)], f"n{i}", {"style": "dashed"}))
