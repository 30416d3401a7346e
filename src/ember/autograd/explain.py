"""`explain(output, inputs)`: for each input, whether backward() from `output` will fill its
`.grad`, and if not, what stops it."""

from __future__ import annotations

from collections import deque
from typing import Any

import numpy as np

from .._version import ZERO_VC
from ._cuts import cut_of, made_at, record_cuts
from ._introspect import saved_values
from .graph import NO_GRAD_VIEW

__all__ = ["explain", "record_cuts", "Verdict", "Explanation"]

REACHES = "reaches"
NO_REQUIRES_GRAD = "requires_grad"
NO_GRAD = "no_grad"
DETACHED = "detached"
NON_DIFFERENTIABLE = "non_differentiable"
NON_LEAF = "non_leaf"
UNUSED = "unused"


class Verdict:
    """What backward() from the output does for one input: `reaches` (its .grad will be
    filled), `cause` (one of "reaches", "requires_grad", "no_grad", "detached",
    "non_differentiable", "non_leaf", "unused"), `reason` (in words) and `path` (node names
    from the output down to the input, or to where the path breaks)."""

    __slots__ = ("name", "reaches", "cause", "reason", "path")

    def __init__(self, name: str, reaches: bool, cause: str, reason: str,
                 path: list[str] | None = None) -> None:
        self.name = name
        self.reaches = reaches
        self.cause = cause
        self.reason = reason
        self.path = path or []

    def __str__(self) -> str:
        mark = "reaches" if self.reaches else "no gradient"
        text = f"{self.name}: {mark}. {self.reason}"
        if self.path:
            text += "\n    path: " + " -> ".join(self.path)
        return text

    def __repr__(self) -> str:
        return (f"Verdict(name={self.name!r}, reaches={self.reaches}, cause={self.cause!r}, "
                f"path={self.path!r})")


class Explanation(list):
    """A list of `Verdict`s, one per input, that prints as a report."""

    def __str__(self) -> str:
        return "\n".join(str(v) for v in self)

    __repr__ = __str__


class _Graph:
    """The nodes reachable from the output, found breadth first (so paths are shortest),
    and every tensor the graph holds: leaves and saved tensors, each with its node."""

    def __init__(self, output: Any) -> None:
        self.parent: dict[int, Any] = {}
        self.nodes: dict[int, Any] = {}
        self.tensors: list[tuple[Any, Any]] = []  # (tensor, node that holds it)
        self.arrays: list[tuple[np.ndarray, Any]] = []  # saved arrays not tied to a tensor
        root = output._fn
        if root is None:
            return
        self.nodes[id(root)] = root
        self.parent[id(root)] = None
        queue = deque([root])
        while queue:
            node = queue.popleft()
            var = getattr(node, "variable", None)
            if var is not None:
                self.tensors.append((var, node))
            values = saved_values(node)
            if isinstance(values, list):
                for value, tensor, is_output in values:
                    if tensor is not None:
                        self.tensors.append((tensor, node))
                    elif isinstance(value, np.ndarray) and not is_output:
                        self.arrays.append((value, node))
            for nxt, _ in getattr(node, "next_functions", ()):
                if nxt is not None and id(nxt) not in self.nodes:
                    self.nodes[id(nxt)] = nxt
                    self.parent[id(nxt)] = node
                    queue.append(nxt)

    def path(self, node: Any) -> list[str]:
        """Node names from the output down to `node`."""
        names = []
        while node is not None:
            names.append(type(node).__name__)
            node = self.parent[id(node)]
        return names[::-1]

    def leaf_node(self, t: Any) -> Any:
        for var, node in self.tensors:
            if var is t and getattr(node, "variable", None) is t:
                return node
        return None


def _named(inputs: Any) -> list[tuple[str, Any]]:
    if hasattr(inputs, "_data"):
        return [("input", inputs)]
    if isinstance(inputs, dict):
        return [(str(k), v) for k, v in inputs.items()]
    items = list(inputs)
    if items and isinstance(items[0], tuple) and len(items[0]) == 2 and \
            not hasattr(items[0], "_data"):
        return [(str(k), v) for k, v in items]
    return [(f"inputs[{i}]", t) for i, t in enumerate(items)]


