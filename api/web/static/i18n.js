// Language support: Norwegian bokmål (default, written in the HTML) and English.
//
// Static text: an element with data-i18n="key" shows dictionary text; its bokmål text is the one in the HTML,
// so the page reads correctly even before this script runs. Attributes: data-i18n-attr="aria-label:key;title:key".
// Dynamic text: t("key", {vars}) looks the key up in the current language (falls back to bokmål, then the key).

import { MESSAGES } from "./messages.js";

const STORAGE_KEY = "loan_engine.lang";
const nbFromHtml = new Map();
const listeners = [];

export { MESSAGES };

/** Add a page's own messages (same shape as MESSAGES). */
export function register(messages) {
  for (const [lang, entries] of Object.entries(messages)) {
    MESSAGES[lang] = Object.assign(MESSAGES[lang] || {}, entries);
  }
}

export function currentLang() {
  const stored = localStorage.getItem(STORAGE_KEY);
  return stored === "en" ? "en" : "nb";
}

export function locale(lang = currentLang()) {
  return lang === "en" ? "en-GB" : "nb-NO";
}

export function t(key, vars = {}, lang = currentLang()) {
  let text = MESSAGES[lang]?.[key] ?? (lang === "nb" ? nbFromHtml.get(key) : undefined) ?? MESSAGES.nb[key]
    ?? nbFromHtml.get(key) ?? key;
  for (const [name, value] of Object.entries(vars)) {
    text = text.replaceAll(`{${name}}`, String(value));
  }
  return text;
}

function remember(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) {
    if (!nbFromHtml.has(el.dataset.i18n)) nbFromHtml.set(el.dataset.i18n, el.textContent.trim());
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const [attr, key] of pairs(el.dataset.i18nAttr)) {
      if (!nbFromHtml.has(key) && el.hasAttribute(attr)) nbFromHtml.set(key, el.getAttribute(attr));
    }
  }
}

function pairs(spec) {
  return spec.split(";").filter(Boolean).map((p) => p.split(":").map((s) => s.trim()));
}

/** Translate every marked element under root into the current language. */
export function apply(root = document) {
  remember(root);
  const lang = currentLang();
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n, {}, lang);
  }
  for (const el of root.querySelectorAll("[data-i18n-attr]")) {
    for (const [attr, key] of pairs(el.dataset.i18nAttr)) el.setAttribute(attr, t(key, {}, lang));
  }
  if (root === document) {
    document.documentElement.lang = lang === "en" ? "en" : "nb";
    const toggle = document.getElementById("lang-toggle");
    if (toggle) {
      toggle.textContent = t("lang.toggle", {}, lang);
      toggle.lang = lang === "en" ? "nb" : "en";
    }
    const titleKey = document.body?.dataset.titleKey;
    if (titleKey) document.title = `${t(titleKey, {}, lang)} – loan_engine`;
  }
}

/** Call fn(lang) after each language change (to re-render dynamic results). */
export function onChange(fn) {
  listeners.push(fn);
}

export function setLang(lang) {
  localStorage.setItem(STORAGE_KEY, lang === "en" ? "en" : "nb");
  apply(document);
  for (const fn of listeners) fn(currentLang());
}

export function init() {
  remember(document);
  apply(document);
  const toggle = document.getElementById("lang-toggle");
  if (toggle) toggle.addEventListener("click", () => setLang(currentLang() === "en" ? "nb" : "en"));
}
