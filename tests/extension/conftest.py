"""Fixtures for the Chrome extension tests: Debian's Chromium driven by Playwright, the
unpacked extension, and the real service on a loopback port.

Chromium 156 loads unpacked extensions in its new headless mode (``--headless=new``, which
Playwright's ``headless=True`` also selects), service worker and offscreen document
included. ``--use-fake-ui-for-media-stream`` accepts the microphone prompt and
``--use-file-for-fake-audio-capture`` makes the "microphone" a WAV file.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.screenshots import refresh

REPO = Path(__file__).resolve().parents[2]
EXTENSION_SRC = REPO / "browser_extension"
HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
MIC_WAV = REPO / "tests" / "fixtures" / "audio" / "fx_short.mono.wav"
SCREENSHOTS = REPO / "docs" / "screenshots"


def publish_screenshot(taken: Path, name: str) -> None:
    """Copy a screenshot taken into artifacts/ to docs/screenshots/ when it is missing there
    or asked for (UPDATE_SCREENSHOTS=1), so an ordinary run leaves the working tree clean."""
    committed = SCREENSHOTS / name
    if refresh(committed):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(taken, committed)


try:
    from playwright.sync_api import sync_playwright
except ImportError:  # the dev extra is not installed
    sync_playwright = None


def missing_browser() -> str | None:
    if sync_playwright is None:
        return "playwright is missing: pip install -e '.[dev]'"
    if not CHROMIUM.exists():
        return "Chromium is missing: apt-get install -y chromium fonts-wqy-microhei (.ci/run does)"
    return None


@pytest.fixture(scope="session", autouse=True)
def _needs_browser() -> None:
    """Skipped where Chromium is missing; under CI (which installs it) that is a failure."""
    problem = missing_browser()
    if problem and os.environ.get("CI"):
        pytest.fail(problem)
    if problem:
        pytest.skip(problem)


@pytest.fixture(scope="session", autouse=True)
def artifacts() -> Path:
    """Screenshots land in tests/extension/artifacts/ (git-ignored); old failure shots go."""
    ARTIFACTS.mkdir(exist_ok=True)
    for stale in ARTIFACTS.glob("failed-*.png"):
        stale.unlink()
    return ARTIFACTS


@pytest.fixture(scope="session")
def extension_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the extension with two test-only changes:

    * ``host_permissions: ["http://127.0.0.1/*"]`` stands in for the runtime grant a rep
      gives by saving the options page (Chrome's permission prompt cannot be clicked in
      headless mode). The options page still calls ``permissions.request``; with the
      permission already held, Chrome answers yes without a prompt.
    * ``__tests__/``: the JavaScript unit tests, so they import the modules from the
      extension's own origin.
    """
    target = tmp_path_factory.mktemp("ext") / "browser_extension"
    shutil.copytree(EXTENSION_SRC, target, ignore=shutil.ignore_patterns("README.md"))
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["host_permissions"] = ["http://127.0.0.1/*"]
    (target / "manifest.json").write_text(
        json.dumps(manifest, ensure_ascii=False), encoding="utf-8"
    )
    shutil.copytree(HERE / "js", target / "__tests__")
    return target


@dataclass
class Browser:
    context: Any
    extension_id: str
    console: list[str]

    def url(self, path: str) -> str:
        return f"chrome-extension://{self.extension_id}/{path}"

    def worker(self) -> Any:
        workers = [w for w in self.context.service_workers if self.extension_id in w.url]
        if workers:
            return workers[0]
        return self.context.wait_for_event("serviceworker", timeout=10_000)

    def open(self, path: str, *, width: int = 360, height: int = 900) -> Any:
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.console.append(f"pageerror: {e}"))
        page.goto(path if "://" in path else self.url(path))
        return page

    def reset_storage(self) -> None:
        page = self.open("options/index.html")
        page.evaluate(
            """async () => {
              await chrome.storage.local.clear();
              await chrome.storage.session.clear();
            }"""
        )
        page.close()


