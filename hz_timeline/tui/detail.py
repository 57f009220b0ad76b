"""The detail pane: one event in full — when, how the date was resolved, who, and every source.

Owns loading the event (a thread worker with its own Store) and choosing which source the reader
opens (j/k here move between sources). Everything shown from documents goes through ``Text``
objects after ``strip_control``: imported text is data, never markup or terminal codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from time import monotonic

from rich.console import Group, RenderableType
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events, on, work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import get_current_worker

from ..dateformat import when
from ..store.querylang import highlight_spans
from ..text import one_line
from .messages import OpenReader
from .timeline import open_store

TIME_STYLE = "bold reverse"
# Highlight moves that follow each other faster than this (a held key) load only the event the
# cursor stops on; the first move after a pause loads at once.
SETTLE = 0.06
MATCH_STYLE = "bold black on yellow"


@dataclass
class _Loaded(Message):
    uid: str | None
    event: dict | None


def quote_text(m: dict, time_style: str = TIME_STYLE) -> Text:
    """A mention's quote with its time expression highlighted (offsets are document offsets)."""
    quote = m.get("quote") or ""
    a = max(0, min(len(quote), (m.get("time_start_char") or 0) - (m.get("start_char") or 0)))
    b = max(a, min(len(quote), (m.get("time_end_char") or 0) - (m.get("start_char") or 0)))
    t = Text()
    # Strip each piece separately so removed control characters cannot shift the highlight.
    t.append(one_line(quote[:a]) + (" " if quote[:a].endswith((" ", "\n")) else ""))
    t.append(one_line(quote[a:b]), style=time_style)
    t.append((" " if quote[b:b + 1] in (" ", "\n") else "") + one_line(quote[b:]))
    return t


def mark_matches(t: Text, query: str | None) -> Text:
    """Highlight what the search query matches (either script, aliases) in already-safe text."""
    if query:
        for a, b in highlight_spans(t.plain, query):
            t.stylize(MATCH_STYLE, a, b)
    return t


def describe(ev: dict, chosen: int = 0, query: str | None = None) -> Group:
    """Everything worth knowing about an event, as Rich renderables built from plain Text."""
    parts: list = []
    parts.append(mark_matches(Text(one_line(ev["title"] or ""), style="bold"), query))
    head = Text()
    head.append(when(ev["start"], ev["end"], ev["precision"], bool(ev["approx"])), style="bold cyan")
    head.append(f"  {ev['start']}..{ev['end']}  ", style="dim")
    head.append(f"{ev['precision']} precision · {ev['kind']}")
    if ev.get("disputed"):
        head.append("  DISPUTED", style="bold red")
    parts.append(head)
    explanations = []
    for m in ev.get("mentions", []):
        time_text = one_line(m.get("time_text") or "")
        why = one_line(m.get("explanation") or "")
        # Explanations usually start with the expression itself ("去年 → 2024, …"); don't say it twice.
        line = why if why.startswith(time_text) and why else f"{time_text} → {why or m.get('resolution') or ''}"
        if line not in explanations:
            explanations.append(line)
    for line in explanations[:4]:
        parts.append(Text.assemble(("resolved ", "dim"), one_line(line)))
    if ev.get("entities"):
        t = Text("entities ", style="dim")
        for i, e in enumerate(ev["entities"]):
            if i:
                t.append(", ")
            t.append(one_line(e["name"]))
            t.append(f" ({e['type']})", style="dim")
        parts.append(t)
    if ev.get("tags"):
        parts.append(Text.assemble(("tags ", "dim"), " ".join("#" + one_line(t) for t in ev["tags"])))
    for d in ev.get("disputes", []):
        parts.append(Text.assemble(("disputed with ", "bold red"), (one_line(d["event"]), "bold"), ": ", one_line(d["reason"])))
    mentions = ev.get("mentions", [])
    parts.append(Text(""))
    parts.append(Text(f"Sources ({len(mentions)}) — j/k choose, o opens", style="bold underline"))
    for i, m in enumerate(mentions):
        mark = "▶ " if i == chosen else "  "
        src = Text(mark, style="bold yellow")
        src.append(f"[{i + 1}] ", style="bold")
        src.append(one_line(m.get("outlet") or "unknown outlet"), style="bold")
        src.append(" · " + (m.get("published") or "undated"), style="dim")
        src.append(" · " + one_line(m.get("document_title") or m.get("document") or ""))
        parts.append(src)
        q = Text("    ")
        q.append_text(mark_matches(quote_text(m), query))
        parts.append(q)
        how = Text("    ", style="dim")
        how.append(f"{when(m.get('start'), m.get('end'), m.get('precision'), bool(m.get('approx')))} · {m.get('resolution')}")
        if m.get("explanation"):
            how.append(" · " + one_line(m["explanation"]))
        parts.append(how)
        if m.get("merge_reasons") and i > 0:
            parts.append(Text("    merged: " + one_line("; ".join(m["merge_reasons"])), style="italic"))
    return Group(*parts)


