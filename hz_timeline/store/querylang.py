"""The search language shared by the app, ``hz-timeline search`` and ``export --query``.

    query   := either ( "OR" either )*          OR binds looser than the implicit AND
    either  := unary*                           terms side by side must all match
    unary   := "-" unary | atom                 -x excludes
    atom    := "(" query ")" | "phrase" | field:value | date range | word

Words and phrases are folded exactly like the index (``fold_for_index``: traditional →
simplified, full-width → half-width, lower case, one token per CJK character), so a word of any
length matches as a substring of CJK text and as whole words of Latin text. A word or phrase that
is a known alias also matches the entity's canonical name and its other aliases. Fields:
``entity: tag: kind: source: precision:`` and dates ``from: to: year:`` or ``2014..2018``.

``parse`` is pure and gives the AST; ``compile`` turns an AST into an SQL condition over the
events table aliased ``e`` with bound parameters. Text becomes FTS5 phrases built from folded
tokens (quotes doubled), every other value is a parameter: user text never reaches SQL.
``parse(strict=True)`` raises ``UsageError`` with a short message; the store parses leniently
(bad syntax is read as plain text), so a query can never make a store call fail.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from ..errors import UsageError
from ..models import KINDS, PRECISIONS
from ..text import _CJK, fold, fold_for_index, to_simplified

__all__ = [
    "Text", "Field", "Dates", "Not", "And", "Or", "Node", "parse", "check", "compile", "Compiled",
    "fts_phrase", "tokens", "highlight_spans", "like_pattern", "FIELDS",
]

TEXT_FIELDS = ("entity", "tag", "kind", "source", "precision")
DATE_FIELDS = ("from", "to", "year")
FIELDS = TEXT_FIELDS + DATE_FIELDS
_FIELD_HINT = "try " + ", ".join(f + ":" for f in FIELDS)
_QUOTES = '"\u201c\u201d'
_TOKEN = re.compile(r"[^\W_]+")
_FIELD = re.compile(r"([A-Za-z]+):(.*)", re.S)
_DATEISH = re.compile(r"[\d年月日号號.\-/]*")


# ------------------------------------------------------------------ AST


@dataclass(frozen=True)
class Text:
    """A word, or a "phrase" (quoted=True); both are matched as a run of folded tokens."""

    text: str
    quoted: bool = False


@dataclass(frozen=True)
class Field:
    name: str  # one of TEXT_FIELDS
    value: str


@dataclass(frozen=True)
class Dates:
    """Events whose interval overlaps [start, end] (either side may be open)."""

    start: str | None
    end: str | None


@dataclass(frozen=True)
class Not:
    node: "Node"


@dataclass(frozen=True)
class And:
    nodes: tuple = ()


@dataclass(frozen=True)
class Or:
    nodes: tuple = ()


Node = Text | Field | Dates | Not | And | Or


# ------------------------------------------------------------------ lexer


@dataclass(frozen=True)
class _Tok:
    kind: str  # word | phrase | lparen | rparen | or | neg | node
    text: str
    col: int  # 1-based column of the token's first character
    node: Node | None = field(default=None, compare=False)


def _halfwidth(s: str) -> str:
    """Full-width ASCII and the ideographic space to ASCII, one character for one (columns stay)."""
    return "".join(chr(ord(c) - 0xFEE0) if "\uff01" <= c <= "\uff5e" else " " if c == "\u3000" else c for c in s)


def _read_quoted(s: str, i: int, strict: bool) -> tuple[str, int]:
    """Text of a quoted run starting at s[i] (a quote); returns (text, index after the close)."""
    j = i + 1
    while j < len(s) and s[j] not in _QUOTES:
        j += 1
    if j >= len(s):
        if strict:
            raise UsageError(f"unclosed quote at column {i + 1}")
        return s[i + 1:], len(s)
    return s[i + 1:j], j + 1


def _lex(s: str, strict: bool, today: date | None) -> list[_Tok]:
    s = _halfwidth(s)
    out: list[_Tok] = []
    i, n = 0, len(s)
    while i < n:
        c = s[i]
        if c.isspace():
            i += 1
        elif c == "(":
            out.append(_Tok("lparen", c, i + 1))
            i += 1
        elif c == ")":
            out.append(_Tok("rparen", c, i + 1))
            i += 1
        elif c == "-" and i + 1 < n and not s[i + 1].isspace() and s[i + 1] != "-":
            out.append(_Tok("neg", c, i + 1))
            i += 1
        elif c in _QUOTES:
            text, i2 = _read_quoted(s, i, strict)
            out.append(_Tok("phrase", text, i + 1))
            i = i2
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] not in "()" + _QUOTES:
                j += 1
            word = s[i:j]
            m = _FIELD.fullmatch(word)
            if m and m.group(2) == "" and j < n and s[j] in _QUOTES and m.group(1).lower() in FIELDS:
                value, j = _read_quoted(s, j, strict)  # field:"quoted value"
                word = word + value
                m = _FIELD.fullmatch(word)
            tok = _word(word, m, i + 1, strict, today)
            out.append(tok)
            i = j
    return out


def _word(word: str, m: re.Match | None, col: int, strict: bool, today: date | None) -> _Tok:
    if word == "OR" or word == "|":
        return _Tok("or", word, col)
    if word == "AND":
        return _Tok("and", word, col)
    if m:
        name, value = m.group(1).lower(), m.group(2).strip()
        if name not in FIELDS:
            if strict:
                raise UsageError(f'unknown field "{m.group(1)}:" at column {col} ({_FIELD_HINT}; quote the text to search for it)')
            return _Tok("word", word, col)
        if not value:
            if strict:
                raise UsageError(f'"{name}:" needs a value at column {col} (e.g. {_example(name)})')
            return _Tok("word", "", col)
        node = _field(name, value, col, strict, today)
        return _Tok("node", word, col, node) if node else _Tok("word", "", col)
    if ".." in word and _DATEISH.fullmatch(word) and any(ch.isdigit() for ch in word):
        node = _range(word, col, strict, today)
        return _Tok("node", word, col, node) if node else _Tok("word", "", col)
    return _Tok("word", word, col)


def _example(name: str) -> str:
    return {"entity": "entity:深度求索", "tag": "tag:robotics", "kind": "kind:plan", "source": "source:36kr",
            "precision": "precision:day", "from": "from:2017", "to": "to:2025-02", "year": "year:2017"}[name]


def _user_date(value: str, today: date | None):
    from ..importers.dates import parse_user_date

    span = parse_user_date(value, today or date.today())
    return span if span is not None and span.resolved else None


def _field(name: str, value: str, col: int, strict: bool, today: date | None) -> Node | None:
    low = value.lower()
    if name == "kind" and low not in KINDS or name == "precision" and low not in PRECISIONS:
        if strict:
            allowed = ", ".join(KINDS if name == "kind" else PRECISIONS)
            raise UsageError(f'unknown {name} "{value}" at column {col} (one of: {allowed})')
        return Field(name, low)  # matches nothing
    if name in ("kind", "precision"):
        return Field(name, low)
    if name in TEXT_FIELDS:
        return Field(name, value)
    if name == "year" and not re.fullmatch(r"\d{4}", value) and not _user_date(value, today):
        span = None
    else:
        span = _user_date(value, today)
    if span is None:
        if strict:
            raise UsageError(f'"{name}:{value}" at column {col} is not a date (e.g. {_example(name)}, 2025-02, 2014年3月)')
        return None
    if name == "from":
        return Dates(span.start, None)
    if name == "to":
        return Dates(None, span.end)
    return Dates(span.start, span.end)


def _range(word: str, col: int, strict: bool, today: date | None) -> Node | None:
    a, _, b = word.partition("..")
    sa = _user_date(a, today) if a else None
    sb = _user_date(b, today) if b else None
    if (a and sa is None) or (b and sb is None) or (not a and not b):
        if strict:
            raise UsageError(f'"{word}" at column {col} is not a date range (e.g. 2014..2018, 2017-03..2019, 2020..)')
        return None
    start, end = (sa.start if sa else None), (sb.end if sb else None)
    if start and end and start > end:
        if strict:
            raise UsageError(f'"{word}" at column {col}: the range ends before it starts')
        start, end = end, start
    return Dates(start, end)


# ------------------------------------------------------------------ parser


class _Parser:
    def __init__(self, toks: list[_Tok], strict: bool):
        self.toks, self.i, self.strict, self.depth = toks, 0, strict, 0

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def error(self, msg: str):
        raise UsageError(msg)

    def query(self) -> Node:
        parts = [self.either()]
        while (t := self.peek()) is not None and t.kind == "or":
            self.i += 1
            nxt = self.peek()
            if self.strict and (parts[-1] == And() or nxt is None or nxt.kind in ("or", "rparen")):
                self.error(f"OR at column {t.col} needs a search term on both sides")
            parts.append(self.either())
        parts = [p for p in parts if p != And()]
        if not parts:
            return And()
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def either(self) -> Node:
        items = []
        while (t := self.peek()) is not None:
            if t.kind == "or":
                break
            if t.kind == "rparen":
                if self.depth:
                    break
                if self.strict:
                    self.error(f"unmatched ')' at column {t.col}")
                self.i += 1
                continue
            if t.kind == "and":
                self.i += 1
                continue
            node = self.unary()
            if node is not None and node != And():
                items.append(node)
        if not items:
            return And()
        return items[0] if len(items) == 1 else And(tuple(items))

    def unary(self) -> Node | None:
        t = self.toks[self.i]
        if t.kind == "neg":
            self.i += 1
            nxt = self.peek()
            if nxt is None or nxt.kind in ("or", "rparen", "and"):
                if self.strict:
                    self.error(f"nothing to exclude after '-' at column {t.col}")
                return None
            inner = self.unary()
            return Not(inner) if inner is not None and inner != And() else None
        self.i += 1
        if t.kind == "lparen":
            self.depth += 1
            inner = self.query()
            self.depth -= 1
            close = self.peek()
            if close is None:
                if self.strict:
                    self.error(f"unclosed '(' at column {t.col}")
            else:
                self.i += 1
            return inner
        if t.kind == "node":
            return t.node
        if t.kind in ("word", "phrase"):
            return Text(t.text, t.kind == "phrase") if tokens(t.text) else None
        return None  # "and" handled by the caller


def parse(query: str | None, strict: bool = True, today: date | None = None) -> Node:
    """The AST of a query; ``And(())`` when it asks for nothing. Strict: bad syntax raises UsageError."""
    if not query or not query.strip():
        return And()
    p = _Parser(_lex(query, strict, today), strict)
    node = p.query()
    while p.peek() is not None:  # stray ')' in lenient mode
        p.i += 1
        more = p.query()
        if more != And():
            node = And((node, more)) if node != And() else more
    return node


def check(query: str | None, today: date | None = None) -> str | None:
    """The message for a query with bad syntax, or None when it is fine (for UIs that show it)."""
    try:
        parse(query, strict=True, today=today)
    except UsageError as e:
        return str(e)
    return None


# ------------------------------------------------------------------ text → FTS5


def tokens(text: str) -> list[str]:
    """Index tokens of a text: folded, one per CJK character, Latin/digit runs whole."""
    return _TOKEN.findall(fold_for_index(text))


def fts_phrase(text: str) -> str | None:
    toks = tokens(text)
    if not toks:
        return None
    return '"' + " ".join(toks).replace('"', '""') + '"'


def _alias_groups() -> dict[str, tuple[str, ...]]:
    """Folded alias → every folded name of its entity (canonical first)."""
    from ..importers.events import load_knowledge

    kb = load_knowledge()
    by_entity: dict[str, list[str]] = {}
    for alias, ent in kb.alias_map.items():
        by_entity.setdefault(ent.name, [fold(ent.name)])
        if alias not in by_entity[ent.name]:
            by_entity[ent.name].append(alias)
    return {alias: tuple(by_entity[ent.name]) for alias, ent in kb.alias_map.items()}


_ALIASES: dict | None = None


def aliases_of(text: str) -> tuple[str, ...]:
    """The text plus, when it is a known alias, every other name of that entity (folded)."""
    global _ALIASES
    if _ALIASES is None:
        _ALIASES = _alias_groups()
    key = fold(text).strip()
    return _ALIASES.get(key) or (text,)


def text_phrases(t: Text) -> list[list[str]]:
    """The token runs a Text matches: itself and its aliases' names."""
    out: list[list[str]] = []
    for name in (t.text, *aliases_of(t.text)):
        toks = tokens(name)
        if toks and toks not in out:
            out.append(toks)
    return out


