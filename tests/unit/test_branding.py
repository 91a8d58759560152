"""The shop's branding: only a #rrggbb colour and a plain https logo address are ever kept or shown."""

from __future__ import annotations

import pytest

from connector.domain.branding import DEFAULT_COLOUR, Branding, InvalidBranding, branding_of, checked_branding


def test_a_short_or_upper_case_colour_is_kept_in_its_long_lower_case_form() -> None:
    assert checked_branding("", "#ABC").colour == "#aabbcc"
    assert checked_branding(" https://cdn.example/l.png ", "#1A6B3C") == Branding("https://cdn.example/l.png", "#1a6b3c")


def test_no_colour_given_is_the_default() -> None:
    assert checked_branding("", "").colour == DEFAULT_COLOUR


@pytest.mark.parametrize("colour", ["red", "#12345", "#1a6b3c;x", "1a6b3c", "#gggggg"])
def test_a_colour_that_is_not_hex_is_refused_naming_the_field(colour: str) -> None:
    with pytest.raises(InvalidBranding) as refused:
        checked_branding("", colour)
    assert refused.value.field == "colour"


@pytest.mark.parametrize("logo", ["http://a.example/l.png", "javascript:alert(1)", "https://a.example/l.png\"onerror=x",
                                  "https://a.example/l (1).png", "https://user@a.example/l.png", "//a.example/l.png"])
def test_a_logo_that_is_not_a_plain_https_address_is_refused(logo: str) -> None:
    with pytest.raises(InvalidBranding) as refused:
        checked_branding(logo, "#000000")
    assert refused.value.field == "logo_url"


def test_stored_values_that_do_not_check_out_fall_back_to_the_defaults() -> None:
    assert branding_of({"branding": {"logo_url": "javascript:x", "colour": "expression(1)"}}) == Branding()
    assert branding_of({"branding": "nonsense"}) == Branding()
    assert branding_of({}) == Branding()


def test_text_on_the_colour_is_whichever_of_black_and_white_reads_better() -> None:
    assert Branding("", "#ffdd00").on_colour == "#000000"
    assert Branding("", "#1a6b3c").on_colour == "#ffffff"
    assert Branding("", "#ffdd00").link_colour == "#1a1c1e"  # yellow links on white would not read
    assert Branding("", "#1a6b3c").link_colour == "#1a6b3c"
