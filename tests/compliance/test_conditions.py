"""Condition words are looked up around a candidate, not found all over the message first:
the lookup must give what scanning the whole message for them gave."""

from __future__ import annotations

from compliance import Scanner
from compliance.pack import Condition, compile_condition
from compliance.schema import ConditionSpec


def test_the_leftmost_word_and_of_those_the_shortest() -> None:
    condition = compile_condition(ConditionSpec(words=["审批", "不用审批", "不用", "a.b"]))
    assert condition.word_regex is not None
    text = "这个不用审批，走流程审批"
    first = condition.word_regex.search(text)
    assert first is not None and first.span() == (2, 4)  # 不用, not 不用审批
    second = condition.word_regex.search(text, 4)
    assert second is not None and second.span() == (4, 6)
    # A window ending inside a word does not see it.
    assert condition.word_regex.search(text, 4, 5) is None
    # Words are literals: a regex character in one matches only itself.
    assert condition.word_regex.search("axb") is None
    assert condition.word_regex.search("a.b") is not None


def test_a_condition_of_a_regex_alone_has_no_word_lookup() -> None:
    condition = compile_condition(ConditionSpec(regex="审批"))
    assert condition.word_regex is None and condition.regex is not None


def test_a_condition_word_that_anchors_nothing_still_clears_a_flag(scanner: Scanner) -> None:
    # 「审批」 only appears in the discount rule's `unless`, never as a trigger or anchor.
    assert not scanner.scan("这个价格我给您打六折。").compliant
    assert scanner.scan("这个价格我先申请一下审批，争取给您打六折。").compliant


def test_a_condition_built_directly_looks_its_words_up_too() -> None:
    condition = Condition(
        words=frozenset({"审批"}), regex=None, before=None, after=None, scope="sentence"
    )
    assert condition.word_regex is not None and condition.word_regex.search("先走审批")
