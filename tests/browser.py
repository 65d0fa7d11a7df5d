"""Open an HTML report in Debian's headless Chromium through playwright, or skip saying why.

Playwright cannot download browsers here; it drives the system one (`MGRADE_CHROMIUM` overrides
the path). Screenshots go to out/test-artifacts/ (`MGRADE_ARTIFACTS` overrides) and their paths
are printed, so a reviewer can look at what the browser showed.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from util import REPO

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_path() -> str:
    """The browser to drive, or skip the test with the reason."""
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not "
                        "installed (pip install playwright)")
    chosen = os.environ.get("MGRADE_CHROMIUM")
    candidates = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium"),
                                          shutil.which("chromium-browser")]
    for path in candidates:
        if path and Path(path).is_file() and os.access(path, os.X_OK):
            return path
    where = f"MGRADE_CHROMIUM={chosen} is not an executable" if chosen else "no Chromium found"
    pytest.skip(f"{where} (apt-get install chromium, or set MGRADE_CHROMIUM)")


def artifacts_dir() -> Path:
    folder = Path(os.environ.get("MGRADE_ARTIFACTS", REPO / "out" / "test-artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def open_page(path: Path, width: int = 1280) -> Iterator[Any]:
    """The file at `path` loaded in headless Chromium; no request may leave the page."""
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("request", lambda r: requests.append(r.url))
            page.goto(path.resolve().as_uri())
            yield page
        finally:
            browser.close()
    outside = [url for url in requests if not url.startswith("file:")]
    assert outside == [], f"the page asked for other resources: {outside}"


def screenshot(page: Any, name: str) -> Path:
    target = artifacts_dir() / name
    page.screenshot(path=str(target), full_page=True)
    print(f"screenshot: {target}")
    return target