def explain(output: Any, inputs: Any) -> Explanation:
    """For each input, says whether `output.backward()` will fill its `.grad` and, if not,
    why: it does not require grad, it was made under no_grad, a detach() / .data / .numpy()
    cut the path, an integer op (argmax, comparison, .long()) has no gradient, it is not a
    leaf (use retain_grad()), or it is not used. Shows the path of node names from the
    output to the input where one exists. A cut that left nothing in the graph (loss =
    f(w.detach())) is named with its line when the program ran inside `record_cuts()`.

    `inputs` is a tensor, a sequence of tensors, or a dict (or (name, tensor) pairs such as
    model.named_parameters()) naming them."""
    graph = _Graph(output)
    return Explanation(_verdict(name, t, output, graph) for name, t in _named(inputs))


def _verdict(name: str, t: Any, output: Any, graph: _Graph) -> Verdict:
    fn = t._fn
    if fn is not None:
        if id(fn) in graph.nodes or t is output:
            path = graph.path(fn) if id(fn) in graph.nodes else []
            if t.retains_grad:
                return Verdict(name, True, REACHES, "the gradient flows to it and "
                               "retain_grad() keeps it in .grad.", path)
            return Verdict(name, False, NON_LEAF, (
                f"the gradient flows through {name}, but {name} is not a leaf (it is the "
                f"result of {type(fn).__name__}), so its .grad stays None: call "
                f"{name}.retain_grad() before backward(), or use autograd.grad."), path)
    elif t._rg and getattr(t, "_cm", 0) != NO_GRAD_VIEW:
        if t is output:
            return Verdict(name, True, REACHES, "it is the output itself.")
        node = graph.leaf_node(t)
        if node is not None:
            return Verdict(name, True, REACHES, "it is a leaf that requires grad and the "
                           "output's graph reaches it.", graph.path(node))
    else:
        return _no_requires_grad(name, t, graph)
    return _cut_off(name, t, output, graph)


def _no_requires_grad(name: str, t: Any, graph: _Graph) -> Verdict:
    """Why a tensor without requires_grad (or a view taken under no_grad, which requires
    grad through its base but has no history) gets no gradient."""
    holder = next((node for var, node in graph.tensors if var is t or var._base is t), None)
    path = graph.path(holder) if holder is not None else []
    used = f" ({type(holder).__name__} uses it as a constant)" if holder is not None else ""
    if t._data.dtype.kind != "f":
        return Verdict(name, False, NON_DIFFERENTIABLE, (
            f"{name} has dtype {t.dtype}: only floating point tensors can require grad; "
            f"integer and bool results (argmax, comparisons, .long()) have no gradient"
            f"{used}."), path)
    where = made_without_grad(t)
    if where is not None:
        return Verdict(name, False, NO_GRAD, (
            f"{name} was made inside a {where}: operations there record no graph, so it "
            f"does not require grad even if its inputs did{used}. Compute it outside the "
            "block."), path)
    base = t._base
    if base is not None and base._rg:
        return Verdict(name, False, NO_GRAD, (
            f"{name} is a view of a tensor that requires grad, taken with grad mode off "
            f"(no_grad or inference_mode){used}."), path)
    for var, node in graph.tensors:
        if var is not t and var._vc is t._vc and var._vc is not ZERO_VC and var._rg:
            return Verdict(name, False, DETACHED, (
                f"{name} is a detach()ed copy of a tensor in the graph: it shares that "
                f"tensor's memory but not its history{used}."), graph.path(node))
    return Verdict(name, False, NO_REQUIRES_GRAD, (
        f"{name} does not require grad{used}: create it with requires_grad=True or call "
        f"{name}.requires_grad_() before using it."), path)


def _cut_off(name: str, t: Any, output: Any, graph: _Graph) -> Verdict:
    """Why a tensor that requires grad is not in the output's graph: a recorded cut names
    how and where; the graph's own evidence (an alias, an integer tensor) gives the path."""
    found = _cut_off_in_graph(name, t, output, graph)
    recorded = _recorded_cut(name, t)
    if recorded is None:
        return found
    recorded.path = found.path
    return recorded


