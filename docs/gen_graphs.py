"""Renders the pictures and reports the docs show, from the real code: run it before
`mkdocs build` (its outputs are committed, so the site also builds without Graphviz).

    python docs/gen_graphs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import ember as torch
from ember.autograd import explain, record_cuts
from ember.viz import draw
from ember.viz._dot import dot_program
from ember.viz._svg import to_svg

IMAGES = Path(__file__).resolve().parent / "images"


def seed_model():
    """The seed tutorial's model, seeded so that the pictures do not change between runs."""
    torch.manual_seed(0)
    x = torch.ones(5)
    y = torch.zeros(3)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    z = torch.matmul(x, w) + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
    return dict(x=x, y=y, w=w, b=b, z=z, loss=loss)


def mlp_step(lib=torch):
    """A two-layer MLP's cross-entropy loss on a batch of two. `lib` is ember or torch."""
    lib.manual_seed(0)
    nn = lib.nn
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
    x = lib.randn(2, 4)
    y = lib.tensor([0, 2])
    loss = nn.functional.cross_entropy(model(x), y)
    return loss, {**dict(model.named_parameters()), "x": x, "y": y, "loss": loss}


def rnn_steps(lib=torch, steps: int = 5):
    """A recurrent cell h = tanh(x_t Wx + h Wh + b) unrolled `steps` steps."""
    lib.manual_seed(0)
    wx = lib.randn(3, 4, requires_grad=True)
    wh = lib.randn(4, 4, requires_grad=True)
    b = lib.randn(4, requires_grad=True)
    xs = lib.randn(steps, 2, 3)
    h = lib.zeros(2, 4)
    for t in range(steps):
        h = lib.tanh(xs[t] @ wx + h @ wh + b)
    loss = h.sum()
    return loss, {"Wx": wx, "Wh": wh, "b": b, "xs": xs, "loss": loss}


def own_layout_graphs() -> dict:
    """Picture name -> graph, drawn both by Graphviz and by ember's own layout."""
    loss, names = mlp_step()
    out = {"mlp-step": draw(loss, params=names)}
    loss, names = rnn_steps()
    out["rnn-5"] = draw(loss, params=names)
    out["rnn-5-unfolded"] = draw(loss, params=names, collapse=None)
    return out


def graphs() -> dict:
    """Picture name -> graph."""
    out = {}
    t = seed_model()
    out["comp-graph"] = draw(t["loss"], params=t)
    out["comp-graph-saved"] = draw(t["loss"], params=t, show_saved=True)
    t["loss"].backward()
    out["comp-graph-freed"] = draw(t["loss"], params=t, show_saved=True)

    a = torch.randn(3, requires_grad=True)
    h = a
    for _ in range(10_000):
        h = h * 1.0001
    out["chain-10000"] = draw(h.sum(), params={"a": a})

    W = torch.randn(3, 3, requires_grad=True)
    c = torch.randn(3, requires_grad=True)
    h = torch.zeros(3)
    for _ in range(2_500):
        h = torch.tanh(h @ W + c)
    out["rnn-2500"] = draw(h.sum(), params={"W": W, "c": c})
    return out


def explain_report() -> str:
    """explain() on a program where only one of four inputs gets a gradient."""
    torch.manual_seed(0)
    w = torch.randn(5, 3, requires_grad=True)
    b = torch.randn(3, requires_grad=True)
    scale = torch.randn(3, requires_grad=True)
    x = torch.ones(5)
    with record_cuts():
        with torch.no_grad():
            h = torch.matmul(x, w)
        z = h * b * scale.detach()
    loss = z.sum()
    return str(explain(loss, {"w": w, "b": b, "scale": scale, "z": z}))


def main() -> int:
    IMAGES.mkdir(exist_ok=True)
    (IMAGES / "explain-report.txt").write_text(explain_report() + "\n", encoding="utf-8")
    for name, graph in graphs().items():
        (IMAGES / f"{name}.dot").write_text(graph.source, encoding="utf-8")
        if dot_program() is not None:
            graph.render(IMAGES / f"{name}.svg")
    for name, graph in own_layout_graphs().items():
        (IMAGES / f"{name}.dot").write_text(graph.source, encoding="utf-8")
        (IMAGES / f"{name}-own.svg").write_text(to_svg(graph._picture), encoding="utf-8")
        if dot_program() is not None:
            graph.render(IMAGES / f"{name}.svg")
    if dot_program() is None:
        print("Graphviz's dot is not installed: wrote DOT text only; the committed SVGs stay",
              file=sys.stderr)
    print(f"wrote {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
