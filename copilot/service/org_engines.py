"""Each organisation's engines: the shared ones with the org's own content layered on top.

An org with no content of its own and the default discount limit gets the shared engines
themselves, so it ranks, extracts and scans exactly as before. Otherwise the org gets:

- an insight extractor that also recognises its vendors,
- a suggester over the shipped entries plus its own (sharing the shipped index; only its
  entries are embedded, in memory — see ``retrieval/overlay.py``),
- a scanner with its rule overrides (and its policy's discount limit) on top of the pack,
- the hotwords of its products and vendors.

Freshness: :meth:`OrgEnginesCache.get` reads the org row (one primary-key read) on every
request and rebuilds when ``content_version`` or the policy changed, so a change made with
``copilot orgs …`` applies to the next request, scan or call without a restart. A live call
keeps the engines it started with. The same holds for the org's own learned model
(``copilot train --org``, copilot/learning/org_models.py): the version named in its
``CURRENT`` file is part of the key, so a retrain is picked up by the next request.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from compliance import ComplianceConfig, RulePackError, RulePackStore, Scanner
from compliance.loader import OverridesLayer
from compliance.schema import OverridesFile
from copilot.insights import InsightConfig, build_extractor
from copilot.insights.config import LLMConfig
from copilot.learning import (
    ModelAssistedExtractor,
    ModelAssistedScanner,
    Models,
    assisted_extractor,
    assisted_scanner,
    bundled_models,
    extractor_like,
    scanner_like,
)
from copilot.learning.adjudicate import LLMAdjudicator
from copilot.learning.org_models import OrgModels, current_version, layered, load_org_models
from copilot.service.pipeline import Engines
from copilot.store.models import Org
from copilot.store.org_content import OrgContent, load_content
from retrieval import Suggester
from retrieval.embedders import Vectors

logger = logging.getLogger(__name__)

# (content version, discount limit of the policy, version of the org's own model)
_Key = tuple[int, float | None, str | None]


@dataclass(frozen=True)
class _Built:
    key: _Key
    engines: Engines


def with_learned_models(engines: Engines, models: Models | None = None) -> Engines:
    """The engines with the learned models adding recall beside the rules (the bundled
    artefacts unless ``models`` are given; a side whose artefact is missing stays rules-only).
    A per-organisation model would be passed as ``org`` to the same two builders."""
    models = models if models is not None else bundled_models()
    return replace(
        engines,
        extractor=assisted_extractor(engines.extractor, models.customer, roles=models.roles),
        scanner=assisted_scanner(engines.scanner, models.rep),
    )


def with_adjudicator(engines: Engines, llm: LLMConfig) -> Engines:
    """The engines with an LLM confirming or rejecting the learned model's finds
    (copilot/learning/adjudicate.py); rules-only engines stay as they are."""
    adjudicator = LLMAdjudicator(llm)
    extractor, scanner = engines.extractor, engines.scanner
    if isinstance(extractor, ModelAssistedExtractor):
        extractor = ModelAssistedExtractor(
            extractor.rules,
            extractor.model,
            main_by=extractor.main_by,
            adjudicator=adjudicator,
            roles=extractor.roles,
        )
    if isinstance(scanner, ModelAssistedScanner):
        scanner = ModelAssistedScanner(scanner.rules, scanner.model, scanner.reference, adjudicator)
    return replace(engines, extractor=extractor, scanner=scanner)


def with_org_models(engines: Engines, org: OrgModels) -> Engines:
    """The engines with the org's own model deciding the labels it was taught (only this
    org's engines ever get it)."""
    extractor, scanner = engines.extractor, engines.scanner
    if org.customer is not None:
        if isinstance(extractor, ModelAssistedExtractor):
            base = extractor.model  # None: no shipped customer model, only the role model
            extractor = extractor.with_model(
                org.customer if base is None else layered(base, org, "customer")
            )
        else:
            extractor = assisted_extractor(extractor, org.customer)
    if org.rep is not None:
        if isinstance(scanner, ModelAssistedScanner):
            scanner = scanner.with_model(layered(scanner.model, org, "rep"))
        else:
            scanner = assisted_scanner(scanner, org.rep)
    return replace(engines, extractor=extractor, scanner=scanner)


