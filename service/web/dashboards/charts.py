"""The dashboards' tables and their charts, drawn on the server as inline SVG.

A chart is always drawn from the columns of its table, so the numbers in the picture, in the table
under it and in its CSV download are the same numbers. Every text in the SVG is escaped. Colours
are CSS classes (``series-0`` ...) styled in ``app.css`` with at least 6:1 contrast on white,
and no series is told apart by colour alone: bars carry their value (and, when there are several
series, the series' short name); lines have their own dash pattern and marker shape, repeated
before each line's last value and in the legend.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from markupsafe import Markup, escape

#: A number in a table, or None where the report has none (no cases, or hidden).
Value = int | float | None
#: What a table cell holds: a number, a word (such as "hidden"), or nothing.
Cell = int | float | str | None

#: The width of every chart's drawing, in SVG units: about a phone's width, so that on a 360 px
#: screen a text is drawn at nearly its own size (CSS scales the drawing to the page).
WIDTH = 360
FONT = 15
SMALL = 14
#: How many series have their own colour, dash and marker; more repeat them.
STYLES = 4
LEGEND_ROW = 22
DASHES = ("", "7 4", "2 3", "10 3 2 3")
#: A spreadsheet treats a cell starting with one of these as a formula (or a DDE command).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
LABEL_LENGTH = 48


def number_text(value: float) -> str:
    """A number as the tables show it: at most two decimals, no trailing zeros."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def cell_text(cell: Cell, empty: str = "") -> str:
    """A cell as text: numbers by ``number_text``, nothing as ``empty``."""
    if cell is None:
        return empty
    if isinstance(cell, str):
        return cell
    return number_text(cell)


def csv_safe(text: str) -> str:
    """``text`` made inert for spreadsheets: a leading ``=``, ``+``, ``-``, ``@`` gets a ``'``.

    Only words are guarded: a real number (even a negative gap) is written as the number it is,
    and a number cannot carry a formula.
    """
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Row:
    """One row of a table: its heading cell and its cells."""

    header: str
    cells: tuple[Cell, ...]
    #: A summary over the other rows (shown in bold, left out of charts by default).
    total: bool = False


@dataclass(frozen=True)
class Table:
    """The numbers behind one chart, as shown under it and downloaded as CSV."""

    name: str
    caption: str
    row_header: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]

    @property
    def has_figures(self) -> bool:
        """Whether any cell holds a figure other than zero: blanks and zeros are "no data yet"."""
        return any(
            isinstance(cell, str) or (isinstance(cell, int | float) and cell != 0)
            for row in self.rows
            for cell in row.cells
        )

    def values(self, column: int) -> tuple[Value, ...]:
        """The numbers of one column (words and blanks as None), rows in order, no total."""
        cells = (row.cells[column] for row in self.rows if not row.total)
        return tuple(cell if isinstance(cell, int | float) else None for cell in cells)

    def headers(self) -> tuple[str, ...]:
        """The rows' headings, as a chart's labels (no total)."""
        return tuple(row.header for row in self.rows if not row.total)

    def csv(self) -> str:
        """The table as CSV: a header row, then one line per row, words guarded."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([csv_safe(self.row_header), *(csv_safe(name) for name in self.columns)])
        for row in self.rows:
            writer.writerow(
                [
                    csv_safe(row.header),
                    *(
                        csv_safe(cell) if isinstance(cell, str) else cell_text(cell)
                        for cell in row.cells
                    ),
                ]
            )
        return out.getvalue()


@dataclass(frozen=True)
class Series:
    """One measure drawn across the chart's labels."""

    label: str
    values: tuple[Value, ...]
    #: A short name put beside each bar's value when a chart has several series.
    short: str = ""


@dataclass(frozen=True)
class Chart:
    """What to draw: bars (one group per label) or lines (one point per label)."""

    kind: Literal["bars", "lines"]
    title: str
    labels: tuple[str, ...]
    series: tuple[Series, ...]
    #: What the numbers are in ("hours", "%"), written by the axis.
    unit: str = ""
    #: Put after each value label ("%").
    suffix: str = ""
    #: A fixed top of the scale (100 for shares); otherwise a round number above the largest.
    top: float | None = None
    #: Says where the numbers are, for screen readers (the table under the chart).
    description: str = ""

    @property
    def empty(self) -> bool:
        """Whether there is nothing to draw."""
        return not self.labels or all(
            value is None for series in self.series for value in series.values
        )


def chart_of(
    table: Table,
    kind: Literal["bars", "lines"],
    title: str,
    columns: Sequence[tuple[int, str, str]],
    *,
    unit: str = "",
    suffix: str = "",
    top: float | None = None,
    description: str = "",
) -> Chart:
    """A chart of some of ``table``'s columns: ``(column, legend, short name)`` each."""
    return Chart(
        kind=kind,
        title=title,
        labels=table.headers(),
        series=tuple(Series(label, table.values(index), short) for index, label, short in columns),
        unit=unit,
        suffix=suffix,
        top=top,
        description=description,
    )


