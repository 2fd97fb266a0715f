"""The report's figures, drawn with matplotlib's Agg canvas and returned as base64 PNG data URIs.

No pyplot and no global state: each figure is a :class:`Figure` on its own Agg canvas, saved
without a timestamp so the same run gives the same bytes.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mlevolve.report import data
from mlevolve.report.data import OperatorStat, Run

_COLORS = {"evaluated": "#4c72b0", "cache": "#55a868", "fec": "#8172b2", "hurdle": "#ccb974", "probe": "#64b5cd",
           "failed": "#c44e52"}


def _figure(height: float = 3.6) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(9, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.grid(True, alpha=0.3)
    return fig, ax


def png(fig: Figure) -> str:
    """The figure as a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _series(values: Sequence[float | None]) -> list[float]:
    return [math.nan if v is None else v for v in values]


def _readable_limits(ax: Axes, curves: Sequence[Sequence[float | None]]) -> None:
    """Keep the y axis on the bulk of the curves: a few wild early fitnesses would flatten the rest."""
    values = sorted(v for curve in curves for v in curve if v is not None and math.isfinite(v))
    if len(values) < 2:
        return
    low, high = values[len(values) // 20], values[-1]
    pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
    ax.set_ylim(low - pad, high + pad)


def fitness(run: Run, baseline: Run | None = None) -> str:
    """Best-so-far and rolling median fitness over the candidates (and a baseline run's best-so-far)."""
    fig, ax = _figure()
    seqs = [row.seq for row in run.rows]
    window = max(10, len(run.rows) // 20)
    best, median = data.best_so_far(run.rows), data.rolling_median(run.rows, window)
    ax.plot(seqs, _series(median), color="#999999", linewidth=1, label=f"median of the last {window} scored")
    ax.step(seqs, _series(best), where="post", color="#4c72b0", linewidth=2, label="best so far")
    curves = [best, median]
    if baseline is not None and baseline.rows:
        other = data.best_so_far(baseline.rows)
        ax.step([r.seq for r in baseline.rows], _series(other), where="post", color="#c44e52", linestyle="--",
                linewidth=1.5, label=f"baseline best so far ({baseline.meta.get('algorithm', '?')})")
        curves.append(other)
    _readable_limits(ax, curves)
    ax.set_xlabel("candidate (seq)")
    ax.set_ylabel(f"{data.fitness_label(run)} (higher is better)")
    ax.legend(loc="lower right")
    return png(fig)


def sources(run: Run) -> str:
    """Cumulative counts of each way a candidate was scored, and of failures, over the candidates."""
    fig, ax = _figure()
    seqs = [row.seq for row in run.rows]
    for name, series in data.cumulative_sources(run.rows).items():
        ax.plot(seqs, series, label=name, color=_COLORS.get(name), linestyle="--" if name == "failed" else "-")
    ax.set_xlabel("candidate (seq)")
    ax.set_ylabel("candidates so far")
    ax.legend(loc="upper left")
    return png(fig)


def operators(stats: Sequence[OperatorStat]) -> str:
    """Each operator's share of children that beat their best parent, its child count on the bar."""
    fig, ax = _figure(3.2)
    names = [s.operator for s in stats]
    bars = ax.bar(names, [100 * s.rate for s in stats], color="#4c72b0")
    ax.bar_label(bars, labels=[f"{s.improved:,}/{s.children:,}" for s in stats], fontsize=8)
    ax.set_ylabel("children that improved (%)")
    ax.set_ylim(0, max([100 * s.rate for s in stats] + [1]) * 1.2)
    return png(fig)


def meta_generations(entries: Sequence[Mapping[str, Any]]) -> str | None:
    """Grammar size and the operator portfolio per meta-generation (None if the entries carry neither)."""
    gens = [e["generation"] for e in entries]
    sizes = [e.get("grammar_size") for e in entries]
    portfolios = [e.get("operators") or {} for e in entries]
    names = sorted({op for p in portfolios for op in p})
    if all(s is None for s in sizes) and not names:
        return None
    fig = Figure(figsize=(9, 3.4), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    left.plot(gens, _series(sizes), marker="o")
    left.set_xlabel("meta-generation")
    left.set_ylabel("grammar size (productions)")
    bottom = [0.0] * len(entries)
    for op in names:
        shares = [float(p.get(op, 0.0)) for p in portfolios]
        right.bar(gens, shares, bottom=bottom, label=op)
        bottom = [b + s for b, s in zip(bottom, shares, strict=True)]
    right.set_xlabel("meta-generation")
    right.set_ylabel("share of operator trials")
    for axis in (left, right):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    if names:
        right.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return png(fig)


def pareto(run: Run) -> str:
    """Each scored program (its first row) by size and fitness, the Pareto front (fitter and smaller) joined;
    the y axis shows the front and the better half of the programs."""
    fig, ax = _figure()
    points = sorted(((r.size, r.fitness) for r in run.first.values() if r.fitness is not None),
                    key=lambda p: (p[0], -p[1]))
    if points:
        ax.scatter([p[0] for p in points], [p[1] for p in points], s=10, color="#4c72b0", alpha=0.4,
                   label="programs")
        front = [(g.representative.size, g.representative.fitness or 0.0) for g, _ in data.front(run)]  # best --front
        ax.step([p[0] for p in front], [p[1] for p in front], where="post", color="#c44e52", linewidth=1.5,
                marker="o", markersize=4, label="Pareto front")
        # The front and the better half of the programs: a few wild fitnesses would flatten the front.
        values = sorted(p[1] for p in points)
        low, high = min(values[len(values) // 2], front[0][1]), values[-1]
        pad = (high - low) * 0.08 or abs(high) * 0.1 or 1.0
        ax.set_ylim(low - pad, high + pad)
        ax.legend(loc="lower right")
    ax.set_xlabel("size (nodes of the evolved definitions)")
    ax.set_ylabel(f"{data.fitness_label(run)} (higher is better)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return png(fig)


def sizes(run: Run, windows: Sequence[data.SizeWindow], limit: bool = True) -> str:
    """Every candidate's size as the engine's size limit and parsimony read it against its sequence
    number (``limit``: a meta run's rows hold no such size), and per window of candidates the median and
    quartile band of the evaluated and of the simplified size (:func:`mlevolve.report.data.size_distribution`)."""
    fig, ax = _figure(3.2)
    if limit:
        ax.scatter([row.seq for row in run.rows], [row.size for row in run.rows], s=4, color="#999999", alpha=0.35,
                   label="candidate (the size the limit reads)")
    middle = [(w.first + w.last) / 2 for w in windows]
    bands = [("evaluated", [w.evaluated for w in windows], "#c44e52")]
    if all(w.simplified is not None for w in windows):
        bands.append(("simplified", [w.simplified for w in windows if w.simplified is not None], "#4c72b0"))
    for name, quartiles, color in bands:
        ax.fill_between(middle, [q[0] for q in quartiles], [q[2] for q in quartiles], color=color, alpha=0.2,
                        label=f"{name}: quartiles")
        ax.plot(middle, [q[1] for q in quartiles], color=color, linewidth=2, marker="o", markersize=3,
                label=f"{name}: median")
    ax.set_xlabel("candidate (seq)")
    ax.set_ylabel("size (nodes of the evolved definitions)")
    ax.legend(loc="upper left", fontsize=8)
    return png(fig)
