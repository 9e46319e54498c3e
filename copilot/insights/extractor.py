"""The rule-based insight extractor, the default backend.

Rules always run, offline, in well under a millisecond or two per utterance; an LLM backend
(``copilot.insights.llm``) can refine their result. Backends are looked up by the settings
value in :data:`copilot.insights.backends.BACKENDS`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from copilot.insights.base import InsightExtractor
from copilot.insights.budget import BudgetExtractor
from copilot.insights.commitments import CommitmentExtractor
from copilot.insights.competitors import CompetitorHit, CompetitorMatcher
from copilot.insights.config import InsightConfig
from copilot.insights.cues import ObjectionExtractor, PainPointExtractor
from copilot.insights.decider_frames import DeciderFrames
from copilot.insights.decision import DecisionChainExtractor
from copilot.insights.lexicon import (
    BudgetLexicon,
    CommitmentLexicon,
    CompetitorEntry,
    CompetitorList,
    DecisionLexicon,
    NegationLexicon,
    ObjectionLexicon,
    PainLexicon,
    bundled,
    compile_optional,
    compile_patterns,
    load,
)
from copilot.insights.models import (
    Competitor,
    DecisionMaker,
    Evidence,
    Insights,
    ObjectionType,
    Speaker,
    System,
    SystemRole,
)
from copilot.insights.systems import (
    Found,
    RoleReader,
    SystemHit,
    SystemMatcher,
    merge_systems,
)
from copilot.insights.text import Segmenter, normalize_marking_pauses
from copilot.insights.vendors import builtin, systems_of
from copilot.insights.words import warm_up

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SystemMention:
    """Where a reported system's name was said and the role the rules read there: a learned
    role reader (``copilot.learning.roles``) reads the same words. Spans index
    :attr:`RuleJudgement.text`; ``sentence_*`` bound the sentence holding the name."""

    name: str
    start: int
    end: int
    sentence_start: int
    sentence_end: int
    role: SystemRole
    # The words heard there when they differ from the name (金叠 for 金蝶).
    heard: str | None = None


@dataclass(frozen=True)
class UnconfirmedName:
    """A name the rules could not confirm: the system it would be (with the role the rules
    read there), where it was said, and whether it was heard by its sound only (魔卡 for
    Moka) rather than spelled as the catalogue spells it (美团)."""

    system: System
    mention: SystemMention
    heard_wrong: bool


@dataclass(frozen=True)
class RuleJudgement:
    """What the rules found, and the objection types whose cues they saw but dismissed as
    look-alikes (see :class:`~copilot.insights.cues.JudgedObjections`)."""

    insights: Insights
    dismissed_objections: frozenset[ObjectionType] = frozenset()
    # Who the sentence's frames say decide (得投资人点头, 老板和财务周姐一起拍板), read only
    # when the model says the line names a decision maker: for a line whose deciders no list
    # knows, or one beside those the lists know.
    framed_deciders: Callable[[], list[DecisionMaker]] = field(default=lambda: [])
    # The line names another company's deciders (你们领导, 供应商的老板): a decision maker it
    # seems to name is not the customer's.
    others_deciders: bool = False
    # The normalised text the rules read, and each mention of a system named in it.
    text: str = ""
    mentions: tuple[SystemMention, ...] = ()
    # Names the rules could not confirm as software (an ambiguous or misheard name with no
    # software words near it: 外卖都走美团); a learned reader of the words around them
    # (copilot.learning.names) may confirm them.
    unconfirmed: tuple[UnconfirmedName, ...] = ()


class RuleExtractor(InsightExtractor):
    """Lexicon rules: budget, decision chain, pain points, objections, competitors and
    commitments. Customers' words give everything; a rep's words give only the rep's
    commitments (a rep's 「赵总您好」 names no decision maker, their 「预算多少？」 no budget)."""

    def __init__(
        self,
        config: InsightConfig | None = None,
        extra_competitors: Sequence[CompetitorEntry] = (),
    ) -> None:
        """``extra_competitors`` (an organisation's own vendors) are recognised besides the
        configured list; one with a listed name replaces that entry."""
        self.config = config or InsightConfig()
        negation = bundled("negation", NegationLexicon)
        objections = bundled("objections", ObjectionLexicon)
        listed = load(self.config.competitors_path, CompetitorList).competitors
        by_name = {entry.name: entry for entry in (*listed, *extra_competitors)}
        self._competitors = CompetitorMatcher(tuple(by_name.values()))
        catalogue = builtin()
        self._systems = SystemMatcher(
            systems_of(catalogue, listed, extra_competitors), catalogue.context
        )
        self._roles = RoleReader(catalogue.roles)
        self._platform_context = compile_patterns(objections.competitor.platform_context)
        self._platform_before = compile_optional(objections.competitor.platform_before)
        self._platform_after = compile_optional(objections.competitor.platform_after)
        self._budget = BudgetExtractor(
            bundled("budget", BudgetLexicon), self.config.approximate_tolerance
        )
        decision = bundled("decision", DecisionLexicon)
        self._decision = DecisionChainExtractor(decision)
        self._frames = DeciderFrames(decision)
        self._pains = PainPointExtractor(
            bundled("pain_points", PainLexicon), negation.negation(hypothetical=True)
        )
        self._objections = ObjectionExtractor(objections, negation.negation())
        self._commitments = CommitmentExtractor(bundled("commitments", CommitmentLexicon))
        warm_up()

    def extract(
        self, text: str, speaker: Speaker = "customer", utterance_id: str | None = None
    ) -> Insights:
        return self.judge(text, speaker, utterance_id).insights

    def judge(
        self, text: str, speaker: Speaker = "customer", utterance_id: str | None = None
    ) -> RuleJudgement:
        """:meth:`extract`, with the objection types the rules dismissed as look-alikes."""
        if len(text) > self.config.max_chars:
            # Callers choose max_chars; the command line tells its user, a service need not.
            logger.info("utterance of %d characters cut to %d", len(text), self.config.max_chars)
            text = text[: self.config.max_chars]
        segmenter = Segmenter(*normalize_marking_pauses(text))
        if not segmenter.text:
            return RuleJudgement(Insights())
        commitments = self._commitments.extract(segmenter, speaker, utterance_id)
        if speaker == "rep":
            return RuleJudgement(Insights(commitments=commitments))
        systems = self._systems.find(segmenter)
        hits = self._competitor_hits(segmenter, systems.unconfirmed)
        pains = self._pains.extract(segmenter, utterance_id)
        budget = self._budget.extract(segmenter, utterance_id, [(h.start, h.end) for h in hits])
        judged = self._objections.judge(
            segmenter, utterance_id, hits, complains=bool(pains), has_budget=budget is not None
        )
        reading = self._decision.read(segmenter, utterance_id)
        chain = reading.chain
        mentions: list[SystemMention] = []
        insights = Insights(
            budget=budget,
            decision_chain=chain,
            pain_points=pains,
            objections=judged.objections,
            competitors=[
                Competitor(
                    name=hit.name,
                    heard=hit.heard if hit.heard != hit.name else None,
                    evidence=Evidence(
                        utterance_id=utterance_id, text=segmenter.sentence_text(hit.start)
                    ),
                )
                for hit in hits
            ],
            commitments=commitments,
            systems=self._named_systems(segmenter, systems, hits, utterance_id, mentions),
        )
        said, named = segmenter.text, tuple(mentions)
        unconfirmed = self._unconfirmed(segmenter, systems, insights.systems, utterance_id)
        return RuleJudgement(
            insights,
            judged.dismissed,
            partial(self._frames.find, segmenter, utterance_id),
            others_deciders=reading.others_named,
            text=said,
            mentions=named,
            unconfirmed=unconfirmed,
        )

    def _unconfirmed(
        self,
        segmenter: Segmenter,
        systems: Found,
        reported: Sequence[System],
        utterance_id: str | None,
    ) -> tuple[UnconfirmedName, ...]:
        """Every unconfirmed mention of each name not reported, with the role the rules
        read there (a name said twice may read as a system only the second time)."""
        if not systems.unconfirmed:
            return ()
        named = sorted([*systems.hits, *systems.unconfirmed], key=lambda h: h.start)
        reported_names = {system.name for system in reported}
        out: list[UnconfirmedName] = []
        for hit in systems.unconfirmed:
            if hit.system.name in reported_names:
                continue
            role = self._roles.role(segmenter, hit, False, named)
            system = self._system(segmenter, hit, role, utterance_id)
            out.append(UnconfirmedName(system, _mention(segmenter, hit, system), hit.heard_wrong))
        return tuple(out)

    def _named_systems(
        self,
        segmenter: Segmenter,
        systems: Found,
        competitors: list[CompetitorHit],
        utterance_id: str | None,
        mentions: list[SystemMention],
    ) -> list[System]:
        """Every catalogue system named, with its role (the strongest said of any of its
        mentions, each added to ``mentions``) and that mention's evidence; a reported
        competitor is always among them (as ``competitor`` unless the customer runs or
        connects it)."""
        hits = systems.hits
        named = sorted([*hits, *systems.again], key=lambda h: h.start)
        said: list[System] = []
        for hit in named:
            listed = any(c.start < hit.end and hit.start < c.end for c in competitors)
            if listed and hit.unknown:
                continue  # the competitor rules know the name (Salesfroce is Salesforce)
            role = self._roles.role(segmenter, hit, listed, named)
            system = self._system(segmenter, hit, role, utterance_id)
            mentions.append(_mention(segmenter, hit, system))
            said.append(system)
        for competitor in competitors:
            if not any(
                c.start < competitor.end and competitor.start < c.end and not c.unknown
                for c in hits
            ):
                said.append(
                    System(
                        name=competitor.name,
                        role="competitor",
                        heard=competitor.heard if competitor.heard != competitor.name else None,
                        evidence=Evidence(
                            utterance_id=utterance_id,
                            text=segmenter.sentence_text(competitor.start),
                        ),
                    )
                )
        return merge_systems(said)

    @staticmethod
    def _system(
        segmenter: Segmenter, hit: SystemHit, role: SystemRole, utterance_id: str | None
    ) -> System:
        entry = hit.system
        return System(
            name=entry.name,
            role=role,
            vendor=entry.vendor,
            category=None if hit.unknown else entry.category,
            heard=hit.heard if hit.heard != entry.name else None,
            evidence=Evidence(utterance_id=utterance_id, text=segmenter.sentence_text(hit.start)),
        )

    def _competitor_hits(
        self, segmenter: Segmenter, ordinary: list[SystemHit]
    ) -> list[CompetitorHit]:
        """Named competitors; an ERP or office platform only where it is talked about as a
        competitor (报价, CRM), not as a system to connect (跟用友U8对不上); never a name the
        catalogue found to be an ordinary word here (画个红圈)."""
        hits = []
        for hit in self._competitors.find(segmenter.text):
            if any(o.start == hit.start and o.end == hit.end for o in ordinary):
                continue
            if hit.kind == "platform" and not self._platform_compared(segmenter, hit):
                continue
            hits.append(hit)
        return hits

    def _platform_compared(self, segmenter: Segmenter, hit: CompetitorHit) -> bool:
        """A platform talked about as a competitor: CRM or offer words in its sentence, or a
        comparison right around its name (比用友贵, 企业微信免费)."""
        text = segmenter.text
        span = segmenter.sentence(hit.start)
        if self._platform_context.search(text, span.start, span.end):
            return True
        clause = segmenter.clause(hit.start)
        before = self._platform_before
        after = self._platform_after
        return bool(
            (before is not None and before.search(text, clause.start, hit.start))
            or (after is not None and after.match(text, hit.end, clause.end))
        )


def _mention(segmenter: Segmenter, hit: SystemHit, system: System) -> SystemMention:
    """Where ``system`` was named (``hit``), in its sentence, with the role and words heard
    it was reported with."""
    sentence = segmenter.sentence(hit.start)
    return SystemMention(
        system.name, hit.start, hit.end, sentence.start, sentence.end, system.role, system.heard
    )


__all__ = ["InsightExtractor", "RuleExtractor", "RuleJudgement"]
