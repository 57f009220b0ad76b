"""Dated statements → event candidates, and the rules that merge candidates across sources.

``extract`` turns one document into candidates (an ``Event`` with one ``Mention``) plus its
undated mentions. ``compare`` scores a candidate against an existing event: same event (merge),
same story with an incompatible date (dispute) or unrelated. Knowledge (aliases, tags, kind
cues) is data in ``data/``; nothing here knows any particular article.
"""

from __future__ import annotations

import functools
import hashlib
import zlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..models import DateSpan, Document, Entity, Event, Mention, TimeExpression
from ..text import fold, fold_many

DATA = Path(__file__).with_name("data")
TITLE_MAX = 30
ORG_NAME_MAX = 6  # characters of an organisation's name before its suffix (公司, 科技…)

_SENTENCE_END = re.compile(r"[。！？!?；;\n]+|\.(?=\s)")
_CLAUSE_SEP = re.compile(r"[，,；;]")  # not colons: what follows one elaborates the same statement
# A clause opening with one of these sets place or circumstance; the statement comes after it.
_SETTING = re.compile(r"(?:但|而|并|並|也|就|早)?(?:在|于|於|随着|隨着|隨著|对于|對於|面对|面對)[^，,；;：:]{0,20}$")
_TITLE_SPLIT = re.compile(r"[，,；;。！？!?]|——")
_CLOCK = re.compile(r"(?<!\d)\d{1,2}:\d{2}(?!\d)")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]")
_WORDY = re.compile(r"[\u4e00-\u9fffA-Za-z]")
# Opening quotes and brackets stay: cutting them would unbalance the title.
_LEADING_JUNK = re.compile(r"^[\s，,、：:。；;”）)\]】」』—\-·]+|^(?:早在|到了|截至|截止|直到|在|于|於|从|從|自|而|并|並|就|也|则|則|以来|以來)+")
_TRAILING_JUNK = re.compile(r"[\s，,、：:；;“\"'（(【「『—\-]+$")
_NUMBER = re.compile(r"\d|[一二三四五六七八九十百千万亿兩两]+(?:亿|億|万|萬|%|倍|个|名|家)")
_BIGRAM_STRIP = re.compile(r"[\W\d_a-z]+")
_BIGRAM = re.compile(r"(?=([^\W\d_a-z]{2}))")  # overlapping: a look-ahead that consumes nothing
_PUNCT = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Knowledge:
    alias_re: re.Pattern | None
    alias_map: dict  # folded alias -> Entity
    org_re: re.Pattern
    person_re: re.Pattern
    title_re: re.Pattern
    tags: tuple  # (tag, compiled regex)
    kinds: dict  # kind -> compiled regex
    fillers: frozenset = frozenset()  # folded clauses that only introduce a statement
    actions: tuple = ()  # (action class, compiled regex)
    names: dict = None  # canonical name -> every folded alias (for the search index)
    # Every action keyword in one regex: where it finds nothing, no action class can match.
    any_action: re.Pattern | None = None
    org_suffix: re.Pattern | None = None  # the suffixes that end org_re's names


def _kw_regex(words) -> re.Pattern:
    parts = []
    for w in sorted({fold(w) for w in words if w}, key=len, reverse=True):
        e = re.escape(w)
        if re.search(r"[a-z]", w):
            # Means (?<![a-z])word(?![a-z]), with the look-behind after the first character: when
            # every alternative opens with a literal, the regex engine skips ahead to the
            # positions holding one of those first characters (ten times faster on a statement).
            head = re.escape(w[0])
            e = rf"{head}(?<![a-z]{head}){re.escape(w[1:])}(?![a-z])"
        parts.append(e)
    return re.compile("|".join(parts) if parts else r"(?!x)x")


