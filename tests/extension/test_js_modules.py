"""The extension's pure modules (PCM framing, message validation, reconnect logic of both
sockets, call state, rewrite, site patterns), tested inside Chromium from the extension's
own origin (tests/extension/js/*.test.js)."""

from __future__ import annotations

from typing import Any


def test_js_modules(browser: Any) -> None:
    page = browser.open("__tests__/run.html", width=900)
    page.wait_for_function("() => window.__results !== undefined", timeout=30_000)
    results = page.evaluate("() => window.__results")
    failures = [f"{r['name']}\n{r['error']}" for r in results if not r["ok"]]
    assert len(results) >= 70, f"only {len(results)} JS tests ran"
    assert not failures, "\n\n".join(failures)
    assert not [line for line in browser.console if line.startswith("pageerror")], browser.console
