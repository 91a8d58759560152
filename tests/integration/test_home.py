"""The first page a newcomer sees, in French and English."""

from __future__ import annotations

from flask.testing import FlaskClient

from connector.bootstrap import Services
from tests import builders


def test_home_explains_the_app_in_french_by_default(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept-Language": "fr-FR"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<html lang="fr">' in text
    assert "Connecter votre boutique" in text
    assert "returns-connector demo" in text


def test_home_speaks_english_to_an_english_browser(client: FlaskClient) -> None:
    text = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in text
    assert "Connect your shop" in text


def test_chosen_language_is_remembered(client: FlaskClient) -> None:
    answer = client.get("/lang/en?next=/")
    assert answer.status_code == 302
    assert answer.headers["Location"] == "/"
    text = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Connect your shop" in text


def test_language_switch_never_redirects_off_site(client: FlaskClient) -> None:
    answer = client.get("/lang/fr?next=//evil.example/")
    assert answer.headers["Location"] == "/"


def test_home_lists_shops_with_their_portal_and_admin(client: FlaskClient, services: Services) -> None:
    builders.shop(services, name="Boutique Claire")
    text = client.get("/").get_data(as_text=True)
    assert "Boutique Claire" in text
    assert "/portal/boutique-claire/" in text


def test_unknown_page_is_a_translated_404(client: FlaskClient) -> None:
    page = client.get("/nowhere", headers={"Accept-Language": "fr"})
    assert page.status_code == 404
    assert "Page introuvable" in page.get_data(as_text=True)
