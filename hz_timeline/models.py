"""The shared vocabulary: frozen dataclasses passed between importers, store, export and UI.

Dates are ISO calendar strings (``YYYY-MM-DD``) with an *inclusive* end; they are never turned
into timestamps or time zones. A year is ``2017-01-01..2017-12-31`` with precision ``year``.
Character offsets are code-point offsets into the document text exactly as decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PRECISIONS = ("day", "week", "month", "season", "quarter", "half", "year", "decade", "range")
RESOLUTIONS = ("explicit", "relative-to-pubdate", "relative-to-narrative", "unresolved")
KINDS = ("past", "plan", "forecast", "statistic")


@dataclass(frozen=True)
class DateSpan:
    """A resolved interval. ``start``/``end`` are None only when ``resolution == 'unresolved'``."""

    start: str | None
    end: str | None
    precision: str
    approx: bool = False
    resolution: str = "explicit"
    explanation: str = ""

    @property
    def resolved(self) -> bool:
        return self.start is not None and self.end is not None


@dataclass(frozen=True)
class TimeExpression:
    """One temporal expression found in a text: ``text == source[start_char:end_char]``."""

    text: str
    start_char: int
    end_char: int
    span: DateSpan


@dataclass(frozen=True)
class Document:
    """A decoded source document and what is known about it."""

    path: str
    text: str
    sha256: str
    title: str | None = None
    outlet: str | None = None
    url: str | None = None
    published: str | None = None  # "2025", "2025-02" or "2025-02-06": ISO at its precision
    published_precision: str | None = None  # day | month | year
    published_source: str = "none"  # given | metadata | dateline | inferred | none
    script: str = "simplified"  # simplified | traditional | mixed
    format: str = "text"


@dataclass(frozen=True)
class Entity:
    name: str  # canonical name
    type: str  # org | person | place | product | policy | other


@dataclass(frozen=True)
class Mention:
    """One dated (or undated) statement in one document."""

    document: str  # document path as given to import
    start_char: int
    end_char: int
    quote: str  # == document.text[start_char:end_char]
    time_text: str
    time_start_char: int
    time_end_char: int
    span: DateSpan


@dataclass(frozen=True)
class Event:
    """A real-world happening, backed by one or more mentions."""

    id: str
    start: str
    end: str
    precision: str
    title: str
    summary: str
    kind: str = "past"
    entities: tuple[Entity, ...] = ()
    tags: tuple[str, ...] = ()
    mentions: tuple[Mention, ...] = field(default=())
