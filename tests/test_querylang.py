"""The search language: parse cases (table-driven), error messages, compile, highlighting."""

from __future__ import annotations

from datetime import date

import pytest

from hz_timeline.errors import UsageError
from hz_timeline.store.querylang import (
    And, Dates, Field, Not, Or, Text, check, compile, fts_phrase, highlight_spans, lean_phrases, parse, tokens,
)

TODAY = date(2025, 2, 6)
Y = lambda a, b=None: Dates(f"{a}-01-01", f"{b or a}-12-31")  # noqa: E731

PARSE_CASES = [
    ("", And()),
    ("   ", And()),
    ("宁波", Text("宁波")),
    ("宁波 杭州", And((Text("宁波"), Text("杭州")))),
    ("宁波 OR 杭州", Or((Text("宁波"), Text("杭州")))),
    ("宁波 | 杭州", Or((Text("宁波"), Text("杭州")))),
    ("a b OR c", Or((And((Text("a"), Text("b"))), Text("c")))),
    ("a AND b", And((Text("a"), Text("b")))),
    ("宁波 -实验室", And((Text("宁波"), Not(Text("实验室"))))),
    ("-tag:ai", Not(Field("tag", "ai"))),
    ('"宁波 唱出"', Text("宁波 唱出", quoted=True)),
    ("“深度求索”", Text("深度求索", quoted=True)),
    ('-"a b"', Not(Text("a b", quoted=True))),
    ("(a OR b) c", And((Or((Text("a"), Text("b"))), Text("c")))),
    ("-(a OR b)", Not(Or((Text("a"), Text("b"))))),
    ("entity:深度求索", Field("entity", "深度求索")),
    ('entity:"DeepSeek R1"', Field("entity", "DeepSeek R1")),
    ("ENTITY:宇树", Field("entity", "宇树")),
    ("tag:robotics", Field("tag", "robotics")),
    ("kind:Plan", Field("kind", "plan")),
    ("precision:day", Field("precision", "day")),
    ("source:36kr", Field("source", "36kr")),
    ("2014..2018", Y(2014, 2018)),
    ("2017-03..2018", Dates("2017-03-01", "2018-12-31")),
    ("2020..", Dates("2020-01-01", None)),
    ("..2019", Dates(None, "2019-12-31")),
    ("from:2017", Dates("2017-01-01", None)),
    ("to:2025-02", Dates(None, "2025-02-28")),
    ("year:2017", Y(2017)),
    ("from:去年", Dates("2024-01-01", None)),
    ("unitree tag:robotics 2017..2019", And((Text("unitree"), Field("tag", "robotics"), Y(2017, 2019)))),
    ("ｔａｇ：ｒｏｂｏｔｉｃｓ", Field("tag", "robotics")),  # full-width syntax
    ("黑神话:悟空", Text("黑神话:悟空")),  # not a field: the prefix is not Latin letters
    ("12:30", Text("12:30")),
    ("2017", Text("2017")),  # a bare year is text (it matches 2017年 in the text)
    ("- a", Text("a")),  # a lone dash is punctuation
    ("!!! ，。", And()),  # nothing searchable
]


@pytest.mark.parametrize("query,expected", PARSE_CASES, ids=[c[0] or "empty" for c in PARSE_CASES])
def test_parse(query, expected):
    assert parse(query, today=TODAY) == expected


ERROR_CASES = [
    ('宁波 "abc', "unclosed quote at column 4"),
    ('abcdef "x', "unclosed quote at column 8"),
    ("foo:bar", 'unknown field "foo:" at column 1'),
    ("a https://x", 'unknown field "https:" at column 3'),
    ("tag:", '"tag:" needs a value at column 1'),
    ("kind:maybe", 'unknown kind "maybe"'),
    ("precision:hour", 'unknown precision "hour"'),
    ("from:someday", '"from:someday" at column 1 is not a date'),
    ("year:abc", '"year:abc" at column 1 is not a date'),
    ("2019..2017", "the range ends before it starts"),
    ("2017..2019-13", "is not a date range"),
    ("(a b", "unclosed '(' at column 1"),
    ("a) b", "unmatched ')' at column 2"),
    ("OR a", "OR at column 1 needs a search term on both sides"),
    ("a OR", "OR at column 3 needs a search term on both sides"),
    ("a OR OR b", "OR at column 3 needs"),
    ("a -", None),  # a trailing dash is just punctuation
]


