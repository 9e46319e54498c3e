"""Does a rep's sentence ask something? Chinese questions by their words, not only by "？".

Speech recognisers often leave the question mark out, so a sentence counts as a question
when it ends with ？/?, or when one of its clauses

- holds a question word (什么, 怎么, 多少, 哪, 几个, 是否, 请问, an A-not-A form such as 有没有 /
  能不能 / 是不是) outside a statement use of it (没什么, 什么都, 哪怕, 好几, 怎么说呢 …);
- ends with 吗 (or 么 written for it: 发货么), with a tag (是吧, 对吧, 好吧 …), or — when at
  most 8 characters long — with 呢 that does not close a statement (的呢, 着呢, 还在开会呢),
  once trailing address terms and fillers are cut (方便吗先生);
- offers alternatives: starts with 还是, or has 是…还是 (是在营业厅交的还是在银行).

Known misses (docs/metrics.md): a question asked by intonation alone (您今天有空, heard without
the mark) or with 嘛 (还有四百兆流量嘛, 是嘛), 吧 asking for confirmation outside the tag forms
(六十万吧 reads as a hedge). Known false alarms: rhetorical questions (不是说好了吗), embedded
ones (试一下是否可以使用, 是哪个渠道我看不到), indefinite 什么 (没有开通什么).
"""

from __future__ import annotations

import re

from copilot.analytics.cues import QuestionCues, cues

# Sentences end at these (a question mark makes its sentence a question by itself).
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]?")
# Clauses inside a sentence; "_" is how some transcripts mark a pause.
_CLAUSE = re.compile(r"[，,、：:_…\s]+")
# 是…还是 offers alternatives; a 是 that ends another word (但是, 就是, 还是 …) does not.
_ALTERNATIVE = re.compile(r"(?<![但就还也都可要于总真只而不正算倒硬老像或凡若])是.{1,15}还是")
_MASK = "\u3000"  # stands in for a statement use of a question word
# 呢 without a question word asks in a short elliptical clause (那预算呢, 您那边呢); a long
# clause ending in it is a statement's softener (心意满满呢).
_NE_QUESTION_CHARS = 8


def count_questions(text: str) -> int:
    """How many sentences of ``text`` ask something."""
    return sum(is_question(match.group()) for match in _SENTENCE.finditer(text))


def is_question(sentence: str) -> bool:
    """Whether one sentence asks something (see the module docstring)."""
    sentence = sentence.strip()
    if sentence.endswith(("？", "?")):
        return True
    rules = cues().questions
    return any(_clause_asks(clause, rules) for clause in _CLAUSE.split(sentence) if clause)


def _clause_asks(clause: str, rules: QuestionCues) -> bool:
    clause = clause.rstrip("。！!；;")
    for phrase in rules.not_words:
        clause = clause.replace(phrase, _MASK)
    if any(word in clause for word in rules.words):
        return True
    if any(clause[i + 1 : i + 2] in rules.ji_measures for i in _positions(clause, "几")):
        return True
    if clause.startswith("还是") or _ALTERNATIVE.search(clause):
        return True
    clause = _without_trailing(clause, rules)
    if clause.endswith(rules.final_particles) or clause.endswith(rules.tags):
        return True
    if clause.endswith("么") and len(clause) > 1:
        return clause[-2] not in rules.me_particle_not_after
    if clause.endswith("呢") and 1 < len(clause) <= _NE_QUESTION_CHARS:
        closes_statement = clause[-2] in rules.ne_statement_before or any(
            word in clause for word in rules.ne_statement_with
        )
        return not closes_statement
    return False


def _positions(text: str, char: str) -> list[int]:
    return [i for i, c in enumerate(text) if c == char]


def _without_trailing(clause: str, rules: QuestionCues) -> str:
    """Cut address terms and fillers off the end, repeatedly (对吗王总啊 -> 对吗)."""
    while True:
        before = clause
        for word in rules.trailing:
            if clause.endswith(word) and len(clause) > len(word):
                clause = clause[: -len(word)]
        for title in rules.trailing_titles:
            # The surname before the title goes too, unless that leaves nothing to read.
            if clause.endswith(title) and len(clause) > len(title) + 1:
                clause = clause[: -len(title) - 1]
        if clause == before:
            return clause
