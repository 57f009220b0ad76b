"""Publication-date inference for a document text.

1. A *dateline* near the top: a full date, usually on a short line, often with a time ("2025-02-06 17:07"),
   a label ("发布时间：", "发表于", "日期：") or a source ("来源：新华网"), or opening the story wire-style
   ("新华社杭州2017年12月8日电 …", "本报讯").
2. Failing that, the text itself: the latest explicit date that the text reports as past (dates in plan or
   forecast clauses such as "将于…", "到2026年", "计划…" are ignored).  A year reported as a whole
   (statistics for "2024年") implies the text was written after that year; dates without a year
   (2月13日, 今年1月) are then placed in that publication year and may narrow it to a month.
"""

from __future__ import annotations

import datetime as _dt
import re

from .dates import find_dates

__all__ = ["infer_published"]

_D = "[0-9０-９]"
_DATELINE = re.compile(
    rf"(?<![0-9０-９])(?P<y>(?:19|20|１９|２０){_D}{{2}})\s*(?:[-/.年－])\s*(?P<m>{_D}{{1,2}})\s*(?:[-/.月－])\s*"
    rf"(?P<d>{_D}{{1,2}})(?![0-9０-９])\s*日?(?P<time>\s*{_D}{{1,2}}[:：]{_D}{{2}})?"
)
_LABEL = re.compile(r"(发布时间|發佈時間|发布日期|發布日期|發佈日期|发布于|發佈於|发表于|發表於|发表时间|發表時間|时间[:：]|時間[:：]|日期[:：]|"
                    r"来源|來源|编辑|編輯|作者|记者|記者|published|updated|date)", re.I)
_PUNCT = re.compile(r"[，。；;,.:：！？!?、]")
_WIRE_AFTER = re.compile(r"\s|$|[（(【\[—\-/|｜：:]")  # "…日电（记者 …）", "…日电 …"
_TOP_CHARS = 400
_TOP_LINES = 8
_FW = str.maketrans("０１２３４５６７８９", "0123456789")
_PLAN = re.compile(r"(将|將|计划|計劃|预计|預計|有望|力争|力爭|目标|目標|规划|規劃|拟|擬|争取|爭取|即将|即將|预测|預測|展望|前瞻)")
_CLAUSE_END = re.compile(r"[。！？!?；;，,\n]")
_BOOK = re.compile(r"《[^》\n]{0,80}》")
_STAT = re.compile(r"(全年|数据|數據|完成|实现|實現|同比|增长|增長|突破|排名|达到|達到|达|達|总量|總量|营收|營收|增加值|占比|佔比|占|佔)")


def _dateline(text: str) -> tuple[_dt.date, str, str] | None:
    head = text[:_TOP_CHARS]
    lines = head.split("\n")[:_TOP_LINES]
    offset = 0
    best = None
    for line in lines:
        for m in _DATELINE.finditer(line):
            try:
                d = _dt.date(int(m.group("y").translate(_FW)), int(m.group("m").translate(_FW)),
                             int(m.group("d").translate(_FW)))
            except ValueError:
                continue
            score = 0
            if m.group("time"):
                score += 2
            if _LABEL.search(line):
                score += 2
            if len(line.strip()) <= 60:
                score += 1
            # A wire-style dateline opening the story: "新华社杭州2月6日电", "本报北京2025年2月6日讯".
            if (m.start() <= 30 and line[m.end():m.end() + 1] in ("电", "電", "讯", "訊")
                    and not _PUNCT.search(line[:m.start()]) and _WIRE_AFTER.match(line, m.end() + 1)):
                score += 3
            if score >= 2 and (best is None or score > best[0]):
                best = (score, d)
        offset += len(line) + 1
    if best is not None:
        return best[1], "day", "dateline"
    return None


def _is_plan(text: str, start: int, end: int) -> bool:
    left = text.rfind("\n", 0, start)
    m = None
    for m in _CLAUSE_END.finditer(text, max(left + 1, start - 40), start):
        pass
    cstart = m.end() if m else max(left + 1, start - 40)
    m2 = _CLAUSE_END.search(text, end)
    cend = m2.start() if m2 else len(text)
    clause = text[cstart:cend]
    before = text[max(0, start - 3):start]
    if before.endswith(("到", "至", "于", "於")) and not before.endswith(("截至", "截止")):
        return True
    return bool(_PLAN.search(clause))


def _in_book_title(text: str, start: int) -> bool:
    lt = text.rfind("《", max(0, start - 80), start)
    if lt < 0:
        return False
    return text.find("》", lt, start) < 0


def infer_published(text: str) -> tuple[_dt.date, str, str] | None:
    """(date, precision 'day'|'month'|'year', how 'dateline'|'inferred') from a dateline near the top,
    failing that from the text itself (the latest explicit date that the text reports as past).
    None when nothing is found."""
    if not text:
        return None
    dl = _dateline(text)
    if dl is not None:
        return dl
    exprs = find_dates(text, None)
    best_end: _dt.date | None = None
    best_prec = "year"
    year_stat: int | None = None
    for e in exprs:
        s = e.span
        if s.resolution != "explicit" or s.start is None:
            continue
        if _is_plan(text, e.start_char, e.end_char) or _in_book_title(text, e.start_char):
            continue
        end = _dt.date.fromisoformat(s.end)
        start = _dt.date.fromisoformat(s.start)
        # what the expression proves: the text was written after (the start of) it
        if s.precision in ("decade",) or (end - start).days > 4000:
            continue
        if s.precision == "year" or (s.precision == "range" and (end - start).days > 100):
            key, prec = _dt.date(end.year, 1, 1), "year"
        else:
            key, prec = _dt.date(start.year, start.month, 1), "month"
        if best_end is None or key > best_end or (key == best_end and prec == "month"):
            best_end, best_prec = key, prec
        if s.precision == "year":
            clause_end = _CLAUSE_END.search(text, e.end_char + 1)
            clause = text[e.end_char:clause_end.start() if clause_end else len(text)]
            nxt = _CLAUSE_END.search(text, (clause_end.end() if clause_end else len(text)))
            clause2 = text[e.end_char:nxt.start() if nxt else len(text)]
            if _STAT.search(clause) or _STAT.search(clause2[:60]):
                year_stat = max(year_stat or 0, start.year)
    if best_end is None:
        return None
    pub_year = best_end.year
    prec = best_prec
    result = best_end
    if year_stat is not None and year_stat >= pub_year and prec == "year":
        # a whole year reported as done: written after it
        pub_year = year_stat + 1
        result, prec = _dt.date(pub_year, 1, 1), "year"
    # dates without a year, placed in the publication year, may narrow it down
    late = None
    for e in find_dates(text, _dt.date(pub_year, 12, 31)):
        s = e.span
        if s.resolution != "relative-to-pubdate" or s.start is None or s.precision not in ("day", "month", "range", "season"):
            continue
        if _is_plan(text, e.start_char, e.end_char):
            continue
        st = _dt.date.fromisoformat(s.start)
        en = _dt.date.fromisoformat(s.end)
        if st.year != pub_year or (en - st).days > 62 or en == _dt.date(pub_year, 12, 31):
            continue
        if late is None or en > late:
            late = en
    if late is not None and (prec == "year" and late.year == result.year or late > result):
        return _dt.date(late.year, late.month, 1), "month", "inferred"
    return result, prec, "inferred"
