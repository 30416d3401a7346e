"""ember.viz: pictures of autograd graphs.

`draw(loss, params=dict(model.named_parameters()))` returns a `Graph`: its DOT text is always
available as `.source`; it renders to SVG and shows inline in Jupyter, with Graphviz's `dot`
program when installed (which also gives PNG and PDF) and with a built-in layout otherwise.
"""

from __future__ import annotations

import os
from typing import Any

from ._dot import dot_program, run_dot, to_dot
from ._model import Picture, build
from ._svg import to_svg

__all__ = ["draw", "Graph"]

_SOURCE_FORMATS = ("dot", "gv")


class Graph:
    """A drawn autograd graph: DOT text (`source`) that renders to SVG, PNG or PDF."""

    def __init__(self, source: str, nodes: dict | None = None,
                 edges: list | None = None, picture: Picture | None = None) -> None:
        self.source = source
        # Kept to draw SVG without Graphviz.
        self._picture = picture
        # Node labels by DOT id, and (tail, head) edges: the picture as data.
        self.nodes = {k: "\n".join(v[0]) for k, v in (nodes or {}).items()}
        self.edges = [(t, h) for t, h, _ in (edges or [])]

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<ember.viz.Graph with {len(self.nodes)} nodes>"

    def pipe(self, format: str = "svg") -> bytes:
        """The graph rendered to `format` (svg, png, pdf, ... or dot for the source). SVG
        needs no Graphviz: without `dot` it comes from a built-in layout."""
        if format in _SOURCE_FORMATS:
            return self.source.encode("utf-8")
        if format == "svg" and self._picture is not None and dot_program() is None:
            return to_svg(self._picture).encode("utf-8")
        return run_dot(self.source, format)

    def render(self, filename: str | os.PathLike = "graph", format: str | None = None) -> str:
        """Writes the graph to a file and returns its path. The format comes from `format`
        or the file's extension (svg when there is none); a missing extension is added."""
        path = os.fspath(filename)
        ext = os.path.splitext(path)[1].lstrip(".").lower()
        if format is None:
            format = ext or "svg"
        if ext != format:
            path = f"{path}.{format}"
        data = self.pipe(format)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def save(self, filename: str | os.PathLike = "graph.dot",
             format: str | None = None) -> str:
        """Writes the graph to a file: DOT text for .dot/.gv names, else a rendering in the
        format the extension names. Returns the path."""
        return self.render(filename, format)

    def _repr_svg_(self) -> str | None:
        if self._picture is None and dot_program() is None:
            return None
        return self.pipe("svg").decode("utf-8")

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        bundle = {"text/plain": repr(self), "text/vnd.graphviz": self.source}
        svg = self._repr_svg_()
        if svg is not None:
            bundle["image/svg+xml"] = svg
        return bundle

    def to_graphviz(self) -> Any:
        """The graph as a `graphviz.Source` (needs the optional graphviz package)."""
        import graphviz

        return graphviz.Source(self.source)


def draw(*tensors: Any, params: Any = None, show_saved: bool = False, show_attrs: bool = False,
         collapse: int | None = 4) -> Graph:
    """Draws the autograd graph behind `tensors`.

    Operations show torch's node names (AddBackward0, AccumulateGrad); leaves show their
    names from `params` (a dict name -> tensor such as dict(model.named_parameters()), or
    (name, tensor) pairs) and shapes; outputs are highlighted. Named tensors that need no
    gradient but were saved by a node (inputs, targets) are drawn as dashed inputs.
    `show_saved` lists each node's saved tensors with shapes and dtypes ("freed" after a
    backward that released them); `show_attrs` lists its other arguments. Runs of
    structure repeated at least `collapse` times are folded into one block labelled ×N
    (None draws every node).
    """
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    for t in tensors:
        if not hasattr(t, "_data"):
            raise TypeError(f"draw() expects tensors, but got {type(t).__name__}")
    pic = build(tensors, params, show_saved, show_attrs, collapse)
    return Graph(to_dot(pic), pic.nodes, pic.edges, pic)
