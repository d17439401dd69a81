// Shared page code: API key handling, a fetch wrapper for the public API that turns RFC 9457 problem+json
// answers into messages next to the named fields, number formatting, and small DOM helpers.

import * as i18n from "./i18n.js";

const KEY_PREFIX = "loan_engine.key.";
let configPromise = null;

export const ROLE_LABEL_KEYS = { caseworker: "role.caseworker", finance: "role.finance" };

/** {environment, demo_keys} from the service; demo_keys is empty unless it seeds demo data. */
export function loadConfig() {
  if (!configPromise) {
    configPromise = fetch("/app/config.json", { headers: { Accept: "application/json" } })
      .then((r) => (r.ok ? r.json() : { environment: "unknown", demo_keys: {} }))
      .catch(() => ({ environment: "unknown", demo_keys: {} }));
  }
  return configPromise;
}

export function getKey(role) {
  return sessionStorage.getItem(KEY_PREFIX + role) || "";
}

export function setKey(role, value) {
  if (value) sessionStorage.setItem(KEY_PREFIX + role, value.trim());
  else sessionStorage.removeItem(KEY_PREFIX + role);
}

/**
 * Wire an API-key input (kept in sessionStorage per role). When the tab has no key yet and the service is
 * seeded with demo data, fill in the public demo key for that role.
 */
export async function bindKeyInput(input, role, status) {
  const say = (key) => {
    if (!status) return;
    status.dataset.message = key;
    status.textContent = key ? i18n.t(key) : "";
  };
  if (status && !status.dataset.bound) {
    status.dataset.bound = "true";
    i18n.onChange(() => say(status.dataset.message));
  }
  input.value = getKey(role);
  input.addEventListener("input", () => {
    setKey(role, input.value);
    say(input.value ? "access.saved" : "");
  });
  if (!input.value) {
    const config = await loadConfig();
    const demo = config.demo_keys?.[role];
    if (demo && !input.value) {
      input.value = demo;
      setKey(role, demo);
      say("access.demo");
    }
  }
}

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || { title: `HTTP ${status}`, status, errors: [] };
  }
}

/**
 * Call the API. options: {method, json, form (FormData), role, accept}. Resolves to {status, headers, body}
 * (body parsed as JSON when it is JSON, text otherwise). Rejects with ApiError carrying the problem document.
 */
