"""The hz-timeline app: composes the panes and coordinates them through their messages.

Panes own their data loading (thread workers with their own Store connection); the app only
routes: a highlighted event goes to the detail pane and the density strip, a new filter goes to
the timeline, a chosen year moves the timeline, and the app-wide keys (search, export, help,
pane cycling, quit) live here. ``make_app`` is the one entry point for the CLI and the tests.
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Container, Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Input, Static

from ..store.queries import Filter
from .density import DensityStrip
from .detail import DetailPane
from .dialogs import ExportScreen, HelpScreen
from .filters import FilterPane
from .messages import EventHighlighted, FiltersChanged, FocusTimeline, OpenReader, TimelineLoaded, YearChosen
from .reader import ReaderScreen
from .timeline import TimelineView, open_store

PANES = ("#timeline", "#detail", "#filters", "#density")


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


class TimelineApp(App):
    """Timeline (middle), filters (left), detail (right or below), density strip (top)."""

    CSS_PATH = "app.tcss"
    TITLE = "hz-timeline"
    # Classes on the screen by terminal width: the layout folds up on small terminals.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (160, "-very-wide")]

    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit"),
        Binding("question_mark", "help", "Help", id="app.help"),
        Binding("slash", "search", "Search", id="app.search"),
        Binding("f", "focus_filters", "Filters", id="app.filters"),
        Binding("x", "export", "Export", id="app.export"),
        Binding("tab", "cycle_panes(1)", "Next pane", show=False, priority=True, id="app.next_pane"),
        Binding("shift+tab", "cycle_panes(-1)", "Prev pane", show=False, priority=True, id="app.prev_pane"),
        Binding("escape", "focus_timeline", "Timeline", show=False, id="app.timeline"),
    ]

    def __init__(self, db_path: str | Path, **kw):
        super().__init__(**kw)
        self.db_path = Path(db_path)
        self.filter = Filter()
        self.chips: list[str] = []
        self.total: int | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield DensityStrip(id="density")
        with Horizontal(id="main"):
            yield FilterPane(self.db_path, id="filters")
            with Container(id="right"):
                yield TimelineView(self.db_path, id="timeline")
                yield DetailPane(self.db_path, id="detail")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#filters").border_title = "Filters"
        self.query_one("#timeline").border_title = "Timeline"
        self.query_one("#detail").border_title = "Event"
        self.query_one("#timeline").focus()
        self._status()

    # The panes live on the first screen; the reader and dialogs are pushed above it.
    @property
    def main(self) -> Screen:
        return self.screen_stack[0]

    @property
    def on_main(self) -> bool:
        return self.screen is self.main

    @property
    def timeline(self) -> TimelineView:
        return self.main.query_one("#timeline", TimelineView)

    @property
    def detail(self) -> DetailPane:
        return self.main.query_one("#detail", DetailPane)

    @property
    def filters(self) -> FilterPane:
        return self.main.query_one("#filters", FilterPane)

    @property
    def density(self) -> DensityStrip:
        return self.main.query_one("#density", DensityStrip)

    def _status(self) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" hz-timeline ", style="bold reverse")
        t.append(f" {self.db_path.name} ", style="dim")
        t.append("· counting…" if self.total is None else f"· {plural(self.total, 'event')}", style="bold")
        for chip in self.chips:
            t.append("  ")
            t.append(f" {chip} ", style="black on #e5c07b")
        self.main.query_one("#status", Static).update(t)

    # ------------------------------------------------------------ pane messages

    @on(EventHighlighted)
    def _highlighted(self, msg: EventHighlighted) -> None:
        self.detail.show_uid(msg.uid)
        self.density.set_year(msg.year)

    @on(TimelineLoaded)
    def _loaded(self, msg: TimelineLoaded) -> None:
        if self.density.axis is None and self.filter == Filter():
            # The unfiltered shape is the density strip's axis; no second query for it.
            self.density.set_axis(msg.years)
        # Facets are secondary: they are counted once the timeline has had the database first.
        self.filters.load_facets()
        self.total = msg.total
        self.density.set_counts(msg.years)
        self.filters.set_count(msg.total)
        self._status()

    @on(FiltersChanged)
    def _filters_changed(self, msg: FiltersChanged) -> None:
        self.filter = msg.filter
        self.chips = msg.chips
        self.total = None
        self._status()
        self.timeline.set_filter(msg.filter)
        self.query_one(DetailPane).set_query(msg.filter.query)

    @on(YearChosen)
    def _year_chosen(self, msg: YearChosen) -> None:
        self.timeline.jump_to_year(msg.year)

    @on(FocusTimeline)
    def action_focus_timeline(self) -> None:
        self.main.remove_class("-show-filters")
        if self.on_main:
            self.timeline.focus()

    @on(OpenReader)
    def _open_reader(self, msg: OpenReader) -> None:
        if msg.document is not None:
            self.push_screen(ReaderScreen(self.db_path, msg.document, msg.start_char))
            return
        rec = self.timeline.current
        if rec is None:
            return
        src = self.detail.source if self.detail.event and self.detail.event["uid"] == rec["uid"] else None
        if src:
            self.push_screen(ReaderScreen(self.db_path, src["document"], src["start_char"]))
        else:
            self._open_first_source(rec["uid"])

    @work(thread=True, group="open")
    def _open_first_source(self, uid: str) -> None:
        with open_store(self.db_path) as store:
            ev = store.event(uid)
        if ev and ev["mentions"]:
            m = ev["mentions"][0]
            self.call_from_thread(self.push_screen, ReaderScreen(self.db_path, m["document"], m["start_char"]))

    # ------------------------------------------------------------ app-wide actions

    MAIN_ONLY = {"search", "focus_filters", "export", "focus_timeline"}

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Over the reader or a dialog these keys would act on hidden panes: hide them from the footer.
        if action in self.MAIN_ONLY and not self.on_main:
            return False
        return True

    def action_search(self) -> None:
        if self.on_main:
            self.main.add_class("-show-filters")
            self.main.query_one("#query", Input).focus()

    def action_focus_filters(self) -> None:
        if self.on_main:
            self.main.add_class("-show-filters")
            self.main.query_one("#dates", Input).focus()

    def action_cycle_panes(self, direction: int = 1) -> None:
        if not self.on_main:
            # Dialogs and the reader keep ordinary focus movement.
            (self.screen.focus_next if direction > 0 else self.screen.focus_previous)()
            return
        focused = self.focused
        current = 0
        for i, sel in enumerate(PANES):
            pane = self.query_one(sel)
            if focused is not None and (focused is pane or pane in focused.ancestors):
                current = i
                break
        nxt = PANES[(current + direction) % len(PANES)]
        if nxt == "#filters":
            self.action_search()
        else:
            self.screen.remove_class("-show-filters")
            self.query_one(nxt).focus()

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        from textual.binding import Binding as B

        sections = [
            ("Everywhere", [*self.BINDINGS, B("ctrl+p", "command_palette", "Command palette: every action")]),
            ("Timeline", TimelineView.BINDINGS),
            ("Event detail", DetailPane.BINDINGS),
            ("Filters", [*FilterPane.BINDINGS, B("space", "toggle", "Toggle a facet value"),
                         B("enter", "submit", "Apply and go back to the timeline")]),
            ("Density strip", DensityStrip.BINDINGS),
            ("Reader", ReaderScreen.BINDINGS),
        ]
        self.push_screen(HelpScreen(sections))

    def action_export(self) -> None:
        if not self.on_main:
            return

        def done(answer: tuple[str, str] | None) -> None:
            if answer:
                self._export(self.filter, *answer)

        self.push_screen(ExportScreen(self.total, self.chips), done)

    @work(thread=True, exclusive=True, group="export")
    def _export(self, f: Filter, fmt: str, path: str) -> None:
        from ..export import export

        try:
            with open_store(self.db_path) as store:
                n = export(store, f, fmt, path)
        except Exception as e:  # shown, not raised: a failed export must not end the session
            self.call_from_thread(self.notify, f"Export failed: {e}", severity="error", markup=False)
            return
        self.call_from_thread(self.notify, f"Exported {n:,} events to {path}", markup=False)

    def action_timeline(self, name: str) -> None:
        """Run a timeline action from the palette (the timeline need not be focused)."""
        self.timeline.focus()
        self.timeline.run_action(name)

    def get_system_commands(self, screen: Screen):
        yield from super().get_system_commands(screen)
        cmds = [
            ("Search", "Type words to filter the timeline (/)", self.action_search),
            ("Filters", "Dates, tags, kinds, entities, sources (f)", self.action_focus_filters),
            ("Clear filters", "Show every event again", lambda: self.filters.action_clear()),
            ("Export", "Write the filtered events to JSON or JSONL (x)", self.action_export),
            ("Help", "Every key binding (?)", self.action_help),
            ("Read source", "Open the highlighted event's source document (o)", self.timeline.action_open_reader),
            ("Next year", "Jump to the next year (])", lambda: self.action_timeline("year(1)")),
            ("Previous year", "Jump to the previous year ([)", lambda: self.action_timeline("year(-1)")),
            ("First event", "Go to the top (g)", lambda: self.action_timeline("first")),
            ("Last event", "Go to the bottom (G)", lambda: self.action_timeline("last")),
            ("Next match", "Next title with a search word (n)", lambda: self.action_timeline("match(1)")),
            ("Previous match", "Previous title with a search word (N)", lambda: self.action_timeline("match(-1)")),
            ("Focus timeline", "Keyboard to the timeline (Esc)", self.action_focus_timeline),
            ("Focus detail", "Keyboard to the event detail", lambda: self.detail.focus()),
            ("Focus density strip", "Move through the years with h/l", lambda: self.query_one("#density").focus()),
            ("Next pane", "Cycle panes (Tab)", lambda: self.action_cycle_panes(1)),
        ]
        for title, help_text, cb in cmds:
            yield SystemCommand(title, help_text, cb)


def make_app(db_path: str | Path) -> TimelineApp:
    """The app on one database (the CLI and the tests both start here)."""
    return TimelineApp(db_path)
