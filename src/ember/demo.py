"""`python -m ember.demo`: runs the autograd tutorial this project started from, then draws
the graph of its loss into comp-graph.svg (and comp-graph.png) in the current directory."""

from __future__ import annotations

import runpy

from .viz import draw
from .viz._dot import dot_program

__all__ = ["main"]


def main() -> list[str]:
    """Runs the tutorial, writes the picture of its loss's graph and returns the files
    written."""
    names = runpy.run_module("ember.tutorial", run_name="__main__")
    params = {k: names[k] for k in ("x", "y", "w", "b", "loss")}
    graph = draw(names["loss"], params=params)
    print()
    if dot_program() is None:
        written = [graph.save("comp-graph.dot")]
        print("Graphviz's dot program is not installed, so the graph is written as DOT text; "
              "render it with: dot -Tsvg comp-graph.dot -o comp-graph.svg")
    else:
        written = [graph.render("comp-graph.svg"), graph.render("comp-graph.png")]
    print("Computational graph of loss: " + ", ".join(written))
    return written


if __name__ == "__main__":
    main()