@dataclass(frozen=True)
class Panel:
    """A chart with its table and notes, as one block of a dashboard."""

    table: Table
    chart: Chart | None = None
    #: The panel's heading (the chart's own title is its accessible name).
    title: str = ""
    notes: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The table's name: its anchor on the page and its CSV file's name."""
        return self.table.name

    @property
    def empty(self) -> bool:
        """Whether the panel has nothing to show yet (no rows, or only blanks and zeros)."""
        return not self.table.has_figures

    def svg(self) -> Markup | None:
        """The chart as inline SVG, or None when there is nothing to draw."""
        if self.chart is None or self.chart.empty:
            return None
        return render(self.chart, f"chart-{slug(self.name)}")


def slug(text: str) -> str:
    """``text`` reduced to letters, digits, dots and hyphens (for ids and file names)."""
    return re.sub(r"[^A-Za-z0-9.-]+", "-", text).strip("-.") or "table"


# -- drawing -------------------------------------------------------------------------------------


def _width_of(text: str, size: int = SMALL) -> float:
    # A rough average glyph width of system sans-serif fonts; good enough to keep labels apart.
    return 0.58 * size * len(text)


def _short(text: str, limit: int = LABEL_LENGTH) -> str:
    return text if len(text) <= limit else f"{text[: limit - 1].rstrip()}\u2026"


def nice_step(value: float) -> float:
    """A round step at or above ``value`` for an axis' ticks (1, 2, 2.5 or 5 x 10^n)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


@dataclass(frozen=True)
class Scale:
    """An axis from ``low`` to ``high`` (zero always on it) with a tick every ``step``."""

    low: float
    high: float
    step: float

    @property
    def ticks(self) -> list[float]:
        """The values written along the axis."""
        count = round((self.high - self.low) / self.step)
        return [round(self.low + index * self.step, 6) for index in range(count + 1)]


def scale_of(chart: Chart, intervals: int = 4) -> Scale:
    """The chart's scale: round ticks around every value (counts tick in whole numbers)."""
    values = [v for series in chart.series for v in series.values if v is not None]
    high, low = max([0.0, *values]), min([0.0, *values])
    if chart.top is not None and chart.top >= high and low >= 0:
        return Scale(0.0, chart.top, chart.top / intervals)
    step = nice_step((high - low) / intervals)
    if all(isinstance(value, int) for value in values):
        step = max(step, 1.0)
    top = step * max(1, math.ceil(high / step))
    bottom = step * math.floor(low / step)
    return Scale(bottom, top, step)


def _text(
    x: float,
    y: float,
    content: str,
    css: str = "chart-text",
    *,
    anchor: str = "start",
    size: int = SMALL,
    extra: str = "",
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" class="{css}" font-size="{size}" '
        f'text-anchor="{anchor}"{extra}>{escape(content)}</text>'
    )


def _marker(index: int, x: float, y: float, css: str) -> str:
    shape = index % STYLES
    if shape == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" class="{css}"/>'
    if shape == 1:
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" class="{css}"/>'
    if shape == 2:
        points = f"{x:.1f},{y - 5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"
        return f'<polygon points="{points}" class="{css}"/>'
    points = f"{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} {x - 5:.1f},{y:.1f}"
    return f'<polygon points="{points}" class="{css}"/>'


def _legend(chart: Chart, y: float) -> tuple[list[str], float]:
    """The legend's shapes from ``y`` down, and the height it took (none for one series)."""
    if len(chart.series) < 2:
        return [], 0.0
    parts: list[str] = []
    x, row = 0.0, 0
    for index, series in enumerate(chart.series):
        width = 28 + _width_of(series.label) + 14
        if x > 0 and x + width > WIDTH:
            x, row = 0.0, row + 1
        top = y + row * LEGEND_ROW
        style = f"series-{index % STYLES}"
        if chart.kind == "bars":
            parts.append(
                f'<rect x="{x:.1f}" y="{top + 3:.1f}" width="14" height="14" class="bar {style}"/>'
            )
        else:
            dash = DASHES[index % STYLES]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{x:.1f}" y1="{top + 10:.1f}" x2="{x + 22:.1f}" y2="{top + 10:.1f}" '
                f'class="line {style}"{dashed}/>'
            )
            parts.append(_marker(index, x + 11, top + 10, f"marker {style}"))
        parts.append(_text(x + 28, top + 15, series.label))
        x += width
    return parts, (row + 1) * LEGEND_ROW + 6


def _wrap(chart: Chart, chart_id: str, height: float, body: Iterable[str]) -> Markup:
    title_id = f"{chart_id}-title"
    desc = (
        f'<desc id="{chart_id}-desc">{escape(chart.description)}</desc>'
        if chart.description
        else ""
    )
    described = f' aria-describedby="{chart_id}-desc"' if chart.description else ""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart-svg" '
        f'viewBox="0 0 {WIDTH} {math.ceil(height)}" width="{WIDTH}" height="{math.ceil(height)}" '
        f'role="img" aria-labelledby="{title_id}"{described} aria-label="{escape(chart.title)}">'
        f'<title id="{title_id}">{escape(chart.title)}</title>{desc}'
    )
    # Every text and attribute value above went through ``escape``: the whole is safe markup.
    return Markup(head + "".join(body) + "</svg>")


def _value_label(chart: Chart, series: Series, value: float) -> str:
    text = f"{number_text(value)}{chart.suffix}"
    if len(chart.series) > 1 and series.short:
        text = f"{text} {series.short}"
    return text


def _bars(chart: Chart, chart_id: str) -> Markup:
    legend, legend_height = _legend(chart, 0)
    scale = scale_of(chart, 2)
    low, high = scale.low, scale.high
    labels = [
        _value_label(chart, series, value)
        for series in chart.series
        for value in series.values
        if value is not None
    ]
    room = min(max([_width_of(label) for label in labels] + [24.0]) + 8, 150.0)
    left = room if low < 0 else 0.0
    plot = WIDTH - left - room

    def at(value: float) -> float:
        return left + (value - low) / (high - low) * plot

    zero = at(0.0)
    body = list(legend)
    y = legend_height + 4
    bar, gap = 18.0, 3.0
    top_of_plot = y
    for position, label in enumerate(chart.labels):
        y += FONT + 2
        body.append(_text(0, y, _short(label), "chart-label", size=FONT))
        y += 5
        for index, series in enumerate(chart.series):
            value = series.values[position]
            style = f"series-{index % STYLES}"
            middle = y + bar / 2 + 4
            if value is None:
                body.append(_text(zero + 4, middle, "\u2013", "chart-text chart-muted"))
            else:
                start, end = sorted((zero, at(value)))
                body.append(
                    f'<rect x="{start:.1f}" y="{y:.1f}" width="{max(end - start, 1.0):.1f}" '
                    f'height="{bar:.0f}" class="bar {style}"/>'
                )
                text = _value_label(chart, series, value)
                if value < 0:
                    body.append(_text(start - 4, middle, text, anchor="end"))
                else:
                    body.append(_text(end + 4, middle, text))
            y += bar + gap
        y += 8
    axis = y + 2
    body.append(
        f'<line x1="{zero:.1f}" y1="{top_of_plot:.1f}" x2="{zero:.1f}" y2="{axis:.1f}" '
        'class="chart-axis"/>'
    )
    body.append(
        f'<line x1="{at(low):.1f}" y1="{axis:.1f}" x2="{at(high):.1f}" y2="{axis:.1f}" '
        'class="chart-axis"/>'
    )
    for tick in scale.ticks:
        x = at(tick)
        body.append(
            f'<line x1="{x:.1f}" y1="{axis:.1f}" x2="{x:.1f}" y2="{axis + 4:.1f}" '
            'class="chart-axis"/>'
        )
        anchor = "start" if tick == low and low == 0 else "end" if tick == high else "middle"
        tick_text = f"{number_text(tick)}{chart.suffix}"
        body.append(_text(x, axis + SMALL + 5, tick_text, anchor=anchor))
    height = axis + SMALL + 10
    if chart.unit:
        unit_y = height + SMALL
        body.append(_text(WIDTH / 2, unit_y, chart.unit, "chart-text chart-unit", anchor="middle"))
        height += SMALL + 6
    return _wrap(chart, chart_id, height + 4, body)


def _axis_labels(labels: Sequence[str], shown: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The shown labels as (first line, second line): a label's last word (such as the year)
    is written only when it differs from that of the label shown before."""
    lines: dict[int, tuple[str, str]] = {}
    previous = None
    for position in shown:
        head, _, tail = labels[position].rpartition(" ")
        if not head:
            head, tail = tail, ""
        lines[position] = (head, tail if tail != previous else "")
        previous = tail
    return lines


def _spread(wanted: list[tuple[float, int]], apart: float) -> dict[int, float]:
    """End labels moved apart vertically so that none overlaps another."""
    placed: dict[int, float] = {}
    last = -math.inf
    for wanted_y, index in sorted(wanted):
        placed[index] = last = max(wanted_y, last + apart)
    return placed


@dataclass(frozen=True)
class _Plot:
    """Where a line chart's plot area is, and its scale."""

    left: float
    top: float
    width: float
    height: float
    scale: Scale
    count: int

    @property
    def bottom(self) -> float:
        return self.top + self.height

    def x_of(self, position: int) -> float:
        if self.count == 1:
            return self.left + self.width / 2
        return self.left + position * self.width / (self.count - 1)

    def y_of(self, value: float) -> float:
        low, high = self.scale.low, self.scale.high
        return self.bottom - (value - low) / (high - low) * self.height


def _line_axes(chart: Chart, plot: _Plot) -> list[str]:
    """Gridlines with the scale's values on the left, and the labels under the plot."""
    body: list[str] = []
    right = plot.left + plot.width
    for value in plot.scale.ticks:
        y = plot.y_of(value)
        css = "chart-axis" if value in (plot.scale.low, 0) else "chart-grid"
        body.append(
            f'<line x1="{plot.left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" class="{css}"/>'
        )
        tick = f"{number_text(value)}{chart.suffix}"
        body.append(_text(plot.left - 6, y + 4, tick, anchor="end"))
    body.append(
        f'<line x1="{plot.left:.1f}" y1="{plot.top:.1f}" x2="{plot.left:.1f}" '
        f'y2="{plot.bottom:.1f}" class="chart-axis"/>'
    )
    # As many labels as fit side by side (about 40 units each), always the first and the last.
    every = max(1, math.ceil(plot.count / max(1, plot.width // 40)))
    shown = [p for p in range(plot.count) if p % every == 0]
    if plot.count - 1 not in shown:
        if shown and plot.count - 1 - shown[-1] < every:
            shown.pop()
        shown.append(plot.count - 1)
    for position, (first, second) in _axis_labels(chart.labels, shown).items():
        x = plot.x_of(position)
        body.append(_text(x, plot.bottom + SMALL + 4, _short(first, 12), anchor="middle"))
        if second:
            y = plot.bottom + 2 * SMALL + 8
            body.append(_text(x, y, second, "chart-text chart-muted", anchor="middle"))
    return body


def _line_series(chart: Chart, plot: _Plot) -> list[str]:
    """Each series' line (broken where a value is missing), its markers and its values."""
    body: list[str] = []
    several = len(chart.series) > 1
    wanted: list[tuple[float, int]] = []
    ends: dict[int, tuple[int, float]] = {}
    for index, series in enumerate(chart.series):
        style = f"series-{index % STYLES}"
        dash = DASHES[index % STYLES]
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        for position, value in enumerate((*series.values, None)):
            if value is None:
                if len(segment) > 1:
                    points = " ".join(segment)
                    body.append(f'<polyline points="{points}" class="line {style}"{dashed}/>')
                segment = []
                continue
            segment.append(f"{plot.x_of(position):.1f},{plot.y_of(value):.1f}")
        for position, value in enumerate(series.values):
            if value is None:
                continue
            x, y = plot.x_of(position), plot.y_of(value)
            body.append(_marker(index, x, y, f"marker {style}"))
            ends[index] = (position, value)
            if not several and (plot.count <= 12 or position == plot.count - 1):
                body.append(_text(x, y - 9, _value_label(chart, series, value), anchor="middle"))
        if several and index in ends:
            wanted.append((plot.y_of(ends[index][1]) + 4, index))
    # With several lines only each line's last value is written beside it, after the line's
    # own marker, so that a value is never matched to its line by colour alone.
    for index, y in _spread(wanted, SMALL + 3).items():
        position, value = ends[index]
        x = plot.x_of(position) + 12
        body.append(_marker(index, x, y - 5, f"marker series-{index % STYLES}"))
        body.append(_text(x + 8, y, f"{number_text(value)}{chart.suffix}"))
    return body


def _lines(chart: Chart, chart_id: str) -> Markup:
    legend, legend_height = _legend(chart, 0)
    scale = scale_of(chart)
    ends = [
        f"{number_text(value)}{chart.suffix}"
        for series in chart.series
        for value in series.values
        if value is not None
    ]
    right = 18.0
    if len(chart.series) > 1:
        right = min(max([_width_of(text) for text in ends] + [16.0]) + 26, 100.0)
    ticks = [f"{number_text(tick)}{chart.suffix}" for tick in scale.ticks]
    left = max(_width_of(tick) for tick in ticks) + 10
    top = legend_height + (24 if chart.unit else 12)
    plot = _Plot(left, top, WIDTH - left - right, 180.0, scale, len(chart.labels))
    body = list(legend)
    if chart.unit:
        body.append(_text(0, legend_height + SMALL, chart.unit, "chart-text chart-unit"))
    body += _line_axes(chart, plot)
    body += _line_series(chart, plot)
    return _wrap(chart, chart_id, plot.bottom + 2 * SMALL + 14, body)


def render(chart: Chart, chart_id: str) -> Markup:
    """``chart`` as an inline ``<svg role="img">`` with its title, axis, values and legend."""
    chart_id = slug(chart_id)
    return _bars(chart, chart_id) if chart.kind == "bars" else _lines(chart, chart_id)
