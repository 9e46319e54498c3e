"""The side panel against the real service: a devset call is streamed into the audio
WebSocket from Python (faster than real time) while the panel, opened as a tab at
``chrome-extension://<id>/sidepanel/index.html``, follows the call's events socket."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.extension.conftest import ARTIFACTS, REPO, Browser, Service, configure
from tests.extension.netproxy import CuttableProxy

DEVSET_CALL = REPO.parent / "shared" / "devset" / "audio" / "dc01.stereo.wav"
SAMPLE_CALL = REPO / "samples" / "demo_call.stereo.wav"
SPEED = 4.0


class Replay(threading.Thread):
    """Streams a recording as a live call (copilot.client.replay_call) in its own thread and
    event loop, so the browser can be driven meanwhile."""

    def __init__(self, service: Service, path: Path, call_id: str, speed: float = SPEED) -> None:
        super().__init__(daemon=True)
        self.service, self.path, self.call_id, self.speed = service, path, call_id, speed
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        from copilot.client import replay_call
        from speech.audio import decode_file

        try:
            audio = decode_file(self.path)
            self.result = asyncio.run(
                replay_call(
                    self.service.url,
                    self.service.rep_key,
                    audio,
                    call_id=self.call_id,
                    speed=self.speed,
                    customer_name="赵总",
                    timeout_s=180,
                )
            )
        except BaseException as exc:  # reported by the test
            self.error = exc

    def finish(self, timeout: float = 180) -> Any:
        self.join(timeout)
        assert not self.is_alive(), "the replay did not finish"
        if self.error is not None:
            raise self.error
        return self.result


def wait_for_call(service: Service, call_id: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    with service.client() as http:
        while time.monotonic() < deadline:
            if http.get(f"/v1/calls/{call_id}").status_code == 200:
                return
            time.sleep(0.2)
    raise AssertionError(f"call {call_id} never appeared")


def attach(panel: Any, call_id: str) -> None:
    panel.click("details summary")
    panel.fill("#attach-call-id", call_id)
    panel.click("#attach-form button[type=submit]")


def record_partials(panel: Any) -> None:
    """Remembers whether a provisional line was ever on screen (they come and go)."""
    panel.evaluate(
        """() => {
          window.__partialsSeen = [];
          new MutationObserver(() => {
            for (const el of document.querySelectorAll('.utterance.partial')) {
              window.__partialsSeen.push(el.textContent);
            }
          }).observe(document.querySelector('#transcript'), {childList: true, subtree: true});
        }"""
    )


@pytest.fixture(scope="module")
def configured(browser: Browser, service: Service) -> Browser:
    configure(browser, service)
    return browser


def test_live_call_shows_transcript_insights_suggestions_and_warnings(
    configured: Browser, service: Service
) -> None:
    call_path = DEVSET_CALL if DEVSET_CALL.exists() else SAMPLE_CALL
    call_id = f"ext-panel-{uuid.uuid4().hex[:8]}"
    panel = configured.open("sidepanel/index.html", width=320, height=1400)
    configured.context.grant_permissions(["clipboard-read", "clipboard-write"])
    record_partials(panel)

    replay = Replay(service, call_path, call_id)
    replay.start()
    wait_for_call(service, call_id)
    attach(panel, call_id)

    panel.wait_for_selector("#connection[data-state=open]", timeout=15_000)
    panel.wait_for_selector(".utterance.final", timeout=60_000)
    panel.wait_for_selector("#insights .insight-budget li.has-evidence", timeout=90_000)
    panel.wait_for_selector("#suggestions article.suggestion", timeout=90_000)
    panel.wait_for_selector("#flags article.flag", timeout=90_000)
    panel.screenshot(path=str(ARTIFACTS / "panel-live.png"), full_page=True)
    assert_fits(panel)

    result = replay.finish()
    panel.wait_for_selector("#live-summary article.summary", timeout=60_000)
    panel.wait_for_selector("#connection[data-state=ended]", timeout=30_000)

    # Everything the service sent is on screen, once.
    finals = [e for e in result.events if e["type"] == "transcript.final"]
    shown = panel.eval_on_selector_all(
        ".utterance.final", "els => els.map(e => e.dataset.segmentId)"
    )
    assert shown == sorted({e["segment"]["id"] for e in finals}, key=shown.index)
    assert len(shown) == len({e["segment"]["id"] for e in finals}) >= 4
    assert panel.locator(".utterance.partial").count() == 0, "an ended call has no partials"
    speakers = panel.eval_on_selector_all(
        ".utterance.final .speaker", "els => els.map(e => e.textContent)"
    )
    assert {"我方", "客户"} <= set(speakers)
    if any(e["type"] == "transcript.partial" and e["segment"]["text"] for e in result.events):
        assert panel.evaluate("() => window.__partialsSeen.length") > 0

    budget = panel.text_content("#insights .insight-budget li .item-text")
    assert "万元" in budget, budget
    flags = [e for e in result.events if e["type"] == "compliance.flag"]
    assert panel.locator("#flags article.flag").count() == len(
        {e["flag"]["rule_id"] for e in flags}
    )

    # Evidence on hover: the words the budget came from.
    panel.hover("#insights .insight-budget li.has-evidence")
    tooltip = panel.locator("#insights .insight-budget li.has-evidence .evidence")
    assert tooltip.is_visible()
    assert "原话" in tooltip.text_content()
    panel.locator("#insights").screenshot(path=str(ARTIFACTS / "panel-evidence-hover.png"))

    # Copy and mark a suggestion used: the feedback reaches the service.
    card = panel.locator("#suggestions article.suggestion").first
    entry_id = card.get_attribute("data-entry-id")
    card.locator("button.copy").click()
    panel.wait_for_function(
        "() => document.querySelector('#suggestions button.copy').textContent !== '复制'"
    )
    assert card.locator("button.copy").text_content() == "已复制"
    assert (
        panel.evaluate("() => navigator.clipboard.readText()")
        == card.locator(".suggestion-text").text_content()
    )
    card.locator("button.use").click()
    panel.wait_for_selector(f'article.suggestion.used[data-entry-id="{entry_id}"]')
    assert feedback_rows(service, call_id) == [(entry_id, "used")]

    # The rep confirms the summary; the CRM receives it and the panel says so.
    panel.click("#live-summary button.confirm")
    panel.wait_for_function(
        "() => document.querySelector('#live-summary .delivery').textContent.includes('已送达')",
        timeout=30_000,
    )
    panel.screenshot(path=str(ARTIFACTS / "panel-summary-confirmed.png"), full_page=True)
    assert not [line for line in configured.console if line.startswith("pageerror")], (
        configured.console
    )


def assert_fits(page: Any) -> None:
    """Nothing sticks out sideways at the panel's narrow width."""
    wide = page.evaluate(
        """() => {
          const width = document.documentElement.clientWidth;
          return [...document.querySelectorAll('body *')]
            .filter(el => el.getBoundingClientRect().right > width + 1)
            .filter(el => getComputedStyle(el).display !== 'none')
            .map(el => `${el.tagName}.${el.className} ${el.getBoundingClientRect().right}`);
        }"""
    )
    assert not wide, wide