class OrgEnginesCache:
    """Per-org :class:`Engines`, rebuilt when the org's content or policy changes. Thread-
    safe; blocking (database, embedding): call from a worker thread."""

    def __init__(
        self,
        base: Engines,
        sessions: sessionmaker[Session],
        insights: InsightConfig,
        compliance: ComplianceConfig | None = None,
        org_models_dir: Path | None = None,
    ) -> None:
        self.base = base
        # Where orgs' own models live (None: no org models at all).
        self.org_models_dir = org_models_dir
        self.sessions = sessions
        self.insights = insights
        self.compliance = compliance or base.scanner.config
        self._built: dict[str, _Built] = {}
        # Scanners that differ only by the policy's discount limit, shared between orgs.
        self._by_limit: dict[float, Scanner] = {}
        # Embeddings of orgs' entries by content hash: a rebuild embeds only what changed.
        self._vectors: dict[str, Vectors] = {}
        self._lock = threading.Lock()

    def get(self, org_id: str) -> Engines:
        with self.sessions() as session:
            row = session.get(Org, org_id)
            version = row.content_version if row is not None else 0
            limit = row.policy.get("max_discount_off") if row is not None else None
            model = (
                current_version(self.org_models_dir, org_id)
                if self.org_models_dir is not None
                else None
            )
            key: _Key = (version, float(limit) if limit is not None else None, model)
            if key == (0, None, None):
                return self.base  # never had content of its own: the shared engines
            with self._lock:
                built = self._built.get(org_id)
            if built is not None and built.key == key:
                return built.engines
            content = load_content(session, org_id) if version else OrgContent()
        engines = self._build(org_id, content, key[1])
        if model is not None and self.org_models_dir is not None:
            learned = load_org_models(self.org_models_dir, org_id)
            if learned is not None:
                engines = with_org_models(engines, learned)
        with self._lock:
            self._built[org_id] = _Built(key, engines)
        logger.info("engines of org %s rebuilt at content version %d", org_id, version)
        return engines

    def invalidate(self, org_id: str | None = None) -> None:
        """Forget one org's engines (or every org's): the next request rebuilds them."""
        with self._lock:
            if org_id is None:
                self._built.clear()
            else:
                self._built.pop(org_id, None)

    def _build(self, org_id: str, content: OrgContent, limit: float | None) -> Engines:
        extractor = self.base.extractor
        if content.vendors:
            # The org's vendors on the rules, the shared learned model on top as before.
            extractor = extractor_like(
                self.base.extractor, build_extractor(self.insights, content.competitors())
            )
        return replace(
            self.base,
            extractor=extractor,
            scanner=scanner_like(self.base.scanner, self._scanner(org_id, content, limit)),
            suggester=self._suggester(org_id, content, extractor),
            hotwords=content.hotwords(),
        )

    def _suggester(self, org_id: str, content: OrgContent, extractor: Any) -> Any:
        base = self.base.suggester
        if not content.entries and not content.vendors:
            return base
        if not isinstance(base, Suggester):
            logger.warning("org %s: its KB entries need a retrieval Suggester", org_id)
            return base
        with self._lock:
            known = dict(self._vectors)
        layered = base.layered(
            content.entries,
            extra_tags=content.extra_tags(),
            extractor=extractor,
            known_vectors=known,
        )
        with self._lock:
            self._vectors.update(known)
        return layered

    def _scanner(self, org_id: str, content: OrgContent, limit: float | None) -> Scanner:
        """Per org beats global: the org's rule overrides, then its policy's discount limit
        (unless its overrides name one), on top of the pack with the global overrides."""
        if content.overrides is not None:
            overrides = content.overrides
            named = overrides.max_discount is not None or overrides.max_discount_off is not None
            if limit is not None and not named:
                overrides = overrides.model_copy(update={"max_discount_off": limit})
            layer = OverridesLayer(f"org {org_id} rule overrides", overrides)
            try:
                return Scanner(store=RulePackStore(self.compliance, layer))
            except RulePackError as exc:
                # Checked when stored; the shipped pack may have changed since. Scanning on
                # with the org's policy beats refusing every message.
                logger.error("org %s: rule overrides not applied: %s", org_id, exc)
        if limit is None or limit == self.base.scanner.pack.detector_settings.max_discount_off:
            return self.base.scanner
        with self._lock:
            scanner = self._by_limit.get(limit)
        if scanner is None:
            policy = OverridesLayer("org policy", OverridesFile(max_discount_off=limit))
            scanner = Scanner(store=RulePackStore(self.compliance, policy))
            with self._lock:
                scanner = self._by_limit.setdefault(limit, scanner)
        return scanner
