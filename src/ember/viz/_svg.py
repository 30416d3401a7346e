"""A picture drawn as SVG without Graphviz: a layered layout (layers by longest path,
crossings reduced by barycentre sweeps and swaps of neighbours, long edges routed straight down
through one point per layer they pass, positions pulled towards neighbours), boxes sized from
their labels, edges as polylines with arrowheads, folded blocks as dashed frames.

The SVG mirrors the structure Graphviz writes (a <g class="node|edge|cluster"> with a <title>
per element), so tools that read `dot`'s SVG read this one too. Every step is iterative.
"""

from __future__ import annotations

import bisect
from xml.sax.saxutils import escape

from ._model import Picture

__all__ = ["to_svg", "Layout"]

_FILL = {"fn": "#d3d3d3", "leaf": "#add8e6", "output": "#caff70", "const": "none"}
_FONT = "Helvetica,Arial,sans-serif"
_FONT_SIZE = 11.0
_LINE_H = 14.0
_PAD_X, _PAD_Y = 9.0, 5.0
_RANK_SEP = 34.0  # vertical gap between layers, room for a block's label
_NODE_SEP = 18.0
_DUMMY_SEP = 8.0
_MARGIN = 12.0
_ARROW_LEN, _ARROW_HALF = 8.0, 3.5
_SWEEPS = 6  # passes that pull positions towards neighbours
_ORDER_SWEEPS = 24

# Rough Helvetica advance widths in ems: enough to size a box around its label.
_NARROW = set("iljtfrI.,:;'|!()[]{} ")
_WIDE = set("mwMW@%")


def _text_width(text: str) -> float:
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.3
        elif ch in _WIDE:
            em += 0.85
        elif ch.isupper():
            em += 0.68
        else:
            em += 0.56
    return em * _FONT_SIZE


def _attr(value: float) -> str:
    return f"{value:.1f}"


