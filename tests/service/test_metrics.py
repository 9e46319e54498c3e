"""GET /metrics: a live call, HTTP requests and the CRM outbox as Prometheus reads them."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime

import httpx
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from copilot.client import replay_call
from copilot.commands.service import running_service
from copilot.crm import outbox
from copilot.service.metrics import CallMetrics
from copilot.service.pipeline import Engines
from copilot.store.db import make_engine, session_factory
from copilot.store.models import CrmOutbox, Org
from speech.audio import decode_file
from tests.service.conftest import DEVSET_AUDIO, Service, service_settings

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(url: str, headers: dict[str, str] | None = None) -> Samples:
    answer = httpx.get(f"{url}/metrics", headers=headers or {}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def test_a_live_call_shows_in_the_metrics(service: Service) -> None:
    before = scrape(service.url)
    audio = decode_file(DEVSET_AUDIO / "dc02.stereo.wav")
    result = asyncio.run(
        replay_call(service.url, service.rep_key, audio, call_id="metrics-call", speed=8.0)
    )
    after = scrape(service.url)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("copilot_calls_total", event="started") == 1
    assert delta("copilot_calls_total", event="ended") == 1
    assert value(after, "copilot_live_calls") == 0
    finals = [e for e in result.events if e["type"] == "transcript.final"]
    assert finals and delta("copilot_final_latency_seconds_count") == len(finals)
    # Each final waited for its audio, then for recognition: never negative, never minutes.
    latency = delta("copilot_final_latency_seconds_sum") / len(finals)
    assert 0 < latency < 10
    assert delta("copilot_recognition_lag_seconds_count") > 0
    partials = [e for e in result.events if e["type"] == "transcript.partial"]
    assert delta("copilot_partial_gap_seconds_count") <= len(partials)
    flags = Counter(
        (e["flag"]["category"], e["flag"]["severity"])
        for e in result.events
        if e["type"] == "compliance.flag"
    )
    assert flags, "dc02 offers a discount: at least one flag"
    for (category, severity), count in flags.items():
        assert delta("copilot_flags_raised_total", category=category, severity=severity) == count
    # HTTP is labelled by route template: the socket-token route, never a raw id.
    assert (
        delta(
            "copilot_http_requests_total",
            method="POST",
            route="/v1/auth/socket-token",
            status="200",
        )
        == 1
    )
    assert all("metrics-call" not in dict(labels).values() for _, labels in after)
    assert value(after, "copilot_decode_queue_length") == 0
    assert value(after, "process_resident_memory_bytes") > 0


def test_metrics_are_refused_through_a_proxy_and_need_the_token_when_set(
    db_url: str, engines: Engines
) -> None:
    settings = service_settings(db_url)
    with running_service(settings, engines=engines) as (url, _):
        # Through a reverse proxy the client's address is the proxy's, often loopback.
        proxied = httpx.get(f"{url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
        assert proxied.status_code == 403
        assert proxied.json()["error"]["code"] == "forbidden"
        assert "/metrics" not in httpx.get(f"{url}/openapi.json").text

    settings = service_settings(db_url, metrics_token="scrape-me-please")
    with running_service(settings, engines=engines) as (url, _):
        assert httpx.get(f"{url}/metrics").status_code == 403
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{url}/metrics", headers=wrong).status_code == 403
        good = {"Authorization": "Bearer scrape-me-please", "X-Forwarded-For": "203.0.113.9"}
        assert value(scrape(url, good), "copilot_live_calls") == 0


def test_the_crm_outbox_backlog_is_counted_at_scrape_time(db_url: str, engines: Engines) -> None:
    settings = service_settings(db_url)
    with running_service(settings, engines=engines) as (url, _):
        assert value(scrape(url), "copilot_crm_outbox_messages", status="pending") == 0
        engine = make_engine(config=settings.database)
        with session_factory(engine).begin() as session:
            org_id = session.query(Org.id).limit(1).scalar()
            assert org_id is not None
            now = datetime.now(UTC)
            for n in range(3):
                outbox.enqueue(session, org_id, None, "call.confirmed", {"n": n}, now=now)
            first = session.query(CrmOutbox.id).order_by(CrmOutbox.id).limit(1).scalar()
            session.execute(update(CrmOutbox).where(CrmOutbox.id == first).values(status="dead"))
        engine.dispose()
        samples = scrape(url)
    assert value(samples, "copilot_crm_outbox_messages", status="pending") == 2
    assert value(samples, "copilot_crm_outbox_messages", status="dead") == 1


def test_final_latency_counts_from_the_arrival_of_the_segments_last_audio() -> None:
    now = [100.0]
    call = CallMetrics(offset_s=30.0, clock=lambda: now[0])
    for _ in range(5):  # five 1 s chunks: call time 31…35 s, arriving at 100…104
        call.audio_received(1.0)
        now[0] += 1.0
    now[0] = 105.5
    assert call.latency_s(32.4) == 105.5 - 102.0  # the chunk ending at 33 s came at 102
    assert call.latency_s(35.0) == 105.5 - 104.0
    assert call.latency_s(36.0) is None  # audio not received yet: not counted
