"""Budgets: Chinese and mixed amounts, qualifiers, periods, shares, and numbers that are not
budgets. Approximations are ±20% (the devset gold's convention); ceilings leave amount_min
null (CONTRACT.md) with a closed estimate of [80%, 100%]."""

from __future__ import annotations

from collections.abc import Callable

import cn2an
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from copilot.insights import Budget, Insights

Extract = Callable[[str], Insights]


def stated(customer: Extract, said: str) -> Budget:
    """The budget the utterance states; failing when it states none."""
    budget = customer(said).budget
    assert budget is not None, said
    return budget


@pytest.mark.parametrize(
    ("said", "low", "high", "kind"),
    [
        ("总共准备了八十个W，硬件软件都在里面。", 800000, 800000, "exact"),
        ("今年的预算是八十五万，不含税。", 850000, 850000, "exact"),
        ("预算60万。", 600000, 600000, "exact"),
        ("预算500k左右。", 400000, 600000, "approximate"),
        ("大概六十万吧。", 480000, 720000, "approximate"),
        ("五十万左右", 400000, 600000, "approximate"),
        ("八十来万吧，具体还得看方案。", 640000, 960000, "approximate"),
        ("一年十万出头吧。", 100000, 120000, "approximate"),
        ("将近一百万。", 800000, 1000000, "approximate"),
        ("我们预算三十到五十万之间。", 300000, 500000, "range"),
        # Speech recognition heard 万亿 for 万 before the next word: nobody budgets trillions.
        ("周总说今年数字化总共10到15万亿你这个价格倒是在范围里", 100000, 150000, "range"),
        ("预算大概在五六十万。", 500000, 600000, "range"),
        ("一年能投二三十个W。", 200000, 300000, "range"),
        ("项目预算1.2M。", 1200000, 1200000, "exact"),
        ("这次准备了一个亿。", 100000000, 100000000, "exact"),
        ("预算大概一个来亿。", 80000000, 120000000, "approximate"),
        ("十五个W就够了。", 150000, 150000, "exact"),
        ("五十多万吧。", 440000, 660000, "approximate"),
        # Chinese decimals, halves, "about one" and two digits before 个亿.
        ("一点二个亿，这是这次总包的预算。", 120000000, 120000000, "exact"),
        ("预算三点五万。", 35000, 35000, "exact"),
        ("预算一点五到两个亿。", 150000000, 200000000, "range"),
        ("预算一亿到两个亿。", 100000000, 200000000, "range"),
        ("预算一个半亿。", 150000000, 150000000, "exact"),
        ("半个亿左右，这是新院区弱电的钱。", 40000000, 60000000, "approximate"),
        ("预算百把万吧。", 800000, 1200000, "approximate"),
        ("预算就千把块钱。", 800, 1200, "approximate"),
        ("个把亿吧，这是专项资金。", 80000000, 120000000, "approximate"),
        ("预算两三个亿。", 200000000, 300000000, "range"),
        ("一年能批三四个w。", 30000, 40000, "range"),
    ],
)
def test_amounts(customer: Extract, said: str, low: int, high: int, kind: str) -> None:
    budget = customer(said).budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max, budget.kind) == (low, high, kind)
    assert budget.currency == "CNY"


@pytest.mark.parametrize(
    ("said", "ceiling"),
    [
        ("我们是小县城的学校，超过十万我们就批不下来。", 100000),
        ("我们这边预算一百万以内，超过这个数就得重新立项。", 1000000),
        ("不超过两百万。", 2000000),
        ("一年最多十万。", 100000),
        ("最多也就五十万，这是我们能给到的上限。", 500000),
        ("一百五十万是我们的上限。", 1500000),
        ("三十万是我们能接受的最高价了。", 300000),
        ("最多能给到每个月八千。", 8000),
        ("超过五十万我们就接受不了。", 500000),
        # A count of digits: below 100,000.
        ("预算我们想控制在五位数以内。", 99999),
    ],
)
def test_ceilings_have_no_minimum(customer: Extract, said: str, ceiling: int) -> None:
    budget = customer(said).budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max, budget.kind) == (None, ceiling, "ceiling")
    assert (budget.estimate_min, budget.estimate_max) == (round(ceiling * 0.8), ceiling)