def _phrase_sql(toks: list[str]) -> str:
    return '"' + " ".join(toks).replace('"', '""') + '"'


def _is_text(node: Node) -> bool:
    """Can this subtree be one FTS5 expression? (FTS5 has no unary NOT.)"""
    if isinstance(node, Text):
        return True
    if isinstance(node, Or):
        return all(_is_text(n) for n in node.nodes)
    if isinstance(node, And):
        pos = [n for n in node.nodes if not isinstance(n, Not)]
        neg = [n.node for n in node.nodes if isinstance(n, Not)]
        return bool(pos) and all(_is_text(n) for n in pos + neg)
    return False


def _within(short: list[str], long: list[str]) -> bool:
    """Is ``short`` a run of consecutive tokens of ``long``?"""
    n = len(short)
    return any(long[i:i + n] == short for i in range(len(long) - n + 1))


def lean_phrases(phrases: list[list[str]]) -> list[list[str]]:
    """The alternatives an OR of phrases needs to match the same rows.

    A phrase that contains another alternative as a run of consecutive tokens only matches rows
    that the shorter one matches (杭州市 ⊂ 杭州), so it adds nothing to the OR but the cost of
    reading and matching its positions. Order is kept; duplicates go.
    """
    out: list[list[str]] = []
    for p in phrases:
        if p not in out and not any(q != p and _within(q, p) for q in phrases):
            out.append(p)
    return out


