"""One canonical spelling of a chat message, with a map back to what was written.

Rules, the insight extractor and a learned model all want to see 「保证」 whether the rep typed
「保 证」, 「保-证」, 「保證」 or 「保🙂证」, and 「微信」 whether it was 「vx」 or 「V信」.
:func:`normalize` is a pure function that returns the canonical text and, for every one of
its characters, the index of the character it came from, so a span found in the canonical
text still points at the words the caller gave us.

In order:

1. full-width forms become ASCII (``７折`` → ``7折``), Latin letters lower case;
2. traditional characters become simplified (OpenCC ``t2s``);
3. financial and variant numerals become ordinary ones: 壹贰叁柒捌玖佰仟 always, 伍陆肆拾
   only in a run of numerals holding an unambiguous mark such as 万/元/整/a digit (伍拾万元整;
   队伍, 陆续 and 收拾 stay), 〇 → 零, 两 → 二 before 千/百/万/亿, 幺 → 一 among digits;
4. pay-channel abbreviations are spelled out when they stand as a token (read before step 5,
   while the spaces around a token still bound it): wx/vx/v信/weixin →
   微信, zfb/zhifubao → 支付宝, yhk → 银行卡, v → 微信 in 「加v」/「v我」, hk → 汇款 only
   next to a payment verb (「先hk」, 「hk到」: bare HK is Hong Kong), 威信 → 微信 only
   next to 加/转/扫…(树立威信 is prestige), lp/lg → 老婆/老公 after 我. dd is left alone:
   in sales chat it is as often 钉钉 or 滴滴 as 订单;
5. spaces, zero-width characters and emoji disappear; so does punctuation that sits inside
   a word (``保-证``, ``保.证``, ``保·证``), i.e. between two Chinese characters: sentence
   and clause marks (。，！？；、) are never dropped.

Steps 1 to 3 keep the length. The map back is built only when asked for (a flag to report),
from the inputs of the steps that changed the length.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any, Literal

# -- 1. width and case -------------------------------------------------------------------
_FOLD: dict[str, str] = {chr(code): chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)}
_FOLD.update({chr(code): chr(code).lower() for code in range(ord("A"), ord("Z") + 1)})
_FOLD.update({chr(ord("Ａ") + i): chr(ord("a") + i) for i in range(26)})  # full-width capitals
# Most characters of a Chinese message need no change: replacing the few common ones with
# str.replace, then substituting whatever is left, is twice as fast as str.translate.
_TO_FOLD = re.compile("[" + re.escape("".join(_FOLD)) + "]")
_COMMON_FULL_WIDTH = "，！？：；（）％"


def _folded(text: str) -> str:
    for ch in _COMMON_FULL_WIDTH:
        if ch in text:
            text = text.replace(ch, _FOLD[ch])
    if _TO_FOLD.search(text):
        text = _TO_FOLD.sub(lambda m: _FOLD[m.group()], text)
    return text


# -- 3. numerals ---------------------------------------------------------------------------
_ALWAYS_NUMERAL = {"壹": "一", "贰": "二", "叁": "三", "柒": "七", "捌": "八", "玖": "九",
                   "佰": "百", "仟": "千", "〇": "零"}  # fmt: skip
_AMBIGUOUS_NUMERAL = {"伍": "五", "陆": "六", "肆": "四", "拾": "十"}
_STRONG = "".join(_ALWAYS_NUMERAL) + "万亿元圆整0123456789"
_FINANCIAL_CHARS = "".join(_ALWAYS_NUMERAL) + "".join(_AMBIGUOUS_NUMERAL)
# Only runs holding a financial numeral are rewritten; plain 88万 never reaches the callback.
_NUMERAL = re.compile(
    f"[{_FINANCIAL_CHARS}万亿元圆整零0-9]*[{_FINANCIAL_CHARS}][{_FINANCIAL_CHARS}万亿元圆整零0-9]*"
    r"|两(?=[千百万亿])"
    r"|(?<=[0-9一二三四五六七八九零])幺|幺(?=[0-9一二三四五六七八九零幺])"
)
_NUMERAL_OF = {**_ALWAYS_NUMERAL, **_AMBIGUOUS_NUMERAL, "两": "二", "幺": "一"}


def _numeral(match: re.Match[str]) -> str:
    # A run of financial numerals: 伍/陆/肆/拾 count only with an unambiguous mark in the same
    # run (伍拾万元整, 陆万; not 队伍陆续). Plain digits break a run: 大陆一万家.
    run = match.group()
    if len(run) == 1 and run in "两幺":
        return _NUMERAL_OF[run]
    strong = any(ch in _STRONG for ch in run)
    return "".join(
        _NUMERAL_OF[ch] if ch in _ALWAYS_NUMERAL or (strong and ch in _NUMERAL_OF) else ch
        for ch in run
    )


# A character class is found far faster than an alternation; 两 is common (两个), so 两万 is
# looked for only when 两 is there.
_NUMERAL_HINT = re.compile(f"[{_FINANCIAL_CHARS}幺]")
_LIANG = re.compile("两[千百万亿]")

# -- 5. characters that go away -------------------------------------------------------------
_SPACE = " \t\r\f\v\u00a0\u3000\u200b\u200c\u200d\u2060\ufeff"
# Emoji and pictographs, their variation selectors, skin tones and keycap marks. Arrows
# (→, used as 10万→8万) are kept.
_EMOJI = "\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe00-\ufe0f\u20e3\U000e0020-\U000e007f"
_HAN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff]")
# Punctuation that may sit inside a word to dodge a filter; '/' is kept (元/年), and so is
# every mark that ends a clause or sentence.
_INFIX = r"\-_.·•*~'\"`^|\\“”‘’"
_GONE_RUN = re.compile(f"[{_SPACE}{_EMOJI}]+")
# Starts at a mark (fast to find); spaces before it are added in Python.
_INFIX_RUN = re.compile(f"[{_INFIX}][{_SPACE}{_EMOJI}{_INFIX}]*")
_GONE_CHAR = re.compile(f"[{_SPACE}{_EMOJI}]")
_INFIX_HINT = re.compile(f"[{_INFIX}]")

# -- 4. abbreviations, read as Latin tokens while the spaces that bound them are still there --
# Candidates only (a literal prefix is fast to find); whole-token is checked in Python.
_LATIN = re.compile(r"weixin|zhifubao|zfb|yhk|wx|vx|hk|lp|lg|v")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")
_GAP = re.compile(f"[{_SPACE}]*")
_TOKENS = {"wx": "微信", "vx": "微信", "weixin": "微信", "zfb": "支付宝", "zhifubao": "支付宝",
           "yhk": "银行卡"}  # fmt: skip
# token -> (characters before it, characters after it, replacement): one side must match.
_IN_CONTEXT = {
    "v": ("加私", "我", "微信"),
    "hk": ("先请已去", "到给至后了过完", "汇款"),
    "lp": ("我", "", "老婆"),
    "lg": ("我", "", "老公"),
}
_WEIXIN_LOOKALIKE = re.compile(
    "薇信|(?<=[加转到用扫])威信|(?<=[加转到用扫]我)威信|威信(?=号|转|付|支付|收款|扫|二维码)"
)


# A character one of steps 3 to 5 may change (or 两 before a unit); without one, they are skipped.
_LATER_STEPS = re.compile(f"[{_SPACE}{_EMOJI}{_INFIX}a-z威薇{_FINANCIAL_CHARS}幺]")


Edit = tuple[int, int, str]  # replace text[start:end] with the string
# A step that changed the length, as its name and its input: the edits are found again only
# when the map back is asked for (steps are pure functions of their input).
Step = tuple[Literal["spell", "drop"], str]


@dataclass(frozen=True)
class Normalized:
    """The canonical text and how to find what each of its characters came from."""

    original: str
    text: str
    steps: tuple[Step, ...] = ()

    @cached_property
    def origin(self) -> list[int] | None:
        """``origin[i]`` is the index in :attr:`original` of the character ``text[i]`` came
        from; None when it is ``i`` (nothing was dropped or added). Built only when asked:
        most messages raise no flag, so their map is never needed."""
        origin: list[int] | None = None
        for name, before in self.steps:
            edits = _abbreviations(before) if name == "spell" else _drops(before)
            step = _step_origin(len(before), edits)
            origin = step if origin is None else [origin[i] for i in step]
        return origin

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of :attr:`original` that ``text[start:end]`` came from."""
        origin = self.origin
        if origin is None:
            return start, end
        if start >= end:
            position = origin[start] if start < len(origin) else len(self.original)
            return position, position
        return origin[start], origin[end - 1] + 1


