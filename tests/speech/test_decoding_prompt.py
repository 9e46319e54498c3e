"""The prompt of a final: static sentence, the call's terms, then its recent finals."""

from __future__ import annotations

import numpy as np

from speech.config import DecodeConfig
from speech.prompt import RecentFinals, build_prompt, compression_ratio
from speech.streaming import UtteranceDecoder, may_be_a_range
from speech.transcriber import Recognition, RecognitionRequest, Transcriber

SECOND = np.zeros(16_000, np.float32)
AMOUNTS = ["三十来万", "两三百万", "四五十万"]


def test_defaults_are_the_measured_winners() -> None:
    # docs/decoding.md: no prompt sentence, no recent finals, beam 3, no fallback.
    cfg = DecodeConfig()
    assert (cfg.initial_prompt, cfg.context_chars, cfg.beam_size) == ("", 0, 3)
    assert cfg.fallback_temperatures == ()
    assert cfg.amount_examples == AMOUNTS  # for amounts a range could give: docs/decoding.md


class ScriptedTranscriber(Transcriber):
    """Answers each request with the next scripted recognition and keeps the requests."""

    name = "scripted"

    def __init__(self, answers: list[tuple[str, float]]) -> None:
        self.answers = list(answers)
        self.requests: list[RecognitionRequest] = []

    def recognize(self, audio: np.ndarray, request: RecognitionRequest) -> Recognition:
        self.requests.append(request)
        text, logprob = self.answers.pop(0)
        return Recognition(text=text, avg_logprob=logprob, no_speech_prob=0.01)


def test_prompt_puts_sentence_then_terms_then_recent_text() -> None:
    prompt = build_prompt("以下是普通话的句子。", ["销售易", " 钱总 ", "销售易", ""], "您好。")
    assert prompt == "以下是普通话的句子。可能提到：销售易、钱总。您好。"
    assert build_prompt("", []) == ""
    assert build_prompt("", ["钱总"]) == "可能提到：钱总。"


def test_recent_finals_are_bounded_with_the_latest_last() -> None:
    recent = RecentFinals(max_chars=20)
    for text in ["第一句话说完了。", "第二句话也说完了", "第三句话在这里？"]:
        recent.add(text)
    text = recent.text()
    assert len(text) <= 20
    assert text == "第二句话也说完了。第三句话在这里？"  # oldest dropped whole; a stop added
    recent.add("这是一句比二十个字还要长得多的很长很长很长的话。")
    assert recent.text() == "这是一句比二十个字还要长得多的很长很长很长的话。"[-20:]


def test_a_final_said_again_is_not_repeated_and_zero_turns_it_off() -> None:
    recent = RecentFinals(max_chars=100)
    recent.add("好的。")
    recent.add("明白。")
    recent.add("好的。")
    assert recent.text() == "好的。明白。"
    off = RecentFinals(max_chars=0)
    off.add("好的。")
    assert off.text() == ""


def test_second_final_is_prompted_with_the_first_and_partials_are_not() -> None:
    fake = ScriptedTranscriber([("你好，我是云帆的小王。", -0.2)] * 3)
    decoder = UtteranceDecoder(
        fake, DecodeConfig(initial_prompt="前缀。", context_chars=100), ["钱总"]
    )
    decoder.decode(SECOND, final=True)
    decoder.decode(SECOND, final=False)
    decoder.decode(SECOND, final=True)
    first, partial, second = (r.prompt for r in fake.requests)
    assert first == "前缀。可能提到：钱总。"
    assert partial == first  # partials keep the cheap prompt
    assert second == "前缀。可能提到：钱总。你好，我是云帆的小王。"


def test_hallucinations_and_unsure_finals_are_kept_out_of_the_prompt() -> None:
    fake = ScriptedTranscriber(
        [("谢谢观看", -0.1), ("预算大概六十万。", -0.95), ("好的。", -0.3), ("嗯。", -0.3)]
    )
    decoder = UtteranceDecoder(fake, DecodeConfig(context_chars=100))
    assert decoder.decode(SECOND, final=True) is None  # a credit line, dropped
    assert decoder.decode(SECOND, final=True) == "预算大概六十万。"  # shown, but unsure
    decoder.decode(SECOND, final=True)
    decoder.decode(SECOND, final=True)
    assert [r.prompt for r in fake.requests] == ["", "", "", "好的。"]