@functools.lru_cache(maxsize=8)
def load_knowledge(extra: tuple[str, ...] = ()) -> Knowledge:
    """Read the alias and tag tables (plus user alias files with the same shape)."""
    alias_data = json.loads((DATA / "aliases.json").read_text("utf-8"))
    entries = list(alias_data["entities"])
    for path in extra:
        entries.extend(json.loads(Path(path).read_text("utf-8")).get("entities", []))
    alias_map: dict[str, Entity] = {}
    for e in entries:
        ent = Entity(e["name"], e.get("type", "other"))
        for a in [e["name"], *e.get("aliases", [])]:
            alias_map.setdefault(fold(a), ent)
    alias_re = _kw_regex(alias_map) if alias_map else None
    pat = alias_data["patterns"]
    name = f"[^\\W\\d_a-zA-Z{re.escape(pat['not_name_chars'])}]"
    # A suffix must end the name: 宇树科技的… is a company, 科技圈 and 科技项目 are not.
    suffixes = "|".join(map(re.escape, pat["org_suffixes"]))
    org_re = re.compile(f"{name}{{2,{ORG_NAME_MAX}}}(?:{suffixes})"
                        f"(?=[^\\u4e00-\\u9fff]|[{re.escape(pat['name_followers'])}]|$)")
    person_re = re.compile(
        f"(?:{'|'.join(map(re.escape, pat['person_titles']))})(?:兼\\w{{1,6}})?({name}{{2,3}})"
        "(?=[，,。、:：\\s（(]|说|說|表示|曾|在|于|於|带|帶|创|創|是)"
    )
    title_re = re.compile(r"《([^《》\n]{1,30})》")
    tag_data = json.loads((DATA / "tags.json").read_text("utf-8"))
    tags = tuple((t, _kw_regex(words)) for t, words in tag_data["tags"].items())
    kinds = {k: _kw_regex(v) for k, v in tag_data["kinds"].items() if isinstance(v, list)}
    fillers = frozenset(fold(w) for w in tag_data.get("title_fillers", []))
    action_words = {a: w for a, w in tag_data.get("actions", {}).items() if isinstance(w, list)}
    actions = tuple((a, _kw_regex(w)) for a, w in action_words.items())
    any_action = _kw_regex([w for words in action_words.values() for w in words])
    names: dict[str, list[str]] = {}
    for alias, ent in alias_map.items():
        names.setdefault(ent.name, []).append(alias)
    return Knowledge(alias_re, alias_map, org_re, person_re, title_re, tags, kinds, fillers, actions, names, any_action,
                     re.compile(suffixes))


def find_entities(text: str, kb: Knowledge) -> tuple[Entity, ...]:
    return _entities(text, fold(text), kb)


def _entities(text: str, folded: str, kb: Knowledge) -> tuple[Entity, ...]:
    """``find_entities`` with ``folded == fold(text)`` already at hand (same length as text for
    CJK; used only to look names up)."""
    found: dict[str, Entity] = {}
    taken: list[tuple[int, int]] = []
    if kb.alias_re is not None:
        for m in kb.alias_re.finditer(folded):
            ent = kb.alias_map[m.group(0)]
            found.setdefault(ent.name, ent)
            taken.append(m.span())

    def free(a, b):
        return all(b <= s or a >= e for s, e in taken)

    for m in kb.title_re.finditer(text):
        if free(*m.span(1)):
            found.setdefault(m.group(1), Entity(m.group(1), "product"))
    for m in kb.person_re.finditer(text):
        if free(*m.span(1)):
            found.setdefault(m.group(1), Entity(m.group(1), "person"))
    # An organisation's name ends with a suffix, at most ORG_NAME_MAX characters after the name
    # starts: none starts before the first suffix less that, and most statements have no suffix.
    start = 0
    if kb.org_suffix is not None:
        first = kb.org_suffix.search(text)
        if first is None:
            return tuple(found.values())
        start = max(0, first.start() - ORG_NAME_MAX)
    for m in kb.org_re.finditer(text, start):
        if free(*m.span()):
            found.setdefault(m.group(0), Entity(m.group(0), "org"))
    return tuple(found.values())


def find_tags(text: str, kb: Knowledge) -> tuple[str, ...]:
    return _tags(fold(text), kb)


def _tags(folded: str, kb: Knowledge) -> tuple[str, ...]:
    return tuple(t for t, rx in kb.tags if rx.search(folded))


def classify(text: str, span: DateSpan, published_end: str | None, kb: Knowledge) -> str:
    return _classify(fold(text), span, published_end, kb)


def _classify(folded: str, span: DateSpan, published_end: str | None, kb: Knowledge) -> str:
    if kb.kinds["forecast"].search(folded):
        return "forecast"
    if kb.kinds["plan"].search(folded):
        return "plan"
    if published_end and span.start and span.start > published_end:
        return "forecast"
    if kb.kinds["statistic"].search(folded) and _NUMBER.search(folded):
        return "statistic"
    return "past"


