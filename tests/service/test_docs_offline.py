"""``/docs`` and ``/redoc`` render with no network: every asset comes from the service."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from copilot.commands.service import running_service
from copilot.service.pipeline import Engines
from tests.screenshots import refresh
from tests.service.conftest import service_settings

REPO = Path(__file__).resolve().parents[2]
DOCS_SCREENSHOT = REPO / "docs" / "screenshots" / "docs-offline.png"
CHROMIUM = Path("/usr/bin/chromium")
_ASSET = re.compile(r"""(?:src|href|spec-url)=["']([^"']+)["']|url: *["']([^"']+)["']""")


@pytest.fixture
def base_url(db_url: str, engines: Engines) -> Iterator[str]:
    # No speech engine: the docs never need the model.
    with running_service(service_settings(db_url), engines=engines) as (url, _key):
        yield url


def _referenced_urls(html: str) -> list[str]:
    return [a or b for a, b in _ASSET.findall(html)]


@pytest.mark.parametrize(
    ("page", "kinds"),
    [("/docs", {"javascript", "css", "png"}), ("/redoc", {"javascript", "png"})],
)
def test_docs_pages_reference_only_assets_the_service_serves(
    base_url: str, page: str, kinds: set[str]
) -> None:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        answer = http.get(page)
        assert answer.status_code == 200 and "text/html" in answer.headers["content-type"]
        html = answer.text
        # No CDN, no Google Fonts, no validator badge: nothing that needs the internet.
        assert not re.search(r"https?://", html), re.findall(r"https?://[^\s'\"]+", html)
        urls = _referenced_urls(html)
        assert "/openapi.json" in urls
        served = set()
        for url in urls:
            assert not urlsplit(url).netloc, url
            asset = http.get(url)
            assert asset.status_code == 200, url
            content_type = asset.headers["content-type"]
            served |= {kind for kind in kinds if kind in content_type}
            if "javascript" in content_type:
                assert len(asset.content) > 100_000, url  # the real bundle, not a stub
        assert served == kinds


def _need_browser() -> None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "playwright missing: pip install -e '.[dev]'"
    else:
        if CHROMIUM.exists():
            return
        reason = "Chromium missing: apt-get install -y chromium"
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no"):
        pytest.fail(f"the docs browser test cannot run on CI: {reason}", pytrace=False)
    pytest.skip(reason)


def test_swagger_ui_renders_in_chromium_with_the_network_blocked(
    base_url: str, tmp_path: Path
) -> None:
    _need_browser()
    from playwright.sync_api import expect, sync_playwright

    blocked: list[str] = []

    def only_loopback(route, request) -> None:  # type: ignore[no-untyped-def]
        if urlsplit(request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(request.url)
            route.abort()

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.route("**/*", only_loopback)
            page.goto(f"{base_url}/docs")
            expect(page.locator(".swagger-ui .info .title")).to_contain_text("Sales Copilot")
            expect(page.locator(".opblock").first).to_be_visible()
            assert page.locator(".opblock").count() > 10
            page.screenshot(path=tmp_path / "docs-offline.png")
            if refresh(DOCS_SCREENSHOT):
                DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=DOCS_SCREENSHOT)
        finally:
            browser.close()
    assert blocked == []
