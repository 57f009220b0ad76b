"""How an interval is written for people: at its precision, never more exact than it is."""

from __future__ import annotations

from datetime import date

_SEASON = {3: "spring", 6: "summer", 9: "autumn", 12: "winter"}


def when(start: str | None, end: str | None, precision: str | None, approx: bool = False) -> str:
    """'2017', '2018-03', '2025-02-13', '~2018 Q4', '2018 H2', '1990s', '2015–2020'."""
    if not start or not end:
        return "undated"
    p = precision or "day"
    sy, sm = int(start[:4]), int(start[5:7])
    if p == "day":
        s = start if start == end else f"{start}–{end[5:] if end[:4] == start[:4] else end}"
    elif p == "month":
        s = start[:7] if start[:7] == end[:7] else f"{start[:7]}–{end[:7]}"
    elif p == "quarter":
        s = f"{sy} Q{(sm - 1) // 3 + 1}"
    elif p == "half":
        s = f"{sy} H{1 if sm <= 6 else 2}"
    elif p == "season":
        s = f"{sy} {_SEASON.get(sm, 'season')}"
    elif p == "week":
        s = f"{start} wk"
    elif p == "year":
        s = start[:4] if start[:4] == end[:4] else f"{start[:4]}–{end[:4]}"
    elif p == "decade":
        s = f"{start[:3]}0s"
    else:  # range: as short as its alignment allows
        same_year = start[:4] == end[:4]
        if start[4:] == "-01-01" and end[4:] == "-12-31":
            s = start[:4] if same_year else f"{start[:4]}–{end[:4]}"
        elif start[8:] == "01" and _month_end(end):
            s = f"{start[:7]}–{end[5:7]}" if same_year else f"{start[:7]}–{end[:7]}"
        else:
            s = f"{start}–{end[5:]}" if same_year else f"{start}–{end}"
    return ("~" if approx else "") + s


def _month_end(iso: str) -> bool:
    return date.fromordinal(date.fromisoformat(iso).toordinal() + 1).day == 1