def make_title(quote: str, time_text: str, kb: Knowledge | None = None) -> str:
    """A short 'who did what' line: the statement cut at a clause boundary.

    A date that opens the statement is dropped (the timeline shows it); one inside the
    sentence stays, since cutting it out would leave a hole in the grammar. Clauses that only
    introduce (数据显示, 比如) are skipped.
    """
    s, parts = _title_parts(quote, time_text)
    return _title(s, parts, fold_many([c for _, c in parts]), time_text, kb.fillers if kb else ())


def _title_parts(quote: str, time_text: str) -> tuple[str, list[tuple[str, str]]]:
    """``make_title``'s first half: the quote with its spaces collapsed, and its clauses as
    (clause, clause less leading junk and an opening date), empty ones and the bare date left out."""
    s = _SPACES.sub(" ", quote).strip()
    parts = []
    for raw in _TITLE_SPLIT.split(s):
        raw = raw.strip()
        c = _LEADING_JUNK.sub("", raw)
        if time_text and c.startswith(time_text):
            c = _LEADING_JUNK.sub("", c[len(time_text):].lstrip("的起"))
        if c and c != time_text:
            parts.append((raw, c))
    return s, parts


def _title(s: str, parts: list[tuple[str, str]], folded: list[str], time_text: str, fillers) -> str:
    """``make_title``'s second half, given ``folded``: each clause of ``parts`` folded."""
    heads = _first_chars(fillers)
    clauses = []
    setting = []  # clauses that only set the scene (在余杭区未来科技城): a title of last resort
    title = ""
    for (raw, c), fc in zip(parts, folded):
        if fc in fillers:
            continue
        head = None
        if heads is None or fc[:1] in heads:  # else no filler can open fc
            head = next((f for f in fillers if fc.startswith(f) and len(c) > len(f) + 3 and fold(c[:len(f)]) == f), None)
        if head:  # 比如國內唯一… → 國內唯一…
            c = _LEADING_JUNK.sub("", c[len(head):])
        if not clauses and _SETTING.match(raw):
            setting.append(c)
            continue
        clauses.append(c)
        title = f"{title}，{c}" if title else c
        if len(title) >= 8:
            break  # the clauses after this one cannot change the title
    if not clauses:
        for c in setting:
            title = f"{title}，{c}" if title else c
            if len(title) >= 8:
                break
    title = _TRAILING_JUNK.sub("", title) or s.strip() or time_text
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1].rstrip("，,、 ") + "…"
    return title


@functools.lru_cache(maxsize=8)
def _first_chars(words) -> frozenset | None:
    """The first characters of ``words``; None if one of them is empty (any text opens with it)."""
    if not all(words):
        return None
    return frozenset(w[0] for w in words)


def _sentences(text: str):
    start = 0
    for m in _SENTENCE_END.finditer(text):
        yield start, m.end()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def _trim(text: str, a: int, b: int) -> tuple[int, int]:
    while a < b and (text[a].isspace() or text[a] in "，,、：:—"):
        a += 1
    while b > a and (text[b - 1].isspace() or text[b - 1] in "，,、：:；;—\n"):
        b -= 1
    return a, b


def _opens_clause(text: str, start: int, floor: int) -> int | None:
    """Where the clause that ``start`` opens begins, if only spaces/quotes separate it from a separator."""
    i = start
    while i > floor and text[i - 1] in " \t\u3000“\"「『(（":
        i -= 1
    if i > floor and (_CLAUSE_SEP.match(text, i - 1) or text[i - 1] == "—"):
        return i
    return None


def statements(text: str, exprs: list[TimeExpression]):
    """(start, end, expression) for each dated statement: the clause(s) a date opens, else its sentence."""
    out = []
    i = 0
    n = len(exprs)
    for s_start, s_end in _sentences(text):
        group = []
        while i < n and exprs[i].start_char < s_end:
            if exprs[i].start_char >= s_start:
                group.append(exprs[i])
            i += 1
        if not group:
            continue
        # A later date that opens a new clause starts a new statement, unless it repeats the date before.
        cuts = [s_start]
        lead = [group[0]]
        for e in group[1:]:
            prev = lead[-1]
            if not (e.span.resolved and prev.span.resolved) or e.span.start == prev.span.start:
                continue
            cut = _opens_clause(text, e.start_char, prev.end_char)
            if cut is None:
                seps = [m.end() for m in _CLAUSE_SEP.finditer(text, prev.end_char, e.start_char)]
                cut = seps[-1] if seps else None
            # Only where the statement before the cut says something besides its date.
            if cut is not None and len(_WORDY.findall(text[cuts[-1]:cut].replace(prev.text, ""))) >= 4:
                cuts.append(cut)
                lead.append(e)
        cuts.append(s_end)
        for k, e in enumerate(lead):
            a, b = _trim(text, cuts[k], cuts[k + 1])
            if a < b and not _is_dateline(text[a:b], e):
                out.append((a, b, e))
    return out