class Layout:
    """Where everything goes: `ids` (node ids; indices past them are the invisible points
    that long edges pass through, one per layer they cross), `edges` as (tail, head,
    attributes) index triples, `routes` (each edge's points, layer by layer), `rows` (each
    layer's points left to right), centres `x`, `y` and box sizes `width`, `height`."""

    def __init__(self, pic: Picture) -> None:
        ids = list(pic.nodes)
        n = len(ids)
        index = {nid: i for i, nid in enumerate(ids)}
        # The same edges as the DOT text: repeated (tail, head, attributes) drawn once.
        edges: list[tuple[int, int, dict]] = []
        seen = set()
        for tail, head, attrs in pic.edges:
            key = (tail, head, tuple(sorted(attrs.items())))
            if key not in seen and tail in index and head in index:
                seen.add(key)
                edges.append((index[tail], index[head], attrs))
        # A folded block's members, and the points of edges inside it, stay side by side.
        group = [-1] * n
        for k, (_, members) in enumerate(pic.blocks):
            for m in members:
                if m in index:
                    group[index[m]] = k
        layer = _layers(n, edges, group)
        width = [0.0] * n
        height = [0.0] * n
        for i, nid in enumerate(ids):
            lines = pic.nodes[nid][0] or [""]
            width[i] = max(_text_width(s) for s in lines) + 2 * _PAD_X
            height[i] = len(lines) * _LINE_H + 2 * _PAD_Y
        routes: list[list[int]] = []
        for t, h, _ in edges:
            route = [t]
            inside = group[t] if group[t] == group[h] else -1
            for k in range(layer[t] + 1, layer[h]):
                layer.append(k)
                width.append(0.0)
                height.append(0.0)
                group.append(inside)
                route.append(len(layer) - 1)
            route.append(h)
            routes.append(route)
        total = len(layer)
        up: list[list[int]] = [[] for _ in range(total)]
        down: list[list[int]] = [[] for _ in range(total)]
        for route in routes:
            for a, b in zip(route, route[1:]):
                if layer[b] == layer[a] + 1:
                    down[a].append(b)
                    up[b].append(a)
        self.ids, self.edges, self.routes, self.layer = ids, edges, routes, layer
        self.width, self.height, self.up, self.down = width, height, up, down
        self.rows = _order(layer, up, down, group)
        self.x = _positions(self.rows, width, up, down, n)
        # Rows top to bottom, each as tall as its tallest box.
        self.y = [0.0] * total
        self.row_top: list[float] = []
        self.row_bottom: list[float] = []
        top = _MARGIN + _RANK_SEP / 2
        for row in self.rows:
            tallest = max((height[v] for v in row), default=0.0)
            for v in row:
                self.y[v] = top + tallest / 2
            self.row_top.append(top)
            self.row_bottom.append(top + tallest)
            top += tallest + _RANK_SEP
        self.right = max((self.x[v] + width[v] / 2 for v in range(total)), default=0.0) \
            + _MARGIN
        self.bottom = top - _RANK_SEP / 2 + _MARGIN

    def crossings(self) -> int:
        """Pairs of edge segments that cross between adjacent layers."""
        pos = [0.0] * len(self.layer)
        for row in self.rows:
            for p, v in enumerate(row):
                pos[v] = float(p)
        return sum(_row_crossings(row, self.down, pos) for row in self.rows)

    def points(self, route: list) -> list[tuple[float, float]]:
        """An edge's polyline: out of the bottom of its tail's box, straight down through
        each layer it passes (so no segment enters a row beside a box there), into the top
        of its head's box."""
        t, h = route[0], route[-1]
        x, y, height = self.x, self.y, self.height
        if self.layer[h] <= self.layer[t]:  # only in a cyclic picture: centre to centre
            return [(x[t], y[t]), (x[h], y[h])]
        pts = [(x[t] + self._port(t, route[1], self.down), y[t] + height[t] / 2)]
        for v in route[1:-1]:
            k = self.layer[v]
            pts += [(x[v], self.row_top[k]), (x[v], self.row_bottom[k])]
        pts.append((x[h] + self._port(h, route[-2], self.up), y[h] - height[h] / 2))
        return pts

    def _port(self, v: int, near: int, links: list) -> float:
        """Where on v's box edge the segment to `near` meets it: the box's edges spread over
        the middle of its side in the order of their other ends, so that arrowheads do not
        pile up on one point."""
        others = sorted(set(links[v]), key=self.x.__getitem__)
        if len(others) < 2:
            return 0.0
        spread = min(self.width[v] * 0.6, 12.0 * (len(others) - 1))
        return spread * (others.index(near) / (len(others) - 1) - 0.5)


def to_svg(pic: Picture) -> str:
    """The SVG text of a picture, laid out top to bottom in data-flow direction."""
    lay = Layout(pic)
    ids, x, y, width, height = lay.ids, lay.x, lay.y, lay.width, lay.height
    index = {nid: i for i, nid in enumerate(ids)}
    right, bottom = lay.right, lay.bottom
    out = [
        '<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_attr(right)}pt" '
        f'height="{_attr(bottom)}pt" viewBox="0 0 {_attr(right)} {_attr(bottom)}">',
        f'<g id="graph0" class="graph" font-family="{_FONT}">',
        f'<rect x="0" y="0" width="{_attr(right)}" height="{_attr(bottom)}" fill="white"/>',
    ]
    for k, (label, members) in enumerate(pic.blocks):
        out += _cluster(k, label, [index[m] for m in members if m in index], x, y, width,
                        height)
    for i, nid in enumerate(ids):
        out += _node(nid, pic.nodes[nid], x[i], y[i], width[i], height[i])
    for (t, h, attrs), route in zip(lay.edges, lay.routes):
        out += _edge(ids[t], ids[h], attrs, lay.points(route))
    out += ["</g>", "</svg>"]
    return "\n".join(out) + "\n"


