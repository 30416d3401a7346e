"""ember.viz without Graphviz: the built-in SVG layout of the seed tutorial's graph, of folded
long chains and blocks, and the demo leaving comp-graph.svg."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import torch

import ember
from ember.viz import draw
from test_viz import SVG, chain, picture_edges, seed, svg_graph, torch_edges


@pytest.fixture
def no_dot(monkeypatch, tmp_path):
    """A PATH on which no `dot` can be found."""
    empty = tmp_path / "empty-path"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))


def boxes(svg: bytes) -> dict:
    """Node boxes by id as (x0, y0, x1, y1)."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") == "node":
            r = g.find(SVG + "rect")
            x, y = float(r.get("x")), float(r.get("y"))
            out[g.find(SVG + "title").text] = (x, y, x + float(r.get("width")),
                                               y + float(r.get("height")))
    return out


def arrows(svg: bytes) -> int:
    """Edge groups holding both a line and an arrowhead."""
    return sum(1 for g in ET.fromstring(svg).iter(SVG + "g") if g.get("class") == "edge"
               and g.find(SVG + "path") is not None and g.find(SVG + "polygon") is not None)


def test_seed_graph_svg_without_dot(no_dot, tmp_path):
    loss, names = seed(ember)
    tloss, tnames = seed(torch)
    g = draw(loss, params=names)
    path = g.render(tmp_path / "graph.svg")
    with open(path, "rb") as f:
        svg = f.read()
    nodes, edges = svg_graph(svg)
    # The same nodes with the same label lines as the DOT text.
    assert {k: "\n".join(v) for k, v in nodes.items()} == g.nodes
    firsts = Counter(v[0] for v in nodes.values())
    for name in ("BinaryCrossEntropyWithLogitsBackward0", "AddBackward0", "SqueezeBackward4",
                 "MmBackward0", "w", "b", "x", "y", "loss"):
        assert firsts[name] == 1, name
    assert firsts["AccumulateGrad"] == 2
    # One arrow per edge, each pointing from input to consumer as torch's graph does.
    assert arrows(svg) == len(g.edges) == len(edges)
    assert Counter(edges) == Counter(g.edges)
    assert picture_edges(nodes, edges) == torch_edges(tloss, tnames)
    # Arrows point down, and boxes in the same row do not overlap.
    box = boxes(svg)
    for t, h in edges:
        assert box[t][3] < box[h][1], (t, h)
    items = list(box.values())
    for i, a in enumerate(items):
        for b in items[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    # Boxes are sized from their labels: the longest name gets the widest box.
    widest = max(box, key=lambda k: box[k][2] - box[k][0])
    assert nodes[widest][0] == "BinaryCrossEntropyWithLogitsBackward0"
    # Dashed inputs stay dashed.
    dashed = [g_ for g_ in ET.fromstring(svg).iter(SVG + "g") if g_.get("class") == "edge"
              and g_.find(SVG + "path").get("stroke-dasharray")]
    assert len(dashed) == 2
    assert g._repr_mimebundle_()["image/svg+xml"] == svg.decode("utf-8")
    with pytest.raises(RuntimeError, match="Graphviz"):
        g.pipe("pdf")


def test_long_chain_and_repeated_block_without_dot(no_dot):
    out, a = chain(10_000)
    g = draw(out, params={"a": a})
    svg = g.pipe("svg")
    nodes, edges = svg_graph(svg)
    assert len(nodes) == len(g.nodes) <= 12
    assert any("×10000" in v for v in nodes.values())
    assert arrows(svg) == len(g.edges)

    ember.manual_seed(0)
    W = ember.randn(3, 3, requires_grad=True)
    b = ember.randn(3, requires_grad=True)
    h = ember.randn(3, requires_grad=True)
    for _ in range(2500):
        h = ember.tanh(h @ W + b)
    g = draw(h.sum(), params=dict(W=W, b=b))
    svg = g.pipe("svg")
    nodes, edges = svg_graph(svg)
    assert len(nodes) <= 30 and arrows(svg) == len(g.edges)
    # The folded block is a labelled frame around its members.
    root = ET.fromstring(svg)
    (frame,) = [c for c in root.iter(SVG + "g") if c.get("class") == "cluster"]
    assert frame.find(SVG + "text").text == "×2500"
    r = frame.find(SVG + "rect")
    fx, fy = float(r.get("x")), float(r.get("y"))
    fx1, fy1 = fx + float(r.get("width")), fy + float(r.get("height"))
    box = boxes(svg)
    tanh = next(k for k, v in nodes.items() if v[0] == "TanhBackward0")
    assert fx <= box[tanh][0] and box[tanh][2] <= fx1 and fy <= box[tanh][1] \
        and box[tanh][3] <= fy1


def test_unfolded_chain_and_long_edge_without_dot(no_dot):
    out, _ = chain(300)
    g = draw(out, collapse=None)
    svg = g.pipe("svg")
    assert arrows(svg) == len(g.edges) and len(svg_graph(svg)[0]) == len(g.nodes)
    # A long edge (a leaf used at the start and at the end) bends through every layer.
    a = ember.randn(3, requires_grad=True)
    h = a
    for _ in range(5):
        h = h.exp()
    g = draw(h + a, params={"a": a}, collapse=None)
    root = ET.fromstring(g.pipe("svg"))
    points = [len(e.find(SVG + "path").get("d").split("L")) for e in root.iter(SVG + "g")
              if e.get("class") == "edge"]
    assert max(points) >= 6


def test_demo_without_dot_writes_svg(no_dot, tmp_path, monkeypatch, capsys):
    from ember import demo

    monkeypatch.chdir(tmp_path)
    written = demo.main()
    assert written == ["comp-graph.svg"]
    assert sorted(os.listdir(tmp_path)) == ["comp-graph.svg", "empty-path"]
    nodes, _ = svg_graph((tmp_path / "comp-graph.svg").read_bytes())
    assert Counter(v[0] for v in nodes.values())["loss"] == 1
    assert "comp-graph.svg" in capsys.readouterr().out