def _is_dateline(quote: str, e: TimeExpression) -> bool:
    """A byline such as 'B站影视 2025-02-06 17:07': a date with a clock time and little else."""
    rest = quote.replace(e.text, " ")
    return bool(_CLOCK.search(rest)) and len(_CJK_RUN.findall(rest)) <= 8 and len(quote) <= 60


def event_id(doc_sha: str, start_char: int, end_char: int) -> str:
    return "ev-" + hashlib.sha1(f"{doc_sha}:{start_char}:{end_char}".encode()).hexdigest()[:12]


def extract(doc: Document, exprs: list[TimeExpression], kb: Knowledge | None = None):
    """Candidates (one Event per dated statement) and undated Mentions of a document."""
    kb = kb or load_knowledge()
    published_end = _published_end(doc.published)
    candidates: list[Event] = []
    undated: list[Mention] = []
    dated = []
    texts = []  # every dated quote and its title clauses, to be folded in one go
    for a, b, e in statements(doc.text, exprs):
        quote = doc.text[a:b]
        mention = Mention(doc.path, a, b, quote, e.text, e.start_char, e.end_char, e.span)
        if not e.span.resolved or _too_long(e.span):
            undated.append(mention)
            continue
        s, parts = _title_parts(quote, e.text)
        dated.append((a, b, e, quote, mention, s, parts))
        texts.append(quote)
        texts.extend(c for _, c in parts)
    folded_texts = iter(fold_many(texts))
    for a, b, e, quote, mention, s, parts in dated:
        folded = next(folded_texts)  # for kind, names and tags
        folded_parts = [next(folded_texts) for _ in parts]
        candidates.append(
            Event(
                id=event_id(doc.sha256, a, b),
                start=e.span.start,
                end=e.span.end,
                precision=e.span.precision,
                title=_title(s, parts, folded_parts, e.text, kb.fillers),
                summary=quote,
                kind=_classify(folded, e.span, published_end, kb),
                entities=_entities(quote, folded, kb),
                tags=_tags(folded, kb),
                mentions=(mention,),
            )
        )
    return candidates, undated


MAX_EVENT_YEARS = 50


def _too_long(span: DateSpan) -> bool:
    """A span of more than MAX_EVENT_YEARS years (a century, "近百年来", "1949年至今") dates a
    statement, not an event: on a timeline it would stretch across everything. Its statement is
    kept as an undated mention."""
    try:
        return int(span.end[:4]) - int(span.start[:4]) > MAX_EVENT_YEARS
    except (TypeError, ValueError):
        return False


def _published_end(published: str | None) -> str | None:
    if not published:
        return None
    p = published[:10]
    if len(p) == 4:
        return p + "-12-31"
    if len(p) == 7:
        return p + "-31"
    return p


# ---------------------------------------------------------------- merging


def _bigrams(text: str) -> frozenset:
    return _folded_bigrams(fold(text))


def _folded_bigrams(folded: str) -> frozenset:
    """Every pair of adjacent characters kept by ``_BIGRAM_STRIP`` (no digits, Latin letters,
    punctuation or space): the bigrams of each run left by stripping, found in one C-level pass."""
    return frozenset(_BIGRAM.findall(folded))


@functools.lru_cache(maxsize=4096)
def _name_bigrams(name: str) -> frozenset:
    # Entity names recur across statements and documents: their bigrams are worth keeping.
    return _bigrams(name)


@dataclass(frozen=True)
class Verdict:
    relation: str  # same | dispute | none
    score: float
    reasons: tuple[str, ...]


def _content(ev: Event) -> str:
    return " ".join(m.quote.replace(m.time_text, " ") for m in ev.mentions)


_NEGATION = re.compile(r"(?:无法|無法|没有|沒有|未能|不能|未|没|沒|不)\S?$")