def _or_phrases(node: Node) -> list[list[str]] | None:
    """Every phrase of a Text, or of an OR made only of Texts (nested), else None."""
    if isinstance(node, Text):
        return text_phrases(node)
    if isinstance(node, Or):
        out: list[list[str]] = []
        for n in node.nodes:
            ps = _or_phrases(n)
            if ps is None:
                return None
            out.extend(ps)
        return out
    return None


def fts_of(node: Node, lean: bool = False) -> str:
    """FTS5 expression of a text-only subtree (see ``_is_text``).

    ``lean``: drop OR alternatives that cannot change which rows match (``lean_phrases``): the
    same rows, faster (杭州 also searches its alias 杭州市, which every 杭州 row already covers).
    Not for ranking: bm25 scores every alternative's matches, so relevance uses the full form.
    """
    if lean:
        phrases = _or_phrases(node)
        if phrases is not None:
            ps = [_phrase_sql(t) for t in lean_phrases(phrases)]
            return ps[0] if len(ps) == 1 else "(" + " OR ".join(ps) + ")"
    if isinstance(node, Text):
        ps = [_phrase_sql(t) for t in text_phrases(node)]
        return ps[0] if len(ps) == 1 else "(" + " OR ".join(ps) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(fts_of(n, lean) for n in node.nodes) + ")"
    pos = [fts_of(n, lean) for n in node.nodes if not isinstance(n, Not)]
    neg = [fts_of(n.node, lean) for n in node.nodes if isinstance(n, Not)]
    if lean:  # a AND a is a
        pos, neg = list(dict.fromkeys(pos)), list(dict.fromkeys(neg))
    expr = "(" + " AND ".join(pos) + ")" if len(pos) > 1 else pos[0]
    if neg:
        expr = f"({expr} NOT ({' OR '.join(neg)}))"
    return expr