@pytest.mark.parametrize(
    ("said", "low", "high"),
    [
        ("预算六位数吧。", 100000, 999999),
        ("预算至少7位数。", 1000000, None),
    ],
)
def test_an_amount_said_by_its_digits(
    customer: Extract, said: str, low: int, high: int | None
) -> None:
    found = stated(customer, said)
    assert (found.amount_min, found.amount_max) == (low, high)


def test_floor_has_no_maximum(customer: Extract) -> None:
    budget = customer("至少五十万起步。").budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max, budget.kind) == (500000, None, "floor")


@pytest.mark.parametrize(
    ("said", "period"),
    [
        ("一年二十万左右是能接受的。", "year"),
        ("每年大概能拿出二十万。", "year"),
        ("预算500k左右，按年付。", "year"),
        ("每个月两万块以内我们还能承受。", "month"),
        ("月费三千块。", "month"),
        ("一次性买断的话一百万。", "one_time"),
        ("总共准备了八十个W。", None),
    ],
)
def test_periods(customer: Extract, said: str, period: str | None) -> None:
    budget = customer(said).budget
    assert budget is not None
    assert budget.period == period


@pytest.mark.parametrize(
    ("said", "applies", "total", "scope"),
    [
        ("预算方面，老板批了两百万，软件这块大概占一半。", 1000000, 2000000, "软件"),
        ("项目总预算1.2M，其中软件大概四成。", 480000, 1200000, "软件"),
        ("预算两百万，其中CRM一百二十万。", 1200000, 2000000, None),
    ],
)
def test_share_of_a_total(
    customer: Extract, said: str, applies: int, total: int, scope: str | None
) -> None:
    budget = customer(said).budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max) == (applies, applies)
    assert budget.total_amount == total
    assert budget.scope == scope


