"""Helpers for the browser tests: waiting, reading the numbers a page shows, and a small accessibility audit."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement

# Runs in the page. Returns a list of human-readable problems (empty = pass). Checks, without external tools:
# html[lang]; one <h1>; unique ids; every form control has an accessible name (label[for], wrapping label,
# aria-label, aria-labelledby); every radio/checkbox group sits in a fieldset with a legend; images have alt;
# svg role=img have a name; buttons and links have text; tables have captions or names and header cells;
# text contrast ≥ 4.5:1 (3:1 for large text) against the nearest opaque background.
A11Y_AUDIT_JS = r"""
const problems = [];
const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)
  && getComputedStyle(el).visibility !== "hidden";
const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
  (el.name ? "[name=" + el.name + "]" : "");
const html = document.documentElement;
if (!html.lang) problems.push("html has no lang attribute");
if (document.querySelectorAll("h1").length !== 1) problems.push("page should have exactly one h1");
const ids = {};
for (const el of document.querySelectorAll("[id]")) {
  if (ids[el.id]) problems.push("duplicate id " + el.id);
  ids[el.id] = true;
}
const nameOf = (el) => {
  if (el.getAttribute("aria-label")) return el.getAttribute("aria-label").trim();
  const by = el.getAttribute("aria-labelledby");
  if (by) return by.split(/\s+/).map((id) => document.getElementById(id)?.textContent || "").join(" ").trim();
  if (el.labels && el.labels.length) return Array.from(el.labels).map((l) => l.textContent).join(" ").trim();
  return "";
};
for (const el of document.querySelectorAll("input, select, textarea")) {
  if (el.type === "hidden" || !visible(el)) continue;
  if (!nameOf(el)) problems.push("form control without label: " + describe(el));
  if ((el.type === "radio" || el.type === "checkbox") && el.name
      && document.querySelectorAll(`input[name="${el.name}"]`).length > 1) {
    const fs = el.closest("fieldset");
    if (!fs || !fs.querySelector("legend")) problems.push("radio/checkbox group without fieldset+legend: " + el.name);
  }
}
for (const el of document.querySelectorAll("img")) {
  if (!el.hasAttribute("alt")) problems.push("img without alt: " + (el.src || describe(el)));
}
for (const el of document.querySelectorAll("svg[role=img]")) {
  if (!nameOf(el) && !el.querySelector("title")) problems.push("svg image without a name: " + describe(el));
}
for (const el of document.querySelectorAll("button, a[href]")) {
  if (!visible(el)) continue;
  if (!(el.textContent.trim() || nameOf(el))) problems.push("button/link without text: " + describe(el));
}
for (const el of document.querySelectorAll("table")) {
  if (!visible(el)) continue;
  if (!el.querySelector("caption") && !nameOf(el)) problems.push("table without caption: " + describe(el));
  if (!el.querySelector("th")) problems.push("table without header cells: " + describe(el));
}
const parse = (c) => {
  const m = c.match(/rgba?\(([^)]+)\)/);
  if (!m) return null;
  const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
  return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
};
const lum = ({ r, g, b }) => {
  const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
const background = (el) => {
  for (let e = el; e; e = e.parentElement) {
    const c = parse(getComputedStyle(e).backgroundColor);
    if (c && c.a >= 0.99) return c;
  }
  return { r: 255, g: 255, b: 255, a: 1 };
};
let checked = 0;
for (const el of document.querySelectorAll("body *")) {
  if (!visible(el) || el.closest("svg")) continue;
  const ownText = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
  if (!ownText) continue;
  const style = getComputedStyle(el);
  const fg = parse(style.color);
  if (!fg) continue;
  const bg = background(el);
  const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
  const ratio = (hi + 0.05) / (lo + 0.05);
  const size = parseFloat(style.fontSize);
  const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
  checked++;
  if (ratio < (large ? 3 : 4.5)) {
    problems.push(`contrast ${ratio.toFixed(2)}:1 for "${el.textContent.trim().slice(0, 40)}" (${describe(el)})`);
  }
}
if (!checked) problems.push("no text checked for contrast");
return problems;
"""


def a11y_problems(driver: Any) -> list[str]:
    problems: list[str] = driver.execute_script(A11Y_AUDIT_JS)
    return problems


def wait_until(condition: Callable[[], Any], timeout: float = 60.0, message: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy; return that, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as exc:  # the element may not be there yet
            last_error = exc
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {message} (last error: {last_error})")


def wait_visible(driver: Any, css: str, timeout: float = 60.0) -> WebElement:
    def found() -> WebElement | None:
        el: WebElement = driver.find_element(By.CSS_SELECTOR, css)
        return el if el.is_displayed() else None

    element: WebElement = wait_until(found, timeout, f"{css} to be visible")
    return element


def number_in(text: str, lang: str = "nb") -> float:
    """The number a page shows: "1 234 567 kr" → 1234567, "−4,50 %" → -4.5 (nb); "NOK 1,234,567" → 1234567 (en)."""
    cleaned = text.replace("\u2212", "-").replace("\u00a0", " ").replace("\u202f", " ")
    # English: commas group digits. Bokmål: spaces group digits and the comma is the decimal mark.
    cleaned = cleaned.replace(",", "") if lang == "en" else cleaned.replace(" ", "").replace(",", ".")
    match = re.search(r"-?\d[\d ]*(?:\.\d+)?", cleaned)
    assert match, f"no number in {text!r}"
    return float(match.group(0).replace(" ", ""))


def type_into(element: WebElement, text: str) -> None:
    """Replace an input's value by typing, as a keyboard user would."""
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def tab_order(driver: Any, steps: int) -> list[str]:
    """The ids (or tag names) that receive focus when pressing Tab ``steps`` times from the top of the page."""
    driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    seen = []
    for _ in range(steps):
        seen.append(
            driver.execute_script(
                "const e = document.activeElement; return e.id || e.getAttribute('href') || e.tagName.toLowerCase();"
            )
        )
        driver.switch_to.active_element.send_keys(Keys.TAB)
    return seen