# ------------------------------------------------------------------ AST → SQL

FTS_IN = "e.id IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)"
FTS_PROBE = "EXISTS (SELECT 1 FROM events_fts WHERE events_fts MATCH ? AND rowid = e.id)"


def like_pattern(value: str) -> str:
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass
class Compiled:
    """A query as SQL over ``events e``: the top-level FTS5 expression (ANDed with the rest), if
    any, kept apart so the store can choose how to run it (set, probe, or rank by bm25).

    ``fts`` is the expression as written (what bm25 ranks); ``lean`` matches exactly the same
    rows with redundant alternatives left out (``fts_of(lean=True)``); ``match`` is the one to
    filter and count with.
    """

    fts: str | None = None
    rest: list[tuple[str, list]] = field(default_factory=list)  # (condition, params), ANDed
    lean: str | None = None

    @property
    def match(self) -> str | None:
        return self.lean or self.fts

    def conditions(self, probe: bool = False) -> tuple[list[str], list]:
        sql, params = [], []
        if self.fts:
            sql.append(FTS_PROBE if probe else FTS_IN)
            params.append(self.match)
        for s, p in self.rest:
            sql.append(s)
            params.extend(p)
        return sql, params

    @property
    def empty(self) -> bool:
        return not self.fts and not self.rest


