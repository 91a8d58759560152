"""The HTML part of every email, drawn from its plain text and the shop's branding.

The plain text stays the email (stored, shown in the admin, what a merchant's template writes);
the HTML part is the same words laid out: the shop's logo and colour on top, paragraphs, and a
line that ends with an address ("Suivre votre retour : https://…") becomes a button in the
shop's colour. Drawing the HTML from the text means a merchant's own template gets the same
layout, and the two parts can never say different things. Inline CSS only (mail clients drop
<style> and never run scripts). Imports the domain and Jinja2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from connector.domain.branding import Branding, branding_of
from connector.domain.shops import Shop

if TYPE_CHECKING:
    from connector.ports.storage import ShopScope, StoredEmail

LAYOUT = Path(__file__).resolve().parent.parent.parent / "templates" / "emails" / "html"
_URL = re.compile(r"https?://[^\s<>\"']+")
# A line that is a label then an address: "Ouvrir la demande : https://…" or "Track your return: https://…".
_ACTION = re.compile(r"^(?P<label>[^\s].*?)[\s\u202f\u00a0]*:[\s\u202f\u00a0]*(?P<url>https?://[^\s<>\"']+)$")

_env = Environment(loader=FileSystemLoader(str(LAYOUT)), undefined=StrictUndefined, autoescape=True,
                   keep_trailing_newline=False)


@dataclass(frozen=True)
class Piece:
    """A run of a line: text, or a link (kind "link"), or a whole line that is a button (kind "button")."""

    kind: str
    text: str
    url: str = ""


def _pieces(line: str) -> list[Piece]:
    found = _ACTION.match(line.strip())
    if found:
        return [Piece("button", found["label"], found["url"])]
    pieces: list[Piece] = []
    at = 0
    for match in _URL.finditer(line):
        url = match.group(0).rstrip(".,;)")
        if match.start() > at:
            pieces.append(Piece("text", line[at:match.start()]))
        pieces.append(Piece("link", url, url))
        at = match.start() + len(url)
    if at < len(line):
        pieces.append(Piece("text", line[at:]))
    return pieces


def paragraphs(body: str) -> list[list[list[Piece]]]:
    """Paragraphs (split on blank lines) of lines of pieces."""
    blocks = [b for b in re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip("\n")) if b.strip()]
    return [[_pieces(line) for line in block.split("\n") if line.strip()] for block in blocks]


def render_html(shop: Shop, subject: str, body: str, lang: str, branding: Branding | None = None) -> str:
    """The HTML part for an email of this shop: same words as `body`, in the shop's colours."""
    brand = branding or branding_of(shop.options)
    return _env.get_template("layout.html").render(
        shop_name=shop.name, subject=subject, paragraphs=paragraphs(body), lang=lang if lang in ("fr", "en") else "en",
        logo_url=brand.logo_url, colour=brand.colour, on_colour=brand.on_colour, link_colour=brand.link_colour,
    )


def fill_message(message: EmailMessage, shop: Shop, subject: str, body: str, lang: str) -> None:
    """Give `message` its two parts, plain text first (multipart/alternative: the client shows the last it can)."""
    message.set_content(body)
    message.add_alternative(render_html(shop, subject, body, lang), subtype="html")


def email_language(scope: ShopScope, email: StoredEmail) -> str:
    """The language an email was written in: the merchant's for the shop's address, else its return's."""
    shop = scope.shop
    if email.return_id is None or (shop.contact_email and email.to == shop.contact_email):
        return shop.locale
    ret = scope.returns.get(email.return_id)
    return ret.locale if ret is not None else shop.locale