def _row_crossings(upper: list, down: list, pos: list) -> int:
    """Crossings among the segments from one layer to the next: pairs whose ends come in
    opposite orders."""
    ends = sorted((pos[a], pos[b]) for a in upper for b in down[a])
    seen: list[float] = []
    count = 0
    for _, b in ends:
        # The segments seen so far start further left: those ending right of b cross it.
        count += len(seen) - bisect.bisect_right(seen, b)
        bisect.insort(seen, b)
    return count


def _layers(n: int, edges: list, group: list) -> list[int]:
    """Longest-path layers from the sources (Kahn's order); then nodes move down towards
    their consumers so that inputs sit beside the operation that takes them, and a block's
    inputs beside the block (so that its frame holds nothing else)."""
    succ: list[list[int]] = [[] for _ in range(n)]
    indeg = [0] * n
    for t, h, _ in edges:
        succ[t].append(h)
        indeg[h] += 1
    layer = [0] * n
    done = [False] * n
    queue = [i for i in range(n) if indeg[i] == 0]
    # A cycle cannot come from autograd, but leave no node unplaced if one ever does.
    pending = list(range(n - 1, -1, -1))
    while True:
        while queue:
            v = queue.pop()
            done[v] = True
            for w in succ[v]:
                if layer[v] + 1 > layer[w]:
                    layer[w] = layer[v] + 1
                indeg[w] -= 1
                if indeg[w] == 0:
                    queue.append(w)
        while pending and done[pending[-1]]:
            pending.pop()
        if not pending:
            break
        indeg[pending[-1]] = 0
        queue.append(pending[-1])
    # Shorter edges: a node with at least as many consumers as inputs moves down to just
    # above its nearest consumer (its inputs were already moved, deepest first), which is what
    # network-simplex ranking would do for it.
    n_pred = [0] * n
    for _, h, _ in edges:
        n_pred[h] += 1
    for v in sorted(range(n), key=layer.__getitem__, reverse=True):
        inside = group[v] >= 0 and all(group[w] == group[v] for w in succ[v])
        if succ[v] and (inside or len(succ[v]) >= n_pred[v]):
            nearest = min(layer[w] for w in succ[v])
            if nearest - 1 > layer[v]:
                layer[v] = nearest - 1
    return layer


def _order(layer: list[int], up: list, down: list, group: list) -> list[list[int]]:
    """Nodes of each layer left to right: barycentre sweeps down and up, each followed by
    swaps of neighbours that remove crossings; the order with the fewest crossings wins.
    Members of a folded block stay side by side so that its frame holds only them."""
    rows: list[list[int]] = [[] for _ in range(max(layer, default=-1) + 1)]
    for v, k in enumerate(layer):
        rows[k].append(v)
    pos = [0.0] * len(layer)

    def renumber(row: list) -> None:
        for p, v in enumerate(row):
            pos[v] = float(p)

    def total() -> int:
        return sum(_row_crossings(row, down, pos) for row in rows)

    best: list[list[int]] = []
    best_count = -1
    # Two starts, kept if better: the picture's own order, and depth-first from the outputs
    # up through the inputs (which keeps each input beside the operation that takes it).
    for start in (list(range(len(layer))), _depth_first(up, down)):
        rank = [0] * len(layer)
        for p, v in enumerate(start):
            rank[v] = p
        for row in rows:
            row.sort(key=rank.__getitem__)
            renumber(row)
        start_best, start_count = [], -1
        for sweep in range(_ORDER_SWEEPS + 1):
            if sweep:
                downward = sweep % 2 == 1
                _sweep(rows[1:] if downward else rows[-2::-1], up if downward else down,
                       pos, group)
            count = total()
            if start_count < 0 or count < start_count:
                start_best, start_count = [row[:] for row in rows], count
            if not start_count:
                return start_best
        # Swaps polish the start's best order (too slow to run after every sweep).
        rows[:] = start_best
        for row in rows:
            renumber(row)
        _transpose(rows, up, down, pos, group)
        count = total()
        if best_count < 0 or count < best_count:
            best, best_count = [row[:] for row in rows], count
    return best