def actions_of(text: str, kb: Knowledge) -> frozenset:
    """Action classes a statement asserts; a negated verb (无法交付) asserts nothing."""
    return _actions(fold(text), kb)


def _actions(folded: str, kb: Knowledge) -> frozenset:
    if kb.any_action is not None and not kb.any_action.search(folded):
        return frozenset()  # (four statements in ten) instead of a search per action class
    found = set()
    for a, rx in kb.actions:
        for m in rx.finditer(folded):
            if not _NEGATION.search(folded, max(0, m.start() - 3), m.start()):
                found.add(a)
                break
    return frozenset(found)


@dataclass(frozen=True)
class Profile:
    """What merging needs to know of an event, computed once: dates, wording, actors, actions."""

    start: str
    end: str
    precision: str
    grams: frozenset
    key: frozenset  # organisations, people, products, policies, events
    places: frozenset
    actions: frozenset
    common: frozenset = frozenset()  # actors and places seen in so many events they prove little


def profile(ev: Event, kb: Knowledge | None = None) -> Profile:
    return _profile(ev, fold(_content(ev)), kb or load_knowledge())


def profiles(events: list[Event], kb: Knowledge | None = None) -> list[Profile]:
    """``[profile(ev) for ev in events]``, their wording folded in one go (``fold_many``)."""
    kb = kb or load_knowledge()
    return [_profile(ev, f, kb) for ev, f in zip(events, fold_many([_content(ev) for ev in events]))]


def _profile(ev: Event, folded: str, kb: Knowledge) -> Profile:
    """``profile`` given ``folded == fold(_content(ev))`` (for wording and actions)."""
    # Names are counted as shared actors; left in the wording they would count twice.
    names = frozenset().union(*(_name_bigrams(e.name) for e in ev.entities)) if ev.entities else frozenset()
    return Profile(
        ev.start, ev.end, ev.precision, _folded_bigrams(folded) - names,
        frozenset(e.name for e in ev.entities if e.type != "place"),
        frozenset(e.name for e in ev.entities if e.type == "place"),
        _actions(folded, kb),
    )


def compare(cand: Event | Profile, other: Event | Profile, kb: Knowledge | None = None, *, quiet: bool = False) -> Verdict:
    """Is ``cand`` the same real-world event as ``other`` (from another document)?

    Evidence: wording (character bigrams after script folding, dates removed), shared actors
    (organisations, people, products, policies; places count only in pairs, as in city rivalries),
    a shared kind of action, and how precisely the dates agree. Compatible dates + enough evidence
    = same event; the same story with disjoint dates = a dispute. Every rule but near-identical
    wording needs shared actors, which is what lets the store look for candidates cheaply.

    ``quiet``: a "none" verdict comes without its reasons. Merging compares each statement with
    dozens of stored events and shows only the reasons of a match or a dispute, so it skips
    formatting the others.
    """
    a = cand if isinstance(cand, Profile) else profile(cand, kb)
    b = other if isinstance(other, Profile) else profile(other, kb)
    j = judge(a, b)
    if j is None:
        return _APART
    relation, score, _ = j
    if quiet and relation == "none":
        return Verdict("none", score, ())
    return Verdict(relation, score, reasons(a, b, j))


