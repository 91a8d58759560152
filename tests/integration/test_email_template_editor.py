"""The email template editor: the fields beside it with an example each, and a live preview rendered by the server.

The preview is a POST (CSRF-checked like every admin form) that renders the draft in the sandbox
with example values and saves nothing; a bad template gets a clear error naming its line.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.workflow import email_templates
from tests import builders
from tests.integration.test_admin_support import signed_in


def _preview(client: FlaskClient, slug: str, token: str, source: str, locale: str = "fr") -> dict[str, object]:
    answer = client.post(f"/admin/{slug}/emails/templates/{locale}/approve/preview",
                         data={"csrf_token": token, "source": source}, headers={"Accept-Language": "fr"})
    assert answer.status_code == 200
    found = answer.get_json()
    assert isinstance(found, dict)
    return found


def test_the_editor_lists_every_field_with_what_it_holds_and_an_example(client: FlaskClient,
                                                                        services: Services) -> None:
    shop = builders.shop(services)
    signed_in(client, services, shop)
    page = client.get(f"/admin/{shop.slug}/emails/templates/fr/approve",
                      headers={"Accept-Language": "fr"}).get_data(as_text=True)
    fields = page.split('id="fields"')[1].split("</table>")[0]
    for name in email_templates.FIELDS:
        assert "{{ " + name + " }}" in fields.replace("&#39;", "'")
    assert "La référence du retour" in fields
    assert "R-7KQ2MX" in fields
    assert "Boutique Claire" in fields
    assert "49,90\u00a0€" in fields
    assert 'src="/static/email_editor.js"' in page
    assert "<script>" not in page


def test_the_live_preview_renders_the_draft_and_saves_nothing(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    found = _preview(client, shop.slug, token, "Bonne nouvelle pour {{ reference }}\nBonjour,\n{{ shop.name }}")
    assert found == {"ok": True, "subject": "Bonne nouvelle pour R-7KQ2MX", "body": "Bonjour,\nBoutique Claire"}
    with services.uow() as uow:
        stored = uow.shops.get(shop.id)
    assert stored is not None
    assert email_templates.override(stored, "fr", "approve") is None


@pytest.mark.parametrize(("source", "said"), [
    ("Sujet {{ reference }}\nBonjour,\n\n{{ numero_de_commande }}\n",
     "Ligne 4\u202f: «\u202fnumero_de_commande\u202f» n’est pas un champ utilisable"),
    ("Sujet\nBonjour\n{% if %}\n", "Ligne 3\u202f: "),
    ("Sujet\n{{ ret.__class__.__mro__ }}\n", "Ligne 2\u202f: "),
    ("\nBonjour\n", "La ligne 1 est l’objet\u202f: elle ne peut pas être vide."),
])
def test_a_bad_template_gets_a_clear_error_with_its_line(client: FlaskClient, services: Services,
                                                         source: str, said: str) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    found = _preview(client, shop.slug, token, source)
    assert found["ok"] is False
    assert said in str(found["error"])
    saved = client.post(f"/admin/{shop.slug}/emails/templates/fr/approve",
                        data={"csrf_token": token, "action": "save", "source": source},
                        headers={"Accept-Language": "fr"})
    assert saved.status_code == 422
    assert said.split("«")[0] in saved.get_data(as_text=True).replace("&#39;", "'")
    with services.uow() as uow:
        stored = uow.shops.get(shop.id)
    assert stored is not None
    assert email_templates.override(stored, "fr", "approve") is None


def test_the_preview_needs_the_forms_csrf_token(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    signed_in(client, services, shop)
    answer = client.post(f"/admin/{shop.slug}/emails/templates/fr/approve/preview", data={"source": "S\nB"})
    assert answer.status_code in (400, 403)


def test_the_preview_of_an_unknown_email_is_not_found(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    answer = client.post(f"/admin/{shop.slug}/emails/templates/fr/nothing/preview",
                         data={"csrf_token": token, "source": "S\nB"})
    assert answer.status_code == 404