@pytest.mark.parametrize("query,message", ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_say_what_is_wrong(query, message):
    if message is None:
        assert check(query, TODAY) is None
        return
    with pytest.raises(UsageError, match=__import__("re").escape(message)):
        parse(query, today=TODAY)
    assert message in check(query, TODAY)
    parse(query, strict=False, today=TODAY)  # the lenient reading never raises


@pytest.mark.parametrize("query,expected", [
    ('宁波 "abc', And((Text("宁波"), Text("abc", quoted=True)))),
    ("foo:bar", Text("foo:bar")),
    ("(a b", And((Text("a"), Text("b")))),
    ("a) b", And((Text("a"), Text("b")))),
    ("OR a", Text("a")),
    ("tag:", And()),
])
def test_lenient_reading(query, expected):
    assert parse(query, strict=False, today=TODAY) == expected


def test_tokens_fold_scripts_widths_and_case():
    assert tokens("寧波ＡＩ DeepSeek-R1") == ["宁", "波", "ai", "deepseek", "r1"]
    assert fts_phrase('"; DROP') == '"drop"'
    assert fts_phrase("，。！") is None


def test_compile_keeps_text_in_one_fts_expression_and_values_as_parameters():
    c = compile(parse("宁波 -实验室 tag:ai 2017..2019", today=TODAY))
    assert c.fts.startswith('(("宁 波"') and 'NOT ("实 验 室")' in c.fts
    sql, params = c.conditions()
    assert "?" in sql[1] and params[1:] == ["ai", "2017-01-01", "2019-12-31"]
    assert all("ai" not in s and "2017" not in s for s in sql)  # values are bound, not inlined
    only_fields = compile(parse("tag:robotics", today=TODAY))
    assert only_fields.fts is None and len(only_fields.rest) == 1
    negative_only = compile(parse("-宁波", today=TODAY))
    assert negative_only.fts is None and negative_only.rest[0][0].startswith("NOT (")


def test_alias_widening_in_fts_expression():
    c = compile(parse("DeepSeek", today=TODAY))
    assert '"deepseek"' in c.fts and '"深 度 求 索"' in c.fts and " OR " in c.fts
    assert '"宇 树 科 技"' in compile(parse("Unitree")).fts


def test_lean_expression_drops_alternatives_that_cannot_add_rows():
    # 杭州 is also searched as its aliases 杭州市 and hangzhou; every 杭州市 row is a 杭州 row.
    c = compile(parse("杭州"))
    assert '"杭 州 市"' in c.fts and '"hangzhou"' in c.fts
    assert c.lean == '("杭 州" OR "hangzhou")' and c.match == c.lean
    assert compile(parse("强脑科技")).lean == '("brainco" OR "强 脑")'  # the alias 强脑 covers the name
    assert compile(parse("杭州 OR 杭州市 OR 滨江")).lean == '("杭 州" OR "hangzhou" OR "滨 江")'
    assert compile(parse("杭州 杭州市")).lean == '("杭 州" OR "hangzhou")'  # a AND a
    assert compile(parse("年")).lean == compile(parse("年")).fts == '"年"'
    sql, params = compile(parse("杭州 from:2020")).conditions()
    assert params[0] == '("杭 州" OR "hangzhou")'  # filters use the lean form
    nested = compile(parse("tag:ai OR 杭州"))
    assert nested.rest[0][1] == ["ai", '("杭 州" OR "hangzhou")']


@pytest.mark.parametrize("phrases,expected", [
    ([["a", "b"], ["a", "b", "c"]], [["a", "b"]]),
    ([["a", "b", "c"], ["b", "c"], ["x"]], [["b", "c"], ["x"]]),
    ([["a", "c"], ["a", "b", "c"]], [["a", "c"], ["a", "b", "c"]]),  # not a run of consecutive tokens
    ([["b", "a"], ["a", "b"]], [["b", "a"], ["a", "b"]]),  # order matters
    ([["a"], ["a"], ["a", "a"]], [["a"]]),
    ([["ab"], ["a", "b"]], [["ab"], ["a", "b"]]),  # whole tokens only
])
def test_lean_phrases(phrases, expected):
    assert lean_phrases(phrases) == expected


def test_quotes_inside_fts_phrases_are_doubled_or_dropped():
    c = compile(parse('a"b "c""d" \'e', strict=False))
    assert c.fts.count('"') % 2 == 0


@pytest.mark.parametrize("text,query,expected", [
    ("1999年,寧波的財政收入超過杭州", "宁波", ["寧波"]),  # simplified query, traditional text
    ("1999年,宁波的财政收入超过杭州", "寧波 杭州", ["宁波", "杭州"]),
    ("深度求索发布DeepSeek-R1", "deepseek", ["深度求索", "DeepSeek"]),  # alias widening
    ("ＡＩ公司在杭州", "ai", ["ＡＩ"]),  # full-width text
    ("said AI and aid", "ai", ["AI"]),  # whole Latin words only
    ("宁 波,宁，波", '"宁波"', ["宁 波", "宁，波"]),  # punctuation between CJK characters is skipped like the index does
    ("宁波杭州", "宁波 -杭州", ["宁波"]),  # excluded words are not highlighted
    ("宁波", "tag:ai", []),
    ("", "宁波", []),
])
def test_highlight_spans(text, query, expected):
    spans = highlight_spans(text, query)
    assert [text[a:b] for a, b in spans] == expected