def launch(playwright: Any, extension_dir: Path, profile: Path) -> Browser:
    args = [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--headless=new",
        f"--disable-extensions-except={extension_dir}",
        f"--load-extension={extension_dir}",
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={MIC_WAV}",
        "--autoplay-policy=no-user-gesture-required",
        "--lang=zh-CN",
        "--hide-scrollbars",  # screenshots show the panel at its full width
    ]
    context = playwright.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        headless=False,  # the --headless=new above; extensions need the new headless mode
        args=args,
        locale="zh-CN",
        viewport={"width": 360, "height": 900},
    )
    workers = context.service_workers or [context.wait_for_event("serviceworker", timeout=15_000)]
    extension_id = workers[0].url.split("/")[2]
    return Browser(context, extension_id, [])


@pytest.fixture(scope="module")
def browser(extension_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        instance = launch(playwright, extension_dir, tmp_path_factory.mktemp("profile"))
        try:
            yield instance
        finally:
            instance.context.close()


# -- the service ---------------------------------------------------------------------------


@dataclass
class Service:
    url: str
    rep_key: str
    manager_key: str
    db_url: str
    crm: Any  # tests.crm.receiver.Receiver: the CRM the confirmed summaries go to

    def client(self, key: str | None = None) -> Any:
        import httpx

        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {key or self.rep_key}"},
            timeout=30,
        )


@pytest.fixture(scope="session")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The real service (``copilot serve`` in a thread) on a free port, temp SQLite DB."""
    pytest.importorskip(
        "copilot.service.app", reason="the service (copilot/service/app.py) is not built yet"
    )
    from pydantic import SecretStr

    from copilot.commands.service import demo_settings, running_service
    from copilot.crm.config import CrmConfig
    from copilot.store.db import make_engine, session_factory
    from copilot.store.models import User
    from copilot.store.tenants import DEMO_MANAGER_ID, create_api_key
    from tests.crm.receiver import Receiver

    secret = "extension-tests-webhook-secret"
    crm = Receiver([secret], now=time.time)
    crm.start()
    settings = demo_settings(tmp_path_factory.mktemp("service"))
    settings = settings.model_copy(
        update={
            "crm": CrmConfig(webhook_url=crm.url, secrets=[SecretStr(secret)], poll_interval_s=0.5),
            # The model loads on the first call instead (the JS-only tests never need it).
            "service": settings.service.model_copy(update={"preload_speech": False}),
        }
    )
    try:
        with running_service(settings) as (url, rep_key):
            engine = make_engine(config=settings.database)
            with session_factory(engine).begin() as session:
                manager = session.get(User, DEMO_MANAGER_ID)
                _, manager_key = create_api_key(session, manager, label="extension-tests")
            engine.dispose()
            yield Service(url, rep_key, manager_key, settings.database.url, crm)
    finally:
        crm.stop()


def configure(
    browser: Browser, service: Service, *, sites: str = "", fail_mode: str = "warn"
) -> None:
    """Fills and saves the options page, as a rep would."""
    page = browser.open("options/index.html", width=700)
    page.fill("#service-url", service.url)
    page.fill("#api-key", service.rep_key)
    page.fill("#sites", sites)
    page.check(f'input[name="fail-mode"][value="{fail_mode}"]')
    page.click("#save")
    page.wait_for_function(
        "() => document.querySelector('#save-result').textContent.startsWith('已保存')"
    )
    assert page.text_content("#save-result") == "已保存", page.text_content("#errors")
    page.close()


# -- a local chat page for the content script ----------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chat_site() -> Iterator[str]:
    """Serves tests/extension/pages/ on a loopback port (a stand-in for a web chat)."""

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    server = ThreadingHTTPServer(
        ("127.0.0.1", free_port()), partial(Quiet, directory=str(HERE / "pages"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(autouse=True)
def screenshots_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    """A failed browser test leaves a screenshot of every open page in artifacts/."""
    yield
    report = getattr(request.node, "report_call", None)
    if report is None or not report.failed or "browser" not in request.fixturenames:
        return
    browser: Browser = request.getfixturevalue("browser")
    ARTIFACTS.mkdir(exist_ok=True)
    for index, page in enumerate(browser.context.pages):
        try:
            page.screenshot(
                path=str(ARTIFACTS / f"failed-{request.node.name}-{index}.png"), full_page=True
            )
        except Exception:  # a closed page: nothing to show
            pass
