"""The shortcuts of per-article extraction give what the plain computation gives, on any text.

Each test holds the straightforward version (as the code was before the shortcut) and checks
the fast one against it on random text built from the characters that matter to it.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
import sys
import unicodedata
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hz_timeline import text as textmod
from hz_timeline.importers import dates as D
from hz_timeline.importers import events as E
from hz_timeline.models import Event, Mention
from hz_timeline.text import fold, fold_many, script_of, to_simplified

KB = E.load_knowledge()
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Traditional and simplified characters (alone and in OpenCC phrases), full-width forms,
# compatibility and combining characters, case pairs, Hangul jamo, controls.
_MIXED = ("臺灣台湾乾隆干燥什麼什么後后發髮发頭头著着裡里於于與与個个們们為为說说這这會会國国經经濟济開开關关"
          "，：；（）！？％　ＡＢＣａｂｃ１２３,.:;()!?% \t\r\x00ﬁ①㈱ｶﾞ\u0301\u0308\u1100\u1161\u11a8éeßẞİIıAbZ")
mixed_text = st.text(alphabet=_MIXED, max_size=40) | st.text(max_size=30)


def _fold_plain(text: str) -> str:
    return unicodedata.normalize("NFKC", to_simplified(text)).casefold() if text else ""


@SETTINGS
@given(text=mixed_text)
def test_fold_is_nfkc_of_simplified_lowered(text):
    assert fold(text) == _fold_plain(text)


def test_full_width_replacements_are_nfkd():
    # Replacing a character by its NFKD form never changes a string's NFKC (fold relies on it).
    for wide, narrow in textmod._FULL_WIDTH:
        assert unicodedata.normalize("NFKD", wide) == narrow


@SETTINGS
@given(texts=st.lists(st.text(alphabet=_MIXED + "\n", max_size=20), max_size=8))
def test_fold_many_is_fold_of_each(texts):
    assert fold_many(texts) == [fold(t) for t in texts]


@SETTINGS
@given(text=mixed_text)
def test_script_of_counts_changed_characters(text):
    cjk = "".join(textmod._CJK_CHAR.findall(text[:20000]))
    if not cjk:
        expected = "simplified"
    else:
        ratio = sum(1 for a, b in zip(cjk, to_simplified(cjk)) if a != b) / len(cjk)
        expected = "traditional" if ratio > 0.04 else "mixed" if ratio > 0.005 else "simplified"
    assert script_of(text) == expected


# ------------------------------------------------------------------ keyword regexes


def _kw_regex_plain(words) -> re.Pattern:
    parts = []
    for w in sorted({fold(w) for w in words if w}, key=len, reverse=True):
        e = re.escape(w)
        if re.search(r"[a-z]", w):
            e = rf"(?<![a-z]){e}(?![a-z])"
        parts.append(e)
    return re.compile("|".join(parts) if parts else r"(?!x)x")


_KW = "abcxyz+-. 模型芯片ai"
words = st.lists(st.text(alphabet=_KW, min_size=1, max_size=5), max_size=6)


@SETTINGS
@given(words=words, text=st.text(alphabet=_KW + "AB1", max_size=40))
def test_keyword_regex_matches_like_lookbehind_first(words, text):
    fast, plain = E._kw_regex(words), _kw_regex_plain(words)
    assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]


def test_knowledge_keyword_regexes_match_like_lookbehind_first():
    import json

    tag_data = json.loads((E.DATA / "tags.json").read_text("utf-8"))
    samples = ["DeepSeek与OpenAI", "gpt-4o和GPT", "openai's chatgpt", "xai ai ai2 (ai)", "aigc AI芯片vr ar vrar",
               "unitree秧bot的秧bota", "宇树科技发布人形机器人", ""]
    for words in [*tag_data["tags"].values(), list(KB.alias_map)]:
        fast, plain = E._kw_regex(words), _kw_regex_plain(words)
        for s in samples:
            f = fold(s)
            assert [m.span() for m in fast.finditer(f)] == [m.span() for m in plain.finditer(f)]


# ------------------------------------------------------------------ statements → candidates

# Name characters, organisation suffixes and what may follow them, person titles, aliases,
# fillers, separators and dates: what find_entities, make_title and the classifiers look at.
_PIECES = ["宇树", "科技", "公司", "集团", "研究院", "实验室", "银行", "大学", "杭州", "深度求索", "的", "在", "是", "和",
           "创始人", "董事长", "CEO", "王兴兴", "说", "表示", "《黑神话:悟空》", "《", "》", "阿里巴巴", "DeepSeek",
           "，", "、", "：", "。", "；", "——", " ", "比如", "数据显示", "据悉", "其中", "在余杭区", "2024年", "3月",
           "发布", "推出", "没有发布", "无法交付", "融资", "成立", "芯片", "机器人", "预计", "计划", "将", "达到", "亿元",
           "增长", "10%", "與", "於", "為", "國內唯一", "模型", "ai", "x"]
pieces_text = st.lists(st.sampled_from(_PIECES), max_size=14).map("".join)


def _entities_plain(text, kb):
    folded = fold(text)
    found, taken = {}, []
    for m in kb.alias_re.finditer(folded):
        ent = kb.alias_map[m.group(0)]
        found.setdefault(ent.name, ent)
        taken.append(m.span())

    def free(a, b):
        return all(b <= s or a >= e for s, e in taken)

    for m in kb.title_re.finditer(text):
        if free(*m.span(1)):
            found.setdefault(m.group(1), E.Entity(m.group(1), "product"))
    for m in kb.person_re.finditer(text):
        if free(*m.span(1)):
            found.setdefault(m.group(1), E.Entity(m.group(1), "person"))
    for m in kb.org_re.finditer(text):
        if free(*m.span()):
            found.setdefault(m.group(0), E.Entity(m.group(0), "org"))
    return tuple(found.values())


@SETTINGS
@given(text=pieces_text)
def test_find_entities_starting_at_the_first_suffix(text):
    assert E.find_entities(text, KB) == _entities_plain(text, KB)


def _actions_plain(text, kb):
    folded = fold(text)
    found = set()
    for a, rx in kb.actions:
        for m in rx.finditer(folded):
            if not E._NEGATION.search(folded, max(0, m.start() - 3), m.start()):
                found.add(a)
                break
    return frozenset(found)


@SETTINGS
@given(text=pieces_text)
def test_actions_with_the_any_action_check(text):
    assert E.actions_of(text, KB) == _actions_plain(text, KB)


def _make_title_plain(quote, time_text, kb=None):
    fillers = kb.fillers if kb else ()
    s = re.sub(r"\s+", " ", quote).strip()
    clauses, setting = [], []
    for raw in E._TITLE_SPLIT.split(s):
        c = E._LEADING_JUNK.sub("", raw.strip())
        if time_text and c.startswith(time_text):
            c = E._LEADING_JUNK.sub("", c[len(time_text):].lstrip("的起"))
        fc = fold(c)
        if not c or c == time_text or fc in fillers:
            continue
        head = next((f for f in fillers if fc.startswith(f) and len(c) > len(f) + 3 and fold(c[:len(f)]) == f), None)
        if head:
            c = E._LEADING_JUNK.sub("", c[len(head):])
        (setting if E._SETTING.match(raw.strip()) and not clauses else clauses).append(c)
    clauses = clauses or setting
    title = ""
    for c in clauses:
        title = f"{title}，{c}" if title else c
        if len(title) >= 8:
            break
    title = E._TRAILING_JUNK.sub("", title) or s.strip() or time_text
    if len(title) > E.TITLE_MAX:
        title = title[: E.TITLE_MAX - 1].rstrip("，,、 ") + "…"
    return title


@SETTINGS
@given(quote=pieces_text, time_text=st.sampled_from(["", "2024年", "3月", "2024年3月"]), with_kb=st.booleans())
def test_make_title_stops_at_the_title(quote, time_text, with_kb):
    kb = KB if with_kb else None
    assert E.make_title(quote, time_text, kb) == _make_title_plain(quote, time_text, kb)


def _bigrams_plain(text):
    s = E._BIGRAM_STRIP.sub(" ", fold(text))
    grams = set()
    for chunk in s.split():
        grams.update(chunk[i: i + 2] for i in range(len(chunk) - 1))
    return frozenset(grams)


@SETTINGS
@given(text=pieces_text | mixed_text)
def test_bigrams_in_one_pass(text):
    assert E._bigrams(text) == _bigrams_plain(text)


def test_no_space_is_a_bigram_character():
    # _folded_bigrams finds runs of kept characters where the plain version split on spaces.
    kept = re.compile(r"[^\W\d_a-z]")
    assert not [c for c in range(sys.maxunicode + 1) if chr(c).isspace() and kept.match(chr(c))]


def _sketch_plain(grams):
    if not grams:
        return []
    hs = [zlib.crc32(g.encode("utf-8")) for g in grams]
    return [(i << 31) | min((a * h + b) % E._PRIME for h in hs) for i, (a, b) in enumerate(E._SEEDS)]


@SETTINGS
@given(grams=st.frozensets(st.text(alphabet="杭州宁波市发布计划ab", min_size=2, max_size=2), max_size=12))
def test_sketch_from_kept_rows(grams):
    assert E.sketch(grams) == _sketch_plain(grams)


def test_sketch_rows_table_stays_bounded(monkeypatch):
    monkeypatch.setattr(E, "_GRAM_ROWS_MAX", 4)
    monkeypatch.setattr(E, "_gram_rows", {})
    for text in ["杭州市发布人工智能", "宁波市数字经济", "杭州市发布人工智能产业"]:
        grams = E._bigrams(text)
        assert E.sketch(grams) == _sketch_plain(grams)
        assert len(E._gram_rows) <= max(4, len(grams))


@SETTINGS
@given(quotes=st.lists(pieces_text, min_size=1, max_size=5))
def test_profiles_is_profile_of_each(quotes):
    span = D.find_dates("2024年3月1日")[0].span
    events = [Event(f"e{i}", "2024-03-01", "2024-03-01", "day", "t", q, entities=E.find_entities(q, KB),
                    mentions=(Mention("d", 0, len(q), q, "3月", 0, 2, span),)) for i, q in enumerate(quotes)]
    assert E.profiles(events) == [E.profile(ev) for ev in events]


# ------------------------------------------------------------------ dates


class _Everything:
    """A container holding every key: the checks that skip work when a character is absent
    then never skip."""

    def __contains__(self, item):
        return True


class _AllPrefixes(dict):
    def __init__(self, prefixes):
        super().__init__()
        self.prefixes = prefixes

    def get(self, key, default=None):
        return self.prefixes


_DATE_PIECES = ["截至", "截止到", "截至到", "大约在", "大约", "約", "约在", "大概", "在", "是", "到", "至", "每年", "每月的",
                "历年", "往年", "每逢", "2024年", "3月", "5日", "3月5日", "二〇二四年", "今年", "去年", "上月", "年底",
                "春节", "国庆期间", "-", "~", "，", "。", "上周三", "近日", "当时", "12日", "一月", "十一", "20", "%"]
date_text = st.lists(st.sampled_from(_DATE_PIECES), max_size=12).map("".join)
refs = st.none() | st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2030, 12, 31))


@SETTINGS
@given(text=date_text, ref=refs, precision=st.sampled_from(["day", "month", "year"]))
def test_find_dates_with_and_without_the_character_checks(text, ref, precision):
    fast = D.find_dates(text, ref, precision)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(D, "_ASOF_BY_LAST", _AllPrefixes(D._PREFIX_ASOF))
        mp.setattr(D, "_APPROX_BY_LAST", _AllPrefixes(D._PREFIX_APPROX))
        mp.setattr(D, "_PERIODIC_LAST", _Everything())
        mp.setattr(D, "_components", D._components.__wrapped__)
        mp.setattr(D, "_split_range", D._split_range.__wrapped__)
        plain = D.find_dates(text, ref, precision)
    assert fast == plain


# ------------------------------------------------------------------ merging


# Dates that overlap, touch, are apart, equal at day precision, and one backwards; a few names,
# places and bigrams, so that every rule of judge and every threshold of wording is reached.
_SPANS = [("2020-03-05", "2020-03-05", "day"), ("2020-03-05", "2020-03-05", "month"), ("2020-03-01", "2020-03-31", "month"),
          ("2020-01-01", "2020-12-31", "year"), ("2021-03-05", "2021-03-05", "day"), ("2020-03-31", "2020-04-02", "range"),
          ("2020-05-01", "2020-04-01", "day")]
_few = st.frozensets(st.sampled_from("abcd"), max_size=3)


@st.composite
def merge_profiles(draw):
    s, e, p = draw(st.sampled_from(_SPANS))
    grams = draw(st.frozensets(st.sampled_from([f"g{i}" for i in range(12)]), max_size=10))
    return E.Profile(s, e, p, grams, draw(_few), draw(st.frozensets(st.sampled_from("xyz"), max_size=3)),
                     draw(st.frozensets(st.sampled_from("pq"), max_size=2)),
                     draw(st.frozensets(st.sampled_from("abxy"), max_size=3)))


@st.composite
def overlapping_grams(draw):
    """Two bigram sets of chosen sizes sharing a chosen number: wording at and around every
    threshold of judge."""
    la, lb = draw(st.integers(0, 12)), draw(st.integers(0, 12))
    inter = draw(st.integers(0, min(la, lb)))
    grams = [f"g{i}" for i in range(la + lb)]
    return frozenset(grams[:la]), frozenset(grams[la - inter: la - inter + lb])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(a=merge_profiles(), b=merge_profiles(), grams=st.none() | overlapping_grams())
def test_judge_kept_is_judge_of_a_match_or_a_dispute(a, b, grams):
    if grams is not None:
        a, b = dataclasses.replace(a, grams=grams[0]), dataclasses.replace(b, grams=grams[1])
    j = E.judge(a, b)
    assert E.judge_kept(a, b) == (j if j is not None and j[0] != "none" else None)


def _names_plain(rows):
    import json

    ents, tags = {}, {}
    for r in rows:
        for name, typ in json.loads(r["entities"] or "[]"):
            ents.setdefault(name, typ)
        tags.update(dict.fromkeys(json.loads(r["tags"] or "[]")))
    return ents, list(tags)


def _json_or_empty(values):
    import json

    return st.one_of(st.sampled_from([None, "", "[]"]), values.map(lambda v: json.dumps(v, ensure_ascii=False)))


_mention_rows = st.lists(st.fixed_dictionaries({
    "entities": _json_or_empty(st.lists(st.tuples(st.sampled_from(["宇树", "杭州", "a"]), st.sampled_from(["org", "place"])),
                                        max_size=3)),
    "tags": _json_or_empty(st.lists(st.sampled_from(["ai", "机器人", "a"]), max_size=3))}), max_size=8)


@SETTINGS
@given(rows=_mention_rows)
def test_names_of_mention_rows_parsed_once(rows):
    from hz_timeline.store import Store

    # (rows end in their entities and tags, like the store's mention rows)
    assert Store._names([("quote", r["entities"], r["tags"]) for r in rows]) == _names_plain(rows)


# ------------------------------------------------------------------ MinHash look-up


def _nearest_plain(stored, by_hash, hashes, start, near):
    """``SketchIndex.nearest`` before event ids were kept beside the keys: value -> sorted keys."""
    from collections import Counter

    from hz_timeline.store.sketches import _EV_MASK, _key

    keys = []
    k0 = _key(start, 0)
    for h in hashes:
        lst = stored.get(h)
        if lst:
            i = bisect.bisect_left(lst, k0)
            keys += lst[i: i + near]
            keys += lst[max(0, i - near): i][::-1]
    for h in hashes:
        lst = by_hash.get(h)
        if lst:
            i = bisect.bisect_left(lst, k0)
            keys += lst[max(0, i - near): i + near]
    return list(Counter([k & _EV_MASK for k in keys]).items())


_STARTS = ["2020-01-01", "2020-01-02", "2020-06-01", "2021-01-01", "2022-12-31"]


@SETTINGS
@given(ops=st.lists(st.tuples(st.booleans(), st.booleans(), st.integers(1, 30), st.sampled_from(_STARTS),
                              st.lists(st.integers(0, 5), min_size=1, max_size=4, unique=True)), max_size=60),
       hashes=st.lists(st.integers(0, 6), max_size=8), start=st.sampled_from(_STARTS), near=st.integers(1, 4))
def test_nearest_from_event_ids_kept_beside_the_keys(ops, hashes, start, near):
    from hz_timeline.store.sketches import _EV_MASK, SketchIndex

    sk = SketchIndex(None)
    sk._stored, sk._rows, sk._size = {}, {}, 0
    sk.NEAR = near
    for stored, add, ev, s, values in ops:  # events come and go, in the mirror and in the buffer
        if stored:
            rows = [(h, s) for h in values]
            if add:
                sk._mirror_add(ev, rows)
            else:
                sk._mirror_remove(ev, rows)
        elif add:
            if ev in sk._of:
                sk._remove(ev)
            sk._put(ev, s, values)
        elif ev in sk._of:
            sk._remove(ev)
    for table in (sk._stored, sk._by_hash):
        for keys, ids in table.values():
            assert keys and list(keys) == sorted(keys) and list(ids) == [k & _EV_MASK for k in keys]
    plain_stored = {h: keys for h, (keys, _) in sk._stored.items()}
    plain_buffered = {h: keys for h, (keys, _) in sk._by_hash.items()}
    assert list(sk.nearest(hashes, start).items()) == _nearest_plain(plain_stored, plain_buffered, hashes, start, near)


def test_judge_kept_on_every_combination_of_evidence():
    """Every combination of dates, actors, places, actions and common names of a small world,
    each with wording on either side of (and at) every threshold judge compares against."""
    import itertools

    thresholds = (0.12, 0.2, 0.3)
    wording = {}  # (where text_sim and containment stand against the thresholds) -> one example
    for la, lb in itertools.product(range(1, 26), repeat=2):
        for inter in range(min(la, lb) + 1):
            sim, contain = inter / (la + lb - inter), inter / min(la, lb)
            sign = tuple((v > t) - (v < t) for v in (sim, contain) for t in thresholds) + (inter > 0,)
            wording.setdefault(sign, (la, lb, inter))
    spans = [("2020-03-05", "2020-03-05", "day"), ("2020-03-01", "2020-03-31", "month"), ("2021-03-05", "2021-03-05", "day")]
    sets = [frozenset(), frozenset("a"), frozenset("b"), frozenset("ab")]
    places = [frozenset(), frozenset("x"), frozenset("y"), frozenset("xy")]

    def profiles(commons):
        for span, key, pl, acts, common in itertools.product(spans, sets, places, [frozenset(), frozenset("p")], commons):
            yield E.Profile(*span, frozenset(), key, pl, acts, common)

    kept = 0
    for a, b in itertools.product(list(profiles([frozenset(), frozenset("ax")])), list(profiles([frozenset()]))):
        for la, lb, inter in wording.values():
            grams = [f"g{i}" for i in range(la + lb)]
            a2 = dataclasses.replace(a, grams=frozenset(grams[:la]))
            b2 = dataclasses.replace(b, grams=frozenset(grams[la - inter: la - inter + lb]))
            j = E.judge(a2, b2)
            expected = j if j is not None and j[0] != "none" else None
            assert E.judge_kept(a2, b2) == expected
            kept += expected is not None
    assert kept
