"""Numbers, amounts, percentages and dates as people read them, by Babel's CLDR data: bokmål (``nb_NO``: "1 000 000
kr", "52,7 %", "1. mars 2026") or English (``en_GB``). Machine output (JSON, CSV for programs) never uses these."""

from __future__ import annotations

from datetime import date, datetime

from babel.dates import format_date as _format_date
from babel.numbers import format_decimal

LOCALES = {"nb": "nb_NO", "en": "en_GB"}


def _locale(lang: str) -> str:
    return LOCALES.get(lang, "nb_NO")


def number(value: float, decimals: int | None = None, lang: str = "nb") -> str:
    """A number grouped and with the language's decimal mark; ``decimals`` fixes the number of decimals."""
    if decimals is None:
        text = format_decimal(value, locale=_locale(lang), decimal_quantization=False)
    else:
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        text = format_decimal(round(value, decimals), format=pattern, locale=_locale(lang))
    return text.replace("\u2212", "-") if lang == "en" else text


def nok(value: float, lang: str = "nb") -> str:
    """Whole kroner: "1 000 000 kr" (nb) or "NOK 1,000,000" (en)."""
    whole = number(round(value), 0, lang)
    return f"{whole}\u00a0kr" if lang == "nb" else f"NOK {whole}"


def percent(value: float, decimals: int = 1, lang: str = "nb") -> str:
    """A value already in percent: 52.72 → "52,7 %" (nb) or "52.7%" (en)."""
    text = number(value, decimals, lang)
    return f"{text}\u00a0%" if lang == "nb" else f"{text}%"


def day(value: date | datetime | str, lang: str = "nb", style: str = "medium") -> str:
    """A date: "1. mars 2026" (nb medium), "01.03.2026" (nb short)."""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    return _format_date(value, format=style, locale=_locale(lang))
