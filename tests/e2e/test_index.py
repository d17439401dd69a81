"""The start page: served from the service, demo keys prefilled only with demo data, language switch, keyboard."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from api.seed import DEMO_KEYS
from models.api_keys import Role
from tests.e2e.conftest import LiveServer
from tests.e2e.helpers import a11y_problems, tab_order, wait_until

pytestmark = pytest.mark.e2e


def test_static_files_are_served_without_external_resources(live_server: LiveServer) -> None:
    with httpx.Client(base_url=live_server.url, follow_redirects=False) as http:
        assert http.get("/").headers["location"] == "/app/"
        for name in ("index.html", "caseworker.html", "cases.html", "finance.html", "screening.html"):
            page = http.get(f"/app/{name}")
            assert page.status_code == 200, name
            assert page.headers["content-type"].startswith("text/html")
            assert "default-src 'self'" in page.headers["content-security-policy"]
            assert "http://" not in page.text and "https://" not in page.text, f"{name} refers to another host"
        for asset in ("app.js", "i18n.js", "messages.js", "plots.js", "cases.js", "style.css"):
            response = http.get(f"/app/{asset}")
            assert response.status_code == 200, asset
            assert "https://" not in response.text.replace("http://www.w3.org/2000/svg", ""), asset
        assert http.get("/app/../api/settings.py").status_code == 404
        assert http.get("/app/nope.html").headers["content-type"] == "application/problem+json"
        config = http.get("/app/config.json").json()
        assert config == {"environment": "test", "demo_keys": {r.value: k for r, k in DEMO_KEYS.items()}}
        assert "/app/" not in str(http.get("/openapi.json").json()["paths"])


def test_index_prefills_demo_keys_switches_language_and_is_keyboard_usable(
    page: Any, live_server: LiveServer, screenshot: Callable[..., Path]
) -> None:
    page.get(f"{live_server.url}/")
    assert page.current_url.endswith("/app/")
    assert page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb"
    caseworker = page.find_element(By.ID, "key-caseworker")
    wait_until(lambda: caseworker.get_attribute("value"), 10, "the demo key to be filled in")
    assert caseworker.get_attribute("value") == DEMO_KEYS[Role.caseworker]
    assert page.find_element(By.ID, "key-finance").get_attribute("value") == DEMO_KEYS[Role.finance]
    assert page.execute_script("return sessionStorage.getItem('loan_engine.key.finance')") == DEMO_KEYS[Role.finance]

    # Keyboard: the first Tab reaches the skip link, then the navigation.
    order = tab_order(page, 3)
    assert order[0] == "#main"
    assert order[1] == "./"

    problems = a11y_problems(page)
    assert problems == [], problems
    screenshot("index-nb")

    page.find_element(By.ID, "lang-toggle").send_keys(Keys.ENTER)
    wait_until(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en", 5, "lang=en")
    assert page.find_element(By.TAG_NAME, "h1").text == "Startlån – calculation and risk"
    assert page.find_element(By.ID, "lang-toggle").text == "Norsk (bokmål)"
    assert a11y_problems(page) == []
    page.find_element(By.ID, "lang-toggle").click()
    wait_until(lambda: page.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nb", 5, "lang=nb")
    assert page.find_element(By.TAG_NAME, "h1").text == "Startlån – beregning og risiko"