def compile(node: Node) -> Compiled:  # noqa: A001 - the name the design asks for
    """An AST as SQL conditions. Pure: needs no database."""
    out = Compiled()
    items = node.nodes if isinstance(node, And) else (node,)
    text_items = [n for n in items if _is_text(n) or isinstance(n, Not) and _is_text(n.node)]
    if any(not isinstance(n, Not) for n in text_items):
        top = And(tuple(text_items)) if len(text_items) > 1 else text_items[0]
        out.fts = fts_of(top)
        out.lean = fts_of(top, lean=True)
    else:
        text_items = []
    for n in items:
        if any(n is t for t in text_items):
            continue
        out.rest.append(_sql(n))
    return out


def _sql(node: Node) -> tuple[str, list]:
    if _is_text(node):
        return FTS_IN, [fts_of(node, lean=True)]  # a filter, never ranked
    if isinstance(node, Not):
        s, p = _sql(node.node)
        return f"NOT ({s})", p
    if isinstance(node, (And, Or)):
        if not node.nodes:
            return "1", []
        if isinstance(node, And):
            c = compile(node)
            parts, params = c.conditions()
            return "(" + " AND ".join(parts) + ")", params
        parts, params = [], []
        for n in node.nodes:
            s, p = _sql(n)
            parts.append(s)
            params.extend(p)
        return "(" + " OR ".join(parts) + ")", params
    if isinstance(node, Dates):
        parts, params = [], []
        if node.start:
            parts.append('e."end" >= ?')
            params.append(node.start)
        if node.end:
            parts.append("e.start <= ?")
            params.append(node.end)
        return "(" + " AND ".join(parts or ["1"]) + ")", params
    if isinstance(node, Field):
        return _field_sql(node)
    raise TypeError(node)


def _variants(value: str) -> list[str]:
    """A name as typed, folded (simplified, lower case) and in traditional script."""
    out = [value, fold(value), to_simplified(value)]
    try:
        out.append(_s2t().convert(value))
    except Exception:  # pragma: no cover - OpenCC without s2t
        pass
    seen: list[str] = []
    for v in out:
        if v and v not in seen:
            seen.append(v)
    return seen


