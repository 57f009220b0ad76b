"""Chinese temporal expressions: find them in running text and resolve them to ``DateSpan`` intervals.

Design (for speed and predictability):

* One big compiled regular expression (``_MAIN``) finds every candidate in a single C-level pass.
  Its top-level alternatives are, in priority order: ISO dates, decades, centuries, named eras,
  numeric offsets (五年前, 3个月后, 近三年), calendar phrases (年/月/日/周/festival/part/qualifier
  sequences) and vague words (近日, 目前).
* Only the matches are looked at in Python: a handful of characters around each one are inspected
  to reject numbers that are not dates (fractions, decimals, money, counts, ordinals, URLs, model
  names), then the phrase is split into components by a second anchored regex and resolved.
* Resolution walks the matches in order, keeping the last resolved expression as the *narrative
  anchor* for words such as 同年, 次年, 当天, 四年后.  Words relative to the publication date (今年,
  去年, 五年前, 上周三) use ``ref`` and stay unresolved without it: today is never used.
* Adjacent phrases joined by 至/到/-/~ become one range; the right side inherits the year/month of
  the left (1月10日至12日).

General calendar knowledge (lunar festival dates 1949-2050, festival names, eras) lives in
``data/festivals.json`` and ``data/eras.json``.  Nothing here knows about particular articles.
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import json
import re
from pathlib import Path

from ..models import DateSpan, TimeExpression

__all__ = ["find_dates", "parse_user_date"]

_DATA = Path(__file__).with_name("data")

# ----------------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------------

with open(_DATA / "festivals.json", encoding="utf-8") as _f:
    _FEST_TABLE: dict[str, dict[str, str]] = json.load(_f)["years"]
with open(_DATA / "eras.json", encoding="utf-8") as _f:
    _ERAS_DATA = json.load(_f)

_FESTIVALS: dict[str, dict] = {}  # surface name -> spec
_FEST_NEEDS_SUFFIX: set[str] = set()
for _key, _spec in _ERAS_DATA["festivals"].items():
    for _name in _spec["names"]:
        _FESTIVALS[_name] = dict(_spec, key=_key)
        if _spec.get("needs_suffix"):
            _FEST_NEEDS_SUFFIX.add(_name)
_ERAS: dict[str, dict] = _ERAS_DATA["eras"]

# ----------------------------------------------------------------------------------------------
# numbers
# ----------------------------------------------------------------------------------------------

_FW = str.maketrans("０１２３４５６７８９", "0123456789")
_CN_DIGIT = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000, "万": 10000, "萬": 10000}


def _num(s: str) -> int | None:
    """ASCII, full-width or Chinese numeral -> int ('二〇一八' digit-wise, '二十三' positional)."""
    s = s.translate(_FW)
    if s.isdigit():
        return int(s)
    if s in ("廿",):
        return 20
    if s.startswith("廿"):
        r = _num(s[1:])
        return None if r is None else 20 + r
    if s.startswith("卅"):
        r = _num(s[1:]) if len(s) > 1 else 0
        return None if r is None else 30 + r
    if s and all(c in _CN_DIGIT for c in s):
        if len(s) == 1:
            return _CN_DIGIT[s]
        return int("".join(str(_CN_DIGIT[c]) for c in s))
    total, cur = 0, 0
    for c in s:
        if c in _CN_DIGIT:
            cur = _CN_DIGIT[c]
        elif c in _CN_UNIT:
            u = _CN_UNIT[c]
            total += (cur or 1) * u
            cur = 0
        else:
            return None
    return total + cur


# ----------------------------------------------------------------------------------------------
# the regular expressions
# ----------------------------------------------------------------------------------------------


def _alt(words) -> str:
    return "(?:" + "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) + ")"


_D = "[0-9０-９]"
_CJK = "\u3400-\u9fff\uf900-\ufaff"
_CONN_IN = "[-~～〜—–－至到]"
_YNUM = f"(?:{_D}{{4}}|[〇零○Ｏ一二三四五六七八九]{{4}})"
_MNUM = f"(?:{_D}{{1,2}}|十[一二]|[一二三四五六七八九十])"
_DNUM = f"(?:{_D}{{1,2}}|[二三]?十[一二三四五六七八九]?|廿[一二三四五六七八九]?|卅一?|[一二三四五六七八九])"

# year words: word -> (kind, offset); kind 'pub' = relative to the publication date, 'narr' = to the story
_YEAR_WORDS = {
    "今年": ("pub", 0), "本年": ("pub", 0), "去年": ("pub", -1), "前年": ("pub", -2), "大前年": ("pub", -3),
    "明年": ("pub", 1), "后年": ("pub", 2), "後年": ("pub", 2), "大后年": ("pub", 3), "大後年": ("pub", 3),
    "今年度": ("pub", 0), "去年度": ("pub", -1), "上一年": ("pub", -1), "下一年": ("pub", 1),
    "同年": ("narr", 0), "同一年": ("narr", 0), "当年": ("narr", 0), "當年": ("narr", 0), "该年": ("narr", 0),
    "該年": ("narr", 0), "是年": ("narr", 0), "那年": ("narr", 0), "那一年": ("narr", 0), "这一年": ("narr", 0),
    "這一年": ("narr", 0), "次年": ("narr", 1), "翌年": ("narr", 1), "第二年": ("narr", 1), "隔年": ("narr", 1),
    "前一年": ("narr", -1), "后一年": ("narr", 1), "後一年": ("narr", 1), "转年": ("narr", 1), "轉年": ("narr", 1),
}
_MONTH_WORDS = {
    "本月": ("pub", 0), "这个月": ("pub", 0), "這個月": ("pub", 0), "上月": ("pub", -1), "上个月": ("pub", -1),
    "上個月": ("pub", -1), "下月": ("pub", 1), "下个月": ("pub", 1), "下個月": ("pub", 1),
    "上上个月": ("pub", -2), "上上個月": ("pub", -2),
    "当月": ("narr", 0), "當月": ("narr", 0), "同月": ("narr", 0), "该月": ("narr", 0), "該月": ("narr", 0),
    "次月": ("narr", 1), "翌月": ("narr", 1), "前一个月": ("narr", -1), "前一個月": ("narr", -1),
}
_DAY_WORDS = {
    "今天": ("pub", 0), "今日": ("pub", 0), "昨天": ("pub", -1), "昨日": ("pub", -1), "前天": ("pub", -2),
    "大前天": ("pub", -3), "明天": ("pub", 1), "明日": ("pub", 1), "后天": ("pub", 2), "後天": ("pub", 2),
    "大后天": ("pub", 3), "大後天": ("pub", 3), "今晨": ("pub", 0), "昨晚": ("pub", -1), "今晚": ("pub", 0),
    "昨夜": ("pub", -1), "当天": ("narr", 0), "當天": ("narr", 0), "当日": ("narr", 0), "當日": ("narr", 0),
    "同日": ("narr", 0), "同一天": ("narr", 0), "当晚": ("narr", 0), "當晚": ("narr", 0), "次日": ("narr", 1),
    "翌日": ("narr", 1), "第二天": ("narr", 1), "隔天": ("narr", 1), "隔日": ("narr", 1), "前一天": ("narr", -1),
    "前一日": ("narr", -1), "后一天": ("narr", 1), "後一天": ("narr", 1),
}
_VAGUE = {
    "前不久": "day", "不久前": "day", "近日": "day", "日前": "day", "近期": "range", "最近": "range",
    "近来": "range", "近來": "range", "近年来": "year", "近年來": "year", "近年": "year", "近些年": "year",
    "这些年": "year", "這些年": "year", "如今": "day", "目前": "day", "当前": "day", "當前": "day",
    "眼下": "day", "当下": "day", "當下": "day", "现如今": "day", "現如今": "day", "此前": "range",
    "当时": "range", "當時": "range", "那时候": "range", "那時候": "range", "那时": "range", "那時": "range",
    "彼时": "range", "彼時": "range", "早年": "year", "近几年": "year", "近幾年": "year", "近两年": "year",
    "近兩年": "year", "这几年": "year", "這幾年": "year", "前些年": "year", "前几年": "year", "前幾年": "year",
    "前些日子": "day", "前段时间": "range", "前段時間": "range", "日后": "range", "日後": "range",
    "未来几年": "year", "未來幾年": "year",
}

_DAY_ONLY = re.compile(_alt([w for w, (k, _) in _DAY_WORDS.items() if k == "pub"])
                       + "|(?:上上|下下|上个|上個|下个|下個|这个|這個|上|下|本|这|這)(?:周|週|星期|礼拜|禮拜)[一二三四五六日天末1-7]?")
_YWORD_RE = _alt(_YEAR_WORDS) + "(?![龄齡级級纪紀轻輕])"
_MWORD_RE = _alt(_MONTH_WORDS)
_DWORD_RE = _alt(_DAY_WORDS)
_YTOK = f"(?:{_YNUM}(?:{_CONN_IN}{_YNUM})?年|{_YWORD_RE})"
_MTOK = f"(?:{_MNUM}(?:{_CONN_IN}{_MNUM})?月份?|{_MWORD_RE})"
_DTOK = f"(?:{_DNUM}(?:{_CONN_IN}{_DNUM})?[日号號]|{_DWORD_RE})"
_WDAY = "(?:[（(]?(?:周|週|星期|礼拜|禮拜)[一二三四五六日天1-7１-７][）)]?)"
_WEEK = "(?:(?:上上|下下|上个|上個|下个|下個|这个|這個|上|下|本|这|這)(?:周|週|星期|礼拜|禮拜)(?:[一二三四五六日天末1-7]|)|(?:周|週)末)"
_MID = f"中(?:(?![{_CJK}])|(?=[的期时時前后後以左]))"
_INIT = "初(?![步创創级級中心衷次稿审審赛賽选選版见見识識恋戀始代])"
_MPART = f"(?:月?(?:中下旬|上中旬|上旬|中旬|下旬|{_INIT}|底|末|{_MID}))"
_SEASON = f"(?:[春夏秋冬](?:季|天)|[春夏秋冬](?![{_CJK}]))"
_YPART = (f"(?:年?(?:{_INIT}|底|末|中期|初期|末期|{_MID})|上半年|下半年|前半年|后半年|後半年|"
          f"第?[一二三四1-4１-４]季度|[Qq][1-4]|开年|開年|开春|開春|全年|{_SEASON})")
_QUARTER_WORDS = {"本季度": 0, "这个季度": 0, "這個季度": 0, "上季度": -1, "上个季度": -1, "上個季度": -1,
                  "上一季度": -1, "下季度": 1, "下个季度": 1, "下個季度": 1, "下一季度": 1, "上上个季度": -2,
                  "上上個季度": -2, "下下个季度": 2, "下下個季度": 2}
_BAREPART = (f"(?:{_alt(_QUARTER_WORDS)}|上半年|下半年|第?[一二三四1-4１-４]季度|[Qq][1-4](?![0-9A-Za-z])|年初|年底|年末|年中"
             f"(?:(?![{_CJK}])|(?=[的期时時前后後以左]))|开年|開年|开春|開春)")
_SEASONWORD = "(?:[今去明][春夏秋冬](?:季|天)?|(?:这个|這個)(?:春天|夏天|秋天|冬天|春季|夏季|秋季|冬季))"
_FSUF_WORDS = ["期间", "期間", "前后", "前後", "前夕", "以来", "以來", "当天", "當天", "当日", "當日", "假期",
               "长假", "長假", "小长假", "小長假", "黄金周", "黃金周", "黃金週", "节后", "節後", "节前", "節前",
               "过后", "過後", "之后", "之後", "之前", "前", "后", "後", "当晚", "當晚", "晚上", "夜"]
_FSUF = _alt(_FSUF_WORDS)
_FEST_PLAIN = [n for n in _FESTIVALS if n not in _FEST_NEEDS_SUFFIX and n not in ("清明",)]
_FEST = (f"(?:{_alt(_FEST_PLAIN)}|清明(?=[假期前后後当當小时時节節]|(?![{_CJK}]))|"
         f"{_alt(_FEST_NEEDS_SUFFIX)}(?={_alt(['假期', '长假', '長假', '小长假', '小長假', '黄金周', '黃金周', '黃金週', '期间', '期間'])}))")
_SUF = "(?:前后|前後|左右|以来|以來|至今)"

_DATE = (f"(?:{_YTOK}(?:{_MTOK}(?:{_DTOK}{_WDAY}?|{_MPART})?|{_FEST}{_FSUF}?|{_YPART})?"
         f"|{_MTOK}(?:{_DTOK}{_WDAY}?|{_MPART})?|{_DTOK}{_WDAY}?|{_WEEK}|{_FEST}{_FSUF}?|{_SEASONWORD}|{_BAREPART}){_SUF}?")
_COMP = re.compile(
    f"(?P<y>{_YTOK})?(?P<m>{_MTOK})?(?P<d>{_DTOK})?(?P<wd>{_WDAY})?(?P<part>{_MPART}|{_YPART}|{_alt(_QUARTER_WORDS)})?"
    f"(?P<fest>{_FEST})?(?P<fsuf>{_FSUF})?(?P<week>{_WEEK})?(?P<sw>{_SEASONWORD})?(?P<suf>{_SUF})?"
)

_ISO = "[0-9]{4}(?P<isep>[-/.])(?:1[0-2]|0?[1-9])(?P=isep)(?:3[01]|[12][0-9]|0?[1-9])(?![0-9])|[0-9]{4}[-/](?:1[0-2]|0[1-9])(?![0-9./-])"
_DECADE = (f"(?:(?:上|本|20|二十|21|二十一)世[纪紀])?(?:{_D}{{4}}|{_D}{{2}}|[一二三四五六七八九]十|[〇零])年代"
           "(?:初期|中期|末期|后期|後期|前期|初|中|末)?")
_CENTURY = (f"(?:{_D}{{2}}|二十一|二十|十九|十八|上|本)世[纪紀](?!之交)"
            "(?:初期|中期|末期|上半叶|上半葉|下半叶|下半葉|中叶|中葉|初|末)?")
_ERA = _alt(_ERAS)
_OFFNUM = f"(?:{_D}{{1,3}}|[零〇一二三四五六七八九十两兩百]{{1,4}}|半|几|幾|数|數|多|若干)(?:多|余|餘|几|幾)?"
_OFFUNIT = "(?:年|个月|個月|个多月|個多月|个半月|個半月|周|週|个星期|個星期|星期|个礼拜|個禮拜|礼拜|禮拜|天|日)"
_OFFDIR = "(?:以前|之前|前|以后|以後|之后|之後|后|後|以来|以來|来(?![到自看说說])|來(?![到自看说說])|之内|之內|以内|以內|内|內)"
_OFFPRE = "(?:过去|過去|最近|近|这|這|未来|未來|今后|今後|接下来|接下來)"
_OFFSET = (f"(?:{_OFFPRE}{_OFFNUM}{_OFFUNIT}半?{_OFFDIR}?|{_OFFNUM}{_OFFUNIT}半?{_OFFDIR}"
           f"|(?:连续|連續){_OFFNUM}{_OFFUNIT})")
_VAGUE_RE = _alt(_VAGUE)

_MAIN_BODY = (
    f"(?P<iso>{_ISO})|(?P<decade>{_DECADE})|(?P<century>{_CENTURY})|(?P<era>{_ERA})|(?P<offset>{_OFFSET})"
    f"|(?P<date>{_DATE})|(?P<vague>{_VAGUE_RE})"
)


def _prefilter_classes() -> tuple[str, str]:
    """Every match is at least two characters long; its first two characters come from these two sets.

    A cheap ``(?=[first][second])`` lookahead in front of the big alternation lets the regex engine
    reject almost every position of ordinary text after two set look-ups instead of trying hundreds
    of alternatives (tests/test_dates.py checks that the filter never changes the result).
    """
    words = [*_YEAR_WORDS, *_MONTH_WORDS, *_DAY_WORDS, *_VAGUE, *_FESTIVALS, *_ERAS,
             "周末", "週末", "上半年", "下半年", "前半年", "后半年", "後半年", "年初", "年底", "年末", "年中",
             "开年", "開年", "开春", "開春", "过去", "過去", "最近", "未来", "未來", "今后", "今後", "接下来",
             "接下來", "连续", "連續", "上世纪", "上世紀", "本世纪", "本世紀", "这个", "這個", "第一", "第二",
             "第三", "第四", "第1", "第2", "第3", "第4", "Q1", "Q2", "Q3", "Q4", "q1", "q2", "q3", "q4",
             "若干", *_QUARTER_WORDS]
    for p in ("上上", "下下", "上个", "上個", "下个", "下個", "上", "下", "本", "这", "這", "同", "当", "當"):
        for w in ("周", "週", "星期", "礼拜", "禮拜"):
            words.append(p + w)
    for p in "今去明":
        for w in "春夏秋冬":
            words.append(p + w)
    first = {w[0] for w in words}
    second = {w[1] for w in words if len(w) > 1}
    digits = "0123456789０１２３４５６７８９"
    cjk_num = "〇零○Ｏ一二三四五六七八九十两兩百廿卅"
    after_num = "年月日号號个個多余餘几幾天周週星礼禮季世-/.~～〜—–－至到半"
    first |= set(digits) | set(cjk_num) | set("半几幾数數多近这這")
    second |= set(digits) | set(cjk_num) | set(after_num)
    esc = lambda cs: "".join(re.escape(c) for c in sorted(cs))  # noqa: E731
    return esc(first), esc(second)


_PF_FIRST, _PF_SECOND = _prefilter_classes()
_MAIN = re.compile(f"(?=[{_PF_FIRST}][{_PF_SECOND}])(?:{_MAIN_BODY})")
_MAIN_UNFILTERED = re.compile(_MAIN_BODY)
_OFF_PARSE = re.compile(
    f"(?P<pre>{_OFFPRE}|连续|連續)?(?P<num>{_D}{{1,3}}|[零〇一二三四五六七八九十两兩百]{{1,4}}|半|几|幾|数|數|多|若干)"
    f"(?P<more>多|余|餘|几|幾)?(?P<unit>{_OFFUNIT})(?P<half>半)?(?P<dir>.*)$"
)
_CONNECTOR = re.compile(r"\s*(?:[-~～〜—–－]|至|到|—{2})\s*\Z")
_SENT_END = re.compile(r"[。！？!?；;\n]")

_ASCII_BEFORE = set("0123456789０１２３４５６７８９ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz./_-%#@=&?+\\")
_DIGITS = set("0123456789０１２３４５６７８９")
_CN_NUM_CHARS = set("〇零○一二三四五六七八九十两兩百千万萬")
_NUM_CHARS = _DIGITS | _CN_NUM_CHARS
_AFTER_NUMBER_REJECT = set("0123456789０１２３４５６７８９%％‰")
_DURATION_AFTER_YEAR = ("多", "余", "餘", "之久", "历史", "歷史", "的历史", "的歷史", "光阴", "光陰", "时间", "時間")
_FUTURE_BEFORE = ("将于", "將於", "定于", "定於", "拟于", "擬於", "计划于", "計劃於", "预计于", "預計於", "将在", "將在", "即将", "即將", "将", "將")
_FUTURE_AFTER = ("将", "將", "起将", "起將", "拟", "擬", "即将", "即將")

# ----------------------------------------------------------------------------------------------
# calendar helpers
# ----------------------------------------------------------------------------------------------

_date = _dt.date


def _mend(y: int, m: int) -> int:
    return calendar.monthrange(y, m)[1]


def _add_months(y: int, m: int, n: int) -> tuple[int, int]:
    k = y * 12 + (m - 1) + n
    return k // 12, k % 12 + 1


def _shift(d: _dt.date, unit: str, n: int | float) -> _dt.date:
    if unit == "day":
        return d + _dt.timedelta(days=round(n))
    if unit == "week":
        return d + _dt.timedelta(days=round(7 * n))
    months = round(n * 12) if unit == "year" else round(n)
    y, m = _add_months(d.year, d.month, months)
    return _date(y, m, min(d.day, _mend(y, m)))


def _ok_year(y: int) -> bool:
    return 1 <= y <= 9999


def _ymd_ok(y: int, m: int, d: int) -> bool:
    return _ok_year(y) and 1 <= m <= 12 and 1 <= d <= _mend(y, m)


def _year_span(y):
    return _date(y, 1, 1), _date(y, 12, 31)


def _month_span(y, m):
    return _date(y, m, 1), _date(y, m, _mend(y, m))


def _label(s: _dt.date, e: _dt.date, precision: str) -> str:
    if precision == "year" and s.month == 1 and s.day == 1 and e == _date(s.year, 12, 31):
        return str(s.year)
    if precision == "month" and s.day == 1 and s.year == e.year and s.month == e.month:
        return f"{s.year:04d}-{s.month:02d}"
    if s == e:
        return s.isoformat()
    return f"{s.isoformat()}..{e.isoformat()}"


class _Span:
    """Mutable working span; turned into a DateSpan at the end."""

    __slots__ = ("start", "end", "precision", "approx", "resolution", "why")

    def __init__(self, start, end, precision, resolution="explicit", approx=False, why=""):
        self.start, self.end, self.precision = start, end, precision
        self.resolution, self.approx, self.why = resolution, approx, why

    def to_datespan(self, text: str) -> DateSpan:
        if self.start is None or self.end is None or self.resolution == "unresolved":
            return DateSpan(None, None, self.precision, self.approx, "unresolved", f"{text} → unresolved: {self.why}")
        s, e = self.start, self.end
        if e < s:
            s, e = e, s
        return DateSpan(s.isoformat(), e.isoformat(), self.precision, self.approx, self.resolution,
                        f"{text} → {_label(s, e, self.precision)}{', ' + self.why if self.why else ''}")


def _unresolved(precision: str, why: str, approx=False) -> _Span:
    return _Span(None, None, precision, "unresolved", approx, why)


class _Ctx:
    __slots__ = ("ref", "anchor", "anchor_text", "anchor_pos", "anchor_end", "text", "inherit", "ref_label")

    def __init__(self, text: str, ref: _dt.date | None):
        self.text, self.ref = text, ref
        self.anchor: _Span | None = None
        self.anchor_text = ""
        self.anchor_pos = -1
        self.anchor_end = -1
        self.inherit: _Span | None = None  # left side of a range being built
        self.ref_label = ref.isoformat() if ref else ""  # the publication date as far as it is known

    def refwhy(self) -> str:
        return f"publication date {self.ref_label}"

    def anchorwhy(self) -> str:
        return f"narrative anchor {self.anchor_text} at char {self.anchor_pos}"

    def anchor_year(self) -> int | None:
        a = self.anchor
        if a is None:
            return None
        if a.precision == "range" or a.precision == "decade":
            return a.end.year
        return a.start.year

    def near_anchor(self, pos: int) -> bool:
        """The anchor ends in the same sentence, shortly before pos."""
        if self.anchor is None or self.anchor_end < 0 or pos - self.anchor_end > 60:
            return False
        return not _SENT_END.search(self.text, self.anchor_end, pos)


# ----------------------------------------------------------------------------------------------
# resolution of the different kinds
# ----------------------------------------------------------------------------------------------


def _fest_day(key: str, spec: dict, y: int) -> _dt.date | None:
    day = spec["day"]
    if len(day) == 5 and day[2] == "-":
        return _date(y, int(day[:2]), int(day[3:]))
    row = _FEST_TABLE.get(str(y))
    if row is None:
        return None
    return _dt.date.fromisoformat(row[day])


def _fest_span(name: str, y: int, fsuf: str | None, ref: _dt.date | None):
    """(start, end, precision, approx, open_since) for festival name in year y."""
    spec = _FESTIVALS[name]
    day = _fest_day(spec["key"], spec, y)
    if day is None:
        return None
    off, length = spec["period"]
    p_start = day + _dt.timedelta(days=off)
    p_end = p_start + _dt.timedelta(days=length - 1)
    suf = fsuf or ""
    if name in _FEST_NEEDS_SUFFIX or suf in ("期间", "期間", "假期", "长假", "長假", "小长假", "小長假", "黄金周", "黃金周", "黃金週"):
        if length == 1:
            return day, day, "day", False, False
        return p_start, p_end, "range", spec["key"] not in ("chunjie", "guoqing", "shiyi"), False
    if suf in ("前后", "前後"):
        return day - _dt.timedelta(days=7), day + _dt.timedelta(days=7), "range", True, False
    if suf in ("前夕",):
        return day - _dt.timedelta(days=3), day - _dt.timedelta(days=1), "range", True, False
    if suf in ("前", "之前", "节前", "節前"):
        return p_start - _dt.timedelta(days=30), p_start - _dt.timedelta(days=1), "range", True, False
    if suf in ("后", "後", "之后", "之後", "过后", "過後", "节后", "節後"):
        return p_end + _dt.timedelta(days=1), p_end + _dt.timedelta(days=30), "range", True, False
    if suf in ("以来", "以來"):
        return day, day, "day", False, True
    return day, day, "day", False, False


def _fest_year_pref(name: str, ref: _dt.date, fsuf: str | None) -> int:
    """Year of the most recent occurrence on or before ref (news prefer the past)."""
    y = ref.year
    r = _fest_span(name, y, fsuf, ref)
    if r is not None and r[0] > ref:
        return y - 1
    return y


def _part_span(part: str, y: int):
    """Year part -> (start, end, precision)."""
    p = part.lstrip("年") if part not in ("年初", "年底", "年末", "年中") else part[1:]
    if p in ("初", "开年", "開年", "初期"):
        return _date(y, 1, 1), _date(y, 2, _mend(y, 2)), "season"
    if p in ("中", "中期"):
        return _date(y, 6, 1), _date(y, 7, 31), "season"
    if p in ("底", "末", "末期"):
        return _date(y, 11, 1), _date(y, 12, 31), "season"
    if p in ("开春", "開春"):
        return _date(y, 2, 1), _date(y, 3, 31), "season"
    if p == "全年":
        return _date(y, 1, 1), _date(y, 12, 31), "year"
    if p in ("上半年", "前半年"):
        return _date(y, 1, 1), _date(y, 6, 30), "half"
    if p in ("下半年", "后半年", "後半年"):
        return _date(y, 7, 1), _date(y, 12, 31), "half"
    if "季度" in p or p[:1] in "Qq":
        q = _num(p.lstrip("第Qq").replace("季度", ""))
        if not q or q > 4:
            return None
        m1 = 3 * (q - 1) + 1
        return _date(y, m1, 1), _date(y, m1 + 2, _mend(y, m1 + 2)), "quarter"
    s = p[:1]
    if s == "春":
        return _date(y, 3, 1), _date(y, 5, 31), "season"
    if s == "夏":
        return _date(y, 6, 1), _date(y, 8, 31), "season"
    if s == "秋":
        return _date(y, 9, 1), _date(y, 11, 30), "season"
    if s == "冬":
        return _date(y, 12, 1), _date(y + 1, 2, _mend(y + 1, 2)), "season"
    return None


def _mpart_span(part: str, y: int, m: int):
    last = _mend(y, m)
    if part in ("初", "上旬"):
        return _date(y, m, 1), _date(y, m, 10)
    if part in ("中", "中旬"):
        return _date(y, m, 11), _date(y, m, 20)
    if part in ("底", "末", "下旬"):
        return _date(y, m, 21), _date(y, m, last)
    if part == "中下旬":
        return _date(y, m, 11), _date(y, m, last)
    if part == "上中旬":
        return _date(y, m, 1), _date(y, m, 20)
    return None


@functools.lru_cache(maxsize=1024)  # a pure function of a short token; the same ones recur
def _split_range(tok: str, unit: str):
    """'2015-2020年' -> (2015, 2020); '10日' -> (10, None)."""
    body = tok.rstrip(unit + "份号號日")
    for c in "-~～〜—–－至到":
        if c in body:
            a, b = body.split(c, 1)
            return _num(a), _num(b)
    return _num(body), None


_COMP_GROUPS = ("y", "m", "d", "wd", "part", "fest", "fsuf", "week", "sw", "suf")


@functools.lru_cache(maxsize=4096)  # a pure function of a short phrase; the same ones recur
def _components(t: str) -> tuple | None:
    """A date phrase split by ``_COMP``: its groups in the order of ``_COMP_GROUPS``, or None."""
    m = _COMP.fullmatch(t)
    return None if m is None else m.group(*_COMP_GROUPS)


def _resolve_date(comp: tuple, ctx: _Ctx, pos: int, text: str) -> _Span | None:
    ref = ctx.ref
    y_tok, m_tok, d_tok, wd, part, fest, fsuf, week, sw, suf = comp
    if fsuf and not fest:
        suf, fsuf = fsuf, None
    res = "explicit"
    why = ""
    approx = False
    year = year2 = None
    inherit = ctx.inherit

    # ---- week words (上周三, 本周, 周末)
    if week:
        if ref is None:
            return _unresolved("week", "needs the publication date")
        w = week
        off = 0
        if w.startswith("上上"):
            off = -2
        elif w.startswith("下下"):
            off = 2
        elif w[0] == "上":
            off = -1
        elif w[0] == "下":
            off = 1
        monday = ref - _dt.timedelta(days=ref.weekday()) + _dt.timedelta(days=7 * off)
        last = w[-1]
        if last in "一二三四五六日天1234567":
            idx = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}.get(last)
            if idx is None:
                idx = int(last) - 1
            d = monday + _dt.timedelta(days=idx)
            return _Span(d, d, "day", "relative-to-pubdate", False, ctx.refwhy())
        if last == "末":
            if w in ("周末", "週末"):
                # bare weekend: the one just before (or containing) ref
                sat = ref - _dt.timedelta(days=(ref.weekday() - 5) % 7)
                return _Span(sat, sat + _dt.timedelta(days=1), "range", "relative-to-pubdate", False, ctx.refwhy())
            return _Span(monday + _dt.timedelta(days=5), monday + _dt.timedelta(days=6), "range",
                         "relative-to-pubdate", False, ctx.refwhy())
        return _Span(monday, monday + _dt.timedelta(days=6), "week", "relative-to-pubdate", False, ctx.refwhy())

    # ---- season words (今春, 去冬)
    if sw:
        if ref is None:
            return _unresolved("season", "needs the publication date")
        y0 = ref.year + {"今": 0, "去": -1, "明": 1}.get(sw[0], 0)
        seas = sw[-2] if sw[-1] in "天季" else sw[-1]
        s, e, p = _part_span(seas, y0)
        return _Span(s, e, p, "relative-to-pubdate", False, ctx.refwhy())

    # ---- year
    if y_tok:
        if y_tok in _YEAR_WORDS:
            kind, off = _YEAR_WORDS[y_tok]
            if kind == "pub":
                if ref is None:
                    return _unresolved("year", "needs the publication date")
                year, res, why = ref.year + off, "relative-to-pubdate", ctx.refwhy()
            else:
                ay = ctx.anchor_year()
                if ay is None:
                    return _unresolved("year", "no preceding date in the text to anchor to")
                year, res, why = ay + off, "relative-to-narrative", ctx.anchorwhy()
        else:
            year, year2 = _split_range(y_tok, "年")
            if year is None or not (1000 <= year <= 2199) or (year2 is not None and not (year <= year2 <= 2199)):
                return None

    # ---- month
    month = month2 = None
    if m_tok:
        if m_tok in _MONTH_WORDS:
            kind, off = _MONTH_WORDS[m_tok]
            if kind == "pub":
                if ref is None:
                    return _unresolved("month", "needs the publication date")
                yy, month = _add_months(ref.year, ref.month, off)
                if year is None:
                    year = yy
                res, why = "relative-to-pubdate", ctx.refwhy()
            else:
                a = ctx.anchor
                if a is None or a.precision not in ("day", "week", "month"):
                    return _unresolved("month", "no preceding month in the text to anchor to")
                year, month = _add_months(a.start.year, a.start.month, off)
                res, why = "relative-to-narrative", ctx.anchorwhy()
        else:
            month, month2 = _split_range(m_tok, "月")
            if month is None or not (1 <= month <= 12) or (month2 is not None and not (month <= month2 <= 12)):
                return None

    # ---- day
    day = day2 = None
    if d_tok:
        if d_tok in _DAY_WORDS:
            kind, off = _DAY_WORDS[d_tok]
            if kind == "pub":
                if ref is None:
                    return _unresolved("day", "needs the publication date")
                d = ref + _dt.timedelta(days=off)
                return _Span(d, d, "day", "relative-to-pubdate", False, ctx.refwhy())
            a = ctx.anchor
            if a is None or a.precision != "day":
                return _unresolved("day", "no preceding day in the text to anchor to")
            d = a.start + _dt.timedelta(days=off)
            return _Span(d, d, "day", "relative-to-narrative", False, ctx.anchorwhy())
        day, day2 = _split_range(d_tok, "日")
        if day is None or not (1 <= day <= 31) or (day2 is not None and not (day <= day2 <= 31)):
            return None

    # ---- partial dates take the year (and month) from context
    if part in _QUARTER_WORDS and not y_tok:
        if ref is None:
            return _unresolved("quarter", "needs the publication date")
        qy, qm = _add_months(ref.year, 3 * ((ref.month - 1) // 3) + 1, 3 * _QUARTER_WORDS[part])
        return _Span(_date(qy, qm, 1), _date(qy, qm + 2, _mend(qy, qm + 2)), "quarter", "relative-to-pubdate", False,
                     ctx.refwhy())
    if year is None and part and month is None and day is None and not fest:
        if ctx.near_anchor(pos) and ctx.anchor_year() is not None:
            year, res, why = ctx.anchor_year(), "relative-to-narrative", ctx.anchorwhy()
        elif ref is not None:
            year, res, why = ref.year, "relative-to-pubdate", ctx.refwhy()
        elif ctx.anchor_year() is not None:
            year, res, why = ctx.anchor_year(), "relative-to-narrative", ctx.anchorwhy()
        else:
            return _unresolved("season", "no year: needs the publication date or a preceding date")
    if year is None and (month is not None or day is not None or fest):
        if inherit is not None:
            year = inherit.end.year
            if month is None and day is not None:
                month = inherit.end.month
            res, why = inherit_res(ctx), "range start"
        elif ctx.near_anchor(pos) and ctx.anchor_year() is not None and (
                month is not None or fest or ctx.anchor.precision in ("day", "month", "week")):
            a = ctx.anchor
            year = ctx.anchor_year()
            if month is None and not fest:
                month = a.start.month
            res, why = "relative-to-narrative", ctx.anchorwhy()
        elif ref is not None:
            res, why = "relative-to-pubdate", ctx.refwhy()
            future = _looks_future(ctx.text, pos, pos + len(text))
            if fest:
                year = _fest_year_pref(fest, ref, fsuf) if not future else ref.year
            elif month is not None:
                year = ref.year
                probe = _date(year, month, min(day or 1, _mend(year, month)))
                if future:
                    if probe < ref.replace(day=1) - _dt.timedelta(days=1):
                        year += 1
                elif probe > ref:
                    year -= 1
            else:
                year, month = ref.year, ref.month
                if future:
                    if day < ref.day:
                        year, month = _add_months(year, month, 1)
                elif day > ref.day:
                    year, month = _add_months(year, month, -1)
        elif ctx.anchor_year() is not None:
            a = ctx.anchor
            year = ctx.anchor_year()
            if month is None and not fest:
                if a.precision not in ("day", "month", "week"):
                    return _unresolved("day", "no month to anchor to")
                month = a.start.month
            res, why = "relative-to-narrative", ctx.anchorwhy()
        else:
            prec = "day" if day is not None or fest else "month"
            return _unresolved(prec, "no year: needs the publication date or a preceding date")

    if year is None:
        return None

    # ---- build the span
    if fest:
        r = _fest_span(fest, year, fsuf, ref)
        if r is None:
            return _unresolved("day", f"no calendar data for {year}")
        s, e, prec, ap, open_since = r
        approx = approx or ap
        sp = _Span(s, e, prec, res, approx, why)
        if open_since:
            return _open_since(sp, ctx)
    elif day is not None:
        if month is None:
            return None
        if not _ymd_ok(year, month, day) or (day2 is not None and not _ymd_ok(year, month, day2)):
            return None
        if day2 is not None:
            sp = _Span(_date(year, month, day), _date(year, month, day2), "range", res, False, why)
        else:
            sp = _Span(_date(year, month, day), _date(year, month, day), "day", res, False, why)
    elif month is not None:
        if part:
            r = _mpart_span(part.lstrip("月"), year, month)
            if r is None:
                return None
            sp = _Span(r[0], r[1], "range", res, False, why)
        elif month2 is not None:
            sp = _Span(_date(year, month, 1), _date(year, month2, _mend(year, month2)), "range", res, False, why)
        else:
            s, e = _month_span(year, month)
            sp = _Span(s, e, "month", res, False, why)
    else:
        if part:
            r = _part_span(part, year)
            if r is None:
                return None
            sp = _Span(r[0], r[1], r[2], res, False, why)
        elif year2 is not None:
            sp = _Span(_date(year, 1, 1), _date(year2, 12, 31), "range", res, False, why)
        else:
            s, e = _year_span(year)
            sp = _Span(s, e, "year", res, False, why)

    if suf:
        if suf in ("前后", "前後", "左右"):
            sp.approx = True
        elif suf in ("以来", "以來", "至今"):
            return _open_since(sp, ctx)
    return sp


def inherit_res(ctx: _Ctx) -> str:
    return ctx.inherit.resolution if ctx.inherit is not None else "explicit"


def _open_since(sp: _Span, ctx: _Ctx) -> _Span:
    """X以来 / X至今: from X to the publication date."""
    if ctx.ref is None:
        r = _Span(sp.start, sp.end, "range", sp.resolution, sp.approx,
                  (sp.why + "; " if sp.why else "") + "open range, end unknown without a publication date")
    else:
        end = max(ctx.ref, sp.start)
        r = _Span(sp.start, end, "range", sp.resolution, sp.approx,
                  (sp.why + "; " if sp.why else "") + f"open range up to publication date {ctx.ref.isoformat()}")
    return r


def _looks_future(text: str, s: int, e: int) -> bool:
    before = text[max(0, s - 4):s]
    after = text[e:e + 3]
    return any(before.endswith(w) for w in _FUTURE_BEFORE) or any(after.startswith(w) for w in _FUTURE_AFTER)


_UNIT_NAME = {"年": "year", "个月": "month", "個月": "month", "个多月": "month", "個多月": "month",
              "个半月": "month", "個半月": "month", "周": "week", "週": "week", "个星期": "week",
              "個星期": "week", "星期": "week", "个礼拜": "week", "個禮拜": "week", "礼拜": "week",
              "禮拜": "week", "天": "day", "日": "day"}


def _span_for_unit(d: _dt.date, unit: str):
    if unit == "year":
        return _year_span(d.year) + ("year",)
    if unit == "month":
        return _month_span(d.year, d.month) + ("month",)
    if unit == "week":
        mon = d - _dt.timedelta(days=d.weekday())
        return mon, mon + _dt.timedelta(days=6), "week"
    return d, d, "day"


_FINER = {"day": 0, "week": 1, "month": 2, "season": 3, "quarter": 3, "half": 4, "year": 5, "decade": 6, "range": 7}


def _resolve_offset(t: str, ctx: _Ctx) -> _Span | None:
    m = _OFF_PARSE.match(t)
    if not m:
        return None
    pre, num_s, more, unit_s, half, dirw = m.group("pre", "num", "more", "unit", "half", "dir")
    unit = _UNIT_NAME[unit_s]
    approx = bool(more) or "多" in unit_s
    if num_s in ("几", "幾", "数", "數", "多", "若干") or more in ("几", "幾"):
        n = None
    elif num_s == "半":
        n = 0.5
    else:
        n = _num(num_s)
        if n is None:
            return None
    if half or "半" in unit_s:
        n = None if n is None else n + 0.5
    if n is not None and unit == "year" and n > 500:
        return None
    if n is not None and n != int(n):
        # half units: express in the next smaller unit
        if unit == "year":
            n, unit = round(n * 12), "month"
        elif unit == "month":
            n, unit, approx = round(n * 30), "day", True
        else:
            n = int(n)
    dirw = dirw or ""
    ref = ctx.ref
    if pre in ("连续", "連續"):
        prec = "range"
        if n is None:
            return None
        n = int(n)
        a = ctx.anchor
        if a is not None:
            ay = ctx.anchor_year()
            if unit == "year":
                if ref is not None and a.start.year + n - 1 > ref.year:
                    s, e = _date(ay - n + 1, 1, 1), _date(ay, 12, 31)
                else:
                    s, e = _date(a.start.year, 1, 1), _date(a.start.year + n - 1, 12, 31)
            else:
                s = a.start
                e = _shift(s, unit, n) - _dt.timedelta(days=1)
            return _Span(s, e, prec, "relative-to-narrative", True, ctx.anchorwhy() + ", duration from the anchor")
        return _unresolved("range", "duration without a preceding date")
    if n is None:
        prec = unit if unit != "week" else "week"
        return _unresolved(prec, "indefinite number")
    n_int = n
    past_pre = pre in ("过去", "過去", "最近", "近", "这", "這")
    future_pre = pre in ("未来", "未來", "今后", "今後", "接下来", "接下來")
    if past_pre or dirw in ("来", "來", "以来", "以來"):
        if ref is None:
            return _unresolved("range", "needs the publication date")
        return _Span(_shift(ref, unit, -n_int), ref, "range", "relative-to-pubdate", approx,
                     f"{n_int} {unit}(s) up to publication date {ref.isoformat()}")
    if future_pre:
        base, res, why = _base_for(ctx, prefer="pub")
        if base is None:
            return _unresolved("range", why)
        return _Span(base.start, _shift(base.start, unit, n_int), "range", res, approx, why)
    if dirw in ("内", "內", "之内", "之內", "以内", "以內"):
        base, res, why = _base_for(ctx, prefer="narr")
        if base is None:
            return _unresolved("range", why)
        s = base.start
        return _Span(s, _shift(s, unit, n_int) - _dt.timedelta(days=1), "range", res, approx, why)
    if dirw in ("前", "以前", "之前"):
        sign, prefer = -1, "pub"
    elif dirw:
        sign, prefer = 1, "narr"
    else:
        return None
    base, res, why = _base_for(ctx, prefer=prefer)
    if base is None:
        return _unresolved(unit, why)
    bprec = base.precision
    if res == "relative-to-pubdate" or _FINER.get(bprec, 7) <= _FINER[unit] or unit == "year":
        d = _shift(base.start, unit, sign * n_int)
        s, e, prec = _span_for_unit(d, unit)
        if unit == "year" and res == "relative-to-narrative":
            s, e, prec = _year_span(ctx.anchor_year() + sign * n_int) + ("year",)
        return _Span(s, e, prec, res, approx, why)
    # finer unit than the anchor: shift the whole anchor interval
    return _Span(_shift(base.start, unit, sign * n_int), _shift(base.end, unit, sign * n_int), "range", res, True, why)


def _base_for(ctx: _Ctx, prefer: str):
    """The base span for an offset: the narrative anchor or the publication date."""
    ref = ctx.ref
    pub = (_Span(ref, ref, "day", "relative-to-pubdate"), "relative-to-pubdate", ctx.refwhy()) if ref else None
    narr = (ctx.anchor, "relative-to-narrative", ctx.anchorwhy()) if ctx.anchor is not None else None
    order = (narr, pub) if prefer == "narr" else (pub,)
    for o in order:
        if o is not None:
            return o
    return None, None, "needs the publication date or a preceding date"


def _resolve_decade(t: str, ctx: _Ctx) -> _Span | None:
    m = re.match(r"(?:(上|本|20|二十|21|二十一)世[纪紀])?(.+?)年代(.*)$", t)
    if not m:
        return None
    cent, num_s, part = m.groups()
    n = _num(num_s)
    if n is None:
        return None
    res, why = "explicit", ""
    if n >= 1000:
        if n % 10:
            return None
        start = n
    else:
        if n % 10 or n >= 100:
            return None
        if cent in ("上", "20", "二十"):
            start = 1900 + n
        elif cent in ("本", "21", "二十一"):
            start = 2000 + n
        else:
            cur = ctx.ref.year if ctx.ref else 2000
            start = 2000 + n if 2000 + n <= cur else 1900 + n
            why = "century assumed"
    s, e = _date(start, 1, 1), _date(start + 9, 12, 31)
    if part:
        if part.startswith("初") or part == "前期":
            return _Span(s, _date(start + 3, 12, 31), "range", res, True, why)
        if part.startswith("中"):
            return _Span(_date(start + 3, 1, 1), _date(start + 6, 12, 31), "range", res, True, why)
        return _Span(_date(start + 6, 1, 1), e, "range", res, True, why)
    return _Span(s, e, "decade", res, False, why)


def _resolve_century(t: str, ctx: _Ctx) -> _Span | None:
    m = re.match(r"(.+?)世[纪紀](.*)$", t)
    if not m:
        return None
    c_s, part = m.groups()
    if c_s == "上":
        c = 20
    elif c_s == "本":
        c = 21
    else:
        c = _num(c_s)
    if c is None or not (1 <= c <= 30):
        return None
    y0 = (c - 1) * 100 + 1
    s, e = _date(y0, 1, 1), _date(y0 + 99, 12, 31)
    if part:
        if part.startswith("初"):
            return _Span(s, _date(y0 + 9, 12, 31), "range", "explicit", True, "")
        if part.startswith("末") or part.startswith("下半"):
            if part.startswith("下半"):
                return _Span(_date(y0 + 50, 1, 1), e, "range", "explicit", False, "")
            return _Span(_date(y0 + 89, 1, 1), e, "range", "explicit", True, "")
        if part.startswith("上半"):
            return _Span(s, _date(y0 + 49, 12, 31), "range", "explicit", False, "")
        return _Span(_date(y0 + 39, 1, 1), _date(y0 + 59, 12, 31), "range", "explicit", True, "")
    return _Span(s, e, "range", "explicit", False, "")


def _resolve_iso(t: str) -> _Span | None:
    parts = re.split(r"[-/.]", t)
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        return None
    if len(nums) == 3:
        y, m, d = nums
        if not (1000 <= y <= 2199) or not _ymd_ok(y, m, d):
            return None
        dd = _date(y, m, d)
        return _Span(dd, dd, "day")
    y, m = nums
    if not (1000 <= y <= 2199) or not 1 <= m <= 12:
        return None
    s, e = _month_span(y, m)
    return _Span(s, e, "month")


# ----------------------------------------------------------------------------------------------
# rejection of numbers that are not dates
# ----------------------------------------------------------------------------------------------


def _reject(kind: str, t: str, text: str, s: int, e: int) -> bool:
    prev = text[s - 1] if s > 0 else "\n"
    nxt = text[e] if e < len(text) else "\n"
    first = t[0]
    if first in _DIGITS:
        if prev in _ASCII_BEFORE or prev == "第":
            return True
        if prev in "¥$￥€£":
            return True
    elif first in _CN_NUM_CHARS:
        if prev in _CN_NUM_CHARS or prev == "第":
            return True
    last = t[-1]
    if last in _DIGITS:
        if nxt and (nxt in _ASCII_BEFORE or nxt in "万萬亿億元%％"):
            return True
    if kind == "date":
        return _reject_date(t, text, s, e, prev, nxt)
    if kind == "offset":
        if prev in "第每":
            return True
        if t.endswith(("内", "內")) and nxt in "容部地外陆陸需涵存":
            return True
        if t[:1] in ("这", "這") and t[-1:] not in "来來前后後内內":
            return True
    if kind == "vague":
        if t == "日前" and prev and (prev in "生节節假作末每平当當数數几幾昨今明周週" or prev in _CN_NUM_CHARS or prev in _DIGITS):
            return True
        if t in ("当时", "當時", "那时", "那時") and nxt in "间間候代":
            return False
        if t in ("日后", "日後") and prev and prev not in "，,。；;、 \n（(“\"":
            return True
    return False


_IDIOM_AFTER = ("怀胎", "懷胎")
_PERIODIC_BEFORE = ("每年的", "每月的", "每年", "每月", "每个月", "每個月", "每周", "每週", "每逢", "逐年", "历年", "歷年", "往年", "每届", "每屆")
_PERIODIC_LAST = frozenset(w[-1] for w in _PERIODIC_BEFORE)
_DAY_MARK = re.compile("[日号號]")


def _reject_date(t: str, text: str, s: int, e: int, prev: str, nxt: str) -> bool:
    # A periodic word (每年…) would end with prev; few characters end one, so most phrases skip the look.
    if prev in _PERIODIC_LAST and s > 0 and text[max(0, s - 3):s].endswith(_PERIODIC_BEFORE):
        return True
    # bare day / bare month made only of one number: be careful
    if t[-1] in "日号號" and len(t) <= 3 and t[0] in _NUM_CHARS and "月" not in t:
        # bare "13日": digits only, not "一日" (one day), not a count or a product
        if t[0] in _CN_NUM_CHARS:
            return True
        if t[-1] in "号號":
            return True
        if prev in "每个個第前后後近数數几幾" or text.startswith(("均", "内", "內", "游", "遊", "元", "以上", "以下", "线", "線"), e):
            return True
    if "月" in t and t[0] in _NUM_CHARS and "年" not in t and not _DAY_MARK.search(t):
        # bare month
        if prev in "个個每几幾数數这這那半两兩第多上下近前后後头頭":
            return True
        if t[0] in _CN_NUM_CHARS and (text.startswith(("之内", "之內", "内", "內", "多", "余", "餘", "一次", "有余"), e)):
            return True
    if "年" in t[:6] and t[0] in _NUM_CHARS:
        i = t.index("年")
        if text.startswith(_DURATION_AFTER_YEAR, s + i + 1) and i + 1 == len(t.rstrip("前后後左右")):
            return True
        if prev in "近逾约約" and text.startswith(("来", "來", "的"), s + i + 1):
            return True
    if t in ("五一", "十一"):
        return True
    if text.startswith(_IDIOM_AFTER, e):
        return True
    return False


# ----------------------------------------------------------------------------------------------
# public API
# ----------------------------------------------------------------------------------------------

_PREFIX_ASOF = ("截至到", "截止到", "截至", "截止")
_PREFIX_APPROX = ("大约在", "大约是", "大約在", "大概在", "大约", "大約", "大概", "约在", "約在", "约", "約")
# The prefixes by their last character, in their order: a prefix ends just before the phrase.
_ASOF_BY_LAST = {c: tuple(p for p in _PREFIX_ASOF if p[-1] == c) for c in {p[-1] for p in _PREFIX_ASOF}}
_APPROX_BY_LAST = {c: tuple(p for p in _PREFIX_APPROX if p[-1] == c) for c in {p[-1] for p in _PREFIX_APPROX}}


def find_dates(text: str, ref: _dt.date | None = None, ref_precision: str = "day") -> list[TimeExpression]:
    """All temporal expressions in text, in order, non-overlapping. ref = publication date (reference).

    Narrative-relative words (同年, 次年, 四年后, 当天...) resolve against the nearest preceding resolved
    date in the same text. With ref None, pubdate-relative words stay unresolved (never use today).
    ``ref_precision`` ('day', 'month', 'year') says how well the publication date is known: day and
    week words resolved against a month-precise date come out as that month, approximate.
    """
    if not text:
        return []
    if isinstance(ref, _dt.datetime):
        ref = ref.date()
    if ref is not None and ref_precision in ("month", "year"):
        return [
            _coarsen(x, ref, ref_precision)
            if x.span.resolution == "relative-to-pubdate" and x.span.precision in ("day", "week") and _DAY_ONLY.fullmatch(x.text)
            else x
            for x in _find(text, ref, ref.isoformat()[:7] if ref_precision == "month" else ref.isoformat()[:4])
        ]
    return _find(text, ref, None)


def _find(text: str, ref: _dt.date | None, ref_label: str | None) -> list[TimeExpression]:
    if isinstance(ref, _dt.datetime):
        ref = ref.date()
    ctx = _Ctx(text, ref)
    if ref_label:
        ctx.ref_label = ref_label
    out: list[TimeExpression] = []
    spans: list[_Span] = []  # working spans parallel to out
    kinds: list[str] = []
    for m in _MAIN.finditer(text):
        kind = m.lastgroup
        s, e = m.span()
        t = m.group()
        if _reject(kind, t, text, s, e):
            continue
        sp = None
        try:
            if kind == "date":
                comp = _components(t)
                if comp is None:
                    continue
                # a range right side "至12日" inherits from the left side
                ctx.inherit = None
                if out and kinds[-1] in ("date", "iso") and spans[-1].start is not None and \
                        s - out[-1].end_char <= 4 and _CONNECTOR.match(text[out[-1].end_char:s]):
                    ctx.inherit = spans[-1]
                sp = _resolve_date(comp, ctx, s, t)
                ctx.inherit = None
            elif kind == "iso":
                sp = _resolve_iso(t)
            elif kind == "offset":
                sp = _resolve_offset(t, ctx)
            elif kind == "decade":
                sp = _resolve_decade(t, ctx)
            elif kind == "century":
                sp = _resolve_century(t, ctx)
            elif kind == "era":
                er = _ERAS[t]
                sp = _Span(_dt.date.fromisoformat(er["start"]), _dt.date.fromisoformat(er["end"]), er["precision"],
                           "explicit", er.get("approx", False), "")
            elif kind == "vague":
                sp = _anaphora(t, ctx, s) or _unresolved(_VAGUE[t], "vague expression, no definite date")
        except (ValueError, OverflowError, KeyError):
            sp = None
        if sp is None:
            continue
        # prefixes: 截至 (as of), 约 (approximately); only those ending with the character before
        # the phrase can be there.
        if s:
            for p in _ASOF_BY_LAST.get(text[s - 1], ()):
                if kind in ("date", "iso") and text.startswith(p, s - len(p)) and s - len(p) >= 0:
                    if not out or out[-1].end_char <= s - len(p):
                        s -= len(p)
                        sp.why = (sp.why + "; " if sp.why else "") + "as of"
                    break
            else:
                for p in _APPROX_BY_LAST.get(text[s - 1], ()):
                    if kind in ("date", "iso", "decade") and s - len(p) >= 0 and text.startswith(p, s - len(p)):
                        if not out or out[-1].end_char <= s - len(p):
                            s -= len(p)
                            sp.approx = True
                        break
        # merge "A 至 B" into one range
        if kind in ("date", "iso") and out and kinds[-1] in ("date", "iso") and sp.start is not None and \
                spans[-1].start is not None and _CONNECTOR.match(text[out[-1].end_char:s]) and \
                sp.end >= spans[-1].start:
            left = spans[-1]
            prev_expr = out[-1]
            res = left.resolution if left.resolution != "explicit" else sp.resolution
            merged = _Span(left.start, sp.end, "range", res, left.approx or sp.approx,
                           left.why or sp.why)
            ns = prev_expr.start_char
            mt = text[ns:e]
            out[-1] = TimeExpression(mt, ns, e, merged.to_datespan(mt))
            spans[-1] = merged
            _set_anchor(ctx, merged, mt, ns, e)
            continue
        tt = text[s:e]
        out.append(TimeExpression(tt, s, e, sp.to_datespan(tt)))
        spans.append(sp)
        kinds.append(kind)
        if sp.start is not None and sp.resolution != "unresolved":
            _set_anchor(ctx, sp, tt, s, e)
    return out


_SENT_RUNS = re.compile(r"[。！？!?\n]+")
_ANAPHORA = {"当时", "當時", "那时", "那時", "那时候", "那時候", "彼时", "彼時"}


def _anaphora(t: str, ctx: _Ctx, pos: int) -> _Span | None:
    """当时/那时 ("at that time") point back at the story's date, but only one close by: in the same
    sentence or the one before, within 150 characters. Further away it stays vague."""
    a = ctx.anchor
    if t not in _ANAPHORA or a is None or a.start is None or ctx.anchor_end < 0 or pos - ctx.anchor_end > 150:
        return None
    if len(_SENT_RUNS.findall(ctx.text, ctx.anchor_end, pos)) > 1:
        return None
    return _Span(a.start, a.end, a.precision, "relative-to-narrative", a.approx, ctx.anchorwhy())


def _coarsen(expr: TimeExpression, ref: _dt.date, ref_precision: str) -> TimeExpression:
    """A day word (今天, 上周) against a publication date known only to the month or year
    can say no more than that month or year."""
    sp = expr.span
    if ref_precision == "month":
        start, end = ref.replace(day=1).isoformat(), _date(ref.year, ref.month, _mend(ref.year, ref.month)).isoformat()
    else:
        start, end = f"{ref.year:04d}-01-01", f"{ref.year:04d}-12-31"
    why = f"{expr.text} → {start[:7] if ref_precision == 'month' else start[:4]}, publication date known to the {ref_precision} only"
    return TimeExpression(expr.text, expr.start_char, expr.end_char,
                          DateSpan(start, end, ref_precision, True, sp.resolution, why))


def _set_anchor(ctx: _Ctx, sp: _Span, t: str, s: int, e: int) -> None:
    a = sp
    if sp.precision == "range" and t.endswith(("以来", "以來", "至今")):
        # an open range anchors at its start
        a = _Span(sp.start, sp.start, "day" if sp.start.day != 1 else "year", sp.resolution)
        if sp.start.month == 1 and sp.start.day == 1:
            a = _Span(sp.start, _date(sp.start.year, 12, 31), "year", sp.resolution)
    ctx.anchor, ctx.anchor_text, ctx.anchor_pos, ctx.anchor_end = a, t, s, e


# ----------------------------------------------------------------------------------------------
# user input
# ----------------------------------------------------------------------------------------------

_U_ISO = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")
_U_RANGE = re.compile(r"\s*(.+?)\s*(?:\.\.|…|~|～|至|到|—|–| - |-(?=\d{4}\b))\s*(.+?)\s*")
_EN_REL = {
    "today": ("day", 0), "yesterday": ("day", -1), "tomorrow": ("day", 1),
    "this year": ("year", 0), "last year": ("year", -1), "next year": ("year", 1),
    "this month": ("month", 0), "last month": ("month", -1), "next month": ("month", 1),
    "this week": ("week", 0), "last week": ("week", -1), "next week": ("week", 1),
}
_EN_AGO = re.compile(r"(\d+)\s+(day|week|month|year)s?\s+ago")


def _user_iso(s: str) -> DateSpan | None:
    m = _U_ISO.fullmatch(s)
    if not m:
        return None
    y, mo, d = m.groups()
    y = int(y)
    try:
        if d:
            dd = _date(y, int(mo), int(d))
            return DateSpan(dd.isoformat(), dd.isoformat(), "day", False, "explicit", f"{s} → {dd.isoformat()}")
        if mo:
            a, b = _month_span(y, int(mo))
            return DateSpan(a.isoformat(), b.isoformat(), "month", False, "explicit", f"{s} → {y:04d}-{int(mo):02d}")
        a, b = _year_span(y)
        return DateSpan(a.isoformat(), b.isoformat(), "year", False, "explicit", f"{s} → {y}")
    except ValueError:
        return None


def _user_single(s: str, today: _dt.date) -> DateSpan | None:
    s = s.strip().translate(_FW)
    if not s:
        return None
    r = _user_iso(s)
    if r is not None:
        return r
    low = s.lower()
    if low in _EN_REL:
        unit, off = _EN_REL[low]
        if unit == "day":
            d = today + _dt.timedelta(days=off)
            a, b, p = d, d, "day"
        elif unit == "year":
            a, b = _year_span(today.year + off)
            p = "year"
        elif unit == "month":
            yy, mm = _add_months(today.year, today.month, off)
            a, b = _month_span(yy, mm)
            p = "month"
        else:
            a = today - _dt.timedelta(days=today.weekday()) + _dt.timedelta(days=7 * off)
            b, p = a + _dt.timedelta(days=6), "week"
        return DateSpan(a.isoformat(), b.isoformat(), p, False, "relative-to-pubdate",
                        f"{s} → {_label(a, b, p)}, today {today.isoformat()}")
    m = _EN_AGO.fullmatch(low)
    if m:
        n, unit = int(m.group(1)), m.group(2)
        d = _shift(today, unit, -n)
        a, b, p = _span_for_unit(d, unit)
        return DateSpan(a.isoformat(), b.isoformat(), p, False, "relative-to-pubdate",
                        f"{s} → {_label(a, b, p)}, today {today.isoformat()}")
    found = find_dates(s, today)
    if len(found) == 1 and found[0].start_char == 0 and found[0].end_char == len(s) and found[0].span.resolved:
        return found[0].span
    if re.search(r"[A-Za-z]", s) and not re.search(r"[\u3400-\u9fff]", s):
        return _dateparser(s, today)
    return None


def _dateparser(s: str, today: _dt.date) -> DateSpan | None:
    try:
        from dateparser.date import DateDataParser
    except Exception:  # pragma: no cover - optional
        return None
    try:
        ddp = DateDataParser(languages=["en"], settings={
            "PREFER_DATES_FROM": "past", "RELATIVE_BASE": _dt.datetime(today.year, today.month, today.day),
            "REQUIRE_PARTS": ["year"] if re.fullmatch(r"[A-Za-z]+", s) else []})
        dd = ddp.get_date_data(s)
    except Exception:
        return None
    if dd is None or dd.date_obj is None:
        return None
    d = dd.date_obj.date()
    period = dd.period or "day"
    if period == "year":
        a, b = _year_span(d.year)
    elif period == "month":
        a, b = _month_span(d.year, d.month)
    elif period == "week":
        a = d - _dt.timedelta(days=d.weekday())
        b = a + _dt.timedelta(days=6)
    else:
        a = b = d
        period = "day"
    return DateSpan(a.isoformat(), b.isoformat(), period, False, "explicit", f"{s} → {_label(a, b, period)} (dateparser)")


def parse_user_date(s: str, today: _dt.date | None = None) -> DateSpan | None:
    """A date/range typed by a user: '2014', '2014-03', '2014-03-05', '2014年', '2014年3月', '2025年2月13日',
    '2014..2018', '2014-2018', '去年', 'last year', 'yesterday' ... None if not a date."""
    if not isinstance(s, str):
        return None
    s = s.strip()
    if not s:
        return None
    if today is None:
        today = _dt.date.today()
    one = _user_single(s, today)
    if one is not None:
        return one
    m = _U_RANGE.fullmatch(s)
    if m:
        a = _user_single(m.group(1), today)
        b = _user_single(m.group(2), today)
        if a is not None and b is not None and a.resolved and b.resolved and a.start <= b.end:
            return DateSpan(a.start, b.end, "range", a.approx or b.approx,
                            a.resolution if a.resolution != "explicit" else b.resolution,
                            f"{s} → {a.start}..{b.end}")
    return None
