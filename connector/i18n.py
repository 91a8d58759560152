"""The one translator: every text a person reads comes from the Babel catalog in connector/translations.

The domain and the use cases produce English message ids (marked with `N_` for extraction) and
`Reason` codes with params; this module turns them into the reader's language, with Babel's
number, money, percent and date formatting and the catalog's plural forms. The web reads the
same catalog through Flask-Babel (`BABEL_TRANSLATION_DIRECTORIES` is `CATALOG_DIR` alone); emails,
jobs and use cases, which run outside a request, call `gettext(message, locale, **params)` here,
or install `translations(locale)` into a Jinja environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from babel.dates import format_date as babel_date
from babel.dates import format_datetime as babel_datetime
from babel.numbers import format_currency, format_decimal
from babel.numbers import format_percent as format_percent_babel
from babel.support import NullTranslations, Translations

from connector.domain.messages import MESSAGES, RESOLUTION_NAMES, Reason, language
from connector.domain.money import Money
from connector.domain.returns import ResolutionKind

CATALOG_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


@lru_cache(maxsize=8)
def translations(locale: str | None) -> NullTranslations:
    """The catalog in `locale`'s language. English, the source language, has no catalog:
    Babel then answers with the msgids themselves."""
    return Translations.load(str(CATALOG_DIR), [language(locale)], DOMAIN)


class _KeepMissing(dict[str, object]):
    # A missing param shows its placeholder rather than breaking the reader's page.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _fill(text: str, params: Mapping[str, object]) -> str:
    return text % _KeepMissing(params) if params else text


def gettext(message: str, locale: str | None, /, **params: object) -> str:
    """`message` (an English msgid, `%(name)s` placeholders) in `locale`'s language, params filled in."""
    return _fill(translations(locale).gettext(message), params)


def ngettext(singular: str, plural: str, num: int, locale: str | None, /, **params: object) -> str:
    """The form of the text for `num` in `locale`'s plural rules (French: 0 and 1 are singular)."""
    return _fill(translations(locale).ngettext(singular, plural, num), {"num": num, **params})


def pgettext(context: str, message: str, locale: str | None, /, **params: object) -> str:
    """A msgid that means something else elsewhere: "MMMM d, y" as the 1st of a month's date pattern."""
    return _fill(str(translations(locale).pgettext(context, message)), params)


# ---- numbers, money, percentages and dates: Babel (CLDR) writes them ----

def format_number(value: Decimal, locale: str | None, places: int | None = None, *,
                  grouped: bool = True) -> str:
    """1234.5 -> "1 234,5" (fr, narrow no-break space) or "1,234.5" (en); `places` fixes the decimals.

    `grouped=False` writes "1234,50": what a merchant types back into a form field."""
    if places is not None or not grouped:  # a pattern, in the language's own symbols
        decimals = places if places is not None else max(0, -int(value.as_tuple().exponent))
        pattern = ("#,##0" if grouped else "0") + ("." + "0" * decimals if decimals else "")
        return str(format_decimal(value, pattern, locale=language(locale)))
    return str(format_decimal(value, locale=language(locale), decimal_quantization=False))


def format_money(money: Money, locale: str | None) -> str:
    """12.50 EUR -> "12,50 €" (fr) or "€12.50" (en), with the currency's own decimals."""
    text = str(format_currency(money.amount, money.currency, locale=language(locale)))
    # CLDR glues a letter code to the digits ("CHF7.00"): it reads as "CHF 7.00", never cut at a line's end.
    return _CODE_GLUED.sub("\\1\u00a0\\2", text)


_CODE_GLUED = re.compile(r"([A-Z]{2,3})(\d)")


def format_percent(rate: Decimal | float | int, locale: str | None) -> str:
    """10 -> "10 %" (fr, with the no-break space) or "10%" (en); 12.50 -> "12,5 %": no useless zeros."""
    return str(format_percent_babel(Decimal(str(rate)).scaleb(-2), locale=language(locale),
                                    decimal_quantization=False))


