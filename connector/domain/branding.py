"""The shop's branding (logo and colour), as the portal and the emails show it. Standard library only.

Kept in `shops.options["branding"]` (no column: it is presentation, read with the shop). Only
values that passed `checked_branding` are stored, so a stored colour is always `#rrggbb` and a
stored logo an https address without characters that could leave an HTML attribute or a CSS
value; readers still go through `branding_of`, which drops anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

DEFAULT_COLOUR = "#005bd3"  # the portal's own accent
MAX_LOGO_URL = 500
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
# No quotes, brackets, spaces or backslashes: the address goes into src="..." and url(...).
_SAFE_URL = re.compile(r"^https://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~!$&*+,;=:@%/-]*)?(\?[A-Za-z0-9._~!$&*+,;=:@%/?-]*)?$")


class InvalidBranding(ValueError):
    """A logo address or colour the shop cannot use; `field` says which ("logo_url" or "colour")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Branding:
    logo_url: str = ""
    colour: str = DEFAULT_COLOUR

    @property
    def on_colour(self) -> str:
        """Text colour readable on `colour` (WCAG relative luminance, the better of black and white)."""
        return "#000000" if _contrast(self.colour, "#000000") >= _contrast(self.colour, "#ffffff") else "#ffffff"

    @property
    def link_colour(self) -> str:
        """`colour` for links on white when it reads there (4.5:1), else the ink colour."""
        return self.colour if _contrast(self.colour, "#ffffff") >= 4.5 else "#1a1c1e"

    def as_options(self) -> dict[str, str]:
        return {"logo_url": self.logo_url, "colour": self.colour}


def checked_colour(raw: str) -> str:
    value = raw.strip().lower()
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    if not _COLOUR.match(value):
        raise InvalidBranding("colour", f"not a colour like #1a6b3c: {raw[:20]!r}")
    return value


def checked_logo_url(raw: str) -> str:
    value = raw.strip()
    if not value:
        return ""
    if len(value) > MAX_LOGO_URL:
        raise InvalidBranding("logo_url", f"longer than {MAX_LOGO_URL} characters")
    parts = urlsplit(value)
    if parts.scheme != "https" or not _SAFE_URL.match(value) or "@" in parts.netloc:
        raise InvalidBranding("logo_url", "not an https:// address of an image")
    return value


def checked_branding(logo_url: str, colour: str) -> Branding:
    """The branding a merchant typed, checked; raises InvalidBranding naming the field."""
    return Branding(logo_url=checked_logo_url(logo_url), colour=checked_colour(colour or DEFAULT_COLOUR))


def branding_of(options: dict[str, Any]) -> Branding:
    """The shop's branding from its options; anything that does not check out falls back to the default."""
    raw = options.get("branding")
    if not isinstance(raw, dict):
        return Branding()
    try:
        logo = checked_logo_url(str(raw.get("logo_url", "")))
    except InvalidBranding:
        logo = ""
    try:
        colour = checked_colour(str(raw.get("colour", DEFAULT_COLOUR)))
    except InvalidBranding:
        colour = DEFAULT_COLOUR
    return Branding(logo, colour)


def _luminance(colour: str) -> float:
    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.03928 else float(((c + 0.055) / 1.055) ** 2.4)

    return 0.2126 * channel(colour[1:3]) + 0.7152 * channel(colour[3:5]) + 0.0722 * channel(colour[5:7])


def _contrast(a: str, b: str) -> float:
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)