class DetailPane(ScrollView, can_focus=True):
    """Shows the highlighted event; knows which of its sources is chosen for the reader.

    A line-API view: the event is wrapped into strips once per event and width, and showing
    another event only repaints this pane (a ``Static`` would re-run the whole screen's layout
    and wrap the text twice on every cursor move).
    """

    BINDINGS = [
        Binding("j,down", "source(1)", "Next source", id="detail.next_source"),
        Binding("k,up", "source(-1)", "Prev source", id="detail.prev_source"),
        Binding("o,enter", "open", "Read source", id="detail.open"),
    ]

    DEFAULT_CSS = """
    DetailPane { padding: 0 1; background: $panel; overflow-x: hidden; }
    """

    def __init__(self, db_path: str | Path, **kw):
        super().__init__(**kw)
        self.db_path = str(db_path)
        self.event: dict | None = None
        self.chosen = 0
        self._uid: str | None = None
        self.query_text: str | None = None  # the search, whose matches are highlighted
        self._body: RenderableType = Text("No event selected", style="dim")
        self._lines: list[Strip] = []
        self._lines_key: tuple | None = None  # (width, style) the lines were wrapped for
        self._timer = None  # a pending load while highlight moves keep coming
        self._last_move = -1.0
        self._base: Style | None = None  # the pane's rich style, until the CSS changes

    def set_query(self, query: str | None) -> None:
        if query != self.query_text:
            self.query_text = query
            if self.event:
                self._show(self.event)

    def show_uid(self, uid: str | None) -> None:
        if uid == self._uid:
            return
        self._uid = uid
        now = monotonic()
        burst = now - self._last_move < SETTLE
        self._last_move = now
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if uid is None:
            self._show(None)
        elif burst:
            # Moves are coming faster than a person reads: wait until they stop.
            self._timer = self.set_timer(SETTLE, self._settled)
        else:
            self._load(uid)

    def _settled(self) -> None:
        self._timer = None
        if self._uid is not None and (self.event is None or self.event["uid"] != self._uid):
            self._load(self._uid)

    @property
    def pending(self) -> bool:
        """A highlighted event is waiting for the cursor to stop before it loads."""
        return self._timer is not None

    @work(thread=True, exclusive=True, group="detail")
    def _load(self, uid: str) -> None:
        with open_store(self.db_path) as store:
            ev = store.event(uid)
        if not get_current_worker().is_cancelled:
            self.post_message(_Loaded(uid, ev))

    @on(_Loaded)
    def _loaded(self, msg: _Loaded) -> None:
        msg.stop()
        if msg.uid == self._uid:
            self.chosen = 0
            self._show(msg.event)

    def _show(self, ev: dict | None) -> None:
        self.event = ev
        self._body = describe(ev, self.chosen, self.query_text) if ev else Text("No event selected", style="dim")
        self._lines_key = None
        self.border_title = f"Event {ev['uid']}" if ev else "Event"
        self._wrap()
        self.refresh()

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None

    @property
    def _style(self) -> Style:
        if self._base is None:
            self._base = self.rich_style
        return self._base

    def _wrap(self) -> None:
        """Wrap the body at the current width (once per event and width) and size the scroll area."""
        width = self.scrollable_content_region.width
        if width <= 0:
            return
        base = self._style
        key = (width, base)
        if key == self._lines_key:
            return
        console = self.app.console
        options = self.app.console_options.update(highlight=False, width=width)
        segments = console.render(self.post_render(self._body, base), options)
        self._lines = [Strip(line) for line in Segment.split_and_crop_lines(
            segments, width, include_new_lines=False, pad=False)]
        self._lines_key = key
        size = Size(width, len(self._lines))
        if size != self.virtual_size:
            # Without a layout pass: only this pane's scroll range changes. If the scrollbar
            # appears or goes, that is a layout change and a resize re-wraps at the new width.
            self.set_reactive(Widget.virtual_size, size)
            self._scroll_update(size)

    def on_resize(self, event: events.Resize) -> None:
        self._wrap()

    def render_line(self, y: int) -> Strip:
        self._wrap()
        row = int(self.scroll_y) + y
        width = self.scrollable_content_region.width
        if row < len(self._lines):
            return self._lines[row].adjust_cell_length(width, self._style)
        return Strip.blank(width, self._style)

    @property
    def text(self) -> str:
        """What the pane shows, as plain text (for tests)."""
        self._wrap()
        return "\n".join(line.text for line in self._lines)

    # ------------------------------------------------------------------ keys

    @property
    def source(self) -> dict | None:
        """The chosen mention (what o opens)."""
        if not self.event or not self.event.get("mentions"):
            return None
        return self.event["mentions"][min(self.chosen, len(self.event["mentions"]) - 1)]

    def action_source(self, delta: int) -> None:
        if not self.event or not self.event.get("mentions"):
            self.scroll_relative(y=delta, animate=False)
            return
        self.chosen = max(0, min(self.chosen + delta, len(self.event["mentions"]) - 1))
        self._show(self.event)

    def action_open(self) -> None:
        src = self.source
        if src:
            self.post_message(OpenReader(src["document"], src["start_char"]))
