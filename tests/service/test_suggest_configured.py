"""``POST /v1/suggest`` reads the customer's words with the service's configured extractor
(``COPILOT_INSIGHTS__*``), the same one the live pipeline and ``copilot suggest`` use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.insights import InsightConfig
from copilot.settings import Settings
from retrieval import RetrievalConfig
from retrieval.config import ChromaConfig
from tests.service.conftest import Service, service_settings

# A vendor only the configured list knows: an alias that reads as 销售易.
COMPETITORS = """\
competitors:
  - name: 销售易
    aliases: [蓝鲸CRM]
    kind: crm
"""
SAID = {"text": "蓝鲸CRM比你们便宜一半", "k": 3}


@pytest.fixture
def configured(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The real service built from settings alone (its own engines), with a competitor list
    of its own; yields its URL with the demo rep's key."""
    competitors = tmp_path / "competitors.yaml"
    competitors.write_text(COMPETITORS, encoding="utf-8")
    settings = service_settings(db_url).model_copy(
        update={
            "insights": InsightConfig(competitors_path=competitors),
            "retrieval": RetrievalConfig(chroma=ChromaConfig(path=tmp_path / "chroma")),
        }
    )
    assert isinstance(settings, Settings)
    with running_service(settings) as url_and_key:
        yield url_and_key


def suggest(where: str, key: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=where, headers=headers, timeout=60) as http:
        answer = http.post("/v1/suggest", json=SAID)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_suggest_uses_the_configured_competitor_list(configured: tuple[str, str]) -> None:
    result = suggest(*configured)
    assert result["objection"] == "competitor"
    ids = [s["id"] for s in result["suggestions"]]
    assert "kb-battle-xiaoshouyi" in ids, ids


def test_default_service_does_not_know_the_vendor(service: Service) -> None:
    """The contrast: the bundled list has no 蓝鲸CRM, so no 销售易 battlecard."""
    result = suggest(service.url, service.rep_key)
    assert result["objection"] != "competitor"
    assert "kb-battle-xiaoshouyi" not in [s["id"] for s in result["suggestions"]]
