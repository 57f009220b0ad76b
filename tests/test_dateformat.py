"""How intervals are written: at their precision, as short as their alignment allows."""

import pytest

from hz_timeline.dateformat import when


@pytest.mark.parametrize("start, end, precision, approx, shown", [
    ("2017-01-01", "2017-12-31", "year", False, "2017"),
    ("2018-03-01", "2018-03-31", "month", False, "2018-03"),
    ("2025-02-13", "2025-02-13", "day", False, "2025-02-13"),
    ("2018-10-01", "2018-12-31", "quarter", True, "~2018 Q4"),
    ("2018-07-01", "2018-12-31", "half", False, "2018 H2"),
    ("1990-01-01", "1999-12-31", "decade", False, "1990s"),
    ("2015-01-01", "2020-12-31", "range", False, "2015–2020"),
    ("2025-01-28", "2025-02-03", "range", False, "2025-01-28–02-03"),
    ("2025-02-01", "2025-03-31", "range", False, "2025-02–03"),
    ("2024-11-01", "2025-02-28", "range", False, "2024-11–2025-02"),
    ("2025-02-28", "2035-02-28", "range", False, "2025-02-28–2035-02-28"),
    (None, None, "day", False, "undated"),
])
def test_when(start, end, precision, approx, shown):
    assert when(start, end, precision, approx) == shown
