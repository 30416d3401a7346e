"""ember.viz.draw: the picture of the seed tutorial's graph against torch's own graph, saved
tensors before and after backward, folding of long repeated runs, rendering."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
import torch

import ember
from ember.viz import draw

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot program is not installed")
SVG = "{http://www.w3.org/2000/svg}"


def seed(lib):
    """The seed tutorial's model, with its tensors named as the tutorial names them."""
    lib.manual_seed(0)
    x = lib.ones(5)
    y = lib.zeros(3)
    w = lib.randn(5, 3, requires_grad=True)
    b = lib.randn(3, requires_grad=True)
    z = lib.matmul(x, w) + b
    loss = lib.nn.functional.binary_cross_entropy_with_logits(z, y)
    return loss, dict(x=x, y=y, w=w, b=b, loss=loss)


def svg_graph(svg: bytes) -> tuple[dict, list]:
    """Node labels by DOT id and (tail, head) edges, read back from Graphviz's SVG."""
    root = ET.fromstring(svg)
    nodes, edges = {}, []
    for g in root.iter(SVG + "g"):
        title = g.find(SVG + "title")
        if g.get("class") == "node":
            nodes[title.text] = [t.text for t in g.iter(SVG + "text")]
        elif g.get("class") == "edge":
            tail, head = title.text.split("->")
            edges.append((tail, head))
    return nodes, edges


def torch_edges(loss, names) -> Counter:
    """torch's graph as (input, consumer) pairs of node names, leaves by their names: the
    direction data flows, which is the direction the picture's arrows point."""
    by_id = {id(t): n for n, t in names.items()}
    out = Counter()
    stack, seen = [loss.grad_fn], {loss.grad_fn}
    while stack:
        fn = stack.pop()
        if hasattr(fn, "variable"):
            out[(by_id[id(fn.variable)], "AccumulateGrad")] += 1
        for nxt, _ in fn.next_functions:
            if nxt is None:
                continue
            out[(type(nxt).__name__, type(fn).__name__)] += 1
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return out


def picture_edges(nodes: dict, edges: list, kinds: tuple = ("n", "t")) -> Counter:
    """The picture's edges between operations and leaves, by the first label line."""
    return Counter((nodes[a][0], nodes[b][0]) for a, b in edges
                   if a[0] in kinds and b[0] in kinds)


def test_seed_graph_source_matches_torch():
    loss, names = seed(ember)
    tloss, tnames = seed(torch)
    g = draw(loss, params=names)
    labels = {k: v.split("\n") for k, v in g.nodes.items()}
    assert picture_edges(labels, g.edges) == torch_edges(tloss, tnames)


@needs_dot
def test_seed_graph_svg():
    loss, names = seed(ember)
    tloss, tnames = seed(torch)
    svg = draw(loss, params=names).pipe("svg")
    nodes, edges = svg_graph(svg)
    firsts = Counter(v[0] for v in nodes.values())
    for name in ("BinaryCrossEntropyWithLogitsBackward0", "AddBackward0", "SqueezeBackward4",
                 "MmBackward0", "w", "b", "x", "y", "loss"):
        assert firsts[name] == 1, name
    assert firsts["AccumulateGrad"] == 2
    # Every arrow of torch's graph is there, pointing from input to consumer.
    assert picture_edges(nodes, edges) == torch_edges(tloss, tnames)
    by_label = {v[0]: k for k, v in nodes.items()}
    # x and y need no gradient: dashed inputs into the nodes that saved them.
    assert (by_label["x"], by_label["MmBackward0"]) in edges
    assert (by_label["y"], by_label["BinaryCrossEntropyWithLogitsBackward0"]) in edges
    assert (by_label["BinaryCrossEntropyWithLogitsBackward0"], by_label["loss"]) in edges
    # Leaves and shapes.
    assert nodes[by_label["w"]] == ["w", "(5, 3)"]
    assert nodes[by_label["b"]] == ["b", "(3,)"]
    assert nodes[by_label["loss"]] == ["loss", "()"]


def test_saved_tensors_shapes_match_torch_and_freed_after_backward():
    loss, names = seed(ember)
    tloss, _ = seed(torch)
    g = draw(loss, params=names, show_saved=True)
    mm = next(v for v in g.nodes.values() if v.startswith("MmBackward0"))
    tmm = tloss.grad_fn.next_functions[0][0].next_functions[0][0].next_functions[0][0]
    assert type(tmm).__name__ == "MmBackward0"
    saved_by_torch = [s for s in (tmm._saved_self, tmm._saved_mat2) if s is not None]
    assert saved_by_torch
    for saved in saved_by_torch:
        shape = "(" + ", ".join(str(s) for s in saved.shape) + ")"
        assert f"{shape} float32" in mm
    loss.backward()
    after = draw(loss, show_saved=True)
    assert "freed" in next(v for v in after.nodes.values() if v.startswith("MmBackward0"))
    # The leaves and operations are all still drawn.
    assert Counter(v.split("\n")[0] for v in after.nodes.values())["AccumulateGrad"] == 2


def test_show_attrs_lists_arguments():
    a = ember.randn(2, 3, requires_grad=True)
    g = draw(ember.sum(a, 1), show_attrs=True)
    node = next(v for v in g.nodes.values() if v.startswith("SumBackward1"))
    assert "(2, 3)" in node


