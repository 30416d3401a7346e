"""ember.viz's own SVG layout beyond toy graphs: an MLP training step and a recurrent cell
unrolled 5 steps, counted as edge crossings against Graphviz's `dot` on the same DOT text;
boxes that no edge crosses; folds that frame what each repetition takes; saved values under
torch's `_saved_*` names."""

from __future__ import annotations

import functools
import importlib.util
import shutil
import subprocess
from pathlib import Path

import pytest
import torch

import ember
from ember.viz import draw
from ember.viz._svg import Layout


def _docs_programs():
    """The docs' programs (docs/gen_graphs.py draws their pictures): one place for both."""
    path = Path(__file__).resolve().parents[1] / "docs" / "gen_graphs.py"
    spec = importlib.util.spec_from_file_location("gen_graphs", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_DOCS = _docs_programs()
mlp_step, rnn_steps = _DOCS.mlp_step, _DOCS.rnn_steps


def _segments_cross(p, q, r, s) -> bool:
    def side(a, b, c):
        return (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
    return side(p, q, r) * side(p, q, s) < 0 and side(r, s, p) * side(r, s, q) < 0


def dot_crossings(source: str) -> int:
    """Pairs of edges (without a shared end) that cross in Graphviz's layout, from the
    B-spline control polygons `dot -Tplain` writes."""
    out = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True,
                         check=True).stdout.decode()
    edges = []
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == "edge":
            n = int(f[3])
            pts = [(float(f[4 + 2 * i]), float(f[5 + 2 * i])) for i in range(n)]
            edges.append(({f[1], f[2]}, list(zip(pts, pts[1:]))))
    count = 0
    for i, (ends_a, segs_a) in enumerate(edges):
        for ends_b, segs_b in edges[i + 1:]:
            if not ends_a & ends_b and any(_segments_cross(p, q, r, s) for p, q in segs_a
                                           for r, s in segs_b):
                count += 1
    return count


NAMES = ["mlp-step", "rnn-5", "rnn-5-unfolded"]


@functools.cache
def graphs() -> dict:
    return _DOCS.own_layout_graphs()


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
@pytest.mark.parametrize("name", NAMES)
def test_own_layout_crosses_no_more_than_graphviz(name):
    g = graphs()[name]
    own = Layout(g._picture).crossings()
    assert own <= dot_crossings(g.source) + 2, name


@pytest.mark.parametrize("name", NAMES)
def test_no_edge_crosses_a_box(name):
    lay = Layout(graphs()[name]._picture)
    boxes = [(lay.x[i] - lay.width[i] / 2, lay.y[i] - lay.height[i] / 2,
              lay.x[i] + lay.width[i] / 2, lay.y[i] + lay.height[i] / 2)
             for i in range(len(lay.ids))]
    for (t, h, _), route in zip(lay.edges, lay.routes):
        pts = lay.points(route)
        for (px, py), (qx, qy) in zip(pts, pts[1:]):
            for k, (x0, y0, x1, y1) in enumerate(boxes):
                if k in (t, h):
                    continue
                # Sampled along the segment: no point of it lies inside another box.
                for s in range(1, 20):
                    u = s / 20
                    x, y = px + u * (qx - px), py + u * (qy - py)
                    assert not (x0 < x < x1 and y0 < y < y1), (lay.ids[t], lay.ids[h],
                                                               lay.ids[k])


def test_folded_steps_frame_the_inputs_each_step_takes():
    g = draw(rnn_steps(ember)[0], params=rnn_steps(ember)[1])
    block = g.source.split('label="×4"')[1].split("}")[0]
    # Steps 2-5 fold into one: the frame holds both products, h Wh and x_t Wx.
    assert block.count("MmBackward0") == 2
    assert block.count("TanhBackward0") == 1
    # The shared weights stay outside, drawn once.
    assert "AccumulateGrad" not in block


def test_class_index_target_drawn_as_input():
    loss, names = mlp_step(ember)
    g = draw(loss, params=names)
    by_label = {v: k for k, v in g.nodes.items()}
    target = by_label["y\n(2,)"]
    nll = next(k for k, v in g.nodes.items() if v.startswith("NllLossBackward0"))
    assert (target, nll) in g.edges


def _torch_nodes(t) -> dict:
    """torch's nodes by name, each with its `_saved_*` attribute names."""
    out: dict = {}
    stack = [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None:
            continue
        out.setdefault(type(fn).__name__, set()).update(
            a for a in dir(fn) if a.startswith("_saved_"))
        stack.extend(f for f, _ in fn.next_functions)
    return out


@pytest.mark.parametrize("program", [mlp_step, rnn_steps])
def test_saved_values_under_torch_names_and_plain(program):
    loss, names = program(ember)
    tnodes = _torch_nodes(program(torch)[0])
    g = draw(loss, params=names, show_saved=True, show_attrs=True)
    shown = 0
    for label in g.nodes.values():
        node, *lines = label.split("\n")
        if node not in tnodes:
            continue
        for line in lines:
            attr, value = line.split(": ", 1)
            assert attr in tnodes[node], (node, attr)
            assert "np." not in value and "array(" not in value, line
            shown += 1
    assert shown >= 6


def test_plain_values_of_index_and_scalar_constants():
    a = ember.randn(4, 3, requires_grad=True)
    g = draw(a[ember.tensor([0, 2])].mean(), show_saved=True, show_attrs=True)
    text = "\n".join(g.nodes.values())
    assert "_saved_indices: ((2,) int64,)" in text
    assert "_saved_self_sym_numel: 6" in text


def test_fold_frame_holds_only_its_members():
    g = graphs()["rnn-5"]
    lay = Layout(g._picture)
    (label, members), = g._picture.blocks
    inside = {lay.ids.index(m) for m in members}
    x0 = min(lay.x[v] - lay.width[v] / 2 for v in inside)
    x1 = max(lay.x[v] + lay.width[v] / 2 for v in inside)
    y0 = min(lay.y[v] - lay.height[v] / 2 for v in inside)
    y1 = max(lay.y[v] + lay.height[v] / 2 for v in inside)
    for v in range(len(lay.ids)):
        if v not in inside:
            assert not (x0 < lay.x[v] < x1 and y0 < lay.y[v] < y1), lay.ids[v]
