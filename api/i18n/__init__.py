"""Language of the answers: bokmål when the request asks for it (``Accept-Language: nb``; the web pages send it),
English otherwise. Texts come from ``api.i18n.catalogue``; numbers and dates for people from ``api.i18n.formatting``.

The language of the current request is kept in a context variable set by ``LanguageMiddleware``, so that the
problem+json handlers can answer in it without every raise site knowing about languages.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from api.i18n.catalogue import FIELD_LABELS, PYDANTIC, PYDANTIC_FALLBACK, RULES, SUMMARY, TITLES

LANGUAGES = ("en", "nb")
NORWEGIAN = ("nb", "no", "nn")
HEADER_FIELDS = ("X-API-Key", "If-Match", "Idempotency-Key")  # the sentence names them already
_language: ContextVar[str] = ContextVar("loan_engine_language", default="en")
_LANG_QUERY = re.compile(r"(?:^|&)lang=(nb|en)(?:&|$)")


def negotiate(accept_language: str | None) -> str:
    """``nb`` when the most preferred language of an Accept-Language header is Norwegian, else ``en``."""
    best, best_q = "en", -1.0
    for part in (accept_language or "").split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        match = re.search(r"q\s*=\s*([0-9.]+)", params)
        if match:
            try:
                q = float(match.group(1))
            except ValueError:
                q = 0.0
        primary = tag.split("-")[0]
        lang = "nb" if primary in NORWEGIAN else "en" if primary in ("en", "*") else None
        if lang and q > best_q:
            best, best_q = lang, q
    return best


def current_language() -> str:
    return _language.get()


class LanguageMiddleware:
    """Set the request's language (from Accept-Language, or ``?lang=nb|en``) for the answer's texts."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k == b"accept-language"), None)
        lang = negotiate(header) if header else "en"  # no (or an empty) header: English, as negotiate says
        query = scope.get("query_string", b"")
        if query:
            match = _LANG_QUERY.search(query.decode("latin-1"))
            if match:
                lang = match.group(1)
        token = _language.set(lang)
        try:
            await self.app(scope, receive, send)
        finally:
            _language.reset(token)


def field_label(field: str, lang: str) -> str:
    """``household.members.0.age`` → ``husstand, person nr. 1, alder`` (nb); the path itself in English."""
    if lang != "nb":
        return field
    parts = re.split(r"[.\[\]]+", field)
    words: list[str] = []
    for part in filter(None, parts):
        if part not in FIELD_LABELS and (part[:1].isupper() or "-" in part):
            continue  # a union member's name (HousingCostsIn, constrained-float), not a field
        if part.isdigit():
            if words:
                words[-1] = f"{words[-1]} nr. {int(part) + 1}"
            else:
                words.append(f"nr. {int(part) + 1}")
        else:
            words.append(FIELD_LABELS.get(part, part.replace("_", " ")))
    text = ", ".join(words)
    return text[:1].upper() + text[1:]


def _number(value: Any, lang: str) -> str:
    from api.i18n.formatting import number

    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return number(value, lang=lang)


def pydantic_message(err: dict[str, Any], lang: str) -> str:
    """A request-validation error in the language, from its pydantic type and context values."""
    template = PYDANTIC.get(str(err.get("type")), PYDANTIC_FALLBACK)[lang]
    ctx = {k: _number(v, lang) for k, v in (err.get("ctx") or {}).items()}
    ctx.setdefault("msg", str(err.get("msg", "invalid value")))
    if "expected" in ctx and lang == "nb":
        ctx["expected"] = ctx["expected"].replace(" or ", " eller ")
    try:
        return template.format(**ctx)
    except (KeyError, IndexError, ValueError):
        return str(err.get("msg", "")) if lang == "en" else PYDANTIC_FALLBACK["nb"]


def _patterns() -> list[tuple[re.Pattern[str], str]]:
    out = []
    for key, text in RULES.items():
        if "{" in key:
            regex = re.escape(key).replace(r"\{n\}", r"(?P<n>\d+)").replace(r"\{roles\}", r"(?P<roles>[a-z-]+)")
            out.append((re.compile(f"^{regex}$"), text))
    return out


_PATTERNS = _patterns()
_ROLE_NAMES = {"caseworker": "saksbehandler", "finance": "økonomi", "admin": "administrator"}


def rule_text(rule: str | None, lang: str = "nb") -> str | None:
    """The catalogue's sentence for a rule id (bokmål), or None when the catalogue has none."""
    if not rule or lang != "nb":
        return None
    if rule in RULES:
        return RULES[rule]
    for pattern, text in _PATTERNS:
        match = pattern.match(rule)
        if match:
            values = match.groupdict()
            if "roles" in values:
                values["roles"] = " eller ".join(_ROLE_NAMES.get(r, r) for r in values["roles"].split("-or-"))
            if "n" in values:
                values["n"] = _number(int(values["n"]), lang)
            return text.format(**values)
    return None


def title(status: int, lang: str, default: str | None = None) -> str:
    entry = TITLES.get(status)
    if entry:
        return entry[lang]
    return default or ("Feil" if lang == "nb" else "Error")


def validation_summary(errors: list[dict[str, str]], lang: str) -> str:
    summary = "; ".join(f"{field_label(e['field'], lang)}: {e['message']}" for e in errors[:5])
    return SUMMARY["validation"][lang].format(summary=summary)


def localise_problem(body: dict[str, Any], slug: str, lang: str) -> dict[str, Any]:
    """Title, detail and each error message of a problem document in ``lang`` (English texts stay as raised)."""
    body["title"] = title(int(body["status"]), lang, body.get("title"))
    if lang != "nb":
        return body
    already = slug in ("validation", "malformed-json")  # messages made in the language by validation_errors
    for error in body.get("errors", []):
        if already:
            continue
        text = rule_text(error.get("rule"))
        if text:
            error["message"] = text
    errors = body.get("errors", [])
    if slug == "validation":
        body["detail"] = validation_summary(errors, lang)
        return body
    if slug == "malformed-json":
        body["detail"] = RULES["malformed-json"]
        return body
    first_rule = errors[0].get("rule") if errors else None
    text = rule_text(first_rule) or rule_text(slug)
    if text:
        if errors and errors[0].get("field") not in (None, "body", *HEADER_FIELDS):
            text = f"{field_label(errors[0]['field'], lang)}: {text}"
        body["detail"] = text
    return body
