"""A real browser for the web tests: Debian's Chromium driven by Playwright, against a live server."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium tries to reach Google's services, which this sandboxed network refuses.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
    "--disable-background-networking",
    "--disable-component-update",
]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The README's screenshots are refreshed only when asked (`make screenshots`): a test run leaves the tree
# as it found it. Otherwise they are still taken (a page that cannot be drawn fails), into a temporary folder.
SCREENSHOTS = Path(os.environ.get("VRM_SCREENSHOTS") or tempfile.mkdtemp(prefix="vrm-screenshots-")).resolve()
DESKTOP, PHONE = {"width": 1280, "height": 900}, {"width": 375, "height": 812}


def require_browser() -> None:
    """Skip, saying why, where no browser is installed; in CI a missing browser is a failure."""
    missing = [
        what
        for what, present in (
            ("Chromium (apt-get install chromium)", Path(CHROMIUM).exists()),
            ("axe-core (npm ci)", AXE.exists()),
        )
        if not present
    ]
    if missing:
        message = f"browser tests need {' and '.join(missing)}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def live_server(app: Flask, port: int = 0) -> Iterator[str]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def free_port() -> int:
    """A port nothing listens on now, for a server whose address must be known before it starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_context(browser: Any, **options: Any) -> Any:
    """A browser context as a person has one, every security control of the pages on (their CSP included),
    with axe-core loaded into each page by the browser itself: an init script, which the page's CSP does not
    govern, instead of an inline script tag, which it rightly refuses."""
    context = browser.new_context(**options)
    context.add_init_script(path=str(AXE))
    return context


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return its serious and critical violations."""
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in results["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str) -> None:
    """Save the page at desktop and phone width under docs/screenshots (shown in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        target = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(target), full_page=True)
        assert target.stat().st_size > 0
    page.set_viewport_size(DESKTOP)


def has_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > document.documentElement.clientWidth"))


__all__ = [
    "DESKTOP",
    "PHONE",
    "axe_violations",
    "chromium",
    "has_horizontal_scroll",
    "live_server",
    "new_context",
    "require_browser",
    "screenshot",
    "shutil",
]
