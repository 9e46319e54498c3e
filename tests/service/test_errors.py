"""An unhandled exception answers the documented JSON shape with a request id, never a
traceback, and is logged with that id (real server, both databases)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.service.app import build_engines
from copilot.service.pipeline import Engines
from speech.engine import SpeechEngine
from tests.service.conftest import Service, service_settings

SECRET_DETAIL = "connection string postgresql://admin:hunter2@db"


class BrokenSuggester:
    """A suggester with a bug: the one part replaced, to make the route fail for real."""

    def suggest(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError(SECRET_DETAIL)


@pytest.fixture
def broken(db_url: str, engines: Engines, speech_engine: SpeechEngine) -> Iterator[Service]:
    settings = service_settings(db_url)
    faulty = build_engines(settings, suggester=BrokenSuggester())
    with running_service(settings, engines=faulty, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def test_an_unhandled_exception_is_a_json_500_with_a_request_id(
    broken: Service, caplog: pytest.LogCaptureFixture
) -> None:
    headers = {"Authorization": f"Bearer {broken.rep_key}"}
    with caplog.at_level(logging.ERROR, logger="copilot.service.app"):
        answer = httpx.post(
            f"{broken.url}/v1/suggest", json={"text": "太贵了"}, headers=headers, timeout=30
        )
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "internal"
    request_id = error["request_id"]
    assert request_id and request_id in error["message"]
    assert answer.headers["X-Request-ID"] == request_id
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    logged = [r for r in caplog.records if request_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    # The service goes on answering.
    assert httpx.get(f"{broken.url}/healthz").status_code == 200


class LostFileSuggester:
    """A suggester whose bug surfaces as an OSError that is not about storage."""

    def suggest(self, *args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError(2, "No such file or directory", "/srv/secret/kb.index")


def test_an_oserror_that_is_not_a_full_or_read_only_disk_is_still_a_500(
    db_url: str, speech_engine: SpeechEngine
) -> None:
    settings = service_settings(db_url)
    faulty = build_engines(settings, suggester=LostFileSuggester())
    with running_service(settings, engines=faulty, speech_engine=speech_engine) as (url, key):
        answer = httpx.post(
            f"{url}/v1/suggest",
            json={"text": "太贵了"},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
    assert answer.status_code == 500
    assert answer.json()["error"]["code"] == "internal"
    assert "/srv/secret" not in answer.text


@pytest.fixture
def without_kb(
    db_url: str, speech_engine: SpeechEngine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """A real suggester whose knowledge-base folder is not there (moved, or a volume that
    did not mount after the service started)."""
    from retrieval import Suggester
    from retrieval.config import RetrievalConfig

    settings = service_settings(db_url)
    gone = tmp_path_factory.mktemp("kb") / "moved-away"
    suggester = Suggester(RetrievalConfig(kb_dir=gone))
    engines = build_engines(settings, suggester=suggester)
    with running_service(settings, engines=engines, speech_engine=speech_engine) as (url, key):
        yield Service(url, key, settings)


def test_a_knowledge_base_that_cannot_be_used_is_a_503_saying_why(without_kb: Service) -> None:
    headers = {"Authorization": f"Bearer {without_kb.rep_key}"}
    answer = httpx.post(
        f"{without_kb.url}/v1/suggest", json={"text": "太贵了"}, headers=headers, timeout=30
    )
    assert answer.status_code == 503  # was a 500 "internal error"
    error = answer.json()["error"]
    assert error["code"] == "suggestions_unavailable"
    assert error["message"].endswith("moved-away: no such knowledge-base directory")
    assert httpx.get(f"{without_kb.url}/healthz").status_code == 200


def test_a_database_that_refuses_writes_is_a_503_naming_it_and_nothing_is_stored(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """A full disk (the driver's OperationalError on every write): each route that writes
    says so with 503 and Retry-After, never a 500 or the statement with the caller's data."""
    from tests.service.test_live_faults import WriteOutage

    headers = {"Authorization": f"Bearer {service.rep_key}"}
    flagged = {"text": "我保证上线不延期，有事打我手机13812345678。"}
    with httpx.Client(base_url=service.url, headers=headers, timeout=30) as http:
        assert http.get("/v1/calls").status_code == 200  # signed in before the outage
        with (
            caplog.at_level(logging.WARNING, logger="copilot.service.app"),
            WriteOutage(service.settings.database.url) as outage,
        ):
            outage.start(60)
            answers = [
                http.post("/v1/compliance/scan", json=flagged),
                http.post("/v1/compliance/scan/batch", json={"messages": [flagged]}),
                http.post("/v1/calls", json={"turns": [["customer", "太贵了"]]}),
            ]
            outage.until = 0.0
        for answer in answers:
            assert answer.status_code == 503, answer.text
            assert answer.headers["Retry-After"] == "5"
            error = answer.json()["error"]
            assert error["code"] == "store_unavailable"
            assert error["message"] == (
                "the database cannot be used now; nothing was stored, retry later"
            )
            assert "13812345678" not in answer.text and "INSERT" not in answer.text
        # The operator's log has the driver's words, once a request.
        logged = [
            r.getMessage() for r in caplog.records if "database unavailable" in r.getMessage()
        ]
        assert len(logged) == 3 and all("database or disk is full" in m for m in logged)
        # Nothing of them was stored: no flag, no call.
        assert http.get("/v1/flags").json() == []
        assert http.get("/v1/calls").json() == []