def chain(n: int):
    a = ember.randn(3, requires_grad=True)
    h = a
    for _ in range(n):
        h = h * 1.0001
    return h.sum(), a


def test_long_chain_folds_into_one_node():
    out, a = chain(10_000)
    g = draw(out, params={"a": a})
    assert len(g.nodes) <= 12
    (mul,) = [v for v in g.nodes.values() if v.startswith("MulBackward0")]
    assert "×10000" in mul
    # Folding keeps the order of operations: a -> AccumulateGrad -> Mul×N -> Sum -> output.
    lab = {k: v.split("\n")[0] for k, v in g.nodes.items()}
    assert Counter((lab[t], lab[h]) for t, h in g.edges) == Counter({
        ("a", "AccumulateGrad"): 1, ("AccumulateGrad", "MulBackward0"): 1,
        ("MulBackward0", "SumBackward0"): 1, ("SumBackward0", "()"): 1})


def test_unfolded_chain_has_every_node():
    out, _ = chain(50)
    assert sum(v.startswith("MulBackward0") for v in draw(out, collapse=None).nodes.values()) \
        == 50


@needs_dot
def test_repeated_block_with_shared_weights_svg():
    ember.manual_seed(0)
    W = ember.randn(3, 3, requires_grad=True)
    b = ember.randn(3, requires_grad=True)
    h = ember.randn(3, requires_grad=True)
    for _ in range(2500):  # four nodes a step: 10,000 nodes
        h = ember.tanh(h @ W + b)
    g = draw(h.sum(), params=dict(W=W, b=b))
    nodes, edges = svg_graph(g.pipe("svg"))
    assert len(nodes) <= 30
    root = ET.fromstring(g.pipe("svg"))
    clusters = [c for c in root.iter(SVG + "g") if c.get("class") == "cluster"]
    assert any("×2500" in "".join(t.text for t in c.iter(SVG + "text")) for c in clusters)
    firsts = Counter(v[0] for v in nodes.values())
    assert firsts["TanhBackward0"] == 1 and firsts["MmBackward0"] == 1
    # The shared weights stay connected to the block.
    by_label = {v[0]: k for k, v in nodes.items()}
    acc_w = next(h for t, h in edges if t == by_label["W"])
    assert (acc_w, by_label["MmBackward0"]) in edges


def test_sum_of_many_products_folds():
    x = ember.randn(3000)
    w = ember.randn(1, requires_grad=True)
    total = x[0] * w
    for i in range(1, 3000):  # a chain of adds, each with its own product beside it
        total = total + x[i] * w
    g = draw(total, params={"w": w})
    assert len(g.nodes) <= 20
    # Each add takes a product of its own: the frame that counts the repetitions holds both.
    block = g.source.split('label="×2999"')[1].split("}")[0]
    assert "AddBackward0" in block and "MulBackward0" in block


def test_graph_of_a_leaf_and_of_several_outputs():
    a = ember.randn(2, requires_grad=True)
    assert list(draw(a, params={"a": a}).nodes.values()) == ["a\n(2,)"]
    b = a * 2
    c = a + 1
    g = draw(b, c, params={"a": a, "b": b, "c": c})
    labels = sorted(g.nodes.values())
    assert "b\n(2,)" in labels and "c\n(2,)" in labels
    assert sum(v.startswith("AccumulateGrad") for v in labels) == 1
    with pytest.raises(TypeError):
        draw([1, 2])


def test_names_are_escaped_in_dot():
    a = ember.randn(2, requires_grad=True)
    g = draw(a * 2, params=[('say "hi" \\', a)])
    assert 'label="say \\"hi\\" \\\\\\n(2,)"' in g.source


@needs_dot
def test_render_and_save(tmp_path):
    loss, names = seed(ember)
    g = draw(loss, params=names)
    svg = g.render(tmp_path / "graph")
    assert svg.endswith("graph.svg")
    assert b"<svg" in (tmp_path / "graph.svg").read_bytes()
    png = g.render(tmp_path / "graph.png")
    assert png.endswith(".png")
    assert (tmp_path / "graph.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    g.render(tmp_path / "graph", format="pdf")
    assert (tmp_path / "graph.pdf").read_bytes()[:4] == b"%PDF"
    g.save(tmp_path / "graph.dot")
    assert (tmp_path / "graph.dot").read_text(encoding="utf-8") == g.source
    bundle = g._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and bundle["text/vnd.graphviz"] == g.source
    assert "<svg" in g._repr_svg_()


def test_without_dot(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    loss, names = seed(ember)
    g = draw(loss, params=names)
    assert g.source.startswith("digraph {")
    # SVG falls back to the built-in layout (tested in test_viz_fallback); PNG needs dot.
    assert g._repr_svg_().startswith("<?xml")
    with pytest.raises(RuntimeError, match="Graphviz"):
        g.render(tmp_path / "graph.png")
    with pytest.raises(RuntimeError, match="Graphviz"):
        ember.viz.Graph(g.source).render(tmp_path / "graph.svg")
    g.save(tmp_path / "graph.gv")
    assert (tmp_path / "graph.gv").read_text(encoding="utf-8") == g.source
