"""Browser end-to-end harness: a real uvicorn on 127.0.0.1 (free port, fresh SQLite, environment=test, demo data)
and Debian's headless Chromium driven by Selenium through /usr/bin/chromedriver.

Chromium missing: the tests FAIL in CI (``CI=true``) with a message saying how to install it, and skip locally.
Screenshots go to a pytest temporary directory (printed), or to ``E2E_SCREENSHOT_DIR`` when that is set.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
import uvicorn

from api.main import create_app
from api.seed import DEMO_KEYS
from api.settings import Settings
from models.api_keys import Role

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
    "--lang=nb-NO",
)
INSTALL_HINT = (
    "apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver "
    "(scripts/test.sh does this when run as root), and pip install -e '.[test]' for selenium"
)


def _find(*candidates: str) -> str | None:
    for name in candidates:
        found = shutil.which(name) or (name if os.path.isfile(name) and os.access(name, os.X_OK) else None)
        if found:
            return found
    return None


def _unavailable(reason: str) -> NoReturn:
    message = f"browser end-to-end tests need {reason}: {INSTALL_HINT}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    settings: Settings

    def client(self, role: Role | None = None) -> httpx.Client:
        headers = {"X-API-Key": DEMO_KEYS[role]} if role else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The service on a free local port in a background thread, with its own fresh SQLite database."""
    db_path = tmp_path_factory.mktemp("e2e-db") / "loan_engine.db"
    settings = Settings(environment="test", database_url=f"sqlite:///{db_path}", demo_data=True, auto_migrate=True)
    port = _free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="e2e-uvicorn", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the e2e server did not become ready within 60 s")
        time.sleep(0.1)
    try:
        yield LiveServer(url=url, settings=settings)
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Chromium (Debian's package) driven by Selenium through chromedriver."""
    chromium = _find("chromium", "/usr/bin/chromium", "chromium-browser", "google-chrome")
    driver_path = _find("chromedriver", "/usr/bin/chromedriver")
    if chromium is None:
        _unavailable("Chromium (/usr/bin/chromium)")
    if driver_path is None:
        _unavailable("chromedriver (/usr/bin/chromedriver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _unavailable("the selenium package")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    profile = tempfile.mkdtemp(prefix="le-e2e-chromium-")
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(driver_path)), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def page(browser: Any, live_server: LiveServer) -> Iterator[Any]:
    """The browser with a clean tab state (session storage, local storage) for each test."""
    browser.set_window_size(1280, 1000)
    browser.get(f"{live_server.url}/app/config.json")
    browser.execute_script("sessionStorage.clear(); localStorage.clear();")
    yield browser
    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE" and "favicon" not in e["message"]]
    # Expected API refusals (4xx, shown to the user as problems) are logged by Chromium as failed loads; anything
    # else (a script error, a CSP violation) is a bug in the page.
    unexpected = [e for e in errors if "the server responded with a status of 4" not in e["message"]]
    assert not unexpected, f"browser console errors: {unexpected}"


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    configured = os.environ.get("E2E_SCREENSHOT_DIR")
    if configured:
        path = Path(configured)
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def screenshot(browser: Any, screenshot_dir: Path) -> Callable[..., Path]:
    """Save a PNG of the whole page (the window grows to its height) or of the viewport; return its path."""

    def take(name: str, full_page: bool = True) -> Path:
        if full_page:
            height = browser.execute_script(
                "return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)"
            )
            browser.set_window_size(1280, min(int(height) + 140, 8000))
            time.sleep(0.2)
        path = screenshot_dir / f"{name}.png"
        assert browser.save_screenshot(str(path)), f"could not save {path}"
        if full_page:
            browser.set_window_size(1280, 1000)
        print(f"screenshot: {path}")
        return path

    return take
