"""DOT text for a picture, and rendering it with Graphviz's `dot` program."""

from __future__ import annotations

import shutil
import subprocess

from ._model import Picture

__all__ = ["to_dot", "run_dot", "dot_program"]

# torchviz's palette: operations grey, leaves blue, outputs green, constants plain.
_STYLE = {
    "fn": 'shape=box, style="rounded,filled", fillcolor=lightgrey',
    "leaf": "shape=box, style=filled, fillcolor=lightblue",
    "output": "shape=box, style=filled, fillcolor=darkolivegreen1, penwidth=2",
    "const": 'shape=box, style="dashed"',
}


def quote(text: str) -> str:
    """A DOT double-quoted string; line breaks become centred DOT line breaks."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + text.replace("\n", "\\n") + '"'


def to_dot(pic: Picture) -> str:
    """The DOT source of a picture."""
    out = [
        "digraph {",
        '\tgraph [fontname="Helvetica", fontsize=12, ranksep=0.3, nodesep=0.3]',
        '\tnode [fontname="Helvetica", fontsize=11, height=0.2]',
        '\tedge [fontname="Helvetica", fontsize=10]',
    ]
    in_block = set()
    for k, (label, members) in enumerate(pic.blocks):
        in_block.update(members)
        out.append(f"\tsubgraph cluster_{k} {{")
        out.append(f'\t\tlabel={quote(label)}; style="dashed,rounded"; color=gray40;')
        for m in members:
            out.append("\t\t" + _node_line(m, pic.nodes[m]))
        out.append("\t}")
    for nid, spec in pic.nodes.items():
        if nid not in in_block:
            out.append("\t" + _node_line(nid, spec))
    seen = set()
    for tail, head, attrs in pic.edges:
        key = (tail, head, tuple(sorted(attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        extra = ", ".join(f"{k}={quote(v)}" for k, v in attrs.items())
        out.append(f"\t{tail} -> {head}" + (f" [{extra}]" if extra else ""))
    out.append("}")
    return "\n".join(out) + "\n"


def _node_line(nid: str, spec: tuple) -> str:
    lines, kind = spec
    return f"{nid} [label={quote(chr(10).join(lines))}, {_STYLE[kind]}]"


def dot_program() -> str | None:
    """The path of Graphviz's `dot`, or None when Graphviz is not installed."""
    return shutil.which("dot")


def run_dot(source: str, fmt: str) -> bytes:
    """Renders DOT source to `fmt` (svg, png, pdf, ...) with the `dot` program."""
    exe = dot_program()
    if exe is None:
        raise RuntimeError(
            "rendering a graph needs Graphviz's 'dot' program, which was not found on PATH; "
            "install Graphviz (https://graphviz.org/download/), or use the DOT text in "
            "graph.source")
    proc = subprocess.run([exe, f"-T{fmt}"], input=source.encode("utf-8"),
                          capture_output=True, check=False)
    if proc.returncode:
        raise RuntimeError(f"dot -T{fmt} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout
