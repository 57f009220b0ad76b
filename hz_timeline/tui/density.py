"""The density strip: events per year over the whole range, as a one-line bar chart.

Owns the year axis (from the unfiltered database, so it does not jump about as filters change)
and the bars (from the current filter). Moving on it (h/l, arrows, a click) asks for that year.
"""

from __future__ import annotations

import math

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

from .messages import YearChosen

BARS = " ▁▂▃▄▅▆▇█"


class DensityStrip(Widget, can_focus=True):
    """Two lines: bars, then the axis with the current year marked."""

    BINDINGS = [
        Binding("h,left", "step(-1)", "Prev year", id="density.prev"),
        Binding("l,right", "step(1)", "Next year", id="density.next"),
    ]

    DEFAULT_CSS = """
    DensityStrip { height: 2; padding: 0 1; background: $panel; color: $secondary; }
    DensityStrip:focus { background: $primary 20%; }
    """

    def __init__(self, **kw):
        super().__init__(**kw)
        self.axis: tuple[int, int] | None = None
        self.counts: dict[int, int] = {}
        self.year: int | None = None

    def set_axis(self, years: list[tuple[int, int]]) -> None:
        if years:
            self.axis = (years[0][0], years[-1][0])
        self.refresh()

    def set_counts(self, years: list[tuple[int, int]]) -> None:
        self.counts = dict(years)
        if self.axis is None and years:
            self.axis = (years[0][0], years[-1][0])
        self.refresh()

    def set_year(self, year: int | None) -> None:
        if year != self.year:
            self.year = year
            self.refresh()

    def _geometry(self) -> tuple[int, int, int]:
        """(first year, years per cell, cells per year) for the current width."""
        lo, hi = self.axis or (0, 0)
        span = hi - lo + 1
        width = max(1, self.content_size.width)
        if span > width:
            return lo, math.ceil(span / width), 1
        return lo, 1, max(1, min(8, width // span))

    def _cells(self) -> list[tuple[int, int, int]]:
        """(first year, last year, count) of each cell."""
        lo, per, _ = self._geometry()
        hi = self.axis[1] if self.axis else lo
        out = []
        y = lo
        while y <= hi:
            last = min(hi, y + per - 1)
            out.append((y, last, sum(self.counts.get(k, 0) for k in range(y, last + 1))))
            y = last + 1
        return out

    def render(self) -> Text:
        if not self.axis:
            return Text("no dated events", style="dim")
        _, _, cw = self._geometry()
        cells = self._cells()
        top = max((c for _, _, c in cells), default=0) or 1
        bars = Text(no_wrap=True, overflow="crop")
        for first, last, count in cells:
            level = 0 if not count else max(1, round(count / top * (len(BARS) - 1)))
            style = "reverse bold" if self.year is not None and first <= self.year <= last else ""
            bars.append(BARS[level] * cw, style=style)
        width = self.content_size.width
        axis = [" "] * width
        lo, hi = self.axis
        for label, pos in ((str(lo), 0), (str(hi), width - len(str(hi)))):
            for i, ch in enumerate(label):
                if 0 <= pos + i < width:
                    axis[pos + i] = ch
        line = "".join(axis)
        if self.year is not None:
            idx = next((i for i, (a, b, _) in enumerate(cells) if a <= self.year <= b), None)
            if idx is not None:
                label = f"▲{self.year} · {self.counts.get(self.year, 0):,}"
                pos = max(0, min(idx * cw, width - len(label)))
                # Keep the axis ends readable: slide the marker clear of both of them.
                right = width - len(str(hi)) - 1 - len(label)
                pos = max(len(str(lo)) + 1, min(pos, right)) if right > len(str(lo)) else pos
                line = line[:pos] + label + line[pos + len(label):]
        return Text.assemble(bars, "\n", Text(line[:width], style="dim"))

    def action_step(self, delta: int) -> None:
        if not self.axis:
            return
        lo, hi = self.axis
        year = (self.year if self.year is not None else lo) + delta
        # Skip empty years so every step lands on events.
        while lo <= year <= hi and not self.counts.get(year):
            year += delta
        if lo <= year <= hi:
            self.post_message(YearChosen(year))

    def on_click(self, event: events.Click) -> None:
        if not self.axis:
            return
        _, _, cw = self._geometry()
        cells = self._cells()
        idx = (event.x - self.gutter.left) // cw
        if 0 <= idx < len(cells):
            self.post_message(YearChosen(cells[idx][0]))
