"""`python -m ember.demo`: runs the autograd tutorial this project started from, then draws
the graph of its loss into comp-graph.svg (and comp-graph.png when Graphviz's `dot` is
installed) in the current directory."""

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
    written = [graph.render("comp-graph.svg")]
    if dot_program() is None:
        print("Graphviz's dot program is not installed: the SVG comes from ember's own layout "
              "and no PNG is written (install Graphviz for comp-graph.png)")
    else:
        written.append(graph.render("comp-graph.png"))
    print("Computational graph of loss: " + ", ".join(written))
    return written


if __name__ == "__main__":
    main()
