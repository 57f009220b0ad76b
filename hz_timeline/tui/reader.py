"""The reader: one source document with every detected date highlighted.

Owns loading the document (thread worker), splitting it into paragraphs (one Static each, so
scrolling to a statement is scrolling to a widget), and stepping between dated statements.
The text is data: it is cut at highlight boundaries first and each piece is stripped of control
characters, so offsets stay right and nothing in it is read as markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Static

from ..text import one_line, strip_control
from .timeline import open_store

DATE_STYLE = "bold underline #e5c07b"
CURRENT_STYLE = "on #3a4a6b"


@dataclass
class _Doc(Message):
    doc: dict | None


def paragraphs(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each non-empty line of the document."""
    out, pos = [], 0
    for line in text.split("\n"):
        end = pos + len(line)
        if line.strip():
            out.append((pos, end))
        pos = end + 1
    return out


def render_paragraph(text: str, a: int, b: int, mentions: list[dict], current: dict | None) -> Text:
    """Document text [a, b) with date expressions and the current statement styled."""
    cuts = {a, b}
    for m in mentions:
        for k in ("time_start_char", "time_end_char"):
            if a < m[k] < b:
                cuts.add(m[k])
    if current:
        for k in ("start_char", "end_char"):
            if a < current[k] < b:
                cuts.add(current[k])
    points = sorted(cuts)
    times = [(m["time_start_char"], m["time_end_char"]) for m in mentions]
    t = Text()
    for s, e in zip(points, points[1:]):
        style = ""
        if current and current["start_char"] <= s < current["end_char"]:
            style = CURRENT_STYLE
        if any(ts <= s < te for ts, te in times):
            style = (style + " " + DATE_STYLE).strip()
        t.append(strip_control(text[s:e]), style=style or None)
    return t


class ReaderScreen(Screen):
    """A document, scrolled to a statement; n/N (or ] [) step between dated statements."""

    BINDINGS = [
        Binding("escape,q", "back", "Back", id="reader.back"),
        Binding("n,right_square_bracket", "step(1)", "Next date", id="reader.next"),
        Binding("N,left_square_bracket", "step(-1)", "Prev date", id="reader.prev"),
        Binding("j,down", "scroll(1)", "Down", show=False, id="reader.down"),
        Binding("k,up", "scroll(-1)", "Up", show=False, id="reader.up"),
        Binding("ctrl+d,pagedown", "page(1)", "Page down", show=False, id="reader.page_down"),
        Binding("ctrl+u,pageup", "page(-1)", "Page up", show=False, id="reader.page_up"),
    ]

    DEFAULT_CSS = """
    ReaderScreen #reader-head { height: auto; padding: 0 1; background: $panel; text-style: bold; }
    ReaderScreen #reader-body { padding: 0 2; }
    ReaderScreen #reader-body > Static { margin-bottom: 1; }
    """

    def __init__(self, db_path: str | Path, document: str, start_char: int = 0):
        super().__init__()
        self.db_path = str(db_path)
        self.document = document
        self.start_char = start_char
        self.doc: dict | None = None
        self.mentions: list[dict] = []  # dated statements, in document order
        self.current = 0
        self._paras: list[tuple[int, int]] = []

    def compose(self) -> ComposeResult:
        yield Static(Text(one_line(self.document)), id="reader-head")
        yield VerticalScroll(id="reader-body")
        yield Footer()

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="reader")
    def _load(self) -> None:
        with open_store(self.db_path) as store:
            doc = store.document(self.document)
        self.post_message(_Doc(doc))

    @on(_Doc)
    async def _loaded(self, msg: _Doc) -> None:
        msg.stop()
        body = self.query_one("#reader-body", VerticalScroll)
        doc = msg.doc
        if doc is None:
            await body.mount(Static(Text(f"{self.document}: not in the database", style="red")))
            return
        self.doc = doc
        self.mentions = [m for m in doc["mentions"] if m.get("start") is not None]
        # The statement we came for: the mention at start_char, else the first one after it.
        self.current = next(
            (i for i, m in enumerate(self.mentions) if m["start_char"] >= self.start_char), 0)
        head = Text()
        head.append(one_line(doc.get("title") or self.document), style="bold")
        head.append(f"  {one_line(doc.get('outlet') or '')} · {doc.get('published') or 'undated'}", style="dim")
        head.append(f"  {len(self.mentions)} dated statements", style="dim")
        self.query_one("#reader-head", Static).update(head)
        self._paras = paragraphs(doc["text"])
        widgets = [Static(self._para_text(i), classes="para") for i in range(len(self._paras))]
        await body.mount_all(widgets)
        self.call_after_refresh(self._scroll_to_current)

    def _para_text(self, i: int) -> Text:
        a, b = self._paras[i]
        inside = [m for m in self.doc["mentions"] if m["time_end_char"] > a and m["time_start_char"] < b]
        cur = self.mentions[self.current] if self.mentions else None
        return render_paragraph(self.doc["text"], a, b, inside, cur)

    def _para_of(self, offset: int) -> int:
        for i, (a, b) in enumerate(self._paras):
            if offset <= b:
                return i
        return max(0, len(self._paras) - 1)

    def _paras_of(self, m: dict) -> set[int]:
        return set(range(self._para_of(m["start_char"]), self._para_of(max(m["start_char"], m["end_char"] - 1)) + 1))

    def _scroll_to_current(self) -> None:
        if not self.mentions or not self._paras:
            return
        para = self.query("#reader-body > .para")[self._para_of(self.mentions[self.current]["start_char"])]
        self.query_one("#reader-body").scroll_to_center(para, animate=False)
        m = self.mentions[self.current]
        self.sub_title = f"{self.current + 1}/{len(self.mentions)}"
        self.query_one("#reader-head", Static).tooltip = m.get("time_text")

    @property
    def current_mention(self) -> dict | None:
        return self.mentions[self.current] if self.mentions else None

    def action_step(self, delta: int) -> None:
        if not self.mentions:
            return
        old = self._paras_of(self.mentions[self.current])
        self.current = max(0, min(self.current + delta, len(self.mentions) - 1))
        new = self._paras_of(self.mentions[self.current])
        paras = self.query("#reader-body > .para")
        for i in old | new:  # a statement may run over several paragraphs
            paras[i].update(self._para_text(i))
        self._scroll_to_current()

    def action_scroll(self, delta: int) -> None:
        self.query_one("#reader-body").scroll_relative(y=delta, animate=False)

    def action_page(self, delta: int) -> None:
        body = self.query_one("#reader-body")
        body.scroll_relative(y=delta * max(1, body.size.height - 2), animate=False)

    def action_back(self) -> None:
        self.dismiss()
