"""Who decides, read from how the sentence says it: 得投资人点头, 业委会不同意, 跟我们GM商量,
拍板的是县供销社 — for deciders no title, role or body the lexicon lists knows (alone on the
line, or beside those it knows: 得我们老板和财务周姐一起拍板).

A frame is only a candidate: the model reads whether the line names a decision maker at
all (copilot/learning/combine.py), the frame says who. Words before the verb of deciding
are read back to the last cut word (放云上我们总工不同意 -> 总工), and the name must end as a
person's, an office's or a body's does (总, 长, 部, 局, 会, 哥, 家 …; 老郭, 小吴, Tony).
"""

from __future__ import annotations

import re

from copilot.insights.lexicon import DecisionLexicon
from copilot.insights.models import DecisionMaker, Evidence, MentionKind
from copilot.insights.text import Segmenter

# How far back from the verb a name may start.
_REACH = 12
_NAME_RUN = re.compile(r"[A-Za-z\u4e00-\u9fff]+$")
# Where a name said after 拍板的是 ends (投资人那边, 县供销社的主任).
_CHOSEN_ENDS = ("那边", "这边", "那里", "方面", "的", "他们", "啊", "吧", "呢", "说")
_OWNERS = ("我们", "咱们", "俺们", "我家", "俺家", "俺")
# What joins two deciders of one verb, right before the second and its owner (业委会和我们
# 公司分管副总, 我阿爸同我大佬).
_JOINT = re.compile(f"(?:和|跟|同|与|及|以及|还有|、)(?:{'|'.join((*_OWNERS, '我'))})?$")
# Kin called by one character said twice (哥哥, 舅舅); any other such pair is no name (长长,
# a 厂长 misheard; 层层, how many layers).
_KIN_TWICE = frozenset("哥姐爸妈叔舅婆公爷奶伯姑姨")
# A person's given name in Latin letters (合伙人Tony), as a name ends.
_LATIN_GIVEN_NAME = re.compile(r"[A-Z][a-z]+$")
_BODY_ENDINGS = ("部", "处", "科", "局", "委", "会", "办", "厅", "司", "社", "所", "院", "校",
                 "组", "中心", "公司", "集团", "总部", "层", "方", "行")  # fmt: skip


class DeciderFrames:
    def __init__(self, lexicon: DecisionLexicon) -> None:
        self._verbs = re.compile(lexicon.frame_verbs) if lexicon.frame_verbs else None
        self._asked = re.compile(lexicon.frame_asked) if lexicon.frame_asked else None
        self._chooser = re.compile(lexicon.frame_chooser) if lexicon.frame_chooser else None
        self._between = sorted(lexicon.frame_between, key=len, reverse=True)
        self._meeting_before = frozenset(lexicon.frame_meeting_before)
        self._cuts = tuple(lexicon.frame_cuts)
        self._endings = tuple(lexicon.frame_endings)
        self._not_after = frozenset(lexicon.frame_not_after)
        self._not_names = frozenset(lexicon.frame_not_names)
        # How colleagues are called by surname (老郭, 小吴, 股东老沈): a name ends so too.
        surnames = "|".join(sorted(lexicon.surnames, key=len, reverse=True))
        self._familiar = re.compile(f"[老小](?:{surnames})$") if surnames else None

    def find(self, segmenter: Segmenter, utterance_id: str | None) -> list[DecisionMaker]:
        """The deciders the text's frames name, in the order they are said; two joined
        before one verb (老板和财务周姐一起拍板) are both named."""
        text = segmenter.text
        found: list[tuple[int, str]] = []
        if self._verbs is not None:
            for match in self._verbs.finditer(text):
                low = segmenter.clause(match.start()).start
                named = self._before(text, low, match.start())
                if named is not None:
                    found.extend(self._joined(text, low, named))
        if self._asked is not None:
            for match in self._asked.finditer(text):
                start = match.start("name")
                named = self._before(text, start, match.end("name"), skip=False)
                if named is not None:
                    found.append(named)
        if self._chooser is not None:
            for match in self._chooser.finditer(text):
                named = self._chosen(match.group("name"), match.start("name"))
                if named is not None:
                    found.append(named)
        deciders: dict[str, DecisionMaker] = {}
        for start, name in sorted(found):
            if name in deciders:
                continue  # said twice: the first saying is the evidence
            kind: MentionKind = "body" if name.endswith(_BODY_ENDINGS) else "role"
            evidence = Evidence(utterance_id=utterance_id, text=segmenter.sentence_text(start))
            deciders[name] = DecisionMaker(name=name, kind=kind, evidence=evidence)
        return list(deciders.values())

    def _joined(self, text: str, low: int, named: tuple[int, str]) -> list[tuple[int, str]]:
        """``named`` and the names joined to it before (老板和财务周姐, 我阿爸同我大佬)."""
        names = [named]
        start = named[0]
        while (joint := _JOINT.search(text, low, start)) is not None:
            before = self._before(text, low, joint.start(), skip=False)
            if before is None:
                break
            names.append(before)
            start = before[0]
        return names

    def _before(
        self, text: str, low: int, verb: int, *, skip: bool = True
    ) -> tuple[int, str] | None:
        """The name ending right before ``verb`` (past the words that may stand between)."""
        end = self._skip_between(text, low, verb) if skip else verb
        run = _NAME_RUN.search(text, max(low, end - _REACH), end)
        if run is None:
            return None
        cut, start = "", run.start()
        for word in self._cuts:
            at = text.rfind(word, run.start(), end)
            if at != -1 and at + len(word) < end and at + len(word) > start:
                cut, start = word, at + len(word)
        name = text[start:end]
        if cut in self._not_after or not self._is_name(name):
            return None
        return start, name

    def _skip_between(self, text: str, low: int, end: int) -> int:
        moved = True
        while moved:
            moved = False
            for word in self._between:
                if end - len(word) < low or not text.startswith(word, end - len(word)):
                    continue
                meeting = end - len(word) - 1
                if word.endswith("会") and meeting >= 0 and text[meeting] in self._meeting_before:
                    continue  # 社员大会不同意: the 会 of a meeting
                end -= len(word)
                moved = True
                break
        return end

    def _chosen(self, said: str, start: int) -> tuple[int, str] | None:
        """The name after 拍板的是: up to where it ends, without 我们 in front."""
        for word in _CHOSEN_ENDS:
            at = said.find(word)
            if at > 0:
                said = said[:at]
        for owner in _OWNERS:
            if said.startswith(owner) and len(said) > len(owner) + 1:
                start, said = start + len(owner), said[len(owner) :]
                break
        return (start, said) if self._is_name(said) else None

    def _is_name(self, name: str) -> bool:
        return (
            2 <= len(name) <= 9
            and name not in self._not_names
            and not (len(name) == 2 and name[0] == name[1] and name[0] not in _KIN_TWICE)
            and not any(c.isdigit() or c in "一二三四五六七八九十百千万两几" for c in name)
            and (
                name.endswith(self._endings)
                or _LATIN_GIVEN_NAME.search(name) is not None
                or (self._familiar is not None and self._familiar.search(name) is not None)
            )
        )
