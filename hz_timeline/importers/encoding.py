"""Bytes → text for Chinese documents: UTF-8 (BOM or not), UTF-16, GB18030/GBK, Big5.

Order of trust: a BOM decides; then strict UTF-8 (which almost never decodes by accident);
then BOM-less UTF-16 when the NUL-byte pattern says so; then GB18030 and Big5, each decoded
strictly and scored by how many of its characters are frequent Chinese characters. A file
that decodes in none of them, that contains NUL bytes or control characters like a binary,
or whose best decoding is mojibake (rare characters, private-use code points) is refused
with an ``InputError`` naming the file. Nothing is normalised: CRLF stays CRLF, so offsets
downstream refer to the text exactly as decoded.
"""

from __future__ import annotations

import re

from ..errors import InputError

# Frequent characters of both scripts: a decoding that yields many of them is the plausible one.
_COMMON = frozenset("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严杭州浙江企业经济数字投资创新科技市场政府发展计划项目公司集团亿元万龍國會這個為們說來時後對發過經還進開關於與當從麼業動個來說對時會學國經發現實點們這後過間還應開關問題電體當於與長對為動產萬億資創區場務網濟數計劃項圖團廠價錢會議織舉")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f\ue000-\uf8ff\ufffd]")
SAMPLE = 200_000  # characters scored when choosing between GB18030 and Big5


def looks_binary(text: str, name: str) -> None:
    sample = text[:SAMPLE]
    bad = len(_BAD.findall(sample))
    if bad > max(2, len(sample) // 200):
        raise InputError(f"{name}: looks like a binary file ({bad} control or private-use characters), not text")


def _score(text: str) -> tuple[float, int]:
    cjk = _CJK.findall(text[:SAMPLE])
    if not cjk:
        return 0.0, 0
    return sum(1 for c in cjk if c in _COMMON) / len(cjk), len(cjk)


def _utf16_without_bom(data: bytes) -> str | None:
    head = data[:4096]
    if len(head) < 4 or len(data) % 2:
        return None
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    half = len(head) // 2
    if odd > 0.3 * half and even < 0.05 * half:
        enc = "utf-16-le"
    elif even > 0.3 * half and odd < 0.05 * half:
        enc = "utf-16-be"
    else:
        return None
    try:
        return data.decode(enc)
    except UnicodeDecodeError:
        return None


def decode(data: bytes, name: str) -> str:
    """Decode bytes to text or raise InputError naming the file."""
    return decode_where(data, name)[0]


def decode_where(data: bytes, name: str) -> tuple[str, int | None]:
    """``decode``, and where in ``data`` the text starts when it was decoded as UTF-8 (0, or 3
    after a BOM; None for any other encoding): the text is then ``data[start:]`` byte for byte,
    and a caller may work on those bytes instead (``structured.iter_jsonl_groups``)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            text = data[3:].decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: has a UTF-8 BOM but is not valid UTF-8 (byte {e.start + 3})") from None
        looks_binary(text, name)
        return text, 3
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as e:
            raise InputError(f"{name}: has a UTF-16 BOM but is not valid UTF-16 (byte {e.start})") from None
        looks_binary(text, name)
        return text, None
    if b"\x00" in data[:4096]:
        text16 = _utf16_without_bom(data)
        if text16 is not None and not _BAD.search(text16[:4096]):
            looks_binary(text16, name)
            return text16, None
        raise InputError(f"{name}: looks like a binary file (NUL bytes), not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        looks_binary(text, name)
        return text, 0
    candidates = []
    for enc in ("gb18030", "big5"):
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        score, n = _score(text)
        bad = len(_BAD.findall(text[:SAMPLE]))
        candidates.append((score - bad / (n or 1), enc, text, n))
    if not candidates:
        raise InputError(f"{name}: cannot be decoded as UTF-8, UTF-16, GB18030/GBK or Big5")
    candidates.sort(key=lambda c: c[0], reverse=True)
    score, enc, text, n = candidates[0]
    if n >= 20 and score < 0.15:
        raise InputError(f"{name}: cannot be decoded as UTF-8, UTF-16, GB18030/GBK or Big5 (the best guess, {enc}, gives mojibake)")
    looks_binary(text, name)
    return text, None