def _sweep(order: list, near: list, pos: list, group: list) -> None:
    """One barycentre pass: each row sorted by the mean place of its neighbours in the row
    before it; a block's members move as one, at the mean of their places."""
    for row in order:
        key = {}
        for v in row:
            key[v] = sum(pos[u] for u in near[v]) / len(near[v]) if near[v] else pos[v]
        members: dict[int, list[int]] = {}
        for v in row:
            if group[v] >= 0:
                members.setdefault(group[v], []).append(v)
        at = {g: sum(key[v] for v in vs) / len(vs) for g, vs in members.items()}
        row.sort(key=lambda v: (at[group[v]], key[v]) if group[v] >= 0 else (key[v], key[v]))
        for p, v in enumerate(row):
            pos[v] = float(p)


def _depth_first(up: list, down: list) -> list[int]:
    """Every point in depth-first preorder from the sinks through their inputs."""
    seen = [False] * len(up)
    out: list[int] = []
    for root in range(len(up) - 1, -1, -1):
        if down[root] or seen[root]:
            continue
        stack = [root]
        while stack:
            v = stack.pop()
            if seen[v]:
                continue
            seen[v] = True
            out.append(v)
            stack.extend(u for u in reversed(up[v]) if not seen[u])
    out += [v for v in range(len(up)) if not seen[v]]
    return out


def _transpose(rows: list, up: list, down: list, pos: list, group: list) -> None:
    """Swaps neighbours in a row while a swap lowers the crossings of their edges (to both
    adjacent layers); a block's members only swap among themselves."""
    improved = True
    rounds = 0
    while improved and rounds < 8:
        improved = False
        rounds += 1
        for row in rows:
            for p in range(len(row) - 1):
                a, b = row[p], row[p + 1]
                if group[a] != group[b]:
                    continue
                if _pair(a, b, up, pos) + _pair(a, b, down, pos) > \
                        _pair(b, a, up, pos) + _pair(b, a, down, pos):
                    row[p], row[p + 1] = b, a
                    pos[a], pos[b] = pos[b], pos[a]
                    improved = True


def _pair(a: int, b: int, near: list, pos: list) -> int:
    """Crossings between the edges of `a` and of `b` (a left of b) towards one layer."""
    return sum(1 for u in near[a] for w in near[b] if pos[u] > pos[w])


def _positions(rows: list, width: list, up: list, down: list, n_real: int) -> list[float]:
    """Horizontal centres: each node pulled to the mean of its neighbours' centres, then
    spread so that neighbours in a row keep their separation (the mean of a left-to-right
    and a right-to-left pass keeps both)."""
    total = len(width)
    x = [0.0] * total
    for row in rows:
        left = 0.0
        for v in row:
            x[v] = left + width[v] / 2
            left += width[v] + _NODE_SEP
    for sweep in range(2 * _SWEEPS):
        downward = sweep % 2 == 0
        order = rows if downward else rows[::-1]
        for row in order:
            if not row:
                continue
            want = []
            for v in row:
                near = up[v] if downward else down[v]
                if sweep >= _SWEEPS:
                    near = up[v] + down[v]
                want.append(sum(x[u] for u in near) / len(near) if near else x[v])
            m = len(row)
            gap = [0.0] * m
            for p in range(1, m):
                a, b = row[p - 1], row[p]
                sep = _NODE_SEP if a < n_real and b < n_real else _DUMMY_SEP
                gap[p] = (width[a] + width[b]) / 2 + sep
            lo = want[:]
            for p in range(1, m):
                lo[p] = max(lo[p], lo[p - 1] + gap[p])
            hi = want[:]
            for p in range(m - 2, -1, -1):
                hi[p] = min(hi[p], hi[p + 1] - gap[p + 1])
            for p, v in enumerate(row):
                x[v] = (lo[p] + hi[p]) / 2
    shift = _MARGIN - min((x[v] - width[v] / 2 for v in range(total)), default=0.0)
    return [v + shift for v in x]


