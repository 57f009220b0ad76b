"""The filter pane: date range, free-text search and facet lists, combined into one ``Filter``.

Owns turning what the user typed into a Filter (dates through ``parse_user_date``), the facet
counts under the current filter (a thread worker), and the chips that describe the filter. It posts
``FiltersChanged`` a moment after typing stops, so counts follow the keyboard without a query per
key press.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from textual import on, work
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, Label, SelectionList, Static

from ..store.querylang import check
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from ..store.queries import Filter
from ..text import one_line
from .messages import FiltersChanged, FocusTimeline
from .timeline import open_store

FACETS = (("tags", "Tags"), ("kinds", "Kinds"), ("entities", "Entities"), ("sources", "Sources"))
DEBOUNCE = 0.15  # seconds of quiet typing before the filter is applied


@dataclass
class _Facets(Message):
    gen: int
    values: dict[str, list[tuple[str, int]]]


def _simple_date(text: str) -> tuple[str, str] | None:
    """Fallback when the date engine is unavailable: 2014, 2014-2018, 2018-03, 2018-03-05."""
    m = re.fullmatch(r"\s*(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?\s*", text)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
        if d:
            iso = f"{y}-{int(mo):02d}-{int(d):02d}"
            return iso, iso
        if mo:
            import calendar

            last = calendar.monthrange(int(y), int(mo))[1]
            return f"{y}-{int(mo):02d}-01", f"{y}-{int(mo):02d}-{last:02d}"
        return f"{y}-01-01", f"{y}-12-31"
    m = re.fullmatch(r"\s*(\d{4})\s*[-–~至到]\s*(\d{4})\s*", text)
    if m:
        return f"{m.group(1)}-01-01", f"{m.group(2)}-12-31"
    return None


def parse_range(text: str, today: date | None = None) -> tuple[str, str] | None:
    """A typed date or range → (start, end) ISO dates, or None if it cannot be read."""
    text = text.strip()
    if not text:
        return None
    try:
        from ..importers.dates import parse_user_date  # written concurrently; may be missing
    except ImportError:
        return _simple_date(text)
    try:
        span = parse_user_date(text, today or date.today())
    except Exception:  # a date engine bug must not take the UI down
        span = None
    if span is not None and getattr(span, "start", None) and getattr(span, "end", None):
        return span.start, span.end
    return _simple_date(text)


def chips(f: Filter, date_text: str = "") -> list[str]:
    """Short labels for the active filters, shown in the status bar."""
    out = []
    if f.date_from or f.date_to:
        out.append(f"date {one_line(date_text) or ''} {f.date_from}..{f.date_to}".replace("  ", " "))
    if f.query:
        out.append(f"search {one_line(f.query)}")
    for key, label in (("tags", "#"), ("kinds", "kind "), ("entities", ""), ("sources", "src ")):
        for v in getattr(f, key):
            out.append(f"{label}{one_line(Path(v).name if key == 'sources' else v)}")
    return out


def _label(value: str, count: int, width: int = 18) -> Content:
    """A facet entry: the value (literal, cut to fit) and its count."""
    name = one_line(value) or "∅"
    if cell_len(name) > width:
        name = set_cell_size(name, width - 1) + "…"
    return Content(f"{name} {count:,}")


class FilterPane(VerticalScroll):
    """Inputs and facets; everything the timeline is filtered by."""

    BINDINGS = [
        Binding("escape", "done", "Back to timeline", id="filters.done"),
        Binding("ctrl+r", "clear", "Clear filters", id="filters.clear"),
    ]

    DEFAULT_CSS = """
    FilterPane { padding: 0 1; background: $panel; }
    FilterPane Label { color: $text-muted; margin-top: 1; }
    FilterPane Input { height: 1; }
    FilterPane Input.-bad-date { color: $error; }
    FilterPane #date-hint, FilterPane #count { color: $text-muted; height: 1; }
    FilterPane #query-hint { color: $warning; height: auto; }
    FilterPane SelectionList { height: auto; max-height: 8; }
    FilterPane SelectionList:focus { background: $boost; }
    """

    def __init__(self, db_path: str | Path, **kw):
        super().__init__(**kw)
        self.db_path = str(db_path)
        self.selected: dict[str, list[str]] = {k: [] for k, _ in FACETS}
        self.filter = Filter()
        self.gen = 0
        self._timer = None

    def compose(self):
        yield Label("Dates  (f)")
        yield Input(placeholder="2014 · 2014-2018 · 去年", id="dates", compact=True)
        yield Static("", id="date-hint")
        yield Label("Search  (/)")
        yield Input(placeholder="宇树 tag:ai 2014..2018", id="query", compact=True)
        yield Static("", id="query-hint")
        yield Static("", id="count")
        for key, title in FACETS:
            yield Label(f"{title}  (space toggles)" if key == "tags" else title)
            yield SelectionList[str](id=f"facet-{key}", compact=True)

    def load_facets(self) -> None:
        """Count facet values under the current filter (the app calls this when the timeline is loaded)."""
        self._load_facets(self.filter, self.gen)

    # ------------------------------------------------------------ building the filter

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE, self.apply)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()
        self.post_message(FocusTimeline())

    @on(SelectionList.SelectedChanged)
    def _toggled(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        key = event.selection_list.id.removeprefix("facet-")
        self.selected[key] = list(event.selection_list.selected)
        self.apply()

    @property
    def pending(self) -> bool:
        """Typed text not applied yet (the debounce timer is running)."""
        return self._timer is not None

    def build(self) -> Filter:
        dates_in = self.query_one("#dates", Input)
        span = parse_range(dates_in.value)
        hint = self.query_one("#date-hint", Static)
        if dates_in.value.strip() and span is None:
            dates_in.add_class("-bad-date")
            hint.update(Content("cannot read that date"))
        else:
            dates_in.remove_class("-bad-date")
            hint.update(Content(f"{span[0]} .. {span[1]}" if span else ""))
        query_in = self.query_one("#query", Input)
        query = query_in.value.strip() or None
        problem = check(query) if query else None
        # A query with a syntax slip still runs (leniently); the hint says what is wrong.
        query_in.set_class(problem is not None, "-bad-date")
        self.query_one("#query-hint", Static).update(Content(problem or ""))
        return Filter(
            date_from=span[0] if span else None,
            date_to=span[1] if span else None,
            query=query,
            tags=tuple(self.selected["tags"]),
            kinds=tuple(self.selected["kinds"]),
            entities=tuple(self.selected["entities"]),
            sources=tuple(self.selected["sources"]),
        )

    def apply(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        f = self.build()
        if f == self.filter:
            return
        self.filter = f
        self.gen += 1
        self.post_message(FiltersChanged(f, chips(f, self.query_one("#dates", Input).value)))

    def set_query(self, text: str) -> None:
        self.query_one("#query", Input).value = text
        self.apply()

    def set_count(self, total: int) -> None:
        self.query_one("#count", Static).update(Content(f"{total:,} event{'' if total == 1 else 's'}"))

    def action_done(self) -> None:
        self.apply()
        self.post_message(FocusTimeline())

    def action_clear(self) -> None:
        self.selected = {k: [] for k, _ in FACETS}
        for name in ("#dates", "#query"):
            self.query_one(name, Input).value = ""
        self.apply()

    # ------------------------------------------------------------ facets

    @work(thread=True, exclusive=True, group="facets")
    def _load_facets(self, f: Filter, gen: int) -> None:
        worker = get_current_worker()
        values = {}
        with open_store(self.db_path) as store:
            for key, _ in FACETS:
                if worker.is_cancelled:
                    return
                values[key] = store.facet(f, key, limit=40)
        self.post_message(_Facets(gen, values))

    @on(_Facets)
    def _facets_loaded(self, msg: _Facets) -> None:
        msg.stop()
        if msg.gen != self.gen:
            return
        # Rebuilding ticks options programmatically: that is not the user toggling a facet.
        with self.prevent(SelectionList.SelectedChanged):
            for key, _ in FACETS:
                sl = self.query_one(f"#facet-{key}", SelectionList)
                chosen = self.selected[key]
                pairs = list(msg.values.get(key, []))
                present = {v for v, _ in pairs}
                # A chosen value stays listed (and ticked) even when it falls out of the top values.
                pairs = [(v, 0) for v in chosen if v not in present] + pairs
                highlighted = sl.highlighted
                sl.clear_options()
                sl.add_options([
                    Selection(_label(Path(v).name if key == "sources" else v, n), v, v in chosen) for v, n in pairs
                ])
                if highlighted is not None and sl.option_count:
                    sl.highlighted = min(highlighted, sl.option_count - 1)
