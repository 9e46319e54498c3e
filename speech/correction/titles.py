"""Forms of address whose surname was misheard: 生总 -> 孙总 when the call is with 孙建国.

A character before a title (总, 经理, 老师 …) that is no surname is replaced by a surname
sounding like it: one of the call's contacts first (by a confusion-aware distance), else a
common surname with exactly its pinyin. A title that begins a word (总是, 工作) and a
character that belongs to the word before it (人生总是) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Set as AbstractSet

from speech.correction import data
from speech.correction.context import Sentence, word_freq
from speech.correction.edits import Edit
from speech.correction.pinyin import char_sound, syllable_cost

# A contact's surname replaces a heard character at most this far in sound (生 ~ 孙).
MAX_CONTACT_COST = 0.4
# A surname heard as another surname is taken for a contact's only this close (陈/程: n/ng).
MAX_SURNAME_SWAP_COST = 0.1
_WORD_FREQ = 5
FUNCTION_CHAR_FREQ = 50000


class TitleCorrector:
    def __init__(self) -> None:
        spec = data.titles()
        self._titles = sorted(spec.titles, key=len, reverse=True)
        self._surnames = set(spec.surnames) | set(spec.compound_surnames)
        self._bound = set(spec.bound)
        self._not_names = set(spec.not_names)
        self._decides = tuple(spec.decides)
        self._by_sound: dict[str, str] = {}
        for surname in spec.surnames:  # most common first: it keeps the sound
            self._by_sound.setdefault(char_sound(surname), surname)

    def edits(
        self,
        sentence: Sentence,
        contacts: Mapping[str, float],
        *,
        addressed: AbstractSet[str] = frozenset(),
        partial: bool = False,
    ) -> list[Edit]:
        text = sentence.text
        found: list[Edit] = []
        at = 1
        while at < len(text):
            title = next((t for t in self._titles if text.startswith(t, at)), None)
            if title is None:
                at += 1
                continue
            edit = self._surname_before(sentence, at, title, contacts, addressed, partial)
            if edit is not None:
                found.append(edit)
            at += len(title)
        return found

    def _surname_before(
        self,
        sentence: Sentence,
        at: int,
        title: str,
        contacts: Mapping[str, float],
        addressed: AbstractSet[str],
        partial: bool,
    ) -> Edit | None:
        text = sentence.text
        heard = text[at - 1]
        if heard in contacts or not "\u4e00" <= heard <= "\u9fff":
            return None
        sound = char_sound(heard)
        if heard in self._surnames:
            return None if partial else _contact_misheard(heard, at, title, contacts, addressed)
        # A contact of this call whose surname sounds exactly like the heard character is
        # stronger evidence than the character's everyday use: 为总 -> 魏总 with 魏总 on the
        # call (为 stands before titles as a word of its own only without such a contact).
        alike = [s for s in contacts if len(s) == 1 and char_sound(s) == sound]
        same_sound = bool(alike)
        if not same_sound and (heard in self._not_names or word_freq(heard) >= FUNCTION_CHAR_FREQ):
            return None  # 上总办会: a character this common alone is a word, not a name
        # A contact addressed exactly so, heard in the word before (德国总拍板 with 郭总,
        # 要包含总 with 韩总 on the call): the call's own names outweigh the word.
        exact_address = any(s + title in addressed for s in alike)
        # 人生总是, 信息科总预算: the character is part of the word before; but before
        # 拍板 a person is meant (德州总拍板: 得周总), and a common surname sounds alike.
        deciding = (
            title in self._bound
            and sound in self._by_sound
            and text.startswith(self._decides, at + len(title))
        )
        if not (exact_address or deciding) and (
            (at >= 2 and word_freq(text[at - 2 : at]) >= _WORD_FREQ)
            or len(sentence.token_around(at - 1)) > 1
        ):
            return None
        if word_freq(heard + title) >= _WORD_FREQ or _title_starts_word(text, at, title):
            return None
        best = min(
            (
                (syllable_cost(sound, char_sound(s)), -w, s)
                for s, w in contacts.items()
                if len(s) == 1
            ),
            default=None,
        )
        # Inside a word only the exact sound counts: a contact merely near it is a guess.
        exact_only = partial or (deciding and not exact_address)
        if best is not None and best[0] <= (0.0 if exact_only else MAX_CONTACT_COST):
            return Edit(at - 1, at, heard, best[2], "person", round(0.95 - best[0] / 2, 3))
        common = self._by_sound.get(sound) if title in self._bound else None
        if common is not None:
            return Edit(at - 1, at, heard, common, "title", 0.8)
        return None


def _contact_misheard(
    heard: str, at: int, title: str, contacts: Mapping[str, float], addressed: AbstractSet[str]
) -> Edit | None:
    """A surname heard as another that sounds all but the same (程总 for 陈总, 刘总 for 牛总),
    when the call's one contact so addressed has it and no contact has the heard one: the
    call's own names are the better bet than a second person by that title."""
    sound = char_sound(heard)
    near = [
        s
        for s in contacts
        if len(s) == 1
        and s + title in addressed
        and syllable_cost(sound, char_sound(s)) <= MAX_SURNAME_SWAP_COST
    ]
    if len(near) != 1:
        return None
    return Edit(at - 1, at, heard, near[0], "person", 0.85)


def _title_starts_word(text: str, at: int, title: str) -> bool:
    """总是, 工作, 处理: the title's characters begin a longer word here."""
    if len(title) > 1:
        return False
    return any(
        word_freq(text[at : at + length]) >= 20 for length in (2, 3) if at + length <= len(text)
    )
