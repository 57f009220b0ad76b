"""The ``hz-timeline`` command: thin click commands, each one library call.

Domain errors (``HzError``) become one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys
from datetime import date
from pathlib import Path

import click
import orjson

from .dateformat import when
from .errors import HzError, UsageError

DEFAULT_DB = "events.db"


def _db_path(db: str | None) -> Path:
    return Path(db or os.environ.get("HZ_TIMELINE_DB") or DEFAULT_DB)


def _open(db: str | None, create: bool = False):
    from .store import Store

    return Store(_db_path(db), create=create)


def _range(value: str | None, end: bool) -> str | None:
    """A user's date (2014, 2014-03, 2025年2月13日, 去年...) as the start or end of its interval."""
    if not value:
        return None
    from .importers.dates import parse_user_date

    span = parse_user_date(value, date.today())
    if span is None or not span.resolved:
        raise UsageError(f"{value!r} is not a date (try 2014, 2014-03, 2014-03-05, 2014年3月 or 2014..2018)")
    return span.end if end else span.start


class _Group(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except HzError as e:
            click.echo(f"hz-timeline: {e}", err=True)
            ctx.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("hz-timeline: interrupted", err=True)
            ctx.exit(130)


db_option = click.option("--db", "db", type=click.Path(dir_okay=False), default=None, envvar="HZ_TIMELINE_DB",
                         help="Database file (default: $HZ_TIMELINE_DB, else ./events.db).")


@click.group(cls=_Group, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@db_option
@click.version_option(package_name="hz-timeline")
@click.pass_context
def main(ctx: click.Context, db: str | None) -> None:
    """Turn Chinese news articles into a timeline you can explore from the keyboard.

    With no command, opens the timeline app on the database (building it from the bundled
    sample corpus first if it does not exist yet).
    """
    ctx.ensure_object(dict)
    ctx.obj["db"] = db
    if ctx.invoked_subcommand is None:
        path = _db_path(db)
        if not path.exists():
            from .store import Store
            from .store.importing import build_sample

            click.echo(f"{path} does not exist: building it from the bundled sample corpus…", err=True)
            with Store(path) as store:
                report = build_sample(store)
            click.echo(report.summary(), err=True)
        from .tui.app import make_app

        make_app(path).run()


def _ctx_db(db: str | None) -> str | None:
    ctx = click.get_current_context()
    return db or (ctx.obj or {}).get("db")


class _ImportBar:
    """A rich progress bar on stderr for imports that take over a second (only on a terminal)."""

    def __init__(self) -> None:
        import time

        self.clock = time.monotonic
        self.t0 = self.clock()
        self.bar = None
        self.task = None

    def __call__(self, p) -> None:
        if self.bar is None:
            if self.clock() - self.t0 < 1.0:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn("importing"), BarColumn(), TaskProgressColumn(),
                                TextColumn("{task.fields[counts]}"), TimeRemainingColumn(),
                                console=Console(stderr=True), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("import", total=max(1, p.bytes_total), counts="")
        rate = p.documents / max(1e-6, self.clock() - self.t0)
        self.bar.update(self.task, completed=p.bytes_done,
                        counts=f"{p.files_done}/{p.files_total} files, {p.documents} docs ({rate:.0f}/s), "
                               f"{p.events} new events, {p.skipped} unchanged")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _size(ctx, param, value):
    from .importers.readers import parse_size

    try:
        return parse_size(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


@main.command("import")
@click.argument("paths", nargs=-1, required=True)
@db_option
@click.option("--published", help="Publication date of the documents (2025-02-06, 2025-02, 2025).")
@click.option("--outlet", help="Outlet name to record for the documents.")
@click.option("--format", "fmt", default="auto", show_default=True,
              type=click.Choice(["auto", "text", "markdown", "html", "jsonl", "news-jsonl", "news-json", "events",
                                 "events-json", "events-jsonl", "events-csv"]),
              help="Read every file as this format instead of choosing by extension and content.")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=KEY",
              help="Read FIELD from another key of JSONL/CSV records, e.g. --map text=body --map published=pubtime.")
@click.option("--skip-bad", is_flag=True, help="Import the good records of a JSONL/CSV file and report the bad lines.")
@click.option("--max-size", default="50MB", show_default=True, callback=_size,
              help="Refuse files larger than this (50MB, 2GB; 0 = no limit).")
@click.option("--jobs", "-j", type=click.IntRange(0), default=1, show_default=True,
              help="Worker processes that read and extract in parallel (0 = one per CPU).")
@click.option("--merge", is_flag=True,
              help="Merge structured events into similar stored events one by one (slow) instead of by id in bulk.")
@click.option("--chunk-size", type=click.IntRange(1), default=10_000, hidden=True)
@click.option("--sample", is_flag=True, hidden=True)
def import_cmd(paths, db, published, outlet, fmt, mapping, skip_bad, max_size, jobs, merge, chunk_size, sample):
    """Import files or folders: text, Markdown, HTML, JSONL news dumps, structured events.

    Structured events (our JSON export, JSONL, CSV) keep their dates as given. Encodings:
    UTF-8, UTF-16, GB18030/GBK, Big5. Each document is its own transaction, so an interrupted
    import can simply be run again. Re-importing an unchanged file changes nothing; a changed
    file replaces its old mentions. Files that cannot be read are reported and skipped; the
    exit code is 1 if any failed. See docs/import.md.
    """
    from .importers.readers import parse_map
    from .store.importing import ImportOptions, import_paths

    try:
        pairs = parse_map(mapping)
    except ValueError as e:
        raise UsageError(str(e)) from None
    opts = ImportOptions(format=fmt, mapping=pairs, max_bytes=max_size, skip_bad=skip_bad,
                         jobs=jobs or (os.cpu_count() or 1), merge=merge, chunk_size=chunk_size)
    bar = _ImportBar() if sys.stderr.isatty() else None
    try:
        with _open(_ctx_db(db), create=True) as store:
            report = import_paths(store, paths, published=published, outlet=outlet, progress=bar, options=opts)
    finally:
        if bar:
            bar.close()
    for err in report.errors:
        click.echo(f"hz-timeline: {err}", err=True)
    for msg in report.bad[:20]:
        click.echo(f"hz-timeline: skipped {msg}", err=True)
    if len(report.bad) > 20:
        click.echo(f"hz-timeline: … and {len(report.bad) - 20} more bad record(s) skipped", err=True)
    click.echo(report.summary())
    if report.errors:
        sys.exit(1)


@main.command()
@db_option
def sample(db):
    """Import the bundled sample corpus (five articles on why Hangzhou) into the database."""
    from .store.importing import build_sample

    with _open(_ctx_db(db), create=True) as store:
        click.echo(build_sample(store).summary())


@main.command()
@click.argument("document")
@db_option
def remove(document, db):
    """Remove DOCUMENT (its path as imported) and its mentions; drop events left without a source."""
    with _open(_ctx_db(db)) as store:
        n = store.remove_document(document)
    click.echo(f"removed {document} and {n} mention(s)")


@main.command()
@db_option
def optimize(db):
    """Compact the search index into one segment (searches get faster; results do not change).

    Imports that write many events do this by themselves; run it after many small ones.
    """
    with _open(_ctx_db(db)) as store:
        seconds = store.optimize_index()
    click.echo(f"search index compacted in {seconds:.1f} s")


def _filter(from_, to, query, within=False, *, range_=None, entities=(), tags=(), sources=(), kinds=()):
    from .store import Filter

    if range_ and (from_ or to):
        raise UsageError("give either --range or --from/--to, not both")
    date_from = _range(range_ or from_, end=False)
    date_to = _range(range_ or to, end=True)
    if date_from and date_to and date_from > date_to:
        raise UsageError(f"the range is empty: {date_from} is after {date_to}")
    if query:
        from .store.querylang import check

        problem = check(query)
        if problem:
            raise UsageError(f"query {query!r}: {problem}")
    return Filter(date_from=date_from, date_to=date_to, query=query or None, within=within,
                  entities=tuple(entities), tags=tuple(tags), sources=tuple(sources), kinds=tuple(kinds))


@main.command()
@click.argument("query")
@db_option
@click.option("--from", "from_", help="Earliest date (2014, 2014-03, 2025年2月, 去年...).")
@click.option("--to", help="Latest date.")
@click.option("--order", type=click.Choice(["date", "relevance"]), default="date", show_default=True,
              help="Date order, or best text matches first (bm25).")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the events as JSON (export records).")
def search(query, db, from_, to, order, limit, as_json):
    """Events matching QUERY, in date order. Chinese of any length, either script.

    \b
    Words side by side must all match; OR between them matches either;
    -word excludes; "an exact phrase"; fields entity: tag: kind: source:
    precision:; dates 2014..2018, from:2017, to:2025-02, year:2017.
    Example: hz-timeline search 'unitree tag:robotics 2017..2019'
    """
    from .export import event_record
    from .store.querylang import parse
    from .text import one_line

    parse(query)  # bad syntax: a UsageError saying what is wrong (the store reads it leniently)
    f = _filter(from_, to, query)
    with _open(_ctx_db(db)) as store:
        rows = store.page(f, 0, limit, order=order)
        total = store.count(f)
        if as_json:
            events = [event_record(store.event(r["uid"])) for r in rows]
            click.echo(orjson.dumps({"count": total, "events": events}, option=orjson.OPT_INDENT_2).decode())
            return
    for r in rows:
        mark = "!" if r["disputed"] else " "
        click.echo(f"{when(r['start'], r['end'], r['precision'], bool(r['approx'])):<12} {r['kind']:<9} "
                   f"{r['n_sources']}src{mark} {one_line(r['title'])}  [{r['uid']}]")
    click.echo(f"{len(rows)} of {total} event(s)", err=True)


@main.command()
@db_option
@click.option("--from", "from_", help="Earliest date (2014, 2014-03, 2014年3月, 2025年2月13日, 去年, last year...).")
@click.option("--to", help="Latest date (its whole span: --to 2018 means up to 2018-12-31).")
@click.option("--range", "range_", metavar="RANGE", help="Both ends at once: 2014, 2014年3月, 2014..2018, 去年.")
@click.option("--within", is_flag=True, help="Only events fully inside the range (default: overlapping it).")
@click.option("--query", "-q", help="Only events matching this search.")
@click.option("--entity", "entities", multiple=True, help="Only events naming this entity (repeatable: all required).")
@click.option("--tag", "tags", multiple=True, help="Only events with this tag (repeatable: all required).")
@click.option("--source", "sources", multiple=True, help="Only events from this document path (repeatable: any).")
@click.option("--kind", "kinds", multiple=True, help="Only events of this kind (repeatable: any).")
@click.option("--format", "-f", "fmt", type=click.Choice(("json", "jsonl", "csv", "md", "ics", "timelinejs", "html")), default=None,
              help="json, jsonl, csv, md, ics, timelinejs or html (default: from the -o suffix, else json).")
@click.option("-o", "--output", default="-", show_default=True, help="File to write, or - for standard output.")
@click.option("--bom", is_flag=True, help="CSV: start with a byte-order mark so Excel reads UTF-8.")
@click.option("--title", help="Title of the md/ics/timelinejs/html timeline.")
def export(db, from_, to, range_, within, query, entities, tags, sources, kinds, fmt, output, bom, title):
    """Export the events whose interval overlaps a date range (atomic: no partial files).

    \b
    hz-timeline export --range 2014..2018 -o events.json
    hz-timeline export --from 2014年3月 --to 去年 --within -f csv --bom -o events.csv
    hz-timeline export --tag funding -o timeline.html
    """
    from .export import OutputClosed, describe_range, format_for_path
    from .export import export as run_export

    f = _filter(from_, to, query, within, range_=range_, entities=entities, tags=tags, sources=sources, kinds=kinds)
    fmt = fmt or format_for_path(output) or "json"
    if f.date_from or f.date_to:
        click.echo(f"range: {describe_range(f)}", err=True)
    with _open(_ctx_db(db)) as store:
        try:
            n = run_export(store, f, fmt, output, bom=bom, title=title)
        except OutputClosed:  # `| head`: the reader has what it wanted; no traceback, no noise
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            sys.exit(141)
    if output != "-":
        click.echo(f"wrote {n} event(s) to {output} ({fmt})", err=True)


@main.command()
@click.argument("text", required=False)
@click.option("--ref", help="Reference (publication) date for relative expressions, YYYY-MM-DD.")
@click.option("--jsonl", "as_jsonl", is_flag=True,
              help='Read lines {"text": ..., "ref": "YYYY-MM-DD"} from stdin, write one {"dates": [...]} per line.')
def dates(text, ref, as_jsonl):
    """Show the temporal expressions in TEXT (or stdin) and how each resolves."""
    from .importers.dates import find_dates
    from .text import one_line

    if as_jsonl:
        bad = 0
        for lineno, line in enumerate(sys.stdin, 1):
            try:
                obj = orjson.loads(line)
                if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                    raise ValueError('expected {"text": "...", "ref": "YYYY-MM-DD"}')
                r = _ref(obj.get("ref") or ref)
                out = {"dates": [_date_record(e) for e in find_dates(obj["text"], r)]}
            except (ValueError, orjson.JSONDecodeError, UsageError) as e:
                bad += 1
                out = {"dates": [], "error": f"line {lineno}: {e}"}
            sys.stdout.write(orjson.dumps(out).decode() + "\n")
        if bad:
            click.echo(f"hz-timeline: {bad} line(s) could not be read", err=True)
            sys.exit(1)
        return
    if text is None:
        text = sys.stdin.read()
    exprs = find_dates(text, _ref(ref))
    for e in exprs:
        s = e.span
        click.echo(f"{e.start_char:>5}-{e.end_char:<5} {_pad(one_line(e.text), 12)} {when(s.start, s.end, s.precision, s.approx):<14} "
                   f"{s.resolution:<22} {one_line(s.explanation)}")
    if not exprs:
        click.echo("no dates found", err=True)


def _pad(text: str, width: int) -> str:
    """Pad to a width in terminal cells (CJK characters take two)."""
    from rich.cells import cell_len, set_cell_size

    return set_cell_size(text, width) if cell_len(text) > width else text + " " * (width - cell_len(text))


def _ref(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--ref {value!r} is not a YYYY-MM-DD date") from None


def _date_record(e) -> dict:
    s = e.span
    return {"text": e.text, "start_char": e.start_char, "end_char": e.end_char, "start": s.start, "end": s.end,
            "precision": s.precision, "approx": s.approx, "resolution": s.resolution, "explanation": s.explanation}


@main.command()
@db_option
def documents(db):
    """List the imported documents with their publication dates and mention counts."""
    with _open(_ctx_db(db)) as store:
        for d in store.documents():
            pub = f"{d['published'] or '?'} ({d['published_source']})"
            click.echo(f"{d['path']}  {pub:<22} {d['mentions']:>4} mentions  {d['title'] or ''}")