def format_date(day: date, locale: str | None, *, short: bool = False) -> str:
    """15 March 2026 -> "15 mars 2026" / "15/03/2026" (fr), "March 15, 2026" / "03/15/2026" (en)."""
    if short:
        pattern = pgettext("short date pattern (CLDR)", "MM/dd/y", locale)
    elif day.day == 1:  # French writes the first of the month as an ordinal: "1er mars"
        pattern = pgettext("date pattern for the 1st of a month (CLDR)", "MMMM d, y", locale)
    else:
        pattern = pgettext("date pattern (CLDR)", "MMMM d, y", locale)
    return str(babel_date(day, pattern, locale=language(locale)))


def format_moment(moment: datetime, locale: str | None, *, utc: bool = False) -> str:
    """A day and time: "14/03/2026 10:00" (fr), "2026-03-14 10:00" (en); `utc` says " UTC" after it."""
    pattern = (pgettext("date and time pattern in UTC (CLDR)", "y-MM-dd HH:mm 'UTC'", locale) if utc
               else pgettext("date and time pattern (CLDR)", "y-MM-dd HH:mm", locale))
    return str(babel_datetime(moment, pattern, locale=language(locale)))


def format_days(days: int, locale: str | None) -> str:
    return ngettext("%(num)d day", "%(num)d days", days, locale)


def resolution_name(kind: ResolutionKind | str, locale: str | None) -> str:
    """The word the shopper reads for a resolution: "avoir", "store credit"."""
    try:
        found = RESOLUTION_NAMES[ResolutionKind(kind)]
    except ValueError:
        return str(kind)
    return gettext(found, locale)


def join_words(words: Sequence[str], locale: str | None, *, last: str = "and") -> str:
    """["a", "b", "c"] -> "a, b and c"; `last` is "and" or "or", translated."""
    if len(words) <= 1:
        return "".join(words)
    head, tail = ", ".join(words[:-1]), words[-1]
    if last == "or":
        return gettext("%(words)s or %(last)s", locale, words=head, last=tail)
    return gettext("%(words)s and %(last)s", locale, words=head, last=tail)


def quote(word: str, locale: str | None) -> str:
    """A word quoted the way the reader's language does: « final-sale » or “final-sale”."""
    return gettext("“%(word)s”", locale, word=word)


def colon(label: str, locale: str | None) -> str:
    """"Quantité" -> "Quantité :" (narrow no-break space) in French, "Quantity:" in English."""
    return gettext("%(label)s:", locale, label=label)


# ---- the domain's reasons ----

def _render(name: str, value: str, locale: str) -> str:
    """One param in the reader's conventions; a value that does not parse is shown as is."""
    try:
        if name.endswith("_date"):
            return format_date(date.fromisoformat(value), locale)
        if name.endswith("_amount"):
            amount, currency = value.split(" ")
            return format_money(Money(Decimal(amount), currency), locale)
        if name.endswith("_percent"):
            return format_percent(Decimal(value), locale)
        if name.endswith("_kind"):
            return resolution_name(value, locale)
        if name.endswith("_days"):
            return format_days(int(value), locale)
    except (ValueError, InvalidOperation, ArithmeticError):
        return value
    return value


def say(reason: Reason, locale: str | None) -> str:
    """A domain reason (a code and params) as a sentence in `locale`'s language."""
    wording = MESSAGES.get(reason.code)
    if wording is None:
        # An unknown code is a bug (tests check every code has a text); show it, do not crash.
        return reason.code
    lang = language(locale)
    values = _KeepMissing({name: _render(name, value, lang) for name, value in reason.params.items()})
    count = reason.params.get(wording.count, "") if wording.count else ""
    if wording.plural and count.isdigit():
        text = translations(lang).ngettext(wording.singular, wording.plural, int(count))
    else:
        text = translations(lang).gettext(wording.singular)
    return text % values


class Translator:
    """The translator bound to one reader's language: what the domain's `Words` port asks for."""

    def __init__(self, locale: str | None) -> None:
        self.locale = language(locale)

    def say(self, reason: Reason) -> str:
        return say(reason, self.locale)

    def join(self, words: Sequence[str], *, last: str = "and") -> str:
        return join_words(words, self.locale, last=last)

    def quote(self, word: str) -> str:
        return quote(word, self.locale)

    def resolution(self, kind: ResolutionKind | str) -> str:
        return resolution_name(kind, self.locale)