@pytest.mark.parametrize(
    "said",
    [
        "交付周期能不能压缩到三个月？",
        "区域经理每天要看几百张照片。",
        "线索进来以后72小时都没人跟进。",
        "第一期先上销售模块。",
        "我们两个人就够了。",
        "我给您打个五折。",
        "我们有十万用户，两万条线索。",
        "这套系统能用一万年。",
        "我们有二十万销售在全国。",
        "预算只够买五十个。",
        "我们有一万一个客户。",
        "预算五十个左右的座席。",
        "我们有五十个左右的门店。",
        "十几个销售每天手工录客户信息。",
        "这个金额超过五十万就要走招标流程。",
        "五十万以上的项目都要上董事会。",
        "超过二十万的还得上学校党委会，还要走招标。",
        "超过十万的合同还要报投资方备案。",
        "超过十万的和同还要到投资方便案",
        # The same as recognition writes it: 还得 heard 孩子, 党委会 heard 党委婚, no pause.
        "超过20万的孩子上学校党委婚还要走招标",
        # A price reckoned from the rep's offer, not money to spend.
        "让十五个点？那也得二十二万了。",
        "销售易报价才三十万。",
        "你们报价八十万，太贵了。",
        "我们一年营收三个亿。",
        "去年花了四十多万上了个系统。",
        "万一以后不用了数据能不能导出来？",
        "千万别这么做。",
        "百分之三十的客户流失了。",
        "预算五万美元。",
        # Land, weight and goods counted, not yuan.
        "今年农场种了三千亩玉米。",
        "我们一年三十万箱，旺季闸口也堵。",
        "一年五万瓶，对账是麻烦点。",
        # Digits that count no money.
        "验证码是六位数。",
        "密码要八位数以上。",
        # What running the business costs.
        "每个月电费就得四五万。",
        # The vendor's own figure repeated back, goods' worth and freight.
        "你们提的那个数，就是你们说的四十万，含不含税？",
        "你们报的年费十二万，我们还得商量。",
        "仓库里的货值两千多万。",
        "一趟运费就要两三千块。",
        # A deposit, whoever says it (a mono call's rep given to nobody: 您先交…定金).
        "您先交一万块定金，直接打我微信上。",
        "定金先付五万，尾款验收后付。",
        "去年被平台扣了保证金三万元。",
        # What is lost or wasted, as 损失 is.
        "一年下来光损耗就是好几百万。",
        "每个月报废将近两万的料。",
        "财务说光坏账去年就有几百万。",
        "去年就因为货权不清被坑了八百多万。",
        "奖金少拿了两百多万。",
        # What the customer charges, pay by the month, money raised.
        "维保费压得太低，一台梯一年才收三千来块。",
        "现在工人一个月七八千还招不到。",
        "我们几个社工一个月才五六千。",
        "去年筹款一千二百多万。",
        # 报价 and 报了 as recognition writes them: a rival's quote.
        "你们竞品爆了150万还送两年维保。",
        "上次那家公司爆价38万，我们觉得不值。",
        # A period after a word of other money is that money's (房租一年, 电费每个月).
        "光房租一年就一百五十万。",
        "仓库电费每个月十几万。",
        "运维费一年二十万太高了。",
        # Deposits held, money lost to a fraud, a loan, goods by weight, money paid back.
        "我们存款余额也就四十来个亿。",
        "去年一个老太太被骗了二十八万。",
        "去年从农商行贷的那八十万今年得还。",
        "现在猪价一斤才七块出头。",
        "后来退了人家好几万的展位费。",
        # Money owed, leaked, paid over, back taxes, an order, a sale's margin, fees not
        # collected, a grant, a guarantee held.
        "开诊所的时候问银行贷的款，现在还欠三十来万没还完。",
        "有个客户欠我们六十多万货款还没结。",
        "收费员私底下揣包包，一年起码漏了好几万。",
        "场子是承包的，一年交给业主八十万。",
        "补税加滞纳金八万多，吓死人了。",
        "新加坡有个客户订了四十多万的货。",
        "一台车有时候才挣个几百块。",
        "去年还有四十多万物业费没收上来。",
        "政府给了三十万的技改补贴。",
        "在文旅局还押着二十万的质量保证金。",
        # The other side's price judged or reckoned aloud.
        "六十块一户倒不贵。",
        "一万六一台……利润薄得要死。",
        "两千六一张的话，那就三十多万了。",
        # The other side's figure, repeated as a question or trailing off.
        "三百万……这个我真不好说。",
        "嗯，八十万？这也太多了吧。",
        # An hour, and an hour and a half.
        "今年十二点五十开会。",
        "今年一个半小时就能培训完。",
        "",
    ],
)
def test_numbers_that_are_not_a_budget(customer: Extract, said: str) -> None:
    assert customer(said).budget is None


@pytest.mark.parametrize(
    ("said", "budget"),
    [
        # Recognition runs the next thought on without a pause: the rival named after the
        # customer's own amount does not make it the rival's price.
        ("三年控制在三十到四十万之间销售一报得比你们低一点", (300000, 400000)),
        ("预算控制在三十万以内销售易报得比你们低", (None, 300000)),
    ],
)
def test_a_rival_named_after_the_budget(
    customer: Extract, said: str, budget: tuple[int | None, int]
) -> None:
    found = stated(customer, said)
    assert (found.amount_min, found.amount_max) == budget


def test_a_rival_named_before_an_amount_owns_it(customer: Extract) -> None:
    assert customer("销售易一年二十万你们呢").budget is None
    assert customer("一年二十万销售易就能做").budget is None


def test_the_budget_beats_other_money_in_the_utterance(customer: Extract) -> None:
    budget = customer("你们报价八十万，我们预算只有五十万。").budget
    assert budget is not None
    assert budget.amount_max == 500000
    assert budget.evidence.utterance_id == "u1"
    # The vendor's figure named first leaves the customer's own budget a budget.
    assert stated(customer, "你们说的那套方案，我们预算是五十万。").amount_max == 500000
    # A deposit beside the budget is no budget; what the customer can put up first is.
    assert stated(customer, "预算二十万，定金先付五万。").amount_max == 200000
    assert stated(customer, "分期能做吗？首付我们最多出二十万").amount_max == 200000