export async function api(path, { method, json, form, role, accept = "application/json" } = {}) {
  const headers = {
    Accept: `${accept}, application/problem+json`,
    // Problems (title, detail, each error's message) come back in the page's language.
    "Accept-Language": i18n.currentLang() === "en" ? "en" : "nb",
  };
  const key = role ? getKey(role) : "";
  if (key) headers["X-API-Key"] = key;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form;
  }
  let response;
  try {
    response = await fetch(path, { method: method || (body ? "POST" : "GET"), headers, body });
  } catch {
    throw new ApiError(0, { title: i18n.t("app.error.network"), detail: i18n.t("app.error.network"), errors: [] });
  }
  const type = response.headers.get("Content-Type") || "";
  const parsed = type.includes("json") ? await response.json().catch(() => null) : await response.text();
  if (!response.ok) {
    const problem = parsed && typeof parsed === "object" ? parsed : {
      title: i18n.t("app.error.unexpected", { status: response.status }),
      detail: i18n.t("app.error.unexpected", { status: response.status }),
      status: response.status,
      errors: [],
    };
    throw new ApiError(response.status, problem);
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

// ----- Errors shown next to the fields they name --------------------------------------------------------------

/** The element (inside root) that stands for a dotted API field path, trying shorter prefixes too. */
export function fieldElement(root, field) {
  if (!field) return null;
  const parts = String(field).split(".");
  while (parts.length) {
    const name = parts.join(".");
    const el = root.querySelector(`[data-field~="${CSS.escape(name)}"]`)
      || document.querySelector(`[data-field~="${CSS.escape(name)}"]`);
    if (el) return el;
    parts.pop();
  }
  return null;
}

export function clearErrors(root) {
  for (const el of root.querySelectorAll(".field-error")) el.remove();
  for (const el of root.querySelectorAll("[aria-invalid]")) {
    el.removeAttribute("aria-invalid");
    const described = (el.getAttribute("aria-describedby") || "").split(" ").filter((id) => !id.endsWith("-error"));
    if (described.length) el.setAttribute("aria-describedby", described.join(" "));
    else el.removeAttribute("aria-describedby");
  }
  const summary = root.querySelector(".error-summary");
  if (summary) {
    summary.hidden = true;
    summary.replaceChildren();
  }
}

let errorSeq = 0;

/**
 * Show a problem: a summary (role=alert) at the top of root listing every message, each linked to its field,
 * and the message again right after the field it names (aria-invalid + aria-describedby).
 */
export function showProblem(root, error) {
  clearErrors(root);
  const problem = error instanceof ApiError ? error.problem : { detail: String(error?.message || error), errors: [] };
  let summary = root.querySelector(".error-summary");
  if (!summary) {
    summary = el("div", { class: "error-summary", role: "alert", tabindex: "-1" });
    root.prepend(summary);
  }
  summary.hidden = false;
  summary.append(el("h2", {}, i18n.t("app.error.summary")));
  const list = el("ul");
  const errors = problem.errors && problem.errors.length ? problem.errors : [{ field: null, message: problem.detail }];
  for (const err of errors) {
    const target = fieldElement(root, err.field);
    const message = err.message || problem.detail || problem.title;
    const item = el("li", { "data-error-field": err.field || "", "data-error-rule": err.rule || "" });
    if (target) {
      if (!target.id) target.id = `field-${++errorSeq}`;
      const link = el("a", { href: `#${target.id}` }, message);
      link.addEventListener("click", (ev) => {
        ev.preventDefault();
        target.focus();
      });
      item.append(link);
      const id = `${target.id}-error`;
      if (!document.getElementById(id)) {
        const note = el("p", { class: "field-error", id }, message);
        const control = target.matches("input, select, textarea");
        const anchor = (control && target.closest(".field")) || target;
        anchor.append(note);
        if (control) target.setAttribute("aria-invalid", "true");
        else if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
        const described = (target.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
        target.setAttribute("aria-describedby", [...described, id].join(" "));
      }
    } else {
      item.textContent = err.field ? `${err.field}: ${message}` : message;
    }
    list.append(item);
  }
  summary.append(list);
  if (problem.detail && problem.errors?.length) summary.append(el("p", { class: "hint" }, problem.detail));
  summary.focus();
}

// ----- Formatting ---------------------------------------------------------------------------------------------

/** Whole kroner: "1 234 567 kr" (nb) / "NOK 1,234,567" (en). */
export function kr(value, lang = i18n.currentLang()) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  const n = new Intl.NumberFormat(i18n.locale(lang), { maximumFractionDigits: 0 }).format(Math.round(Number(value)));
  return lang === "en" ? `NOK ${n}` : `${n} kr`;
}

export function num(value, digits = 0, lang = i18n.currentLang()) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return new Intl.NumberFormat(i18n.locale(lang), {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(Number(value));
}

/** A value already in percent (4.5 → "4,50 %"). */
export function pct(value, digits = 2, lang = i18n.currentLang()) {
  if (value === null || value === undefined || Number.isNaN(Number(value))) return "–";
  return `${num(value, digits, lang)} %`;
}

// ----- DOM helpers --------------------------------------------------------------------------------------------

/** el("p", {class: "x", "data-value": 3}, "text", child, …) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A <dl> row: term and a value carrying its raw number in data-value (for tests and copy-paste). */
export function figure(term, value, text, attrs = {}) {
  return [el("dt", {}, term), el("dd", { "data-value": value, ...attrs }, text)];
}

export function announce(region, text) {
  if (region) region.textContent = text;
}

export function setBusy(button, busy) {
  if (!button) return;
  button.disabled = busy;
  button.setAttribute("aria-busy", busy ? "true" : "false");
}

/** Number from an <input>: empty → undefined; comma accepted as decimal separator. */
export function inputNumber(input) {
  const raw = String(input.value).trim().replace(/\s/g, "").replace(",", ".");
  if (raw === "") return undefined;
  const n = Number(raw);
  return Number.isFinite(n) ? n : raw; // a non-number goes to the API, which names the field in its problem
}

/** Common page start: language, current nav link, API-key field. */
export async function initPage({ role } = {}) {
  i18n.init();
  for (const link of document.querySelectorAll(".site-nav a")) {
    const here = new URL(link.href, location.href).pathname === location.pathname;
    if (here) link.setAttribute("aria-current", "page");
  }
  const keyInput = document.getElementById("api-key");
  if (keyInput && role) await bindKeyInput(keyInput, role, document.getElementById("api-key-status"));
}
