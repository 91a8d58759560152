"""Every email goes out as multipart/alternative: the plain text, and the same words in HTML in the shop's colours.

The sent MIME is parsed as a mail client would: both parts, the link, the colour, the logo, and the
French typography of both parts (the check of test_french_everywhere).
"""

from __future__ import annotations

import email
import re
from email.message import EmailMessage
from email.policy import default

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.branding import Branding
from connector.domain.returns import Channel, ResolutionKind
from connector.domain.shops import Shop
from connector.jobs.relay import wait_idle
from connector.workflow import returns as flow
from tests import builders
from tests.integration.test_admin_support import signed_in
from tests.integration.test_french_everywhere import problems, visible

LOGO = "https://cdn.boutique.example/logo.png"


def _branded_shop(services: Services, locale: str = "fr") -> Shop:
    shop = builders.shop(services, locale=locale) if locale != "fr" else builders.shop(services)
    with services.uow() as uow:
        uow.shops.update(shop.id, contact_email="equipe@boutique.example",
                         options={**shop.options, "branding": {"logo_url": LOGO, "colour": "#1a6b3c"}})
        uow.commit()
        found = uow.shops.get(shop.id)
    assert found is not None
    return found


def _ask(services: Services, shop: Shop, locale: str = "fr") -> str:
    builders.stored_order(services, shop)
    opened = flow.open_return_request(
        services, shop.id, "1001", [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL, locale=locale)
    wait_idle(services)
    return opened.ret.reference


def _sent(services: Services, to: str) -> list[EmailMessage]:
    found = []
    for path in sorted((services.settings.instance_path / "mail").glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=default)
        assert isinstance(message, EmailMessage)
        if message["To"] == to:
            found.append(message)
    return found


def _parts(message: EmailMessage) -> tuple[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    kinds = [part.get_content_type() for part in message.iter_parts()]
    assert kinds == ["text/plain", "text/html"]  # the richest last: clients show the last they can
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


def test_the_shoppers_email_has_a_plain_and_an_html_part_in_the_shops_colours(services: Services) -> None:
    shop = _branded_shop(services)
    _ask(services, shop)
    [message] = _sent(services, "claire@example.com")
    text, html = _parts(message)
    assert "Suivre votre retour" in text
    assert "Suivre votre retour" in visible(html)
    assert "#1a6b3c" in html
    assert f'src="{LOGO}"' in html
    assert 'alt="Boutique Claire"' in html
    tracking = next(w for w in text.split() if "/track/" in w)
    assert f'href="{tracking}"' in html  # the line "Suivre votre retour : <address>" is a button
    assert '<html lang="fr">' in html
    assert "<script" not in html
    assert "<style" not in html
    assert "<link" not in html


def test_both_parts_of_a_french_email_keep_french_typography(services: Services) -> None:
    shop = _branded_shop(services)
    reference = _ask(services, shop)
    flow.approve(services, shop.id, reference, "merchant", "Bien reçu\u202f; à bientôt\u202f!")
    wait_idle(services)
    messages = _sent(services, "claire@example.com") + _sent(services, "equipe@boutique.example")
    assert len(messages) == 3
    for message in messages:
        text, html = _parts(message)
        assert problems(text) == [], message["Subject"]
        assert problems(visible(html)) == [], message["Subject"]
    approved_text, approved_html = _parts(messages[1])
    for part in (approved_text, visible(approved_html)):
        assert "Bien reçu\u202f; à bientôt\u202f!" in part


def test_the_merchants_new_request_email_links_to_the_return_in_both_parts(services: Services) -> None:
    shop = _branded_shop(services)
    reference = _ask(services, shop)
    [message] = _sent(services, "equipe@boutique.example")
    text, html = _parts(message)
    address = f"{services.settings.app_url}/admin/{shop.slug}/returns/{reference}"
    assert address in text
    assert f'href="{address}"' in html
    assert "Ouvrir la demande" in visible(html)
    assert "background:#1a6b3c" in html


def test_an_english_email_is_english_in_both_parts(services: Services) -> None:
    shop = _branded_shop(services)
    _ask(services, shop, locale="en")
    [message] = _sent(services, "claire@example.com")
    text, html = _parts(message)
    assert "Track your return" in text
    assert "Track your return" in re.sub(r"<[^>]+>", "", html)
    assert '<html lang="en">' in html


def test_a_shop_without_branding_gets_the_default_colour_and_its_name_instead_of_a_logo(services: Services) -> None:
    shop = builders.shop(services)
    _ask(services, shop)
    [message] = _sent(services, "claire@example.com")
    _, html = _parts(message)
    assert "<img" not in html
    assert "Boutique Claire" in visible(html)
    assert "#005bd3" in html


def test_a_light_colour_gets_dark_text_and_readable_links(services: Services) -> None:
    from connector.workflow.email_html import render_html

    shop = _branded_shop(services)
    html = render_html(shop, "Sujet", "Voir https://exemple.fr/a\n\nSuivre votre retour\u202f: https://exemple.fr/t",
                       "fr", branding=Branding("", "#ffdd00"))
    assert "background:#ffdd00;color:#000000" in html
    assert 'href="https://exemple.fr/a" style="color:#1a1c1e"' in html


def test_a_merchants_own_template_gets_the_html_layout_too(services: Services) -> None:
    from connector.workflow.email_templates import save_override

    shop = _branded_shop(services)
    save_override(services, shop.id, "fr", "requested",
                  "Bien reçu\u202f: {{ reference }}\nMerci <b>!</b>\n\nVotre suivi\u202f: {{ tracking_url }}\n")
    _ask(services, shop)
    [message] = _sent(services, "claire@example.com")
    text, html = _parts(message)
    assert "Merci <b>!</b>" in text
    assert "Merci &lt;b&gt;!&lt;/b&gt;" in html  # the merchant's text is text in HTML, never markup
    assert "Votre suivi" in visible(html)
    assert "/track/" in html


# ---- the settings where the merchant sets them ----

def _settings_form(colour: str, logo: str) -> dict[str, str]:
    return {"contact_email": "", "return_address": "", "logo_url": logo, "colour": colour}


def test_the_merchant_sets_logo_and_colour_in_the_settings(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    answer = client.post(f"/admin/{shop.slug}/settings", data={**_settings_form("#1A6B3C", LOGO), "csrf_token": token})
    assert answer.status_code == 302
    with services.uow() as uow:
        stored = uow.shops.get(shop.id)
    assert stored is not None
    assert stored.options["branding"] == {"logo_url": LOGO, "colour": "#1a6b3c"}
    page = client.get(f"/admin/{shop.slug}/settings").get_data(as_text=True)
    assert 'value="#1a6b3c"' in page
    assert f'value="{LOGO}"' in page


@pytest.mark.parametrize(("colour", "logo", "said"), [
    ("vert", "", "La couleur s’écrit comme #1a6b3c."),
    ("#1a6b3c;background:url(x)", "", "La couleur s’écrit comme #1a6b3c."),
    ("#1a6b3c", "http://boutique.example/logo.png", "Le logo doit être une adresse https://"),
    ("#1a6b3c", "javascript:alert(1)", "Le logo doit être une adresse https://"),
    ("#1a6b3c", 'https://x.example/a".png', "Le logo doit être une adresse https://"),
    ("#1a6b3c", "https://x.example/" + "a" * 600, "Le logo doit être une adresse https://"),
])
def test_a_bad_logo_or_colour_is_refused_with_a_clear_message_and_nothing_saved(
        client: FlaskClient, services: Services, colour: str, logo: str, said: str) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    answer = client.post(f"/admin/{shop.slug}/settings", data={**_settings_form(colour, logo), "csrf_token": token,
                                                             "return_address": "changed"},
                         headers={"Accept-Language": "fr"}, follow_redirects=True)
    assert answer.status_code == 200
    assert said in answer.get_data(as_text=True)
    with services.uow() as uow:
        stored = uow.shops.get(shop.id)
    assert stored is not None
    assert "branding" not in stored.options
    assert stored.return_address == ""


# ---- the portal ----

def test_the_portal_shows_the_shops_logo_and_colour(client: FlaskClient, services: Services) -> None:
    shop = _branded_shop(services)
    page = client.get(f"/portal/{shop.slug}/").get_data(as_text=True)
    assert f'src="{LOGO}"' in page
    assert 'alt="Boutique Claire"' in page
    css_link = next(part.split('"')[0] for part in page.split('href="')[1:] if "brand.css" in part.split('"')[0])
    css = client.get(css_link.replace("&amp;", "&"))
    assert css.status_code == 200
    assert css.mimetype == "text/css"
    assert "--accent:#1a6b3c" in css.get_data(as_text=True)
    assert "script-src 'self'" in css.headers["Content-Security-Policy"]
