"""Which names a manager's correction of a transcript teaches the org's vocabulary."""

from __future__ import annotations

import pytest

from copilot.vocabulary_learning import terms_from_correction


@pytest.mark.parametrize(
    ("heard", "corrected", "learned"),
    [
        # The example: a vendor's product misheard as plain words.
        ("我们现在用的是拥有八的版本", "我们现在用的是用友U8的版本", ["用友U8"]),
        # One character changed inside a name jieba cuts into pieces (上慧|销通).
        ("我们打算上会销通这个系统", "我们打算上慧销通这个系统", ["慧销通"]),
        # Two changes one character apart are one name.
        ("你好，我是云番软接的小王", "你好，我是云帆软件的小王", ["云帆软件"]),
        ("你们凌云智彩的系统能对接吗", "你们凌云智采的系统能对接吗", ["凌云智采"]),
    ],
)
def test_the_corrected_name_is_learned(heard: str, corrected: str, learned: list[str]) -> None:
    assert terms_from_correction(heard, corrected) == learned


@pytest.mark.parametrize(
    ("heard", "corrected"),
    [
        ("请发到我的油箱", "请发到我的邮箱"),  # a common word: the shipped vocabulary's job
        ("这个是金迪的系统", "这个是金蝶的系统"),  # known to jieba as a word (金蝶)
        ("生总您好", "孙总您好"),  # one character: titles are corrected by their own rule
        ("价格是三万", "价格是五万"),  # a numeral
        ("好的", "好的，谢谢"),  # words added, nothing replaced
        ("今天天气很好我们去公园", "明天下雨我们在家开会吧"),  # a rewrite, not a fix
        ("我们今天去公园", "我们明天在家开会"),  # common words only
        ("一样的", "一样的"),
    ],
)
def test_plain_words_and_rewrites_teach_nothing(heard: str, corrected: str) -> None:
    assert terms_from_correction(heard, corrected) == []
