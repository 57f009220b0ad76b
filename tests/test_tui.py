"""Pilot tests of the timeline app: every pane and key, on a small hand-made database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_tui_fixtures import build  # noqa: E402

from hz_timeline.tui.app import make_app  # noqa: E402
from hz_timeline.tui.dialogs import ExportScreen, HelpScreen  # noqa: E402
from hz_timeline.tui.reader import ReaderScreen  # noqa: E402

SIZE = (120, 40)


@pytest.fixture(autouse=True)
def _quick_debounce(monkeypatch):
    """Typing is applied after a pause; tests need not wait the human-sized one."""
    from hz_timeline.tui import filters

    monkeypatch.setattr(filters, "DEBOUNCE", 0.02)


@pytest.fixture(scope="session")
def db(tmp_path_factory) -> Path:
    return build(tmp_path_factory.mktemp("tui") / "events.db")


async def settle(pilot) -> None:
    """Let workers finish and their messages land (a finished worker's message may start another)."""
    quiet = 0
    for _ in range(30):
        await pilot.pause()
        if pilot.app.filters.pending or pilot.app.detail.pending:  # typing and held keys are debounced
            await pilot.pause(0.05)
            quiet = 0
            continue
        if any(not w.is_finished for w in pilot.app.workers):
            quiet = 0
            await pilot.app.workers.wait_for_complete()
        else:
            quiet += 1
            if quiet == 2:
                return


def screen_text(app) -> str:
    return "\n".join("".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips())


def current_uid(app) -> str | None:
    rec = app.timeline.current
    return rec["uid"] if rec else None


async def test_opens_on_first_event_with_detail(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.total == 249
        assert current_uid(app) == "mingpao-hangzhou-002"
        assert app.detail.event["uid"] == "mingpao-hangzhou-002"
        text = screen_text(app)
        assert "── 2016" in text and "杭州發布城市大腦計劃" in text
        assert "disputed with xinhua-hangzhou-001" in text


async def test_jk_g_G_move_selection_and_detail(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-001"
        assert app.detail.event["uid"] == "xinhua-hangzhou-001"
        await pilot.press("j", "down")
        await settle(pilot)
        assert app.timeline.cursor == 3
        await pilot.press("k")
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-002"
        await pilot.press("G")
        await settle(pilot)
        assert current_uid(app) == "mingpao-hangzhou-003"  # 2030, the last event (page 3 fetched lazily)
        assert app.detail.event["title"] == "杭州計劃建成人工智能創新高地"
        assert "杭州計劃建成人工智能創新高地" in screen_text(app)
        await pilot.press("g")
        await settle(pilot)
        assert app.timeline.cursor == 0
        await pilot.press("ctrl+d")
        await settle(pilot)
        assert app.timeline.cursor > 3
        assert app.detail.event["uid"] == current_uid(app)


async def test_search_filters_timeline(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash")
        assert app.focused.id == "query"
        await pilot.press(*"達摩院")  # traditional query finds simplified and traditional text
        await settle(pilot)
        assert app.total == 1
        assert current_uid(app) == "xinhua-hangzhou-002"
        await pilot.press("enter")
        await settle(pilot)
        assert app.focused is app.timeline
        text = screen_text(app)
        assert "search 達摩院" in text  # the chip
        assert "第000号填充事件" not in text
        assert "Sources (2)" in text  # the merged event: two sources


async def test_n_N_find_titles_with_the_search_words(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"杭州", "enter")
        await settle(pilot)
        await pilot.press("G")
        await settle(pilot)
        assert current_uid(app) == "mingpao-hangzhou-003"
        await pilot.press("N")
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-004"  # 2025 杭州宣布…
        await pilot.press("N")
        await settle(pilot)
        # 2024's statistic mentions 杭州 only in its quote: N skips it to the next title with the word
        assert current_uid(app) == "xinhua-hangzhou-002"
        await pilot.press("n")
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-004"


async def test_facet_toggle_and_date_filter_combine(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        facet = app.query_one("#facet-kinds")
        values = [facet.get_option_at_index(i).value for i in range(facet.option_count)]
        facet.focus()
        facet.highlighted = values.index("plan")
        await pilot.press("space")
        await settle(pilot)
        assert app.total == 2
        assert "kind plan" in screen_text(app)
        await pilot.press("f")
        assert app.focused.id == "dates"
        await pilot.press(*"2030", "enter")
        await settle(pilot)
        assert app.total == 1
        assert current_uid(app) == "mingpao-hangzhou-003"
        # Untoggle the facet: the date filter alone.
        facet.focus()
        await pilot.press("space")
        await settle(pilot)
        assert app.total == 1
        app.filters.query_one("#dates").value = "2020-2021"
        app.filters.apply()
        await settle(pilot)
        assert app.total == 240


async def test_year_keys_jump(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert app.timeline.record(app.timeline.cursor)["year"] == 2017
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert current_uid(app) == "filler-000"
        await pilot.press("j", "left_square_bracket")  # back to the start of this year first
        await settle(pilot)
        assert current_uid(app) == "filler-000"
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-002"
        assert app.density.year == 2018


async def test_density_strip_moves_the_timeline(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.density.focus()
        await pilot.press("l")
        await settle(pilot)
        assert app.timeline.record(app.timeline.cursor)["year"] == 2017
        await pilot.press("l", "l")  # 2019 has no events: skipped
        await settle(pilot)
        assert app.timeline.record(app.timeline.cursor)["year"] == 2020
        assert "▲2020" in screen_text(app)


async def test_reader_opens_source_and_escape_returns(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("j", "j")  # the merged 达摩院 event
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.document == "news/xinhua-hangzhou.txt"
        assert app.screen.current_mention["time_text"] == "2018年3月"
        text = screen_text(app)
        assert "阿里巴巴在杭州成立达摩院" in text
        assert "\x1b" not in text and "[bold red]x[/]" in text  # document text is data
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.current_mention["time_text"] == "去年"
        await pilot.press("N", "N")
        await settle(pilot)
        assert app.screen.current_mention["time_text"] == "2017年"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ReaderScreen)
        assert app.focused is app.timeline
        # The detail pane chooses the second source (the traditional article).
        app.detail.focus()
        await pilot.press("j", "o")
        await settle(pilot)
        assert isinstance(app.screen, ReaderScreen)
        assert app.screen.document == "news/mingpao-hangzhou.txt"
        assert "阿里巴巴在杭州成立達摩院" in screen_text(app)


async def test_export_writes_filtered_json(db, tmp_path):
    app = make_app(db)
    out = tmp_path / "out.json"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"杭州", "enter")
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)
        assert "search 杭州" in screen_text(app)
        app.screen.query_one("#export-path").value = str(out)
        await pilot.click("#export-ok")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
    data = json.loads(out.read_text())
    assert data["format"] == "hz-timeline/events"
    assert data["count"] == len(data["events"]) == app.total
    assert all(e["start"] <= e["end"] for e in data["events"])
    assert data["filters"] == {"query": "杭州"}


async def test_export_jsonl_and_cancel(db, tmp_path):
    app = make_app(db)
    out = tmp_path / "out.jsonl"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ExportScreen)
        await pilot.press("x")
        await settle(pilot)
        await pilot.click("#fmt-jsonl")
        path = app.screen.query_one("#export-path")
        assert path.value.endswith(".jsonl")  # the extension follows the format
        path.value = str(out)
        path.focus()
        await pilot.press("enter")  # Enter in the path field confirms
        await settle(pilot)
    lines = out.read_text().splitlines()
    assert len(lines) == 249
    assert json.loads(lines[0])["id"] == "mingpao-hangzhou-002"


async def test_help_lists_every_binding(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys").content
        from rich.console import Console

        console = Console(width=100, record=True, file=open("/dev/null", "w"))
        console.print(table)
        text = console.export_text()
        for b in [*app.BINDINGS, *type(app.timeline).BINDINGS, *type(app.detail).BINDINGS, *ReaderScreen.BINDINGS]:
            assert b.description in text, b.description
        assert "Command palette" in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_q_quits(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_q_types_in_search_instead_of_quitting(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", "q")
        await pilot.pause()
        assert app.is_running
        assert app.query_one("#query").value == "q"


async def test_tab_cycles_panes(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        seen = []
        for _ in range(4):
            await pilot.press("tab")
            seen.append(app.focused.id)
        assert seen == ["detail", "query", "density", "timeline"]
        await pilot.press("shift+tab")
        assert app.focused.id == "density"


async def test_markup_and_escapes_in_imported_text_are_literal(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.timeline.jump_to_year(2023)
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-005"
        text = screen_text(app)
        assert "标题 [bold red]x[/] 与 红色" in text  # title in the timeline and the detail pane
        assert "[b]实体[/b]" in text and "[i]tag[/i]" in text  # entity, tag (facet and detail)
        assert "\x1b" not in text and "[31m" not in text


async def test_command_palette_offers_actions(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"Export")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ExportScreen)


async def test_mouse_click_selects_a_row(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        # Row 0 is the 2016 heading, row 1 its event, row 2 the 2017 heading, row 3 the 2017 event.
        await pilot.click("#timeline", offset=(20, 3))
        await settle(pilot)
        assert current_uid(app) == "xinhua-hangzhou-001"


async def test_small_terminal_stays_usable(db):
    app = make_app(db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "杭州發布城市大腦計劃" in text
        assert not app.filters.display or app.filters.region.width == 0
        await pilot.press("slash")
        await settle(pilot)
        assert app.filters.region.width > 0 and app.focused.id == "query"
        await pilot.press(*"政策", "enter")
        await settle(pilot)
        assert app.total == 1 and app.filters.region.width == 0
        await pilot.resize_terminal(120, 40)
        await settle(pilot)
        assert app.filters.region.width > 0
        await pilot.resize_terminal(60, 15)
        await settle(pilot)
        assert "杭州宣布人工智能产业政策"[:6] in screen_text(app)


@pytest.mark.parametrize("typed, expected", [
    ("2014", ("2014-01-01", "2014-12-31")),
    ("2014-2018", ("2014-01-01", "2018-12-31")),
    ("2018-03", ("2018-03-01", "2018-03-31")),
    ("2025年2月", ("2025-02-01", "2025-02-28")),
    ("去年", ("2024-01-01", "2024-12-31")),
    ("not a date", None),
])
def test_date_box_reads_what_people_type(typed, expected):
    from datetime import date

    from hz_timeline.tui.filters import parse_range

    assert parse_range(typed, date(2025, 2, 6)) == expected


async def test_unreadable_date_is_flagged_and_ignored(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f", *"abc", "enter")
        await settle(pilot)
        assert app.query_one("#dates").has_class("-bad-date")
        assert "cannot read that date" in screen_text(app)
        assert app.total == 249


async def test_query_matches_are_highlighted_in_timeline_and_detail(db):
    from rich.style import Style

    from hz_timeline.tui.detail import MATCH_STYLE, describe

    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"達摩院", "enter")
        await settle(pilot)
        assert app.detail.query_text == "達摩院"
        body = describe(app.detail.event, 0, app.detail.query_text)
        marked = [t.plain[s.start:s.end] for t in body.renderables if hasattr(t, "spans")
                  for s in t.spans if str(s.style) == MATCH_STYLE]
        assert marked and set(marked) <= {"达摩院", "達摩院"}
        title = app.timeline.current["title"]
        segs = app.timeline._title_segments(title, Style())
        assert [s.text for s in segs if s.style != Style()] in (["达摩院"], ["達摩院"])


async def test_bad_query_syntax_is_explained_but_does_not_block(db):
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *'"達摩院')
        await settle(pilot)
        assert "unclosed quote" in screen_text(app)
        assert app.query_one("#query").has_class("-bad-date")
        assert app.total == 1  # the lenient reading still searches


async def test_held_key_loads_only_the_event_the_cursor_stops_on(db, monkeypatch):
    """A burst of j presses coalesces the detail reloads; the pane still ends on the right event."""
    from textual import events

    from hz_timeline.tui.detail import DetailPane

    loads: list[str] = []
    original = DetailPane._load

    def counting(self, uid):
        loads.append(uid)
        return original(self, uid)

    monkeypatch.setattr(DetailPane, "_load", counting)
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        loads.clear()
        # A held key: events arrive back to back (Pilot.press waits ~100 ms between keys).
        for _ in range(12):
            app._driver.send_message(events.Key("j", "j"))
        await pilot.pause(0)
        await settle(pilot)
        assert app.timeline.cursor == 12
        assert app.detail.event["uid"] == current_uid(app)
        assert loads[-1] == current_uid(app)
        assert len(loads) < 12  # not one store read per key press
        assert app.detail.event["title"].split()[0][:6] in app.detail.text.replace("\n", "")
        # After a pause the next move loads at once (no waiting on a timer).
        await pilot.pause(0.1)
        await pilot.press("k")
        assert not app.detail.pending
        await settle(pilot)
        assert app.detail.event["uid"] == current_uid(app)


async def test_detail_pane_wraps_and_scrolls_without_layout(db):
    """The detail pane is drawn from cached lines: its text follows the event, j/k move the chosen source."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("slash", *"達摩院", "enter")
        await settle(pilot)
        text = app.detail.text
        assert "Sources (2)" in text and "▶ [1]" in text
        assert app.detail.virtual_size.height == len(text.splitlines())
        app.detail.focus()
        await pilot.press("j")
        await settle(pilot)
        assert "▶ [2]" in app.detail.text and "▶ [1]" not in app.detail.text
        assert "▶ [2]" in screen_text(app)
        # Narrower terminal: the text is wrapped again at the new width.
        from rich.cells import cell_len

        wide, n_lines = app.detail.scrollable_content_region.width, len(app.detail.text.splitlines())
        assert max(cell_len(line) for line in app.detail.text.splitlines()) > 56
        await pilot.resize_terminal(60, 40)
        await settle(pilot)
        narrow = app.detail.scrollable_content_region.width
        assert narrow < wide
        assert max(cell_len(line) for line in app.detail.text.splitlines()) <= narrow
        assert len(app.detail.text.splitlines()) > n_lines
        assert app.detail.virtual_size.height == len(app.detail.text.splitlines())


async def test_timeline_line_cache_follows_cursor_focus_and_pages(db):
    """Cached timeline lines: the cursor mark moves, focus restyles the cursor line, no stale rows."""
    app = make_app(db)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tl = app.timeline

        def line(index):
            return tl.render_line(tl.shape.row_of(index) - int(tl.scroll_y))

        assert line(0).text.startswith("▌") and not line(1).text.startswith("▌")
        await pilot.press("j")
        await settle(pilot)
        assert not line(0).text.startswith("▌") and line(1).text.startswith("▌")
        assert "▌" in screen_text(app).splitlines()[tl.region.y + tl.shape.row_of(1) - int(tl.scroll_y)]
        focused = line(1)
        app.detail.focus()
        await settle(pilot)
        unfocused = line(1)
        assert focused.text == unfocused.text and list(focused) != list(unfocused)  # bold/brighter when focused
        tl.focus()
        await settle(pilot)
        assert list(line(1)) == list(focused)
        # Far away rows come from pages loaded later: shown once they arrive, never a stale "…".
        await pilot.press("G")
        await settle(pilot)
        assert "…" != line(tl.cursor).text.strip()
        assert tl.current["title"][:4] in line(tl.cursor).text


def test_fast_store_paths_give_the_same_answers(db):
    """The app's planned paths (years, page at any offset, contains) agree with the plain SQL."""
    from hz_timeline.store import Store
    from hz_timeline.store.queries import EVENT_COLS, Filter, where
    from hz_timeline.tui.queries_ext import contains

    def plain_years(s, f):
        w, p = where(f)
        return [tuple(r) for r in s.conn.execute(
            f"SELECT e.year, count(*) FROM events e{w} GROUP BY e.year ORDER BY e.year", p)]

    def plain_page(s, f, offset, limit):
        w, p = where(f)
        sql = f'SELECT {EVENT_COLS} FROM events e{w} ORDER BY e.start, e."end", e.uid LIMIT ? OFFSET ?'
        return [dict(r) for r in s.conn.execute(sql, [*p, limit, offset])]

    filters = [Filter(), Filter(date_from="2016-01-01", date_to="2018-12-31"), Filter(date_from="2018-01-01"),
               Filter(date_to="2017-06-30", within=True), Filter(query="杭州"), Filter(kinds=("past",)),
               Filter(query="杭州", date_from="2016-01-01", date_to="2030-12-31")]
    with Store(db, create=False, readonly=True) as s:
        uids = [r["uid"] for r in s.page(Filter(), 0, 1000)]
        for f in filters:
            assert s.years(f) == plain_years(s, f), f
            n = s.count(f)
            for offset in (0, 3, 150, max(0, n - 5)):
                assert s.page(f, offset, 100) == plain_page(s, f, offset, 100), (f, offset)
            inside = {r["uid"] for r in s.page(f, 0, 10_000)}
            for uid in uids[::7]:
                assert contains(s, f, uid) == (uid in inside), (f, uid)
        # A frequent term: shallow pages probe row by row, deep pages read the matches; same rows.
        s.__dict__["_probe_cache"] = {}
        s.PROBE_MIN, s.PROBE_COST = 1, 0
        f = Filter(query="杭州")
        assert s._probe(f)
        assert s.page(f, 7, 50) == plain_page(s, f, 7, 50)
        s.PROBE_OFFSET_MAX = 0
        assert s.page(f, 7, 50) == plain_page(s, f, 7, 50)