def feedback_rows(service: Service, call_id: str) -> list[tuple[str, str]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(service.db_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("select entry_id, action from suggestion_feedback where call_id = :c"),
            {"c": call_id},
        ).all()
    engine.dispose()
    return [(r[0], r[1]) for r in rows]


def test_panel_reconnects_and_resumes_after_the_network_drops(
    configured: Browser, service: Service
) -> None:
    """The panel reaches the service through a proxy the test cuts mid-call (and keeps
    refusing for a few seconds): the panel says it is reconnecting, then resumes with
    ``after=<last seq>`` and ends with every final exactly once."""
    host, port = service.url.removeprefix("http://").split(":")
    proxy = CuttableProxy(host, int(port))
    call_id = f"ext-resume-{uuid.uuid4().hex[:8]}"
    try:
        configure(configured, Service(proxy.url, service.rep_key, "", "", None))
        panel = configured.open("sidepanel/index.html", width=320)
        replay = Replay(
            service, SAMPLE_CALL if not DEVSET_CALL.exists() else DEVSET_CALL, call_id, 3.0
        )
        replay.start()
        wait_for_call(service, call_id)
        attach(panel, call_id)
        panel.wait_for_selector(".utterance.final", timeout=60_000)
        before = panel.locator(".utterance.final").count()

        proxy.cut(refuse=True)
        panel.wait_for_selector("#connection[data-state=reconnecting]", timeout=15_000)
        shown_state = panel.text_content("#connection")
        panel.screenshot(path=str(ARTIFACTS / "panel-reconnecting.png"))
        time.sleep(3)  # the call goes on meanwhile; its events wait in the service
        proxy.restore()
        panel.wait_for_selector("#connection[data-state=open]", timeout=30_000)

        result = replay.finish()
        panel.wait_for_selector("#connection[data-state=ended]", timeout=60_000)
    finally:
        proxy.close()
        configure(configured, service)
    finals = {e["segment"]["id"] for e in result.events if e["type"] == "transcript.final"}
    shown = panel.eval_on_selector_all(
        ".utterance.final", "els => els.map(e => e.dataset.segmentId)"
    )
    assert sorted(shown) == sorted(finals), "every final once, none missed across the drop"
    assert len(shown) > before
    assert shown_state.startswith("重连中"), shown_state
    assert proxy.accepted >= 2


def test_recording_upload_is_analysed_and_confirmed(configured: Browser, service: Service) -> None:
    panel = configured.open("sidepanel/index.html", width=340, height=1400)
    panel.click(".tabs button[data-tab=recording]")
    # Drag and drop a recording onto the drop zone (a DataTransfer holding the file).
    recording = REPO / "tests" / "fixtures" / "audio" / "fx_short.stereo.wav"
    dropped = panel.evaluate_handle(
        """([name, b64]) => {
          const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, {type: "audio/wav"}));
          return transfer;
        }""",
        [recording.name, base64.b64encode(recording.read_bytes()).decode()],
    )
    panel.dispatch_event("#dropzone", "drop", {"dataTransfer": dropped})
    panel.wait_for_selector("#upload-summary article.summary", timeout=120_000)
    assert panel.text_content("#upload-status").startswith("分析完成")
    budget = panel.text_content("#upload-summary .insight-budget")
    assert "万元" in budget and ("80万" in budget or "八十万" in budget), budget
    panel.click("#upload-summary button.confirm")
    panel.wait_for_function(
        "() => document.querySelector('#upload-summary .delivery').textContent.includes('已送达')",
        timeout=30_000,
    )
    assert panel.text_content("#upload-summary button.confirm") == "已归档"
    panel.screenshot(path=str(ARTIFACTS / "panel-recording-analysis.png"), full_page=True)
    delivered = [r for r in service.crm.requests if r.verified]
    assert delivered, "the CRM received the confirmed summary"