def _cut_off_in_graph(name: str, t: Any, output: Any, graph: _Graph) -> Verdict:
    """Why a tensor that requires grad is not in the output's graph, from the graph alone."""
    held = list(graph.tensors) + [(output, None)]
    for var, node in held:
        if var is t:
            continue
        how = _alias(var, t).format(name=name)
        if how:
            where = f"{type(node).__name__} uses it" if node is not None else \
                "the output is that tensor"
            path = graph.path(node) if node is not None else []
            return Verdict(name, False, DETACHED, (
                f"{how} is used instead of {name} ({where}): it shares {name}'s "
                f"memory but not its history, so the gradient stops there."), path)
    if output._fn is None and not output._rg:
        return _output_without_graph(name, output)
    for var, node in held:
        if node is None or var._rg:
            continue
        where = made_without_grad(var)
        if where is not None:
            return Verdict(name, False, NO_GRAD, (
                f"{name} is not in the output's graph; {type(node).__name__} uses a tensor "
                f"{_shape(var)} made inside a {where}, which records no graph: if it was "
                f"computed from {name}, that is where the path breaks (otherwise {name} is "
                "not used)."), graph.path(node))
    for data, node in [(v._data, n) for v, n in held if n is not None] + graph.arrays:
        if data.dtype.kind in "biu":
            return Verdict(name, False, NON_DIFFERENTIABLE, (
                f"{name} is not in the output's graph; {type(node).__name__} uses an integer "
                f"or bool tensor ({data.dtype.name}, shape {tuple(data.shape)}): integer "
                f"results (argmax, comparisons, .long(), round) have no gradient, so if it "
                f"was computed from {name}, that is where the path ends (otherwise {name} is "
                "not used)."), graph.path(node))
    return Verdict(name, False, UNUSED, (
        f"{name} is not in the output's graph: it was not used, or its value reached the "
        "output only through a tensor without history (made by .item() or .tolist(), a "
        "Python number, a no_grad block, detach() or an integer op) that the graph does not "
        "keep. Run the program inside `with ember.autograd.record_cuts():` to have the cut "
        "and its line named."))


def _output_without_graph(name: str, output: Any) -> Verdict:
    if output._data.dtype.kind != "f":
        return Verdict(name, False, NON_DIFFERENTIABLE, (
            f"the output has dtype {output.dtype}: integer and bool results (argmax, "
            "comparisons, .long()) have no gradient, so nothing flows back to "
            f"{name}."))
    where = made_without_grad(output)
    if where is not None:
        return Verdict(name, False, NO_GRAD, (
            f"the output was computed inside a {where}, which records no graph, so no "
            f"gradient flows back to {name}."))
    return Verdict(name, False, UNUSED, (
        f"the output does not require grad: nothing that requires grad reached it with grad "
        f"mode on, so {name} is unused or its path was cut (no_grad, detach(), .item(), an "
        "integer op)."))


def _alias(var: Any, t: Any) -> str:
    """How `var` shares `t`'s memory without its history (a template for the name of `t`),
    or '' when it does not."""
    if var._vc is t._vc and var._vc is not ZERO_VC:
        if var._base is not None:
            return "a view of {name} taken with grad mode off (or of a detached copy)"
        return "a detach()ed copy of {name}"
    if var._data.size and t._data.size and np.may_share_memory(var._data, t._data):
        return "an alias of {name} made by .data or .numpy()"
    return ""


def made_without_grad(t: Any) -> str | None:
    """Where `t` was made with grad mode off ("no_grad block at file.py:12"), if a
    recording saw it."""
    made = made_at(t)
    return None if made is None else f"{made[0]} block at {made[1]}"


def _recorded_cut(name: str, t: Any) -> Verdict | None:
    """The verdict for an input whose path a recording saw cut, naming how and where."""
    cuts = cut_of(t)
    if not cuts:
        return None
    parts = []
    for how, where in cuts:
        if how in (".detach()", ".data"):
            parts.append(f"{name}{how} at {where} shares {name}'s memory but not its history")
        else:
            parts.append(f"{name} went through {how} at {where}, whose integer or bool "
                         "result has no gradient")
    cause = DETACHED if cuts[0][0] in (".detach()", ".data") else NON_DIFFERENTIABLE
    return Verdict(name, False, cause, (
        f"{name} is not in the output's graph: " + "; ".join(parts)
        + ", so the gradient stops there."))


def _shape(t: Any) -> str:
    return "(" + ", ".join(str(s) for s in t._data.shape) + ("," if t._data.ndim == 1 else "") \
        + ")"
