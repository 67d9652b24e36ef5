"""The chart as a PNG, drawn with matplotlib's Agg backend (no display, no pyplot state).

1080 x 1350 pixels (4:5, the shape a phone shows largest in a chat), big type and thick
lines so it reads at a glance. Three panels over the same days:

* cravings 0-10: each episode a line from its first rating (dot) to its last (arrowhead),
  and the morning check-in's craving answer as a dashed line;
* mood 0-10 from the check-ins;
* a strip of days: green without using, amber a day of use, blank when unknown.

The chart never shows a name or any of the person's words: the only texts on it are the
labels passed in (from content/) and numbers.

Speed (bench/chart_render.py): the axes, titles and key of a chart are the same for every
chart in one language, and building them costs about a third of a chart. They are built
once per set of labels and kept; each chart adds its own data and day labels, is drawn,
and its data is removed again. One chart is drawn at a time per process (a lock): the
work is CPU-bound, so drawing two at once would not be faster anyway.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

# The Agg canvas is attached to each Figure directly: no pyplot, so no global figure
# registry, no GUI backend and no state shared between threads.
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from bot.insights.series import FREE, USE, ChartData

WIDTH, HEIGHT, DPI = 1080, 1350, 100
FONT = 24  # points at 100 dpi: about 33 px, ~12 pt on a phone showing the image full width

EPISODE = "#6a4c93"
CHECKIN_CRAVING = "#e07a1f"
MOOD = "#1f77b4"
FREE_DAY = "#58a55c"
USE_DAY = "#f2c14e"
GRID = "#d9d9d9"


@dataclass(frozen=True)
class Labels:
    """Every word drawn on the chart (from content/, in the person's language)."""

    craving: str
    mood: str
    days: str
    episode: str
    checkin_craving: str
    checkin_mood: str
    free_day: str
    use_day: str
    ticks: Sequence[tuple[date, str]] = field(default_factory=tuple)


@dataclass
class _Frame:
    fig: Figure
    craving: Any  # the three Axes
    mood: Any
    days: Any
    added: list[Any] = field(default_factory=list)  # this chart's data, removed after it


_frames: dict[tuple[str, ...], _Frame] = {}
_lock = threading.Lock()


def _static(labels: Labels) -> tuple[str, ...]:
    return (labels.craving, labels.mood, labels.days, labels.episode, labels.checkin_craving,
            labels.checkin_mood, labels.free_day, labels.use_day)


def _build_frame(labels: Labels) -> _Frame:
    fig = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    # Fixed axes boxes and plain texts for titles: matplotlib's automatic layout, shared
    # axes and titles cost more than the drawing itself.
    ax_c = fig.add_axes((0.1, 0.44, 0.85, 0.36))
    ax_m = fig.add_axes((0.1, 0.19, 0.85, 0.18))
    ax_d = fig.add_axes((0.1, 0.075, 0.85, 0.045))
    for ax, title in ((ax_c, labels.craving), (ax_m, labels.mood)):
        ax.set_ylim(-0.5, 10.5)
        ax.set_xticks([])
        ax.set_yticks([0, 5, 10])
        ax.tick_params(labelsize=FONT, length=0)
        ax.grid(axis="y", color=GRID, linewidth=1.5)
        ax.text(0, 1.03, title, transform=ax.transAxes, fontsize=FONT + 2,
                fontweight="bold", va="bottom")
        for side in ("top", "right", "bottom"):
            ax.spines[side].set_visible(False)
    ax_d.set_ylim(0, 1)
    ax_d.set_yticks([])
    ax_d.text(0, 1.12, labels.days, transform=ax_d.transAxes, fontsize=FONT, va="bottom")
    for side in ("top", "right", "left"):
        ax_d.spines[side].set_visible(False)
    ax_d.tick_params(labelsize=FONT - 2, length=6)
    # The key, drawn by hand: matplotlib's legend lays itself out on every draw and
    # costs about as much as the rest of the chart.
    keys = [
        (labels.episode, Line2D([], [], color=EPISODE, linewidth=4, marker="o",
                                markersize=12, markevery=[1])),
        (labels.checkin_craving, Line2D([], [], color=CHECKIN_CRAVING, linewidth=4,
                                        linestyle=(0, (3, 1.5)))),
        (labels.checkin_mood, Line2D([], [], color=MOOD, linewidth=4.5, marker="o",
                                     markersize=10, markevery=[1])),
        (labels.free_day, Rectangle((0, 0), 0, 0, color=FREE_DAY)),
        (labels.use_day, Rectangle((0, 0), 0, 0, color=USE_DAY)),
    ]
    for i, (text, artist) in enumerate(keys):
        x, y = (0.04, 0.97 - 0.03 * i) if i < 3 else (0.52, 0.97 - 0.03 * (i - 3))
        if isinstance(artist, Line2D):
            artist.set_data([x, x + 0.025, x + 0.05], [y, y, y])
        else:
            artist.set_bounds(x + 0.005, y - 0.009, 0.04, 0.018)
        artist.set_transform(fig.transFigure)
        fig.add_artist(artist)
        fig.text(x + 0.065, y, text, fontsize=FONT - 4, va="center")
    return _Frame(fig, ax_c, ax_m, ax_d)


def _plot(frame: _Frame, data: ChartData, labels: Labels) -> None:
    """Put this chart's data and day labels on the frame (the previous chart's go)."""
    for artist in frame.added:
        artist.remove()
    frame.added.clear()
    add = frame.added.append
    ax_c, ax_m, ax_d = frame.craving, frame.mood, frame.days
    span = data.span
    dense = span > 31  # 90 days: smaller marks, so a busy week stays readable
    dot, line = (70, 2.5) if dense else (160, 4)
    for ax in (ax_c, ax_m, ax_d):
        ax.set_xlim(0, span)

    # cravings: episodes first to last rating, and the check-in answers
    both = [e for e in data.episodes if e.start is not None and e.end is not None]
    if both:
        add(ax_c.vlines([e.x for e in both], [e.start for e in both], [e.end for e in both],
                        colors=EPISODE, linewidth=line, alpha=0.8))
    starts = [(e.x, e.start) for e in data.episodes if e.start is not None]
    if starts:
        add(ax_c.scatter([x for x, _ in starts], [y for _, y in starts], s=dot, color=EPISODE,
                         zorder=3))
    for marker, pick in (("v", lambda s, e: e < s), ("^", lambda s, e: e > s),
                         ("D", lambda s, e: e == s)):
        ends = [(e.x, e.end) for e in data.episodes if e.end is not None
                and (e.start is None or pick(e.start, e.end))]
        if ends:
            add(ax_c.scatter([x for x, _ in ends], [y for _, y in ends], s=dot, marker=marker,
                             facecolor="white", edgecolor=EPISODE, linewidth=line * 0.75,
                             zorder=4))
    if data.craving:
        add(ax_c.plot([x for x, _ in data.craving], [y for _, y in data.craving],
                      color=CHECKIN_CRAVING, linewidth=line, linestyle=(0, (3, 1.5)),
                      marker="o", markersize=9 if not dense else 5, zorder=2)[0])
    if data.mood:
        add(ax_m.plot([x for x, _ in data.mood], [y for _, y in data.mood], color=MOOD,
                      linewidth=line + 0.5, marker="o", markersize=10 if not dense else 5)[0])

    # days without using, and days of use
    for status, color in ((FREE, FREE_DAY), (USE, USE_DAY)):
        cells = [(i + 0.06, 0.88) for i, s in enumerate(data.days) if s == status]
        if cells:
            add(ax_d.broken_barh(cells, (0, 1), facecolors=color))
    ticks = [((d - data.first).days + 0.5, text) for d, text in labels.ticks
             if 0 <= (d - data.first).days < span]
    ax_d.set_xticks([x for x, _ in ticks], [text for _, text in ticks])


def figure(data: ChartData, labels: Labels) -> Figure:
    """The chart as a matplotlib Figure (shared per set of labels: read it before the next
    chart is drawn; tests use this to see exactly what was plotted)."""
    with _lock:
        frame = _frames.get(_static(labels))
        if frame is None:
            frame = _frames[_static(labels)] = _build_frame(labels)
        _plot(frame, data, labels)
        return frame.fig


def render(data: ChartData, labels: Labels) -> bytes:
    """The chart as PNG bytes, WIDTH x HEIGHT pixels."""
    out = io.BytesIO()
    with _lock:
        frame = _frames.get(_static(labels))
        if frame is None:
            frame = _frames[_static(labels)] = _build_frame(labels)
        _plot(frame, data, labels)
        # light compression: a third of the encoding time for a file still well under
        # 300 KB
        frame.fig.savefig(out, format="png", dpi=DPI, facecolor="white",
                          metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return out.getvalue()
