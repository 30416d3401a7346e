"""Renders the pictures and reports the docs show, from the real code: run it before
`mkdocs build` (its outputs are committed, so the site also builds without Graphviz).

    python docs/gen_graphs.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import ember as torch
from ember.autograd import explain
from ember.viz import draw
from ember.viz._dot import dot_program

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
    if dot_program() is None:
        print("Graphviz's dot is not installed: wrote DOT text only; the committed SVGs stay",
              file=sys.stderr)
    print(f"wrote {IMAGES}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