_SURROGATE = re.compile("[\ud800-\udfff]")


@cache
def _t2s() -> tuple[Callable[[str], str], re.Pattern[str]]:
    """OpenCC's converter and the characters it may change (found once, in about 10 ms):
    searching for those is five times faster than converting a message that has none."""
    try:
        import opencc
    except ModuleNotFoundError as exc:  # pragma: no cover - a declared dependency
        raise ModuleNotFoundError(
            "opencc is missing: run `.venv/bin/pip install opencc` (a core dependency)"
        ) from exc
    converter: Any = opencc.OpenCC("t2s")
    convert: Callable[[str], str] = converter.convert
    han = "".join(
        map(chr, [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000), *range(0xF900, 0xFB00)])
    )
    converted = convert(han)
    changing = {old for old, new in zip(han, converted, strict=False) if old != new}
    return convert, re.compile("[" + "".join(sorted(changing)) + "]")


def _simplified(text: str) -> str:
    """``text`` in simplified characters, one output character per input character."""
    convert, traditional = _t2s()
    if text.isascii() or not traditional.search(text):
        return text
    try:
        converted = convert(text)
    except UnicodeEncodeError:  # a lone surrogate: OpenCC takes UTF-8 only
        safe = _SURROGATE.sub("\ufffd", text)
        return "".join(
            ch if ch != "\ufffd" or old == ch else old
            for ch, old in zip(_simplified(safe), text, strict=True)
        )
    if len(converted) == len(text):
        return converted
    # A phrase whose conversion changes its length (rare): convert character by character
    # so that offsets stay put, keeping any character whose conversion is not one character.
    pieces = (convert(ch) for ch in text)
    return "".join(new if len(new) == 1 else ch for new, ch in zip(pieces, text, strict=True))