def _node(nid: str, spec: tuple, cx: float, cy: float, w: float, h: float) -> list[str]:
    lines, kind = spec
    fill = _FILL[kind]
    style = ' stroke-dasharray="5,2"' if kind == "const" else ""
    stroke = 2 if kind == "output" else 1
    rx = ' rx="5" ry="5"' if kind == "fn" else ""
    out = [f'<g id="{escape(nid)}" class="node">', f"<title>{escape(nid)}</title>",
           f'<rect x="{_attr(cx - w / 2)}" y="{_attr(cy - h / 2)}" width="{_attr(w)}" '
           f'height="{_attr(h)}"{rx} fill="{fill}" stroke="black" stroke-width="{stroke}"'
           f"{style}/>"]
    first = cy - (len(lines) - 1) * _LINE_H / 2 + _FONT_SIZE * 0.35
    for k, text in enumerate(lines):
        out.append(f'<text text-anchor="middle" x="{_attr(cx)}" '
                   f'y="{_attr(first + k * _LINE_H)}" font-size="{_FONT_SIZE:g}">'
                   f"{escape(text)}</text>")
    out.append("</g>")
    return out


def _edge(tail: str, head: str, attrs: dict, pts: list) -> list[str]:
    # Stop the line at the arrowhead's base.
    (ax, ay), (bx, by) = pts[-2], pts[-1]
    length = max(((bx - ax) ** 2 + (by - ay) ** 2) ** 0.5, 1e-9)
    ux, uy = (bx - ax) / length, (by - ay) / length
    base = (bx - ux * _ARROW_LEN, by - uy * _ARROW_LEN)
    line = pts[:-1] + [base]
    d = "M" + " L".join(f"{_attr(px)},{_attr(py)}" for px, py in line)
    dash = ' stroke-dasharray="5,2"' if attrs.get("style") == "dashed" else ""
    wing = [(base[0] - uy * _ARROW_HALF, base[1] + ux * _ARROW_HALF),
            (base[0] + uy * _ARROW_HALF, base[1] - ux * _ARROW_HALF), (bx, by)]
    title = escape(f"{tail}->{head}")
    out = ['<g class="edge">', f"<title>{title}</title>",
           f'<path fill="none" stroke="black" d="{d}"{dash}/>',
           '<polygon fill="black" stroke="black" points="'
           + " ".join(f"{_attr(px)},{_attr(py)}" for px, py in wing) + '"/>']
    if "label" in attrs:
        mid = len(line) // 2
        (px, py), (qx, qy) = line[mid - 1], line[mid]
        out.append(f'<text x="{_attr((px + qx) / 2 + 4)}" y="{_attr((py + qy) / 2 + 3)}" '
                   f'font-size="10">{escape(attrs["label"])}</text>')
    out.append("</g>")
    return out


def _cluster(k: int, label: str, members: list, x: list, y: list, width: list,
             height: list) -> list[str]:
    if not members:
        return []
    x0 = min(x[v] - width[v] / 2 for v in members) - 8
    x1 = max(x[v] + width[v] / 2 for v in members) + 8
    y0 = min(y[v] - height[v] / 2 for v in members) - 20
    y1 = max(y[v] + height[v] / 2 for v in members) + 8
    return [f'<g id="clust{k}" class="cluster">', f"<title>cluster_{k}</title>",
            f'<rect x="{_attr(x0)}" y="{_attr(y0)}" width="{_attr(x1 - x0)}" '
            f'height="{_attr(y1 - y0)}" rx="6" ry="6" fill="none" stroke="#666666" '
            'stroke-dasharray="5,2"/>',
            f'<text x="{_attr(x0 + 6)}" y="{_attr(y0 + 13)}" font-size="{_FONT_SIZE:g}">'
            f"{escape(label)}</text>", "</g>"]
