"""Small messages the panes post up to the app; the app is the only place that coordinates panes.

Panes never reach into each other: they say what happened (a row was highlighted, the filter
changed) and the app decides who needs to know.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from ..store.queries import Filter


@dataclass
class EventHighlighted(Message):
    """The timeline cursor is on another event (uid None: the timeline is empty)."""

    uid: str | None
    index: int
    year: int | None


@dataclass
class TimelineLoaded(Message):
    """A filter's shape is known: how many events, and how many in each year."""

    total: int
    years: list[tuple[int, int]]


@dataclass
class OpenReader(Message):
    """Open a source document; ``document`` None means the highlighted event's chosen source."""

    document: str | None = None
    start_char: int = 0


@dataclass
class FiltersChanged(Message):
    """The filter pane's inputs add up to a new filter; ``chips`` describe it for people."""

    filter: Filter
    chips: list[str] = field(default_factory=list)


@dataclass
class YearChosen(Message):
    """Somebody (the density strip, a year key) wants the timeline at this year."""

    year: int


@dataclass
class FocusTimeline(Message):
    """A pane is done (Enter in search, Escape) and hands the keyboard back to the timeline."""