def judge(a: Profile, b: Profile) -> tuple[str, float, tuple] | None:
    """``compare`` of two profiles without formatting its reasons: (relation, score, what
    ``reasons`` formats), or None for the verdict "dates apart, nothing shared" (score 0).

    Merging compares each statement with dozens of stored events, most of them unrelated, and
    keeps one match and a few disputes: only those need their reasons (``reasons``)."""
    overlap = a.start <= b.end and b.start <= a.end
    shared_set = a.key & b.key
    places_set = a.places & b.places
    if not overlap and not shared_set and len(places_set) < 2:
        return None  # the common case, cheaply
    ga, gb = a.grams, b.grams
    inter = len(ga & gb)
    # |a ∪ b| without building the union
    text_sim = inter / ((len(ga) + len(gb) - inter) or 1)
    contain = inter / (min(len(ga), len(gb)) or 1)
    n_places = len(places_set)
    actors = bool(shared_set) or n_places >= 2
    if not actors and text_sim < 0.3:
        return "none", round(0.6 * text_sim + 0.15 * contain, 3), (text_sim,)
    same_day = a.precision == b.precision == "day" and a.start == b.start and a.end == b.end
    score = round(min(1.0, 0.6 * text_sim + 0.15 * contain + 0.15 * min(len(shared_set), 2) + 0.05 * min(n_places, 2)
                      + (0.1 if same_day else 0.0)), 3)
    acts_set = a.actions & b.actions
    # A shared action alone is weak evidence unless the actors are specific (not in every story).
    common = a.common | b.common
    specific = bool(shared_set - common) or (n_places >= 2 and bool(places_set - common))
    # Both name their actors and none is shared: similar wording is then a similar event of
    # someone else (names are left out of the wording, so it can look identical).
    # Likewise two statements set in different places (both name one, none shared) tell of two
    # events, not one event with two dates.
    elsewhere = bool(a.places) and bool(b.places) and not places_set
    rival = (bool(a.key) and bool(b.key) and not shared_set) or elsewhere
    relation, rule = "none", None
    if overlap:
        if text_sim >= 0.3 and not rival:
            rule = "near-identical wording"
        elif shared_set and text_sim >= 0.12:
            rule = "same actors, similar wording"
        elif same_day and shared_set:
            rule = f"same day {a.start}, same actors"
        elif specific and acts_set and inter:
            rule = "same actors, same action"
        elif n_places >= 2 and text_sim >= 0.12 and contain >= 0.2:
            rule = "same places, similar wording"
        if rule:
            relation = "same"
    elif not elsewhere and ((shared_set and text_sim >= 0.2) or (n_places >= 2 and text_sim >= 0.3) or (specific and acts_set)):
        relation = "dispute"
    return relation, score, (text_sim, contain, shared_set, places_set, acts_set, rule)


def judge_kept(a: Profile, b: Profile) -> tuple[str, float, tuple] | None:
    """``judge(a, b)`` if it says "same" or "dispute", else None: all that merging keeps. Most
    pairs it compares fail a condition every such verdict needs, and are turned down before
    their score and the rest of their evidence are worked out. The rules are ``judge``'s."""
    # (an intersection makes a new set even when one side is empty, as half of them are)
    shared_set = a.key & b.key if a.key and b.key else _NOTHING
    places_set = a.places & b.places if a.places and b.places else _NOTHING
    n_places = len(places_set)
    overlap = a.start <= b.end and b.start <= a.end
    if not shared_set and n_places < 2:
        # No shared actors: only near-identical wording, with dates that overlap and no rival
        # actors or places, makes a match, and nothing a dispute.
        if not overlap or (a.key and b.key) or (a.places and b.places and not places_set):
            return None
        ga, gb = a.grams, b.grams
        inter = len(ga & gb)
        text_sim = inter / ((len(ga) + len(gb) - inter) or 1)
        if text_sim < 0.3:
            return None
        relation, rule = "same", "near-identical wording"
        acts_set = a.actions & b.actions
    else:
        elsewhere = bool(a.places) and bool(b.places) and not places_set
        if not overlap and elsewhere:
            return None
        ga, gb = a.grams, b.grams
        inter = len(ga & gb)
        text_sim = inter / ((len(ga) + len(gb) - inter) or 1)
        acts_set = a.actions & b.actions
        if overlap:
            relation = "same"
            if text_sim >= 0.3 and not ((bool(a.key) and bool(b.key) and not shared_set) or elsewhere):
                rule = "near-identical wording"
            elif shared_set and text_sim >= 0.12:
                rule = "same actors, similar wording"
            elif shared_set and a.precision == b.precision == "day" and a.start == b.start and a.end == b.end:
                rule = f"same day {a.start}, same actors"
            elif acts_set and inter and _specific(a, b, shared_set, places_set, n_places):
                rule = "same actors, same action"
            elif n_places >= 2 and text_sim >= 0.12 and inter / (min(len(ga), len(gb)) or 1) >= 0.2:
                rule = "same places, similar wording"
            else:
                return None
        elif ((shared_set and text_sim >= 0.2) or (n_places >= 2 and text_sim >= 0.3)
              or (acts_set and _specific(a, b, shared_set, places_set, n_places))):
            relation, rule = "dispute", None
        else:
            return None
    contain = inter / (min(len(ga), len(gb)) or 1)
    same_day = a.precision == b.precision == "day" and a.start == b.start and a.end == b.end
    score = round(min(1.0, 0.6 * text_sim + 0.15 * contain + 0.15 * min(len(shared_set), 2) + 0.05 * min(n_places, 2)
                      + (0.1 if same_day else 0.0)), 3)
    return relation, score, (text_sim, contain, shared_set, places_set, acts_set, rule)