def test_fallback_samples_again_when_a_final_loops() -> None:
    loop = "我们我们我们我们我们我们我们我们我们我们我们我们我们我们"
    assert compression_ratio(loop) > 2.4 > compression_ratio("你好，我是云帆的小王。")
    cfg = DecodeConfig(initial_prompt="", fallback_temperatures=(0.2, 0.4))
    fake = ScriptedTranscriber([(loop, -0.3), ("我们下周见。", -0.4), (loop, -0.3)])
    decoder = UtteranceDecoder(fake, cfg)
    assert decoder.decode(SECOND, final=True) == "我们下周见。"
    assert [r.temperature for r in fake.requests] == [0.0, 0.2]
    decoder.decode(SECOND, final=False)  # partials never fall back
    assert len(fake.requests) == 3


def test_fallback_keeps_the_most_confident_try_when_none_passes() -> None:
    cfg = DecodeConfig(initial_prompt="", fallback_temperatures=(0.2, 0.4))
    fake = ScriptedTranscriber([("甲乙。", -1.5), ("丙丁。", -1.1), ("戊己。", -1.3)])
    assert UtteranceDecoder(fake, cfg).decode(SECOND, final=True) == "丙丁。"


def test_a_final_with_an_amount_in_digits_is_decoded_again_with_amounts_in_characters() -> None:
    # Whisper writes a spoken range 两三百万 as 2300万 (and may write 萬): read as 两千三百万.
    fake = ScriptedTranscriber([("預算2300萬吧", -0.3), ("预算两三百万吧", -0.3)])
    decoder = UtteranceDecoder(fake, DecodeConfig(amount_examples=AMOUNTS), ["钱总"])
    assert decoder.decode(SECOND, final=True) == "预算两三百万吧"
    first, again = (r.prompt for r in fake.requests)
    assert first == "可能提到：钱总。"
    assert again == "可能提到：钱总、三十来万、两三百万、四五十万。"
    assert fake.requests[1].beam_size == fake.requests[0].beam_size


def test_the_first_text_stays_when_the_second_decode_is_cut_short() -> None:
    # A prompt can make Whisper stop after the first sentence of a longer utterance.
    said = "预算大概2300万，我们这次是全厂改造，明年还有二期。"
    fake = ScriptedTranscriber([(said, -0.3), ("预算大概两三百万。", -0.3)])
    decoder = UtteranceDecoder(fake, DecodeConfig(amount_examples=AMOUNTS))
    assert decoder.decode(SECOND, final=True) == said


def test_only_digits_a_spoken_range_would_give_are_decoded_again() -> None:
    ranges = ["2300万", "450万", "12.3万", "12030万", "24050萬", "6,700万", "1.2亿"]
    for text in ranges:
        assert may_be_a_range(f"预算{text}吧"), text
    # 90万, 35万, 一千万: no digit followed by the next; 2300块 has no 万 or 亿.
    for text in ["预算90万", "35万", "1000万", "预算2300块", "20-30万", "三十万"]:
        assert not may_be_a_range(text), text


def test_partials_plain_amounts_non_ranges_and_an_empty_list_decode_once() -> None:
    fake = ScriptedTranscriber(
        [("预算2300万吧", -0.3), ("预算两三百万吧", -0.3), ("预算是300块", -0.3), ("90万", -0.3)]
    )
    decoder = UtteranceDecoder(fake, DecodeConfig(amount_examples=AMOUNTS))
    assert decoder.decode(SECOND, final=False) == "预算2300万吧"  # a partial: once
    assert decoder.decode(SECOND, final=True) == "预算两三百万吧"
    assert decoder.decode(SECOND, final=True) == "预算是300块"  # no 万 or 亿: once
    assert decoder.decode(SECOND, final=True) == "90万"  # not a range's digits: once
    assert len(fake.requests) == 4
    off = ScriptedTranscriber([("预算2300万吧", -0.3)])
    assert (
        UtteranceDecoder(off, DecodeConfig(amount_examples=[])).decode(SECOND, final=True)
        == "预算2300万吧"
    )
    assert len(off.requests) == 1