@pytest.mark.parametrize(
    ("said", "amount"),
    [
        ("我们今年预算是350万年初定的很难再加", 3500000),
        # ... and on a telephone line 年初 heard as 年出.
        ("我们今年预算是350万年出定文很难再加", 3500000),
        ("今年预算三百五十万年底前要花完", 3500000),
        ("我们陈总给的是年费每年20万年，你们报的是23万多", 200000),
    ],
)
def test_a_word_run_on_after_the_amount(customer: Extract, said: str, amount: int) -> None:
    # Recognition drops the comma: 350万, 年初定的 — not 350 万年.
    budget = stated(customer, said)
    assert (budget.amount_min, budget.amount_max) == (amount, amount)


@pytest.mark.parametrize(
    ("said", "low", "high"),
    [
        # Sales talk's 个 for 万, before an approximation and after a budget word.
        ("这个项目我们预算控制在三百个左右然后分两年付", None, 3000000),
        ("说个数吧，我们这边能给到的是六十个上下，多了我也做不了主。", 480000, 720000),
        ("我们心理价位也就十万出头", None, 100000),
    ],
)
def test_slang_and_price_points(customer: Extract, said: str, low: int | None, high: int) -> None:
    budget = stated(customer, said)
    assert (budget.amount_min, budget.amount_max) == (low, high)


@pytest.mark.parametrize(
    ("said", "low", "high", "period"),
    [
        ("这个价位我们能接受，十二万一年，三年合同。", 120000, 120000, "year"),
        ("预算二十万一个月", 200000, 200000, "month"),
        ("我们预算大概是二三十万一年看你们能给什么方案", 200000, 300000, "year"),
        # The budget the customer put in for, not a vendor's quote.
        ("我们这边预算报的是八十万 你们方案能不能控制在这个数以内", 800000, 800000, None),
        ("预算我们报了二十万，但要等总公司的财务部批下来", 200000, 200000, None),
        # What the customer's side applied for; 你们报的 is a quote.
        ("漏损这块我们报的是一百二十万", 1200000, 1200000, None),
        ("去年立项了八十万", 800000, 800000, None),
        ("月付1500能接受", 1500, 1500, "month"),
    ],
)
def test_one_year_after_the_amount(
    customer: Extract, said: str, low: int, high: int, period: str | None
) -> None:
    # 三十万一年 is 30万 a year, not 300,001 yuan of years.
    budget = stated(customer, said)
    assert (budget.amount_min, budget.amount_max, budget.period) == (low, high, period)


def test_an_amount_named_the_budget_right_after_it(customer: Extract) -> None:
    # 运维 before it would make it maintenance spend; 的预算 after it says what it is.
    budget = stated(customer, "我们今年在智能运维这块大概有三百万的预算然后由网络部总经理最后签")
    assert (budget.estimate_min, budget.estimate_max) == (2400000, 3600000)


@pytest.mark.parametrize(
    ("said", "budget"),
    [
        # An approval limit said far after the budget word in one run-on clause is a rule.
        (
            "我们设备科今年的大修预算是一百一十万然后超过五十万的都要上院长办公会",
            (1100000, 1100000),
        ),
        ("预算一年不超过一万总共十八万但超过十万的和同还要到投资方便案", (None, 180000)),
        # Right after the budget word it is the budget's bound.
        ("预算一百万以内超过这个数就得重新立项", (None, 1000000)),
    ],
)
def test_an_approval_limit_in_a_run_on_clause(
    customer: Extract, said: str, budget: tuple[int | None, int]
) -> None:
    found = stated(customer, said)
    assert (found.amount_min, found.amount_max) == budget


def test_asr_spacing_and_full_width_digits(customer: Extract) -> None:
    budget = customer("预算 ６０ 万 左右").budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max) == (480000, 720000)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=9999))