def _specific(a: Profile, b: Profile, shared_set: frozenset, places_set: frozenset, n_places: int) -> bool:
    """``judge``'s ``specific``: a shared actor (or two shared places) not common to every story."""
    ac, bc = a.common, b.common
    if not ac and not bc:  # (a stored event's profile never has any)
        return bool(shared_set) or n_places >= 2
    return (any(n not in ac and n not in bc for n in shared_set)
            or (n_places >= 2 and any(n not in ac and n not in bc for n in places_set)))


_NOTHING = frozenset()


def reasons(a: Profile, b: Profile, judged: tuple[str, float, tuple] | None) -> tuple[str, ...]:
    """The reasons of ``compare(a, b)``, given ``judged == judge(a, b)``."""
    if judged is None:
        return _APART.reasons
    relation, _, why = judged
    if len(why) == 1:
        return (f"wording {why[0]:.2f}",)
    text_sim, contain, shared_set, places_set, acts_set, rule = why
    out = [f"wording {text_sim:.2f} (containment {contain:.2f})"]
    if shared_set:
        out.append("shared actors: " + ", ".join(sorted(shared_set)))
    if places_set:
        out.append("shared places: " + ", ".join(sorted(places_set)))
    if acts_set:
        out.append("shared action: " + ", ".join(sorted(acts_set)))
    if relation == "same":
        out.insert(0, f"{rule}; dates agree ({_span(a)} / {_span(b)})")
    elif relation == "dispute":
        out.insert(0, f"same story, incompatible dates: {_span(a)} vs {_span(b)}")
    return tuple(out)


_APART = Verdict("none", 0.0, ("no shared actors, dates apart",))


SKETCH_SIZE = 8
_PRIME = (1 << 31) - 1
_SEEDS = [(1103515245 * (i + 1) % _PRIME or 1, 12345 * (i + 7) % _PRIME) for i in range(SKETCH_SIZE)]


_GRAM_ROWS_MAX = 1 << 15  # about 16 MB
_gram_rows: dict[str, tuple[int, ...]] = {}


def _gram_row(g: str) -> tuple[int, ...]:
    """A bigram's eight hash values, each already tagged with its slot (``i << 31``)."""
    h = zlib.crc32(g.encode("utf-8"))
    return tuple((i << 31) | (a * h + b) % _PRIME for i, (a, b) in enumerate(_SEEDS))


def sketch(grams: frozenset) -> list[int]:
    """MinHash of a statement's character bigrams: two statements whose bigram sets overlap by a
    Jaccard of J share each value with probability J, so near-identical wording (J >= 0.3) shares
    at least one of eight with probability 0.94, and an index on the values finds it in one look-up
    whatever the size of the store."""
    if not grams:
        return []
    # A bigram's row is a pure function of it and the same bigrams come back statement after
    # statement, so rows are kept (a bounded table, emptied when full). A slot's values all
    # carry the same high bits, so the minimum of the tagged values is the tagged minimum.
    rows = _gram_rows
    try:
        picked = [rows[g] for g in grams]
    except KeyError:
        if len(rows) + len(grams) > _GRAM_ROWS_MAX:
            rows.clear()
        for g in grams:
            if g not in rows:
                rows[g] = _gram_row(g)
        picked = [rows[g] for g in grams]
    return list(map(min, zip(*picked)))


def _span(ev: Event) -> str:
    return ev.start if ev.start == ev.end else f"{ev.start}..{ev.end}"


def same_statement(a: Event, b: Event) -> bool:
    """A statement repeated within one document (headline, abstract, body), possibly cut short.

    Equal after folding, or one is a prefix of the other and stops without closing punctuation
    (an abstract truncated mid-sentence).
    """
    if (a.start, a.end) != (b.start, b.end):
        return False
    x, y = sorted((_PUNCT.sub("", fold(a.summary)), _PUNCT.sub("", fold(b.summary))), key=len)
    if not x:
        return False
    if x == y:
        return True
    cut_short = not re.search(r"[。！？!?…」』”\"]\s*$", a.summary if len(a.summary) <= len(b.summary) else b.summary)
    return cut_short and len(x) >= 8 and y.startswith(x)
