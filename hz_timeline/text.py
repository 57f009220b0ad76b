"""Text utilities shared by every layer: script folding for search/merging and display safety.

``fold`` is the one normalisation used both when indexing and when querying, so that 寧波 finds
宁波, ＡＩ finds ai, and a CJK phrase of any length matches any substring (see ``fold_for_index``).
"""

from __future__ import annotations

import functools
import re
import unicodedata

_CJK = (
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af"
    "\U00020000-\U0002ebef\u3005\u3007"
)
_CJK_CHAR = re.compile(f"([{_CJK}])")
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SPACES = re.compile(r"\s+")
# C0/C1 controls except tab/newline, plus ANSI/OSC escape sequences as a whole.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@functools.lru_cache(maxsize=1)
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


# Full-width punctuation common in Chinese text → its NFKD form (ASCII). Replacing a character
# by its NFKD form leaves the NFKC of the string unchanged, and a string without such characters
# passes NFKC's quick check instead of being decomposed and recomposed character by character
# (the slower half of ``fold``): NFKC(s) == NFKC(s with these replaced), always.
_FULL_WIDTH = tuple((c, unicodedata.normalize("NFKD", c)) for c in "，：；（）！？％　")


def fold(text: str) -> str:
    """Traditional → simplified, full-width → half-width (NFKC), lower case."""
    if not text:
        return ""
    return fold_converted(to_simplified(text))


def fold_converted(s: str) -> str:
    """``fold`` of a text already converted to simplified script (``to_simplified``)."""
    for wide, narrow in _FULL_WIDTH:
        if wide in s:
            s = s.replace(wide, narrow)
    return unicodedata.normalize("NFKC", s).casefold()


def fold_many(texts: list[str]) -> list[str]:
    """``[fold(t) for t in texts]``, with one call to each step for all of them (most of the cost
    of folding a short text is the call, not its characters).

    The texts are folded joined by line feeds and split apart again. Each step maps a line feed
    to itself and never lets one take part in a mapping: an OpenCC dictionary key or value is a
    line of its dictionary file, so none holds one; a line feed neither decomposes nor composes
    under NFKC; case folding is per character. If a text holds a line feed itself (the pieces
    would split wrongly), or the pieces do not come out as many as went in, each is folded alone."""
    n = len(texts)
    if n < 2:
        return [fold(t) for t in texts]
    joined = "\n".join(texts)
    if joined.count("\n") == n - 1:
        out = fold(joined).split("\n")
        if len(out) == n:
            return out
    return [fold(t) for t in texts]


class _SpacedCJK(dict):
    """``str.translate`` table: a CJK character → itself between spaces, anything else → itself;
    filled on first sight of each character (a fixed table would need every CJK code point)."""

    def __missing__(self, code: int) -> str:
        c = chr(code)
        out = self[code] = f" {c} " if _CJK_CHAR.match(c) else c
        return out


_SPACED = _SpacedCJK()


def space_cjk(text: str) -> str:
    """Spaces around every CJK character, others untouched (``split_cjk`` before collapsing)."""
    return text.translate(_SPACED)


def split_cjk(folded: str) -> str:
    """Put spaces around every CJK character so a tokenizer sees one token per character, and
    collapse every run of whitespace to one space (none at the ends)."""
    # A translate table and str.split run in C: about three times faster than a substitution
    # with a callback per run of CJK characters (the same result: both split on str.isspace).
    return " ".join(folded.translate(_SPACED).split())


def fold_for_index(text: str) -> str:
    return split_cjk(fold(text))


# Code point ranges without a character that NFKC composes with the character before it (the
# second half of a canonical pair that is not a combining mark: a few Indic, Sinhala, Tibetan,
# Myanmar, Balinese vowel signs, Hangul vowels and final consonants; the tests check these
# ranges against the Unicode database). Latin to Arabic; punctuation and symbols; CJK radicals,
# punctuation, kana, bopomofo, ideographs; compatibility ideographs and forms; half and full
# width forms; the supplementary ideographs.
_ALONE_STARTERS = ((0x0000, 0x08FF), (0x2000, 0x2BFF), (0x2E80, 0xA4CF), (0xF900, 0xFAFF), (0xFE30, 0xFE4F),
                   (0xFF00, 0xFFEF), (0x20000, 0x3134F))
UNSURE = "\ue001"  # what FoldSpaced gives for a character it can't fold on its own


def _alone(c: str) -> bool:
    """Whether NFKC treats ``c`` the same wherever it stands: its decomposition starts with a
    starter (a character of combining class 0) that composes with nothing before it. Then
    nothing before ``c`` can combine with it or be reordered past it, and what follows is the
    same kind of character, so NFKC of a string of them is the NFKC of each one joined."""
    first = ord(unicodedata.normalize("NFKD", c)[0])
    return any(lo <= first <= hi for lo, hi in _ALONE_STARTERS) and not unicodedata.combining(chr(first))


class FoldSpaced(dict):
    """``str.translate`` table doing ``split_cjk(fold(…))`` but for the OpenCC step and the
    collapsing of spaces, one character at a time: a character → its NFKC form, case-folded,
    CJK characters between spaces. That is only right for characters NFKC treats the same
    wherever they stand (nearly all Chinese text: ideographs, punctuation, ASCII, full-width
    forms); any other → ``UNSURE``, and the caller folds that text as a whole. ``keep``: a
    character that stays itself (a separator). Filled on first sight of each character."""

    def __init__(self, keep: str = ""):
        super().__init__({ord(k): k for k in keep})

    def __missing__(self, code: int) -> str:
        c = chr(code)
        out = self[code] = unicodedata.normalize("NFKC", c).casefold().translate(_SPACED) if _alone(c) else UNSURE
        return out


def script_of(text: str) -> str:
    """'simplified', 'traditional' or 'mixed', judged by how much t2s changes the CJK text."""
    cjk = "".join(_CJK_RUN.findall(text[:20000]))
    if not cjk:
        return "simplified"
    simplified = to_simplified(cjk)
    changed = 0 if simplified == cjk else sum(map(str.__ne__, cjk, simplified))
    ratio = changed / len(cjk)
    if ratio > 0.04:
        return "traditional"
    if ratio > 0.005:
        return "mixed"
    return "simplified"


def strip_control(text: str) -> str:
    """Remove terminal escape sequences and control characters (keeps tab and newline)."""
    if not text:
        return ""
    return _CONTROL.sub("", _ANSI.sub("", text))


def one_line(text: str) -> str:
    return _SPACES.sub(" ", strip_control(text)).strip()
