"""One hand-made call, shared by the analytics tests; every figure expected of it is worked
out by hand in the test that asserts it.

    id   speaker    start–end    len   text
    s1   rep         0.0– 10.0  10.0   王总您好，我是云帆软件的小王。
    s2   rep        10.5– 20.0   9.5   想跟您聊一下门店管理系统，您现在方便吗？
    s3   customer   20.5– 21.0   0.5   嗯                           (a backchannel)
    s4   rep        21.2– 30.0   8.8   我们的系统能帮您自动检查陈列
    s5   customer   31.0– 45.0  14.0   我们现在的问题是照片都是摆拍的，区域经理根本看不过来。
    s6   rep        46.0– 50.0   4.0   那今年大概有多少预算
    s7   customer   50.0– 56.0   6.0   大概六十万吧，今年年底之前要上线。
    s8   rep        58.0– 63.0   5.0   明白，决策是您这边定对吧
    s9   customer   63.0– 70.0   7.0   你们太贵了                    (objection: price)
    s10  rep        85.0– 95.0  10.0   价格方面我们可以按年付
    s11  unknown    96.0–100.0   4.0   喂
    s12  customer  100.0–104.0   4.0   好的我考虑一下
    s13  rep       104.0–110.0   6.0   好的，那我周四之前把方案发给您。

The call lasts 120 s.
"""

from __future__ import annotations

from copilot.insights.models import (
    Budget,
    Evidence,
    Insights,
    Objection,
    PainPoint,
)
from speech.types import Segment, Speaker

DURATION_S = 120.0

_ROWS: list[tuple[str, Speaker, float, float, str]] = [
    ("s1", "rep", 0.0, 10.0, "王总您好，我是云帆软件的小王。"),
    ("s2", "rep", 10.5, 20.0, "想跟您聊一下门店管理系统，您现在方便吗？"),
    ("s3", "customer", 20.5, 21.0, "嗯"),
    ("s4", "rep", 21.2, 30.0, "我们的系统能帮您自动检查陈列"),
    ("s5", "customer", 31.0, 45.0, "我们现在的问题是照片都是摆拍的，区域经理根本看不过来。"),
    ("s6", "rep", 46.0, 50.0, "那今年大概有多少预算"),
    ("s7", "customer", 50.0, 56.0, "大概六十万吧，今年年底之前要上线。"),
    ("s8", "rep", 58.0, 63.0, "明白，决策是您这边定对吧"),
    ("s9", "customer", 63.0, 70.0, "你们太贵了"),
    ("s10", "rep", 85.0, 95.0, "价格方面我们可以按年付"),
    ("s11", "unknown", 96.0, 100.0, "喂"),
    ("s12", "customer", 100.0, 104.0, "好的我考虑一下"),
    ("s13", "rep", 104.0, 110.0, "好的，那我周四之前把方案发给您。"),
]


def segments() -> list[Segment]:
    return [
        Segment(id=i, speaker=who, start=start, end=end, text=text)
        for i, who, start, end, text in _ROWS
    ]


def insights() -> Insights:
    """What the extractor would find: a budget, a pain point, a price objection."""
    return Insights(
        budget=Budget(
            amount_min=600_000,
            amount_max=600_000,
            kind="approximate",
            evidence=Evidence(utterance_id="s7", text="大概六十万吧"),
        ),
        pain_points=[
            PainPoint(
                category="efficiency",
                text="区域经理根本看不过来",
                evidence=Evidence(utterance_id="s5", text="区域经理根本看不过来"),
            )
        ],
        objections=[
            Objection(
                type="price", text="太贵了", evidence=Evidence(utterance_id="s9", text="你们太贵了")
            )
        ],
    )
