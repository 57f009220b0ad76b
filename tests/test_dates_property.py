"""Property tests: find_dates never raises and always returns well-formed, ordered, non-overlapping spans."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hz_timeline.importers.dates import find_dates, parse_user_date

ALPHABET = ("0123456789０１２３４５６７８９〇零○一二三四五六七八九十百千两兩廿年月日号號周週星期"
            "今去前明后後同当當次翌上下本这這个個旬初中底末季度半春夏秋冬节節期间以来至到从-~/.:：，。、%"
            "亿万元第名GPTo 约左右前后截至世纪年代千禧连续近内\n")

texts = st.text(alphabet=ALPHABET, max_size=60) | st.text(max_size=40)
refs = st.none() | st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, ref=refs)
def test_find_dates_well_formed(text, ref):
    found = find_dates(text, ref)
    last_end = 0
    for e in found:
        assert 0 <= e.start_char < e.end_char <= len(text)
        assert text[e.start_char:e.end_char] == e.text
        assert e.start_char >= last_end, "overlapping or out of order"
        last_end = e.end_char
        s = e.span
        if s.resolution == "unresolved":
            assert s.start is None and s.end is None
        else:
            assert s.start is not None and s.end is not None
            assert dt.date.fromisoformat(s.start) <= dt.date.fromisoformat(s.end)


@settings(max_examples=200, deadline=None)
@given(s=st.text(alphabet=ALPHABET + "abcdefghijklmnopqrstuvwxyz", max_size=20))
def test_parse_user_date_never_raises(s):
    span = parse_user_date(s, dt.date(2025, 2, 6))
    if span is not None:
        assert span.start is not None and span.start <= span.end
