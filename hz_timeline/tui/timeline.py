"""The timeline pane: a virtual, line-API list of events grouped under year headings.

Owns the mapping between screen rows, year headings and event indexes, the cursor, and a small
page cache filled by thread workers that each open their own Store (sqlite connections belong to
one thread). Nothing here holds the whole result set: a million events cost the same as a hundred
because only the pages around the viewport are ever fetched.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, on, work
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from ..dateformat import when
from ..store.queries import Filter
from ..store.querylang import highlight_spans
from ..text import one_line
from .messages import EventHighlighted, OpenReader, TimelineLoaded

PAGE = 100  # rows per fetch; one page covers two screens of a tall terminal
MAX_PAGES = 40  # cache bound: 4,000 rows, well under a megabyte
DATE_W = 17  # '~2018 autumn', '~2025-02-04–03-05' fit; longer ranges are cut with an ellipsis
KIND_MARK = {"past": " ", "plan": "P", "forecast": "F", "statistic": "S"}


def fit(text: str, width: int) -> str:
    """Exactly ``width`` cells: padded, or cut at a cell boundary with an ellipsis.

    CJK characters are two cells wide; ``set_cell_size`` pads instead of splitting one.
    """
    if width <= 0:
        return ""
    n = cell_len(text)
    if n <= width:
        return text + " " * (width - n)
    cut = set_cell_size(text, width - 1)
    if cell_len(cut.rstrip(" ")) < cell_len(cut) and not text[: len(cut)].endswith(" "):
        # A wide character did not fit and was replaced by padding: ellipsis first, then the pad.
        return cut.rstrip(" ") + "…" + " " * (width - 1 - cell_len(cut.rstrip(" ")))
    return cut + "…"


def open_store(path):
    """A read-only Store for one worker thread."""
    from ..store import Store

    return Store(path, create=False, readonly=True)


class RowMap:
    """Row arithmetic for a filter: year headings are virtual rows before each year's events.

    Heading k sits at row ``first[k] + k`` where ``first[k]`` is the index of the year's first
    event, so an event index maps to a row (and back) with one bisect over the years.
    """

    def __init__(self, years: list[tuple[int, int]]):
        self.years = [y for y, _ in years]
        self.counts = [c for _, c in years]
        self.first: list[int] = []
        n = 0
        for c in self.counts:
            self.first.append(n)
            n += c
        self.total = n
        self.heading_rows = [f + k for k, f in enumerate(self.first)]
        self.rows = n + len(self.years)

    def row_of(self, index: int) -> int:
        k = bisect_right(self.first, index) - 1
        return index + k + 1

    def at(self, row: int) -> tuple[str, int]:
        """('heading', year position) or ('event', event index) for a row."""
        k = bisect_right(self.heading_rows, row) - 1
        if row == self.heading_rows[k]:
            return "heading", k
        return "event", self.first[k] + row - self.heading_rows[k] - 1

    def year_of(self, index: int) -> int | None:
        if not self.years:
            return None
        return self.years[max(0, bisect_right(self.first, index) - 1)]


@dataclass
class _Shape(Message):
    gen: int
    years: list[tuple[int, int]]
    cursor: int
    first_page: list[dict] | None = None  # with a provisional shape: the rows known so far
    provisional: bool = False  # built from the first page only; the real counts follow


@dataclass
class _Pages(Message):
    gen: int
    pages: dict[int, list[dict]]


@dataclass
class _Found(Message):
    gen: int
    index: int | None


class TimelineView(ScrollView, can_focus=True):
    """Events in date order; j/k move, [ ] jump years, n/N find the next title match."""

    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False, id="timeline.down"),
        Binding("k,up", "move(-1)", "Up", show=False, id="timeline.up"),
        Binding("g,home", "first", "Top", show=False, id="timeline.top"),
        Binding("G,end", "last", "Bottom", show=False, id="timeline.bottom"),
        Binding("ctrl+d,pagedown", "half_page(1)", "Half page down", show=False, id="timeline.page_down"),
        Binding("ctrl+u,pageup", "half_page(-1)", "Half page up", show=False, id="timeline.page_up"),
        Binding("right_square_bracket", "year(1)", "Next year", id="timeline.next_year"),
        Binding("left_square_bracket", "year(-1)", "Prev year", id="timeline.prev_year"),
        Binding("n", "match(1)", "Next match", id="timeline.next_match"),
        Binding("N", "match(-1)", "Prev match", show=False, id="timeline.prev_match"),
        Binding("o,enter", "open_reader", "Read source", id="timeline.open"),
    ]

    COMPONENT_CLASSES = {
        "timeline--cursor", "timeline--heading", "timeline--date", "timeline--kind", "timeline--tags",
        "timeline--sources", "timeline--disputed", "timeline--match", "timeline--dim",
    }

    DEFAULT_CSS = """
    TimelineView { background: $surface; overflow-x: hidden; }
    TimelineView > .timeline--cursor { background: $primary 30%; }
    TimelineView:focus > .timeline--cursor { background: $primary 60%; text-style: bold; }
    TimelineView > .timeline--heading { color: $accent; text-style: bold; }
    TimelineView > .timeline--date { color: $secondary; }
    TimelineView > .timeline--kind { color: $warning; text-style: bold; }
    TimelineView > .timeline--tags { color: $text-muted; }
    TimelineView > .timeline--sources { color: $success; }
    TimelineView > .timeline--disputed { color: $error; text-style: bold; }
    TimelineView > .timeline--match { background: $warning 40%; }
    TimelineView > .timeline--dim { color: $text-muted; }
    """

    def __init__(self, db_path: str | Path, **kw):
        super().__init__(**kw)
        self.db_path = str(db_path)
        self.filter = Filter()
        self.gen = 0
        self.shape = RowMap([])
        self.loaded = False
        self.shape_gen = -1  # the filter generation the rows on screen belong to
        self.provisional = False
        self.cursor = 0
        self.pages: OrderedDict[int, list[dict]] = OrderedDict()
        self._highlighted: str | None = None
        self._want_uid: str | None = None  # keep this event selected across a filter change
        self._match_cache: dict[str, list[tuple[int, int]]] = {}
        # Drawn lines by (what, n, selected), valid for one (width, generation, style) key: a cursor
        # move or a one-line scroll redraws only the lines that are new, not the whole view.
        self._strips: dict[tuple, Strip] = {}
        self._strips_key: tuple | None = None
        self._styles: dict[str, Style] = {}  # rich styles, computed once per CSS change

    # ------------------------------------------------------------------ data

    def on_mount(self) -> None:
        self.set_filter(Filter())

    def set_filter(self, f: Filter) -> None:
        """Show another filter; the selected event stays selected if it is still in it."""
        self.filter = f
        self.gen += 1
        self._want_uid = self._highlighted
        self._match_cache.clear()
        self._strips.clear()
        self._load_shape(f, self.gen, self._want_uid)

    @work(thread=True, exclusive=True, group="timeline-shape")
    def _load_shape(self, f: Filter, gen: int, keep_uid: str | None) -> None:
        """First page at once (a provisional shape), then the year counts (the real one).

        Counting a big filtered set costs more than its first page, so people see rows first.
        """
        from .queries_ext import contains, tags_for

        worker = get_current_worker()
        with open_store(self.db_path) as store:
            first = store.page(f, 0, PAGE)
            tags = tags_for(store, [r["id"] for r in first])
            for r in first:
                r["tags"] = tags.get(r["id"], [])
            if worker.is_cancelled:
                return
            if len(first) == PAGE:
                counts: dict[int, int] = {}
                for r in first:
                    counts[r["year"]] = counts.get(r["year"], 0) + 1
                self.post_message(_Shape(gen, sorted(counts.items()), 0, first, provisional=True))
            years = store.years(f)
            cursor = 0
            # position() counts events before the uid even when it is filtered out: check it is in
            # (by the uid, not by reading the row at that offset, which is slow deep in a search).
            if keep_uid and years and contains(store, f, keep_uid):
                cursor = store.position(f, keep_uid) or 0
            if not worker.is_cancelled:
                self.post_message(_Shape(gen, years, cursor, first))

    @on(_Shape)
    def _shape_loaded(self, msg: _Shape) -> None:
        msg.stop()
        if msg.gen != self.gen:
            return
        self.shape = RowMap(msg.years)
        self.shape_gen = msg.gen
        self.loaded = True
        self.provisional = msg.provisional
        self.pages.clear()
        self._strips.clear()
        if msg.first_page is not None:
            self.pages[0] = msg.first_page
        self.virtual_size = Size(0, self.shape.rows)
        if msg.provisional:
            self.cursor = 0
        else:
            self.cursor = min(msg.cursor, max(0, self.shape.total - 1))
            self.post_message(TimelineLoaded(self.shape.total, msg.years))
        self._scroll_to_cursor(center=True)
        self.refresh()
        self._request_pages()
        self._announce()

    def _visible_pages(self) -> set[int]:
        if not self.shape.total:
            return set()
        top = int(self.scroll_y)
        lo = self._index_near(top)
        hi = self._index_near(top + max(1, self.size.height))
        return set(range(lo // PAGE, hi // PAGE + 1)) | {self.cursor // PAGE}

    def _index_near(self, row: int) -> int:
        row = max(0, min(row, self.shape.rows - 1))
        what, n = self.shape.at(row)
        idx = self.shape.first[n] if what == "heading" else n
        return max(0, min(idx, self.shape.total - 1))

    def _request_pages(self) -> None:
        if self.provisional:
            return  # the real shape is on its way and brings its own first page
        missing = sorted(p for p in self._visible_pages() if p not in self.pages)
        if missing:
            self._load_pages(self.filter, self.gen, missing)

    @work(thread=True, exclusive=True, group="timeline-pages")
    def _load_pages(self, f: Filter, gen: int, wanted: list[int]) -> None:
        from .queries_ext import tags_for

        worker = get_current_worker()
        got: dict[int, list[dict]] = {}
        with open_store(self.db_path) as store:
            for p in wanted:
                if worker.is_cancelled:
                    break
                rows = store.page(f, p * PAGE, PAGE)
                tags = tags_for(store, [r["id"] for r in rows])
                for r in rows:
                    r["tags"] = tags.get(r["id"], [])
                got[p] = rows
        if got:
            # Even a cancelled worker's pages are good for this generation: keep them.
            self.post_message(_Pages(gen, got))

    @on(_Pages)
    def _pages_loaded(self, msg: _Pages) -> None:
        msg.stop()
        if msg.gen != self.gen:
            return
        for p, rows in msg.pages.items():
            self.pages[p] = rows
            self.pages.move_to_end(p)
        while len(self.pages) > MAX_PAGES:
            self.pages.popitem(last=False)
        self._strips.clear()
        self.refresh()
        self._announce()

    def record(self, index: int) -> dict | None:
        rows = self.pages.get(index // PAGE)
        if rows is None:
            return None
        i = index % PAGE
        return rows[i] if i < len(rows) else None

    @property
    def current(self) -> dict | None:
        return self.record(self.cursor) if self.shape.total else None

    def _announce(self) -> None:
        """Tell the app about the highlighted event once its row is known."""
        rec = self.current
        uid = rec["uid"] if rec else None
        if uid == self._highlighted and uid is not None:
            return
        if rec is None and self.shape.total:
            return  # page still loading; _Pages will call again
        self._highlighted = uid
        self.post_message(EventHighlighted(uid, self.cursor, self.shape.year_of(self.cursor)))

    # ------------------------------------------------------------------ cursor

    def move_to(self, index: int, *, center: bool = False, heading: bool = False) -> None:
        if not self.shape.total:
            return
        index = max(0, min(index, self.shape.total - 1))
        old = self.cursor
        self.cursor = index
        self._refresh_index(old)
        self._refresh_index(index)
        self._scroll_to_cursor(center=center, heading=heading)
        self._request_pages()
        self._announce()

    def _refresh_index(self, index: int) -> None:
        if not self.shape.total:
            return
        y = self.shape.row_of(index) - int(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    def _scroll_to_cursor(self, center: bool = False, heading: bool = False) -> None:
        if not self.shape.total:
            self.scroll_to(y=0, animate=False)
            return
        row = self.shape.row_of(self.cursor)
        h = max(1, self.size.height)
        top = int(self.scroll_y)
        if heading:
            target = row - 1  # the year heading on the first line
        elif center:
            target = row - h // 3
        elif row - 1 < top:
            # Show the heading above the first event of a year too.
            target = row - 1 if row - 1 in self.shape.heading_rows else row
        elif row >= top + h:
            target = row - h + 1
        else:
            return
        self.scroll_to(y=max(0, target), animate=False, immediate=True)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if self.loaded:
            self._request_pages()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(0, self.shape.rows)
        self._request_pages()

    def action_move(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_first(self) -> None:
        self.move_to(0)

    def action_last(self) -> None:
        self.move_to(self.shape.total - 1)

    def action_half_page(self, direction: int) -> None:
        step = max(1, self.size.height // 2)
        self.move_to(self.cursor + direction * step)
        self.scroll_to(y=self.scroll_y + direction * step, animate=False, immediate=True)

    def action_year(self, direction: int) -> None:
        lay = self.shape
        if not lay.total:
            return
        k = bisect_right(lay.first, self.cursor) - 1
        if direction < 0 and self.cursor > lay.first[k]:
            target = k  # back to the start of this year first, like vim's [[
        else:
            target = max(0, min(k + direction, len(lay.years) - 1))
        self.move_to(lay.first[target], heading=True)

    def jump_to_year(self, year: int) -> None:
        """First event of ``year`` or of the nearest later year that has events."""
        lay = self.shape
        if not lay.total:
            return
        k = min(bisect_right(lay.years, year - 1), len(lay.years) - 1)
        self.move_to(lay.first[k], heading=True)

    def action_open_reader(self) -> None:
        if self.current:
            self.post_message(OpenReader())

    def action_match(self, direction: int) -> None:
        rec = self.current
        if not rec or not self.filter.query:
            self.notify("No search: press / and type words to find", severity="warning", markup=False)
            return
        self._find(self.filter, self.gen, rec, self.cursor, direction, self.filter.query)

    @work(thread=True, exclusive=True, group="timeline-find")
    def _find(self, f: Filter, gen: int, rec: dict, index: int, direction: int, query: str) -> None:
        """Next event whose title shows a search word (the filter matches quotes and aliases too)."""
        from .queries_ext import before, key_of

        worker = get_current_worker()
        key = key_of(rec)
        step = 0
        with open_store(self.db_path) as store:
            for _ in range(100):  # at most 50,000 rows; beyond that the user should narrow the search
                rows = store.after(f, key, 500) if direction > 0 else before(store, f, key, 500)
                if not rows or worker.is_cancelled:
                    break
                for r in rows:
                    step += 1
                    if highlight_spans(r["title"] or "", query):
                        self.post_message(_Found(gen, index + direction * step))
                        return
                key = key_of(rows[-1])
        self.post_message(_Found(gen, None))

    @on(_Found)
    def _match_found(self, msg: _Found) -> None:
        msg.stop()
        if msg.gen != self.gen:
            return
        if msg.index is None:
            self.notify("No more titles with that word", severity="information", markup=False)
        else:
            self.move_to(msg.index, center=True)

    # ------------------------------------------------------------------ mouse

    def on_click(self, event: events.Click) -> None:
        if not self.shape.total:
            return
        row = int(self.scroll_y) + event.y
        if row >= self.shape.rows:
            return
        what, n = self.shape.at(row)
        self.move_to(self.shape.first[n] if what == "heading" else n)
        if event.chain == 2:
            self.action_open_reader()

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()

    def _style(self, name: str = "") -> Style:
        """The widget's base rich style, or a component style over it (cached until the CSS changes)."""
        st = self._styles.get(name)
        if st is None:
            if not name:
                st = self.rich_style
            elif name == "timeline--cursor":
                st = self._style() + self.get_component_rich_style(name)
            else:
                st = self.get_component_rich_style(name)
            self._styles[name] = st
        return st

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        base = self._style()
        if not self.loaded:
            return self._message_line(y, "loading…", width, base)
        if not self.shape.total:
            return self._message_line(y, "No events match. Press f to change the filters.", width, base)
        row = int(self.scroll_y) + y
        if row >= self.shape.rows:
            return Strip.blank(width, base)
        what, n = self.shape.at(row)
        key = (width, self.gen, self.shape_gen)
        if key != self._strips_key:
            self._strips.clear()
            self._strips_key = key
        selected = what == "event" and n == self.cursor
        cache_key = (what, n, selected)
        strip = self._strips.get(cache_key)
        if strip is None:
            if what == "heading":
                strip = self._heading_line(n, width, base)
            else:
                strip = self._event_line(n, width, base)
                if self.record(n) is None:
                    return strip  # a placeholder until the page arrives: not worth keeping
            if len(self._strips) > 4 * max(64, self.size.height):
                self._strips.clear()
            self._strips[cache_key] = strip
        return strip

    def _message_line(self, y: int, text: str, width: int, base: Style) -> Strip:
        if y != 1:
            return Strip.blank(width, base)
        return Strip([Segment(fit("  " + text, width), base + self._style("timeline--dim"))], width)

    def _heading_line(self, k: int, width: int, base: Style) -> Strip:
        year, count = self.shape.years[k], self.shape.counts[k]
        label = f"── {year} "
        tail = f" {count:,} event{'s' if count != 1 else ''} ──"
        fill = max(0, width - cell_len(label) - cell_len(tail))
        text = fit(label + "─" * fill + tail, width)
        return Strip([Segment(text, base + self._style("timeline--heading"))], width)

    def _event_line(self, index: int, width: int, base: Style) -> Strip:
        rec = self.record(index)
        selected = index == self.cursor
        row_style = self._style("timeline--cursor") if selected else base
        style = self._style
        if rec is None:
            return Strip([Segment(fit("  …", width), row_style + style("timeline--dim"))], width)
        date = when(rec["start"], rec["end"], rec["precision"], bool(rec["approx"]))
        date_w = DATE_W if width >= 70 else 13
        kind = KIND_MARK.get(rec["kind"], "?")
        n_src = rec["n_sources"] or 0
        src = f"×{n_src}" if n_src > 1 else ""
        tag_w = 18 if width >= 80 else 0
        tags = " ".join("#" + one_line(t) for t in rec.get("tags", [])) if tag_w else ""
        fixed = 1 + date_w + 1 + 1 + 1 + (tag_w + 1 if tag_w else 0) + 4 + 1
        title_w = max(4, width - fixed)
        title = fit(one_line(rec["title"] or ""), title_w)
        segs = [
            Segment("▌" if selected else " ", row_style + style("timeline--kind")),
            Segment(fit(date, date_w) + " ", row_style + style("timeline--date")),
            Segment(kind + " ", row_style + style("timeline--kind")),
        ]
        segs.extend(self._title_segments(title, row_style))
        if tag_w:
            segs.append(Segment(" " + fit(tags, tag_w), row_style + style("timeline--tags")))
        segs.append(Segment(" " + fit(src, 3), row_style + style("timeline--sources")))
        segs.append(Segment("!" if rec["disputed"] else " ", row_style + style("timeline--disputed")))
        return Strip(segs).adjust_cell_length(width, row_style)

    def _title_segments(self, title: str, style: Style) -> list[Segment]:
        """The (already cut) title with the query's matches highlighted (either script, aliases)."""
        query = self.filter.query
        if not query:
            return [Segment(title, style)]
        spans = self._match_cache.get(title)
        if spans is None:
            spans = self._match_cache[title] = highlight_spans(title, query)
        if not spans:
            return [Segment(title, style)]
        hit = style + self._style("timeline--match")
        segs, i = [], 0
        for a, b in spans:
            if a > i:
                segs.append(Segment(title[i:a], style))
            segs.append(Segment(title[a:b], hit))
            i = b
        if i < len(title):
            segs.append(Segment(title[i:], style))
        return segs
