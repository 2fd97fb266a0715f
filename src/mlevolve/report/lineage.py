"""A program's ancestry drawn as inline SVG: laid out by generation, drawn by hand.

Layers are the graph's topological generations (every parent above all its children), roots at
the top and the program itself at the bottom; within a layer, nodes are ordered by the mean
position of their parents to keep edges short.  Each node shows the short hash, the operator that
made it and its score by the metric its fitness is (``train_r2 0.99``, ``val_mse 0.0012``), as every headline
names it (:func:`mlevolve.report.render.scored`); ``fitness F`` only where no metric is it.
"""

from __future__ import annotations

from html import escape

import networkx as nx

from mlevolve.report.render import scored

WIDTH, HEIGHT, GAP_X, GAP_Y, MARGIN = 150, 46, 18, 34, 10


def layout(graph: nx.DiGraph) -> dict[str, tuple[float, float]]:
    """The top-left corner of each node's box."""
    position: dict[str, tuple[float, float]] = {}
    layers = [sorted(layer, key=lambda n: graph.nodes[n]["seq"]) for layer in nx.topological_generations(graph)]
    widest = max((len(layer) for layer in layers), default=0)
    for depth, layer in enumerate(layers):
        def parents_x(n: str) -> float:
            xs = [position[p][0] for p in graph.predecessors(n)]
            return sum(xs) / len(xs) if xs else 0.0

        layer.sort(key=parents_x)
        offset = (widest - len(layer)) * (WIDTH + GAP_X) / 2  # centre each layer
        for i, n in enumerate(layer):
            position[n] = (MARGIN + offset + i * (WIDTH + GAP_X), MARGIN + depth * (HEIGHT + GAP_Y))
    return position


def svg(graph: nx.DiGraph, focus: str) -> str:
    """The graph as an ``<svg>`` element; ``focus`` (the program whose ancestry it is) is highlighted."""
    position = layout(graph)
    width = max((x for x, _ in position.values()), default=0) + WIDTH + MARGIN
    height = max((y for _, y in position.values()), default=0) + HEIGHT + MARGIN
    parts = [f'<svg class="lineage" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
             f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="lineage of {escape(focus[:12])}">',
             '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
             'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#888"/></marker></defs>']
    for a, b in graph.edges:
        (ax, ay), (bx, by) = position[a], position[b]
        x1, y1, x2, y2 = ax + WIDTH / 2, ay + HEIGHT, bx + WIDTH / 2, by
        mid = (y1 + y2) / 2
        parts.append(f'<path d="M {x1:.0f} {y1:.0f} C {x1:.0f} {mid:.0f}, {x2:.0f} {mid:.0f}, {x2:.0f} {y2:.0f}" '
                     'fill="none" stroke="#888" stroke-width="1.2" marker-end="url(#arrow)"/>')
    for n, (x, y) in position.items():
        attrs = graph.nodes[n]
        css = "focus" if n == focus else "missing" if attrs["missing"] else "failed" if attrs["fitness"] is None else ""
        detail = "not in the archive" if attrs["missing"] else "failed" if attrs["fitness"] is None else \
            " ".join(scored(attrs["fitness"], attrs["metrics"]))  # the metric named, as every headline names it
        parts.append(f'<g class="node {css}"><title>{escape(n)}</title>'
                     f'<rect x="{x:.0f}" y="{y:.0f}" width="{WIDTH}" height="{HEIGHT}" rx="5"/>'
                     f'<text x="{x + 6:.0f}" y="{y + 18:.0f}"><tspan class="h">{escape(n[:8])}</tspan> '
                     f'{escape(str(attrs["operator"]))}</text>'
                     f'<text x="{x + 6:.0f}" y="{y + 36:.0f}">{escape(detail)}</text></g>')
    parts.append("</svg>")
    return "\n".join(parts)
