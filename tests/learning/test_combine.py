"""Rules first, the model adds what they missed, with its confidence and clause."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from compliance import Scanner
from copilot.insights import RuleExtractor
from copilot.insights.models import Insights
from copilot.learning import (
    LabelHit,
    LayeredPredictor,
    ModelAssistedExtractor,
    ModelAssistedScanner,
    Prediction,
    bundled_models,
)
from copilot.learning.combine import (
    DECISION_VETO,
    OBJECTION_VETO,
    OVERRULE,
    PAIN_SHARE,
    PAIN_VETO,
    UNNAMED_DECISION_MAKER,
)
from copilot.service.pipeline import suggestion_count
from retrieval.suggest import cards_for


@dataclass
class FixedPredictor:
    """Says the same hits for every text: the combination logic without a trained model."""

    hits: list[LabelHit]
    probabilities: dict[str, float] = field(default_factory=dict)
    labels: tuple[str, ...] = ()

    def predict(self, text: str) -> Prediction:
        return Prediction(self.probabilities, self.hits)


@pytest.fixture(scope="module")
def rules() -> RuleExtractor:
    return RuleExtractor()


def test_the_model_adds_what_the_rules_missed_with_its_clause(rules: RuleExtractor) -> None:
    text = "这事儿我先说一下，大家觉得呢，现在弄这个，是不是有点早。"
    clause = "是不是有点早"
    assert not rules.extract(text).objections
    model = FixedPredictor(
        [
            LabelHit("objection:timing", 0.71, clause, text.index(clause), len(text) - 1),
            LabelHit("pain:efficiency", 0.6, "现在弄这个", 17, 22),
            LabelHit("decision_maker", 0.8, "大家觉得呢", 10, 15),
        ],
        {"objection:timing": 0.71},
    )
    insights = ModelAssistedExtractor(rules, model).extract(text, utterance_id="u7")
    (objection,) = insights.objections
    assert (objection.type, objection.source, objection.confidence) == ("timing", "model", 0.71)
    assert objection.evidence.text == clause and objection.evidence.utterance_id == "u7"
    assert insights.pain_points[0].source == "model"
    assert insights.decision_chain[0].name == UNNAMED_DECISION_MAKER


@pytest.mark.parametrize(
    ("said", "who"),
    [
        ("投资人不点头，谁说都没用。", "投资人"),
        ("这个得跟我们GM商量一下。", "GM"),
        ("放云上的话我们总工肯定不同意。", "总工"),
        ("真正拍板的是我们县供销社那边。", "县供销社"),
        ("这事得管委会同意才行。", "管委会"),
        # Colleagues called by surname, and a given name in Latin letters.
        ("最后还是股东老沈说了算。", "股东老沈"),
        ("还有IT那边的小吴也得点头。", "小吴"),
        ("测完我跟我们合伙人Tony商量一下。", "合伙人Tony"),
        ("这事还得他老人家点头。", None),  # him, said with respect: nobody new
    ],
)
def test_the_model_s_decision_maker_is_who_the_sentence_says_decides(
    rules: RuleExtractor, said: str, who: str | None
) -> None:
    """A decider no list knows, read from the sentence's frame; named only when the model
    reads the line as naming a decision maker (the rules alone report nobody)."""
    assert rules.extract(said).decision_chain == []
    model = FixedPredictor([LabelHit("decision_maker", 0.8, said, 0, len(said))])
    (person,) = ModelAssistedExtractor(rules, model).extract(said).decision_chain
    named = who or UNNAMED_DECISION_MAKER
    assert (person.name, person.source, person.confidence) == (named, "model", 0.8)
    assert not ModelAssistedExtractor(rules, FixedPredictor([])).extract(said).decision_chain


@pytest.mark.parametrize(
    "said",
    [
        "客户不同意我们也没办法。",  # not a buyer of ours
        "系统现在运行挺稳定的。",  # 稳定 is no deciding
        "三十万以内我就能批。",  # the listener decides alone
        "我们公司小，没什么层层审批的。",  # 层层 is how many layers, not who
        "最后要我们长长一起拍板。",  # 长长 (a 厂长 misheard) is nobody's name
        "老实说了算了吧。",  # 实 is no surname
    ],
)
def test_a_frame_names_no_one_but_a_decider_of_the_customer_s(
    rules: RuleExtractor, said: str
) -> None:
    model = FixedPredictor([LabelHit("decision_maker", 0.8, said, 0, len(said))])
    (person,) = ModelAssistedExtractor(rules, model).extract(said).decision_chain
    assert person.name == UNNAMED_DECISION_MAKER


@pytest.mark.parametrize(
    "said",
    ["跟你们领导申请一下特价吧。", "你再回去跟你们老板商量商量", "这个得贵司王总拍板吧"],
)
def test_the_seller_s_deciders_are_nobody_s_of_the_customer_s(
    rules: RuleExtractor, said: str
) -> None:
    """The rules see whose they are; the model, sure of a decider, reads only 商量 and a boss."""
    assert rules.extract(said).decision_chain == []
    model = FixedPredictor([LabelHit("decision_maker", 0.9, said, 0, len(said))])
    assert ModelAssistedExtractor(rules, model).extract(said).decision_chain == []


def test_a_frame_names_the_decider_beside_the_ones_the_rules_read(rules: RuleExtractor) -> None:
    said = "得我们老板和财务周姐一起拍板，我只能往上报。"
    assert [p.name for p in rules.extract(said).decision_chain] == ["老板"]
    sure = FixedPredictor([LabelHit("decision_maker", 0.9, said, 0, len(said))])
    chain = ModelAssistedExtractor(rules, sure).extract(said).decision_chain
    assert [(p.name, p.source) for p in chain] == [("老板", "rule"), ("财务周姐", "model")]
    # Only where the model reads the line as naming a decision maker.
    unsure = FixedPredictor([], {"decision_maker": 0.3})
    assert [p.name for p in ModelAssistedExtractor(rules, unsure).extract(said).decision_chain] == [
        "老板"
    ]
    # The body a decider of the rules' belongs to is no second decider.
    body = "我跟你说实话，最终签字的是我们集团的采购中心。"
    assert [p.name for p in rules.extract(body).decision_chain] == ["采购中心"]
    model = FixedPredictor([LabelHit("decision_maker", 0.9, body, 0, len(body))])
    assert [p.name for p in ModelAssistedExtractor(rules, model).extract(body).decision_chain] == [
        "采购中心"
    ]
    # The frame's decider already among the rules' is not said twice.
    again = "这事得我们李总拍板。"
    assert [p.name for p in rules.extract(again).decision_chain] == ["李总"]
    model = FixedPredictor([LabelHit("decision_maker", 0.9, again, 0, len(again))])
    assert [p.name for p in ModelAssistedExtractor(rules, model).extract(again).decision_chain] == [
        "李总"
    ]


@pytest.mark.parametrize(
    ("said", "who"),
    [
        ("最后要业委会和我们公司分管副总一起定。", ["分管副总", "业委会"]),
        ("要我阿爸同我大佬一起话事，厂是他们的。", ["我阿爸", "我大佬"]),
        ("这事得舅舅和我姐夫一起拍板。", ["舅舅", "我姐夫"]),
    ],
)
def test_deciders_joined_before_one_verb_are_all_named(
    rules: RuleExtractor, said: str, who: list[str]
) -> None:
    model = FixedPredictor([LabelHit("decision_maker", 0.8, said, 0, len(said))])
    chain = ModelAssistedExtractor(rules, model).extract(said).decision_chain
    assert sorted(p.name for p in chain) == sorted(who)


def test_a_rule_find_is_kept_as_it_is(rules: RuleExtractor) -> None:
    text = "价格太贵了，超出预算。"
    said = rules.extract(text)
    model = FixedPredictor([LabelHit("objection:price", 0.95, "价格太贵了", 0, 5)])
    insights = ModelAssistedExtractor(rules, model).extract(text)
    assert [(o.type, o.source, o.confidence) for o in insights.objections] == [
        (o.type, "rule", 1.0) for o in said.objections
    ]


def test_rep_words_get_no_customer_insights_from_the_model(rules: RuleExtractor) -> None:
    model = FixedPredictor([LabelHit("objection:price", 0.99, "贵", 0, 1)])
    assert not ModelAssistedExtractor(rules, model).extract("贵", speaker="rep").objections


def test_the_main_objection_is_the_surest(rules: RuleExtractor) -> None:
    text = "这个我说了不算，得老板定。价格也太贵了。"
    found = [o.type for o in rules.extract(text).objections]
    assert found == ["authority", "price"]
    probabilities = {"objection:authority": 0.2, "objection:price": 0.9}
    model = FixedPredictor([], probabilities)
    insights = ModelAssistedExtractor(rules, model).extract(text)
    assert insights.objections[0].type == "price"


def test_a_model_only_flag_covers_its_clause_at_medium_unless_sure() -> None:
    text = "您好，这个项目结束以后，咱们再找个时间聚一聚。"
    clause = "咱们再找个时间聚一聚"
    start = text.index(clause)
    scanner = Scanner()
    assert scanner.scan(text).compliant
    unsure = FixedPredictor([LabelHit("kickback", 0.6, clause, start, start + len(clause))])
    result = ModelAssistedScanner(scanner, unsure).scan(text)
    (flag,) = result.flags
    assert not result.compliant
    assert (flag.category, flag.severity, flag.source, flag.confidence) == (
        "kickback",
        "medium",
        "model",
        0.6,
    )
    assert (flag.start, flag.end, flag.match) == (start, start + len(clause), clause)
    sure = FixedPredictor([LabelHit("kickback", 0.95, clause, start, start + len(clause))])
    assert ModelAssistedScanner(scanner, sure).scan(text).flags[0].severity == "high"


def test_rule_flags_keep_their_spans_and_severity() -> None:
    scanner = Scanner()
    text = "我们保证三十天内一定上线"
    model = FixedPredictor([LabelHit("guarantee", 0.99, text, 0, len(text))])
    assert ModelAssistedScanner(scanner, model).scan(text).flags == scanner.scan(text).flags


def test_an_org_model_adds_to_the_shipped_one() -> None:
    base = FixedPredictor([LabelHit("kickback", 0.5, "a", 0, 1)], {"kickback": 0.5})
    org = FixedPredictor([LabelHit("kickback", 0.8, "b", 1, 2)], {"kickback": 0.8})
    prediction = LayeredPredictor(base, org).predict("ab")
    assert prediction.hit("kickback") == LabelHit("kickback", 0.8, "b", 1, 2)


def test_the_bundled_models_catch_unseen_wording(rules: RuleExtractor) -> None:
    models = bundled_models()
    assert models.customer is not None and models.rep is not None
    insights = ModelAssistedExtractor(rules, models.customer).extract(
        "这事儿我拍不了板，得等我们大老板回来再说。"
    )
    assert insights.objections[0].type == "authority"
    text = "那个，合同签了以后，给您的那份辛苦费我单独包个信封送过去。"
    flags = ModelAssistedScanner(Scanner(), models.rep).scan(text).flags
    assert "kickback" in {flag.category for flag in flags}


def test_fewer_cards_when_not_sure(rules: RuleExtractor) -> None:
    assert [cards_for(c, 3) for c in (1.0, 0.85, 0.6, 0.4)] == [3, 3, 1, 0]
    unsure = FixedPredictor([LabelHit("objection:need", 0.45, "嗯", 0, 1)])
    insights = ModelAssistedExtractor(rules, unsure).extract("嗯，好的。")
    assert insights.objections and suggestion_count(insights, 3) == 0
    assert suggestion_count(rules.extract("价格太贵了"), 3) == 3


def test_the_service_engines_get_the_models_once() -> None:
    from copilot.learning.runtime import Models
    from copilot.service.org_engines import with_learned_models
    from copilot.service.pipeline import Engines

    models = bundled_models()
    engines = Engines(extractor=RuleExtractor(), scanner=Scanner(), suggester=None)  # type: ignore[arg-type]
    assisted = with_learned_models(engines, models)
    assert isinstance(assisted.extractor, ModelAssistedExtractor)
    assert isinstance(assisted.scanner, ModelAssistedScanner)
    again = with_learned_models(assisted, models)
    assert again.extractor is assisted.extractor and again.scanner is assisted.scanner
    assert with_learned_models(engines, Models()).scanner is engines.scanner


def test_an_org_model_without_a_shipped_customer_model_keeps_the_role_model() -> None:
    from copilot.learning.org_models import OrgModels
    from copilot.learning.runtime import Models
    from copilot.service.org_engines import with_learned_models, with_org_models
    from copilot.service.pipeline import Engines

    shipped = bundled_models()
    assert shipped.customer is not None and shipped.roles is not None
    engines = Engines(extractor=RuleExtractor(), scanner=Scanner(), suggester=None)  # type: ignore[arg-type]
    roles_only = with_learned_models(engines, Models(roles=shipped.roles))
    assert isinstance(roles_only.extractor, ModelAssistedExtractor)
    assert roles_only.extractor.model is None
    assert roles_only.extractor.roles is shipped.roles
    org = OrgModels("org", "v1", customer=shipped.customer)
    extractor = with_org_models(roles_only, org).extractor
    assert isinstance(extractor, ModelAssistedExtractor)
    assert extractor.model is shipped.customer and extractor.roles is shipped.roles


def test_a_rule_an_org_switched_off_is_not_brought_back_by_the_model() -> None:
    from compliance import RulePackStore
    from compliance.loader import OverridesLayer
    from compliance.schema import OverridesFile
    from copilot.learning import scanner_like

    text = "我保证上线不延期。"
    model = FixedPredictor([LabelHit("guarantee", 0.97, text, 0, len(text))])
    shared = ModelAssistedScanner(Scanner(), model)
    layer = OverridesLayer("org", OverridesFile(disable=["guarantee.delivery"]))
    org = scanner_like(shared, Scanner(store=RulePackStore(None, layer)))
    assert org.scan(text).flags == []
    other = "这个方案下周能给您。"
    assert [f.rule_id for f in org.scan(other).flags] == ["model.guarantee"]


def test_an_orgs_rewrite_for_a_category_reaches_the_models_flags() -> None:
    from compliance import RulePackStore
    from compliance.loader import OverridesLayer
    from compliance.schema import OverridesFile
    from copilot.learning import scanner_like

    text = "您放心，出了任何问题我个人全额赔偿。"
    model = FixedPredictor([LabelHit("guarantee", 0.97, text[4:-1], 4, len(text) - 1)])
    shared = ModelAssistedScanner(Scanner(), model)
    rewrite = "改为：赔偿以合同约定的条款为准。"
    layer = OverridesLayer("org", OverridesFile(suggestion={"guarantee": rewrite}))
    org = scanner_like(shared, Scanner(store=RulePackStore(None, layer)))
    (flag,) = org.scan(text).flags
    assert (flag.rule_id, flag.suggestion) == ("model.guarantee", rewrite)
    (elsewhere,) = shared.scan(text).flags  # other orgs keep the shipped rewrite
    assert elsewhere.suggestion == shared.pack.suggestions["guarantee"] != rewrite


def test_the_model_vetoes_what_the_rules_found_only_when_it_thinks_it_near_impossible(
    rules: RuleExtractor,
) -> None:
    text = "太贵了，而且这事得孙总拍板，我们现在交付老是延期。"
    found = rules.extract(text)
    assert [o.type for o in found.objections] == ["price", "authority"]
    assert [p.name for p in found.decision_chain] == ["孙总"]
    assert {p.category for p in found.pain_points} == {"delivery"}

    def extracted(probabilities: dict[str, float]) -> Insights:
        return ModelAssistedExtractor(rules, FixedPredictor([], probabilities)).extract(text)

    # A label the model does not score (an org's model of other labels) vetoes nothing.
    assert extracted({}) == found
    unlikely = {
        "objection:price": OBJECTION_VETO / 2,
        "objection:authority": OBJECTION_VETO,  # at the line: kept
        "decision_maker": DECISION_VETO / 2,
        "pain:delivery": PAIN_VETO / 2,
    }
    vetoed = extracted(unlikely)
    assert [o.type for o in vetoed.objections] == ["authority"]
    assert vetoed.decision_chain == [] and vetoed.pain_points == []
    # Everything the rules read stays as they read it.
    kept = extracted({"decision_maker": DECISION_VETO, "objection:price": 0.5})
    assert kept.decision_chain == found.decision_chain
    assert [o.type for o in kept.objections] == ["price", "authority"]
    # A competitor objection tied to a rival the rules named is never vetoed.
    rival = "不过纷享销客便宜两成，你们能不能再看看？"
    named = ModelAssistedExtractor(rules, FixedPredictor([], {"objection:competitor": 0.0}))
    assert "competitor" in {o.type for o in named.extract(rival).objections}


def test_a_pain_point_far_weaker_than_the_strongest_is_a_shade_of_it(
    rules: RuleExtractor,
) -> None:
    text = "这事儿我先说一下，现在弄这个，太麻烦了。"
    assert not rules.extract(text).pain_points

    def pains(*hits: tuple[str, float]) -> list[tuple[str, float]]:
        model = FixedPredictor([LabelHit(label, p, "太麻烦了", 14, 18) for label, p in hits])
        found = ModelAssistedExtractor(rules, model).extract(text).pain_points
        return [(p.category, p.confidence) for p in found]

    strongest = 0.9
    at_share, below = strongest * PAIN_SHARE, strongest * PAIN_SHARE - 0.01
    assert pains(("pain:efficiency", strongest), ("pain:data", at_share)) == [
        ("efficiency", strongest),
        ("data", at_share),
    ]
    assert pains(("pain:efficiency", strongest), ("pain:data", below)) == [
        ("efficiency", strongest)
    ]
    # Alone, a weak pain point stays: the model's threshold has already judged it.
    assert pains(("pain:data", 0.2)) == [("data", 0.2)]
    # Beside one the rules found (which counts as certain), the model's needs half of 1.
    delivery = "我们现在交付老是延期。"
    assert {p.category for p in rules.extract(delivery).pain_points} == {"delivery"}
    model = FixedPredictor(
        [
            LabelHit("pain:quality", 0.45, delivery, 0, 10),
            LabelHit("pain:service", 0.55, delivery, 0, 10),
        ]
    )
    found = ModelAssistedExtractor(rules, model).extract(delivery).pain_points
    assert [(p.category, p.source) for p in found] == [("delivery", "rule"), ("service", "model")]


def test_a_model_flag_suggests_its_categorys_general_rewrite() -> None:
    # A compensation promise: the guarantee rules' first suggestion is about delivery dates.
    text = "您放心，出了任何问题我个人全额赔偿。"
    model = FixedPredictor([LabelHit("guarantee", 0.97, text[4:-1], 4, len(text) - 1)])
    scanner = ModelAssistedScanner(Scanner(), model)
    (flag,) = scanner.scan(text).flags
    assert flag.rule_id == "model.guarantee"
    assert flag.suggestion == scanner.pack.suggestions["guarantee"]
    assert "赔偿" in flag.suggestion


def test_a_discount_the_rules_can_read_is_theirs_to_judge() -> None:
    text = "这单我给您打个九五折。"
    model = FixedPredictor([LabelHit("unauthorized_discount", 0.97, text[:-1], 0, len(text) - 1)])
    scanner = Scanner()
    assert scanner.scan(text).compliant  # within the default authority
    assert ModelAssistedScanner(scanner, model).scan(text).compliant
    vague = "价格这块我私下再给您让一让。"
    hit = FixedPredictor([LabelHit("unauthorized_discount", 0.97, vague[:-1], 0, len(vague) - 1)])
    assert not ModelAssistedScanner(scanner, hit).scan(vague).compliant


@pytest.mark.parametrize(
    ("text", "label", "clause"),
    [
        ("价格方面我们已经很满意了", "objection:price", "价格方面我们已经很满意了"),
        ("以前用过销售易，挺好用的，后来停了", "objection:need", "挺好用的"),
    ],
)
def test_a_look_alike_the_rules_dismissed_needs_a_sure_model(
    rules: RuleExtractor, text: str, label: str, clause: str
) -> None:
    type_ = label.partition(":")[2]
    assert type_ in rules.judge(text).dismissed_objections
    start = text.index(clause)

    def found(confidence: float) -> list[str]:
        hit = LabelHit(label, confidence, clause, start, start + len(clause))
        model = FixedPredictor([hit], {label: confidence})
        return [o.type for o in ModelAssistedExtractor(rules, model).extract(text).objections]

    assert found(OVERRULE - 0.1) == []
    assert found(OVERRULE) == [type_]


def test_an_objection_the_rules_never_saw_is_still_added_by_an_unsure_model(
    rules: RuleExtractor,
) -> None:
    text = "价格方面我们已经很满意了"
    hit = LabelHit("objection:timing", 0.5, text, 0, len(text))
    model = FixedPredictor([hit], {"objection:timing": 0.5})
    objections = ModelAssistedExtractor(rules, model).extract(text).objections
    assert [o.type for o in objections] == ["timing"]


@pytest.mark.parametrize(
    ("text", "clause", "flagged"),
    [
        ("我的手机号是13812345678，微信同号", "我的手机号是13812345678", False),
        ("附件是其他客户的名单，供您参考", "附件是其他客户的名单", True),
    ],
)
def test_a_number_the_pii_detectors_read_is_theirs_to_judge(
    text: str, clause: str, flagged: bool
) -> None:
    scanner = Scanner()
    assert scanner.scan(text).compliant
    model = FixedPredictor([LabelHit("privacy", 0.95, clause, 0, len(clause))])
    flags = ModelAssistedScanner(scanner, model).scan(text).flags
    assert [f.category for f in flags] == (["privacy"] if flagged else [])