def _s2t():
    global _S2T
    if _S2T is None:
        import opencc

        _S2T = opencc.OpenCC("s2t")
    return _S2T


_S2T = None


def _field_sql(f: Field) -> tuple[str, list]:
    if f.name == "kind":
        return "e.kind = ?", [f.value]
    if f.name == "precision":
        return "e.precision = ?", [f.value]
    if f.name == "tag":
        return ("e.id IN (SELECT x.event_id FROM event_tags x JOIN tags k ON k.id = x.tag_id"
                " WHERE lower(k.name) = ?)"), [fold(f.value)]
    if f.name == "entity":
        names = set()
        for v in _variants(f.value):
            names.add(v.lower())
        from ..importers.events import load_knowledge

        kb = load_knowledge()
        for folded in aliases_of(f.value):
            ent = kb.alias_map.get(folded)
            if ent:
                names.add(ent.name.lower())
            names.add(folded)
        names = sorted(names)
        return ("e.id IN (SELECT x.event_id FROM event_entities x JOIN entities k ON k.id = x.entity_id"
                f" WHERE lower(k.name) IN ({','.join('?' * len(names))}))"), names
    if f.name == "source":
        pats = [like_pattern(v) for v in _variants(f.value)]
        cond = " OR ".join("d.path LIKE ? ESCAPE '\\' OR d.outlet LIKE ? ESCAPE '\\' OR d.title LIKE ? ESCAPE '\\'"
                           for _ in pats)
        params = [p for p in pats for _ in range(3)]
        return ("e.id IN (SELECT m.event_id FROM mentions m JOIN documents d ON d.id = m.document_id"
                f" WHERE {cond})"), params
    raise ValueError(f.name)


# ------------------------------------------------------------------ highlighting

_NONCJK_WORD = f"[^\\W_{_CJK}]"


def _fold_map(text: str) -> tuple[str, list[int]]:
    """Folded text and, for each folded character, the index of the original character."""
    simp = to_simplified(text)
    if len(simp) != len(text):  # a rare multi-character conversion: go character by character
        simp = "".join(s if len(s := to_simplified(c)) == 1 else c for c in text)
    out, owner = [], []
    for i, ch in enumerate(simp):
        for x in unicodedata.normalize("NFKC", ch).casefold():
            out.append(x)
            owner.append(i)
    return "".join(out), owner


def _phrase_regex(toks: list[str]) -> str:
    parts = []
    for t in toks:
        e = re.escape(t)
        if len(t) == 1 and re.fullmatch(f"[{_CJK}]", t):
            parts.append(e)
        else:
            parts.append(f"(?<!{_NONCJK_WORD}){e}(?!{_NONCJK_WORD})")
    return r"[\W_]*".join(parts)


def positive_texts(node: Node) -> list[Text]:
    if isinstance(node, Text):
        return [node]
    if isinstance(node, (And, Or)):
        return [t for n in node.nodes for t in positive_texts(n)]
    return []


def highlight_spans(text: str, query: str | Node | None) -> list[tuple[int, int]]:
    """(start, end) character spans of ``text`` (as stored, any script) that the query's words
    match, merged and sorted. Excluded words and field filters highlight nothing."""
    if not text or not query:
        return []
    node = parse(query, strict=False) if isinstance(query, str) else query
    pats = []
    for t in positive_texts(node):
        pats.extend(_phrase_regex(toks) for toks in text_phrases(t))
    if not pats:
        return []
    folded, owner = _fold_map(text)
    rx = re.compile("|".join(f"(?:{p})" for p in sorted(set(pats), key=len, reverse=True)))
    spans: list[tuple[int, int]] = []
    for m in rx.finditer(folded):
        if m.end() > m.start():
            a, b = owner[m.start()], owner[m.end() - 1] + 1
            if spans and a <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
            else:
                spans.append((a, b))
    return spans