def test_any_chinese_amount_in_wan(customer: Extract, wan: int) -> None:
    budget = customer(f"我们的预算是{cn2an.an2cn(wan)}万。").budget
    assert budget is not None
    assert budget.amount_min == budget.amount_max == wan * 10000


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=99999))
def test_any_arabic_amount_approximately(customer: Extract, wan: int) -> None:
    budget = customer(f"预算{wan}万左右").budget
    assert budget is not None
    assert budget.amount_min == round(wan * 10000 * 0.8)
    assert budget.amount_max == round(wan * 10000 * 1.2)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=1, max_value=999))
def test_any_range(customer: Extract, low: int, span: int) -> None:
    high = low + span
    budget = customer(f"预算{cn2an.an2cn(low)}到{cn2an.an2cn(high)}万之间").budget
    assert budget is not None
    assert (budget.amount_min, budget.amount_max) == (low * 10000, high * 10000)


@pytest.mark.parametrize(
    ("said", "low", "high"),
    [
        # How speech recognition writes numbers said in Chinese: digits after a unit, two
        # digits before 十 for a range, and 、 between an approximation's two numbers.
        ("预算是7万6千8", 76800, 76800),
        ("预算是12万8", 128000, 128000),
        ("预算是1万2", 12000, 12000),
        ("预算是1百50万", 1500000, 1500000),
        ("我们今年预算是56十万", 500000, 600000),
        ("我们今年预算是50、60万", 500000, 600000),
        ("我们今年预算是五、六十万", 500000, 600000),
        ("预算大概在2、300万", 2000000, 3000000),
        ("预算是5、6万", 50000, 60000),
    ],
)
def test_numbers_as_recognised_speech_writes_them(
    customer: Extract, said: str, low: int, high: int
) -> None:
    found = stated(customer, said)
    assert (found.amount_min, found.amount_max) == (low, high)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=9999), st.integers(min_value=1, max_value=9))
def test_any_amount_with_a_digit_after_wan(customer: Extract, wan: int, tail: int) -> None:
    budget = customer(f"我们的预算是{wan}万{tail}。").budget
    assert budget is not None
    assert budget.amount_min == budget.amount_max == wan * 10000 + tail * 1000


def test_a_range_heard_upside_down_keeps_both_ends(customer: Extract) -> None:
    # 十五万到二十万 heard as 95万到20万: which end is wrong is unknown, so the budget is the
    # span between them, not lost.
    found = stated(customer, "我们这种小公司预算95万到20万，再多就不考虑了。")
    assert (found.amount_min, found.amount_max) == (200_000, 950_000)


def test_a_price_per_seat_stays_a_budget(customer: Extract) -> None:
    # Pay by the month is no budget (工人一个月…), a price per seat the customer accepts is.
    found = stated(customer, "预算大概每人每月三块钱以内，超过这个数我们的毛利就没了。")
    assert found.amount_max == 3


def test_an_approval_panel_makes_an_amount_a_threshold(customer: Extract) -> None:
    insights = customer("我们采购那边有个评审小组，超过五十万的都得过评审小组。")
    assert insights.budget is None


def test_a_repeated_figure_leaves_the_budget_said_after_it(customer: Extract) -> None:
    found = stated(customer, "七十万？我们局里一共才批了五十万。")
    assert found.amount_max == 500_000
    # A budget word right after the repeated figure makes it the budget.
    found = stated(customer, "五十万的预算？对，就这么多。")
    assert found.amount_max == 500_000
    # A period word on its own still introduces the budget.
    assert stated(customer, "一年二十万我们能接受。").amount_max == 200_000


def test_a_bare_number_after_an_amount_in_wan_is_in_wan() -> None:
    """年初报的一百八十万 … 批下来一百五: 150万, said the way people shorten it."""
    from copilot.insights import RuleExtractor

    extract = RuleExtractor().extract
    found = extract("年初报的一百八十万，财务砍了一刀，批下来一百五。").budget
    assert found is not None and (found.amount_min, found.amount_max) == (1_500_000, 1_500_000)
    found = extract("你们报的八十六万，我们最多只能给到六十。").budget
    assert found is not None and found.amount_max == 600_000
    # Days, and a number far from the amount's size, stay what they are.
    found = extract("预算三十万，四十天上线。").budget
    assert found is not None and found.amount_max == 300_000
