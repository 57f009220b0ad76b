"""Modal dialogs: help (every binding, by pane) and export (format, path, confirmation).

Dialogs only collect answers; the app does the work (export runs in its worker) so that the
same action is reachable from the key, the palette and tests.
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static

from ..export import EXTENSIONS, FORMATS

KEY_NAMES = {
    "left_square_bracket": "[", "right_square_bracket": "]", "question_mark": "?", "slash": "/",
    "pagedown": "PgDn", "pageup": "PgUp", "escape": "Esc", "enter": "Enter", "tab": "Tab",
    "shift+tab": "Shift+Tab", "down": "↓", "up": "↑", "left": "←", "right": "→", "home": "Home", "end": "End",
}


def key_label(keys: str) -> str:
    return " ".join(KEY_NAMES.get(k.strip(), k.strip()) for k in keys.split(","))


def bindings_table(sections: list[tuple[str, list]]) -> Table:
    """One table of every binding, grouped by where it works."""
    table = Table(box=None, show_header=False, padding=(0, 2), expand=True)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("action")
    for title, bindings in sections:
        table.add_row(Text(title, style="bold underline"), "")
        for b in bindings:
            table.add_row(key_label(b.key), Text(b.description or b.action))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen):
    """Every key, pane by pane, plus what the timeline markers mean."""

    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close", id="help.close")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 72; max-width: 95%; height: 90%; border: thick $accent; background: $surface; padding: 0 1; }
    """

    def __init__(self, sections: list[tuple[str, list]]):
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll() as v:
            v.border_title = "Help — Esc closes"
            yield Static(bindings_table(self.sections), id="help-keys")
            legend = Text()
            legend.append("Timeline rows\n", style="bold underline")
            legend.append("  date at its precision (2017, 2018-03, ~2018 Q4), kind mark "
                          "(P plan, F forecast, S statistic), title, #tags, ×n sources, ! disputed\n")
            legend.append("Date filter accepts 2014 · 2014-2018 · 2018-03 · 2025年2月 · 去年\n")
            legend.append("Search: words are all required · a OR b · -word excludes · \"exact phrase\" · "
                          "entity: tag: kind: source: precision: · 2014..2018 · from:2017 · to:2025-02 · year:2017 "
                          "(docs/search.md)\n")
            yield Static(legend)

    def action_dismiss(self) -> None:
        self.dismiss()


class ExportScreen(ModalScreen[tuple[str, str] | None]):
    """Asks for format and path; dismisses with (fmt, path) to export, None to cancel."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="export.cancel")]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical { width: 70; max-width: 95%; height: auto; border: thick $accent; background: $surface; padding: 1 2; }
    ExportScreen RadioSet { layout: grid; grid-size: 4; width: 100%; height: auto; }
    ExportScreen #export-buttons { height: auto; align-horizontal: right; margin-top: 1; }
    ExportScreen #export-buttons Button { margin-left: 2; }
    ExportScreen #export-warning { color: $warning; height: auto; }
    """

    def __init__(self, count: int | None, chips: list[str], default_path: str = "hz-timeline-export.json"):
        super().__init__()
        self.count = count
        self.chips = chips
        self.default_path = default_path

    def compose(self) -> ComposeResult:
        with Vertical() as v:
            v.border_title = "Export"
            what = Text()
            n = "?" if self.count is None else f"{self.count:,}"
            what.append(f"Export {n} events", style="bold")
            what.append(" — " + (" · ".join(self.chips) if self.chips else "no filters: everything"))
            yield Static(what)
            yield Label("Format")
            with RadioSet(id="export-format"):
                for i, name in enumerate(FORMATS):
                    yield RadioButton(name, value=i == 0, id=f"fmt-{name}")
            yield Label("Path")
            yield Input(self.default_path, id="export-path")
            yield Static("", id="export-warning")
            with Horizontal(id="export-buttons"):
                yield Button("Cancel", id="export-cancel")
                yield Button("Export", variant="primary", id="export-ok")

    def on_mount(self) -> None:
        self.query_one("#export-path", Input).focus()
        self._check()

    @property
    def fmt(self) -> str:
        return next((n for n in FORMATS if self.query_one(f"#fmt-{n}", RadioButton).value), FORMATS[0])

    @on(RadioSet.Changed)
    def _format_changed(self) -> None:
        inp = self.query_one("#export-path", Input)
        stem, dot, ext = inp.value.rpartition(".")
        if dot and ext in set(EXTENSIONS.values()):
            inp.value = f"{stem}.{EXTENSIONS[self.fmt]}"
        self._check()

    @on(Input.Changed)
    def _check(self) -> None:
        path = Path(self.query_one("#export-path", Input).value.strip() or ".").expanduser()
        msg = ""
        if path.is_dir():
            msg = "That is a folder: give a file name."
        elif not path.parent.exists():
            msg = "That folder does not exist."
        elif path.exists():
            msg = "A file with that name exists and will be replaced."
        self.query_one("#export-warning", Static).update(Text(msg))
        self.query_one("#export-ok", Button).disabled = msg.startswith("That")

    @on(Input.Submitted)
    def _submitted(self) -> None:
        if not self.query_one("#export-ok", Button).disabled:
            self._ok()

    @on(Button.Pressed, "#export-ok")
    def _ok(self) -> None:
        path = str(Path(self.query_one("#export-path", Input).value.strip()).expanduser())
        self.dismiss((self.fmt, path))

    @on(Button.Pressed, "#export-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