def _abbreviations(text: str) -> list[Edit]:
    edits: list[Edit] = []
    for match in _LATIN.finditer(text):
        token, start, end = match.group(), match.start(), match.end()
        before = text[start - 1] if start else ""
        if before in _ASCII_LETTERS or (end < len(text) and text[end] in _ASCII_LETTERS):
            continue  # part of a longer word: service, vxworks
        spaces = _GAP.match(text, end)  # 「v 信」: the spaces go in step 4 anyway
        gap = spaces.end() if spaces else end
        after = text[gap] if gap < len(text) else ""
        if token in _TOKENS:
            edits.append((start, end, _TOKENS[token]))
        elif token == "v" and after == "信":
            edits.append((start, gap + 1, "微信"))
        elif token in _IN_CONTEXT:
            left, right, spelled = _IN_CONTEXT[token]
            if (before and before in left) or (after and after in right):
                edits.append((start, end, spelled))
            elif token in ("lp", "lg") and text[max(0, start - 2) : start] == "我的":
                edits.append((start, end, spelled))
    if "威信" in text or "薇信" in text:
        edits.extend((m.start(), m.end(), "微信") for m in _WEIXIN_LOOKALIKE.finditer(text))
    return sorted(edits)


def _drops(text: str) -> list[Edit]:
    edits = [(m.start(), m.end(), "") for m in _GONE_RUN.finditer(text)]
    if not _INFIX_HINT.search(text):
        return edits
    inside_words: list[Edit] = []
    for match in _INFIX_RUN.finditer(text):
        start, end = match.span()
        while start > 0 and _GONE_CHAR.match(text, start - 1):
            start -= 1
        if start > 0 and end < len(text) and _HAN.match(text, start - 1) and _HAN.match(text, end):
            inside_words.append((start, end, ""))
    if not inside_words:
        return edits
    # A run between two Chinese characters goes whole, spaces inside it included.
    kept = [e for e in edits if not any(s <= e[0] and e[1] <= t for s, t, _ in inside_words)]
    return sorted(kept + inside_words)


def _applied(text: str, edits: list[Edit]) -> tuple[str, bool]:
    """``text`` with ``edits`` (sorted, not overlapping) made; whether the length changed."""
    if not edits:
        return text, False
    pieces: list[str] = []
    kept_from = 0
    for start, end, replacement in edits:
        pieces += (text[kept_from:start], replacement)
        kept_from = end
    pieces.append(text[kept_from:])
    # Same-length replacements only (vx → 微信, zfb → 支付宝): offsets do not move.
    return "".join(pieces), any(end - start != len(new) for start, end, new in edits)


def _step_origin(length: int, edits: list[Edit]) -> list[int]:
    """For each character after ``edits``, its index in the text of ``length`` before them."""
    origin: list[int] = []
    kept_from = 0
    for start, end, replacement in edits:
        origin += range(kept_from, start)
        origin += _span_origin(start, end, len(replacement))
        kept_from = end
    origin += range(kept_from, length)
    return origin


def _span_origin(start: int, end: int, length: int) -> list[int]:
    """Where each of ``length`` replacement characters for ``[start, end)`` comes from: one to
    one while both last, the last character from the last one, so that a flag over the whole
    replacement covers the whole of what was written (``weixin`` → 微信: 微←w, 信←n)."""
    if length == 0:
        return []
    width = end - start
    if length == width:
        return list(range(start, end))
    head = [min(start + i, end - 1) for i in range(length - 1)]
    return [*head, end - 1]


# How many texts' canonical forms :func:`normalize` keeps.
RECENT_TEXTS = 8


@lru_cache(maxsize=RECENT_TEXTS)
def normalize(text: str) -> Normalized:
    """The canonical form of ``text`` (see the module's docstring) and its map back.

    Cached for the last few texts: the rules and the learned model both read the canonical
    form of the same message, one after the other (a ``Normalized`` is immutable)."""
    folded = _simplified(_folded(text))
    liang = "两" in folded and _LIANG.search(folded) is not None
    if not liang and not _LATER_STEPS.search(folded):  # nothing to drop, spell out or read
        return Normalized(text, folded)
    if liang or _NUMERAL_HINT.search(folded):
        folded = _NUMERAL.sub(_numeral, folded)
    steps: list[Step] = []
    spelled, moved = _applied(folded, _abbreviations(folded))
    if moved:
        steps.append(("spell", folded))
    if _INFIX_HINT.search(spelled):
        normal, moved = _applied(spelled, _drops(spelled))
    else:  # only spaces and emoji to drop: one substitution in C
        normal = _GONE_RUN.sub("", spelled)
        moved = len(normal) != len(spelled)
    if moved:
        steps.append(("drop", spelled))
    return Normalized(text, normal, tuple(steps))
