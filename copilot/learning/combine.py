"""Rules first, the learned model for recall.

The rules keep everything they find, with their exact spans, severities and the detectors
that need arithmetic or checksums (amounts, discounts against authority, PII). The model
adds what the rules missed: a label above its threshold that no rule reported becomes an item
with ``source="model"``, its ``confidence`` and, as evidence, the clause that scored highest
for that label.

:func:`assisted_extractor` and :func:`assisted_scanner` build the combination from the rule
engine, the shipped model and an optional organisation model (its own labelled examples);
an LLM adjudicator can be passed as either model, since all three meet the
:class:`~copilot.learning.model.Predictor` protocol.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from typing import Literal, cast

from compliance import Flag, Scanner, ScanResult
from compliance.detectors.discount import find_discounts
from compliance.detectors.pii import find_bank_cards, find_id_cards, find_mobile_numbers
from compliance.models import SEVERITY_RANK, Category, Severity
from compliance.normalize import RECENT_TEXTS, normalize
from copilot.insights.base import InsightExtractor
from copilot.insights.extractor import RuleExtractor, RuleJudgement
from copilot.insights.models import (
    UNNAMED_DECISION_MAKER,
    DecisionMaker,
    Evidence,
    Insights,
    Objection,
    PainCategory,
    PainPoint,
    Speaker,
)
from copilot.learning.adjudicate import Adjudicator, adjudicate_insights, adjudicate_scan
from copilot.learning.corpus import DECISION_MAKER
from copilot.learning.model import (
    LabelHit,
    LayeredPredictor,
    LinearModel,
    Prediction,
    Predictor,
)
from copilot.learning.names import confirmed_names
from copilot.learning.roles import ReadRole, RoleModel, judged_roles
from retrieval.schema import ObjectionType

# A model-only compliance flag this sure gets its category's usual severity, else medium.
SURE = 0.9
# Messages the rules scan before the model reads them together: no more than
# ``normalize`` keeps the canonical forms of, so the model finds them made.
SCAN_BATCH = RECENT_TEXTS
MainBy = Literal["rules", "confidence"]
# How much more a rule's objection counts than the model's probability when picking the main one.
RULE_BONUS = 0.3
# How sure the model must be to add an objection type whose cues the rules saw and dismissed
# as a look-alike (a settled stance, an information question, a system given up); chosen on
# the dev split: 0.8 kept recall and main-type accuracy, 0.9 lost a little of both.
OVERRULE = 0.8
# A pain point the rules found is kept only when the model gives its category at least this
# probability: the rules' pain cues are broad (precision 0.4–0.55 on writers they were not
# written for) and the model, which reads the whole utterance, is the better judge. Chosen
# leaving each writer out in turn (bench/cross_writer.py): pain-point F1 0.575 → 0.581 at
# 0.1, 0.578 at 0.25.
PAIN_VETO = 0.1
# The same for the rules' objections and decision makers, which the model reads as the
# corpus's writers label them. Chosen leaving each customer writer out in turn (19 writers,
# 13,100 lines; the largest veto costing at most 0.015 of recall): objections P 0.734 ->
# 0.819, R 0.758 -> 0.748; decision makers P 0.761 -> 0.820, R 0.938 -> 0.925. A
# competitor objection the rules tied to a named rival is never vetoed.
OBJECTION_VETO = 0.05
DECISION_VETO = 0.05
# A pain point the model alone found is kept only at this share of the utterance's strongest
# pain point (one the rules found carries confidence 1): a weaker one is mostly a shade of the same
# complaint (slow manual work read as both efficiency and data). Chosen on rounds 6-8, each
# scored by a model trained without it: pain-point F1 0.727 -> 0.735 (precision 0.679 ->
# 0.724, recall 0.783 -> 0.747), 10 of 15 writers up; 0.3-0.7 all within 0.003 of it.
PAIN_SHARE = 0.5


def _layered(base: Predictor, org: Predictor | None) -> Predictor:
    return base if org is None else LayeredPredictor(base, org)


class ModelAssistedExtractor(InsightExtractor):
    """The rule extractor's insights plus what the model adds (customers' words only).

    ``model`` is None when only the role model is there (the customer artefact missing or
    damaged): the rules find everything, the role model still reads systems' roles and
    confirms names."""

    def __init__(
        self,
        rules: InsightExtractor,
        model: Predictor | None,
        *,
        main_by: MainBy = "confidence",
        adjudicator: Adjudicator | None = None,
        roles: RoleModel | None = None,
    ) -> None:
        self.rules = rules
        self.model = model
        self.main_by = main_by
        # An LLM that confirms or rejects the model's finds (copilot/learning/adjudicate.py).
        self.adjudicator = adjudicator
        # Reads each named system's role from the words around it (copilot/learning/roles.py).
        self.roles = roles

    def with_model(self, model: Predictor) -> ModelAssistedExtractor:
        """The same extractor with another model (an organisation's, layered)."""
        return ModelAssistedExtractor(
            self.rules, model, main_by=self.main_by, adjudicator=self.adjudicator, roles=self.roles
        )

    def extract(
        self, text: str, speaker: Speaker = "customer", utterance_id: str | None = None
    ) -> Insights:
        dismissed: frozenset[str] = frozenset()
        # Who the sentence's frames say decide: none without the rule extractor's judgement.
        framed: Callable[[], list[DecisionMaker]] = list
        others = False
        if isinstance(self.rules, RuleExtractor):
            judgement = self.rules.judge(text, speaker, utterance_id)
            insights, dismissed = judgement.insights, judgement.dismissed_objections
            if self.roles is not None:
                insights = read_systems(self.roles, judgement, insights)
            framed, others = judgement.framed_deciders, judgement.others_deciders
        else:
            insights = self.rules.extract(text, speaker, utterance_id)
        if self.model is None or speaker == "rep" or not text.strip():
            return insights
        # The model reads no further than the rules do (their max_chars, when they have one).
        config = getattr(self.rules, "config", None)
        said = text[: getattr(config, "max_chars", len(text))]
        prediction = self.model.predict(said)
        if others:
            # The deciders the line names are another company's (你回去跟你们领导商量): the
            # model reads 「商量」 and a boss, not whose boss.
            prediction = replace(
                prediction, hits=[h for h in prediction.hits if h.label != DECISION_MAKER]
            )
        # Who the sentence says decides is read only where the model reads a decision maker.
        deciders = framed() if prediction.hit(DECISION_MAKER) is not None else ()
        found = add_predictions(
            insights, prediction, utterance_id, self.main_by, dismissed, deciders
        )
        if self.adjudicator is not None:
            found = adjudicate_insights(self.adjudicator, text, found)
        return found


def _same_decider(framed: DecisionMaker, person: DecisionMaker) -> bool:
    """Whether ``framed`` names ``person`` or the body it belongs to (集团 of 集团的采购中心)."""
    if framed.name in person.name or person.name in framed.name:
        return True
    said = framed.evidence.text
    return any(f"{framed.name}{joint}{person.name}" in said for joint in ("", "的"))


def read_systems(roles: RoleModel, judgement: RuleJudgement, insights: Insights) -> Insights:
    """``insights`` with the named systems' roles read by ``roles``, and the names the rules
    could not confirm that its name confirmer takes for systems added (their role read by
    ``roles`` too)."""
    if judgement.mentions:
        insights = with_roles(insights, judged_roles(roles, judgement), judgement.text)
    if roles.names is None or not judgement.unconfirmed:
        return insights
    added = [
        name.system.model_copy(update={"role": roles.role(judgement.text, name.mention)[0]})
        for name in confirmed_names(roles.names, judgement)
    ]
    if not added:
        return insights
    return insights.model_copy(update={"systems": [*insights.systems, *added]})


def with_roles(insights: Insights, roles: dict[str, ReadRole], text: str) -> Insights:
    """``insights`` with the named systems' roles as ``roles`` reads them (by system name);
    a role the rules read otherwise becomes the model's, with its probability and the
    mention it was read at (``text``'s sentence holding it is the evidence, the words heard
    there the ``heard``), and one they agree on stays the rules'."""
    systems = []
    for system in insights.systems:
        read = roles.get(system.name)
        if read is not None and read.role != system.role:
            mention = read.mention
            evidence = system.evidence.model_copy(
                update={"text": text[mention.sentence_start : mention.sentence_end].strip()}
            )
            system = system.model_copy(
                update={
                    "role": read.role,
                    "source": "model",
                    "confidence": round(read.confidence, 4),
                    "evidence": evidence,
                    "heard": mention.heard,
                }
            )
        systems.append(system)
    return insights.model_copy(update={"systems": systems})


def add_predictions(
    insights: Insights,
    prediction: Prediction,
    utterance_id: str | None,
    main_by: MainBy = "confidence",
    dismissed: frozenset[str] = frozenset(),
    framed: Sequence[DecisionMaker] = (),
) -> Insights:
    """``insights`` with the model's hits the rules missed added (a new object), and the
    rules' finds the model thinks near impossible dropped (:data:`PAIN_VETO`,
    :data:`OBJECTION_VETO`, :data:`DECISION_VETO`). An objection type in ``dismissed`` (the
    rules saw its cue and judged it a look-alike) is added only when the model is at least
    :data:`OVERRULE` sure. Where the model reads a decision maker, the ``framed`` ones (who
    the sentence says decides) join the rules' (:func:`with_deciders`). A pain point only the
    model found is kept at :data:`PAIN_SHARE` of the strongest or more
    (:func:`strongest_pains`)."""

    def possible(label: str, veto: float) -> bool:
        # A label the model does not score (an org's model of other labels) vetoes nothing.
        return prediction.probabilities.get(label, 1.0) >= veto

    named_rival = bool(insights.competitors)
    objections = [
        o
        for o in insights.objections
        if possible(f"objection:{o.type}", OBJECTION_VETO)
        or (o.type == "competitor" and named_rival)
    ]
    pains = [p for p in insights.pain_points if possible(f"pain:{p.category}", PAIN_VETO)]
    people = list(insights.decision_chain) if possible(DECISION_MAKER, DECISION_VETO) else []
    have_objections = {o.type for o in objections}
    have_pains = {p.category for p in pains}
    for hit in prediction.hits:
        evidence = Evidence(utterance_id=utterance_id, text=hit.evidence)
        kind, _, name = hit.label.partition(":")
        if kind == "objection" and name not in have_objections:
            if name in dismissed and hit.confidence < OVERRULE:
                continue
            objections.append(
                Objection(
                    type=cast(ObjectionType, name),
                    text=hit.evidence,
                    evidence=evidence,
                    source="model",
                    confidence=hit.confidence,
                )
            )
        elif kind == "pain" and name not in have_pains:
            pains.append(
                PainPoint(
                    category=cast(PainCategory, name),
                    text=hit.evidence,
                    evidence=evidence,
                    source="model",
                    confidence=hit.confidence,
                )
            )
        elif hit.label == DECISION_MAKER:
            people = with_deciders(people, framed, hit, evidence)
    if main_by == "confidence" and len(objections) > 1:
        objections = main_first(objections, prediction)
    return insights.model_copy(
        update={
            "objections": objections,
            "pain_points": strongest_pains(pains),
            "decision_chain": people,
        }
    )


def with_deciders(
    people: list[DecisionMaker], framed: Sequence[DecisionMaker], hit: LabelHit, evidence: Evidence
) -> list[DecisionMaker]:
    """The rules' deciders ``people`` with those the sentence's frames name beside them
    (得我们老板和财务周姐一起拍板: the rules read 老板, a frame 财务周姐), at the model's
    confidence that the line names one; a framed name that is one of theirs, or part of one,
    is not said again. Where the rules named nobody and no frame names anybody: one unnamed."""
    chain = list(people)
    for named in framed:
        if not any(_same_decider(named, person) for person in chain):
            chain.append(named.model_copy(update={"source": "model", "confidence": hit.confidence}))
    if chain:
        return chain
    unnamed = DecisionMaker(
        name=UNNAMED_DECISION_MAKER,
        kind="role",
        evidence=evidence,
        source="model",
        confidence=hit.confidence,
    )
    return [unnamed]


def strongest_pains(pains: list[PainPoint]) -> list[PainPoint]:
    """``pains`` without the model's finds below :data:`PAIN_SHARE` of the strongest (a
    rule's find carries confidence 1, so it always stays)."""
    floor = PAIN_SHARE * max((p.confidence for p in pains), default=0.0)
    return [p for p in pains if p.confidence >= floor]


def main_first(objections: list[Objection], prediction: Prediction) -> list[Objection]:
    """The main objection first (it drives suggestions): the highest model probability,
    a rule's find counting :data:`RULE_BONUS` more (chosen on the dev split: rules first
    scored 0.79, pure probability 0.81, this 0.825). The others keep their order."""

    def strength(objection: Objection) -> float:
        score = prediction.probabilities.get(f"objection:{objection.type}", 0.0)
        return score + RULE_BONUS if objection.source == "rule" else score

    best = max(range(len(objections)), key=lambda i: (strength(objections[i]), -i))
    return [objections[best], *objections[:best], *objections[best + 1 :]]


class ModelAssistedScanner(Scanner):
    """A scanner sharing ``rules``' rule pack (and its reloads), adding model-only flags.

    An organisation's overrides that switch a rule off also keep the model quiet where that
    rule would have fired: ``reference`` (the shared scanner, without the org's overrides)
    tells which categories the disabled rules hit in a message."""

    def __init__(
        self,
        rules: Scanner,
        model: Predictor,
        reference: Scanner | None = None,
        adjudicator: Adjudicator | None = None,
    ) -> None:
        super().__init__(store=rules.store)
        self.rules = rules
        self.model = model
        self.reference = reference
        self.adjudicator = adjudicator
        layer = getattr(rules.store, "layer", None)
        self._disabled = frozenset(layer.overrides.disable) if layer is not None else frozenset()

    def with_model(self, model: Predictor) -> ModelAssistedScanner:
        """The same scanner with another model (an organisation's, layered)."""
        return ModelAssistedScanner(self.rules, model, self.reference, self.adjudicator)

    def scan(self, text: str) -> ScanResult:
        return self.scan_many([text])[0]

    def scan_many(self, texts: Iterable[str]) -> list[ScanResult]:
        """:meth:`scan` of each text, the same results, cheaper per message: the rules scan
        a few messages, then the model reads them together (see ``LinearModel.predict_many``)
        while the canonical forms the rules made are still cached (``normalize``) and
        neither engine's tables push the other's out of the CPU's cache message by message."""
        texts = list(texts)
        results: list[ScanResult] = []
        for first in range(0, len(texts), SCAN_BATCH):
            results.extend(self._scan_batch(texts[first : first + SCAN_BATCH]))
        if self.adjudicator is None:
            return results
        return [
            adjudicate_scan(self.adjudicator, text[: self.config.max_chars], result)
            for text, result in zip(texts, results, strict=True)
        ]

    def _scan_batch(self, texts: list[str]) -> list[ScanResult]:
        rules_scan = super().scan
        ruled = [rules_scan(text) for text in texts]
        scanned = [text[: self.config.max_chars] for text in texts]
        predictions: Sequence[Prediction | None]
        if isinstance(self.model, LinearModel):
            # The shipped model can skip the evidence of what the rules already flagged.
            predictions = self.model.predict_many(scanned, [r.categories for r in ruled])
        else:
            predictions = [self.model.predict(text) if text.strip() else None for text in scanned]
        return [
            self._with_model(text, result, prediction)
            for text, result, prediction in zip(scanned, ruled, predictions, strict=True)
        ]

    def _with_model(
        self, scanned: str, result: ScanResult, prediction: Prediction | None
    ) -> ScanResult:
        """The rules' ``result`` with the model's flags for categories no rule reported."""
        if prediction is None:
            return result
        have = result.categories
        extra = [
            self._flag(scanned, hit.label, hit.confidence, hit.start, hit.end)
            for hit in prediction.hits
            if hit.label not in have and not _rules_decide(hit.label, hit.evidence)
        ]
        if extra and self._disabled and self.reference is not None:
            muted = {
                flag.category
                for flag in self.reference.scan(scanned).flags
                if flag.rule_id in self._disabled
            }
            extra = [flag for flag in extra if flag.category not in muted]
        if not extra:
            return result
        flags = sorted([*result.flags, *extra], key=lambda f: (f.start, f.end, f.rule_id))
        return ScanResult.from_flags(flags[: self.config.max_flags], truncated=result.truncated)

    def _flag(self, text: str, category: str, confidence: float, start: int, end: int) -> Flag:
        severity, suggestion = self._category_defaults(category)
        return Flag(
            rule_id=f"model.{category}",
            category=cast(Category, category),
            severity=severity if confidence >= SURE else "medium",
            start=start,
            end=end,
            match=text[start:end],
            suggestion=suggestion,
            source="model",
            confidence=confidence,
        )

    def _category_defaults(self, category: str) -> tuple[Severity, str]:
        """The category's usual severity (its rules' most common, the higher on a tie) and
        its general rewrite (its rule file's ``suggestion``), else the suggestion of its
        first rule that needs no values filled in."""
        rules = [rule for rule in self.pack.rules if rule.category == category]
        counts = Counter(rule.severity for rule in rules)
        severity: Severity = max(
            counts or {"medium": 1}, key=lambda s: (counts.get(s, 1), SEVERITY_RANK[s])
        )
        suggestion = self.pack.suggestions.get(category) or next(
            (rule.suggestion for rule in rules if "{" not in rule.suggestion),
            "请人工复核这句话是否合规。",
        )
        return severity, suggestion


def _rules_decide(category: str, clause: str) -> bool:
    """Whether the rules' arithmetic owns this verdict: a discount the discount detector can
    read is checked against the authority (the org's policy), so a model must not call it
    unauthorized where the rules found it allowed; a phone, ID or card number the PII
    detectors can read (checksums) is theirs to judge, a rep's own number being compliant."""
    if category == "unauthorized_discount":
        return next(find_discounts(normalize(clause).text), None) is not None
    if category == "privacy":
        text = normalize(clause).text
        return any(
            next(find(text, 0, len(text)), None) is not None
            for find in (find_mobile_numbers, find_id_cards, find_bank_cards)
        )
    return False


def assisted_extractor(
    rules: InsightExtractor,
    base: Predictor | None,
    org: Predictor | None = None,
    roles: RoleModel | None = None,
) -> InsightExtractor:
    """Rules + (base, then org) model, with ``roles`` reading named systems' roles; the
    rules and ``roles`` when there is no model, the rules alone when there is neither. An
    extractor that already has a model is returned as it is."""
    if isinstance(rules, ModelAssistedExtractor):
        return rules
    if base is None and org is None:
        return rules if roles is None else ModelAssistedExtractor(rules, None, roles=roles)
    model = org if base is None else _layered(base, org)
    return ModelAssistedExtractor(rules, model, roles=roles)


def assisted_scanner(
    rules: Scanner, base: Predictor | None, org: Predictor | None = None
) -> Scanner:
    if (base is None and org is None) or isinstance(rules, ModelAssistedScanner):
        return rules
    model = org if base is None else _layered(base, org)
    assert model is not None
    return ModelAssistedScanner(rules, model)


def extractor_like(template: InsightExtractor, rules: InsightExtractor) -> InsightExtractor:
    """``rules`` (e.g. rebuilt with an organisation's vendors) with ``template``'s model,
    when ``template`` has one."""
    if isinstance(template, ModelAssistedExtractor):
        return ModelAssistedExtractor(
            rules,
            template.model,
            main_by=template.main_by,
            adjudicator=template.adjudicator,
            roles=template.roles,
        )
    return rules


def scanner_like(template: Scanner, rules: Scanner) -> Scanner:
    """``rules`` (e.g. with an organisation's overrides) with ``template``'s model."""
    if isinstance(template, ModelAssistedScanner) and not isinstance(rules, ModelAssistedScanner):
        return ModelAssistedScanner(
            rules, template.model, reference=template.rules, adjudicator=template.adjudicator
        )
    return rules
