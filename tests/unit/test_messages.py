"""What the shopper reads: reasons, money and dates in French and English."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.domain.messages import MESSAGES, Reason, language
from connector.domain.money import Money, minor_units
from connector.domain.returns import ResolutionKind
from connector.i18n import (
    format_date,
    format_money,
    format_number,
    format_percent,
    join_words,
    say,
    translations,
)


def test_every_text_has_the_same_placeholders_in_both_languages() -> None:
    french = translations("fr")
    for code, wording in MESSAGES.items():
        english = wording.singular
        translated = (french.ngettext(english, wording.plural, 2) if wording.plural
                      else french.gettext(english))
        fields = {text: set(re.findall(r"%\((\w+)\)s", text)) for text in (english, translated)}
        assert fields[english] == fields[translated], code


def test_window_reason_shows_the_last_day_in_the_readers_language() -> None:
    reason = Reason.of("window_passed", last_day_date=date(2026, 3, 12))

    assert reason.params == {"last_day_date": "2026-03-12"}
    assert "12 mars 2026" in say(reason, "fr")
    assert "March 12, 2026" in say(reason, "en")


def test_amounts_in_reasons_are_written_per_locale() -> None:
    reason = Reason.of("return_shipping_fee", fee_amount=Money.of("5.90", "EUR"))

    assert "5,90\u00a0€" in say(reason, "fr")
    assert "€5.90" in say(reason, "en")


def test_resolution_names_and_percentages_are_translated() -> None:
    refused = Reason.of("resolution_not_allowed", resolution_kind=ResolutionKind.STORE_CREDIT)
    bonus = Reason.of("store_credit_bonus", bonus_percent=Decimal("12.5"))

    assert say(refused, "fr").endswith(": avoir.")
    assert say(refused, "en").endswith(": store credit.")
    assert "12,5\u00a0%" in say(bonus, "fr")
    assert "12.5%" in say(bonus, "en")


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("fr", "fr"), ("fr_FR", "fr"), ("fr-CA", "fr"), ("FR", "fr"), ("en_GB", "en"), ("de", "en"), ("", "en"),
     (None, "en")],
)
def test_unknown_locales_fall_back_to_english(locale: str | None, expected: str) -> None:
    assert language(locale) == expected


def test_german_reader_gets_the_english_text() -> None:
    reason = Reason.of("final_sale")

    assert say(reason, "de") == say(reason, "en")


def test_a_date_or_amount_param_must_be_named_for_how_it_is_written() -> None:
    with pytest.raises(ValueError, match="_date"):
        Reason.of("window_passed", last_day=date(2026, 3, 12))
    with pytest.raises(ValueError, match="_amount"):
        Reason.of("return_shipping_fee", fee=Money.of("5.90", "EUR"))


def test_a_missing_param_shows_its_placeholder_instead_of_breaking_the_page() -> None:
    assert "{max_quantity}" in say(Reason("quantity_too_high"), "en")


def test_an_unknown_code_is_shown_as_is() -> None:
    assert say(Reason("no_such_code"), "fr") == "no_such_code"


def test_a_param_that_is_not_a_date_is_shown_as_given() -> None:
    assert "someday" in say(Reason("window_passed", {"last_day_date": "someday"}), "en")


def test_reason_survives_storage_as_a_dict() -> None:
    reason = Reason.of("quantity_too_high", max_quantity=2)

    assert Reason.from_dict(reason.to_dict()) == reason


@pytest.mark.parametrize(
    ("amount", "currency", "french", "english"),
    [
        ("12.50", "EUR", "12,50\u00a0€", "€12.50"),
        ("1234.5", "EUR", "1\u202f234,50\u00a0€", "€1,234.50"),
        ("1234567", "EUR", "1\u202f234\u202f567,00\u00a0€", "€1,234,567.00"),
        ("-3.20", "EUR", "-3,20\u00a0€", "-€3.20"),
        ("1500", "JPY", "1\u202f500\u00a0JPY", "¥1,500"),
        ("3.125", "KWD", "3,125\u00a0KWD", "KWD\u00a03.125"),
        ("19.99", "USD", "19,99\u00a0$US", "$19.99"),
        ("7", "CHF", "7,00\u00a0CHF", "CHF\u00a07.00"),
    ],
)
def test_money_is_written_the_way_each_language_writes_it(
    amount: str, currency: str, french: str, english: str
) -> None:
    money = Money.of(amount, currency)

    assert format_money(money, "fr") == french
    assert format_money(money, "en") == english


@pytest.mark.parametrize(
    ("day", "french", "english"),
    [
        (date(2026, 3, 15), "15 mars 2026", "March 15, 2026"),
        (date(2026, 3, 1), "1er mars 2026", "March 1, 2026"),
        (date(2026, 8, 31), "31 août 2026", "August 31, 2026"),
        (date(2026, 12, 2), "2 décembre 2026", "December 2, 2026"),
    ],
)
def test_dates_are_written_the_way_each_language_writes_them(day: date, french: str, english: str) -> None:
    assert format_date(day, "fr") == french
    assert format_date(day, "en") == english


def test_short_dates_put_the_day_first_in_french() -> None:
    assert format_date(date(2026, 3, 5), "fr", short=True) == "05/03/2026"
    assert format_date(date(2026, 3, 5), "en", short=True) == "03/05/2026"


def test_percentages_drop_useless_zeros() -> None:
    assert format_percent(Decimal("10.00"), "fr") == "10\u00a0%"
    assert format_percent(Decimal("10"), "en") == "10%"


def test_lists_are_joined_with_the_languages_conjunction() -> None:
    assert join_words(["a", "b", "c"], "fr", last="or") == "a, b ou c"
    assert join_words(["a", "b"], "en") == "a and b"
    assert join_words(["a"], "en") == "a"


@given(
    minor=st.integers(min_value=-10**12, max_value=10**12),
    currency=st.sampled_from(["EUR", "USD", "GBP", "JPY", "KWD", "CHF", "SEK"]),
)
def test_a_written_amount_reads_back_as_the_same_amount(minor: int, currency: str) -> None:
    money = Money.from_minor(minor, currency)

    english = format_money(money, "en")
    french = format_money(money, "fr")

    digits_en = re.sub(r"[^0-9.\-]", "", english)
    digits_fr = re.sub(r"[^0-9,\-]", "", french).replace(",", ".")
    assert Decimal(digits_en) == money.amount
    assert Decimal(digits_fr) == money.amount
    decimals = minor_units(currency)
    assert len(digits_en.partition(".")[2]) == decimals


def test_counted_texts_take_the_singular_in_each_language() -> None:
    one = Reason.of("auto_history_ok", previous_returns=1, max_previous_returns=3)
    many = Reason.of("auto_history_ok", previous_returns=2, max_previous_returns=3)
    none = Reason.of("auto_history_ok", previous_returns=0, max_previous_returns=3)

    assert say(one, "fr") == "Le client a 1 retour précédent, au plus 3."
    assert say(many, "fr") == "Le client a 2 retours précédents, au plus 3."
    assert say(none, "fr") == "Le client a 0 retour précédent, au plus 3."
    assert say(one, "en") == "The customer has 1 previous return, at most 3."
    assert say(none, "en") == "The customer has 0 previous returns, at most 3."
    assert "(s)" not in say(Reason.of("quantity_too_high", max_quantity=1), "fr")


@pytest.mark.parametrize("amount", ["0", "5.9", "73.10", "1234.5", "1234567.891"])
def test_french_money_numbers_and_percentages_are_written_as_babel_writes_them(amount: str) -> None:
    from babel.numbers import format_currency, format_decimal

    value = Decimal(amount)
    assert format_money(Money(value, "EUR"), "fr") == format_currency(value, "EUR", locale="fr_FR")
    assert format_money(Money(value, "EUR"), "en") == format_currency(value, "EUR", locale="en_US")
    assert format_number(value, "fr") == format_decimal(value, locale="fr", decimal_quantization=False)
    assert format_percent(Decimal("15.5"), "fr") == "15,5\u00a0%"


def test_a_number_for_a_form_field_is_written_without_grouping_so_it_reads_back() -> None:
    assert format_number(Decimal("1234.50"), "fr", grouped=False) == "1234,50"
    assert format_number(Decimal("1234.50"), "en", grouped=False) == "1234.50"
    assert format_number(Decimal("1234.5"), "fr", 2) == "1\u202f234,50"


def test_resolution_names_come_from_the_catalog() -> None:
    from connector.i18n import resolution_name

    assert [resolution_name(kind, "fr") for kind in ResolutionKind] == [
        "remboursement", "avoir", "bon de réduction", "échange"]
    assert resolution_name("no_such_kind", "fr") == "no_such_kind"
