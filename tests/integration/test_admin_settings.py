"""Email templates per shop and language, the emails list, failed jobs and the shop's settings."""

from __future__ import annotations

from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.workflow import email_templates
from tests import builders
from tests.integration.test_admin_support import request_return, signed_in


def test_a_template_is_previewed_saved_and_reset(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    url = f"/admin/{shop.slug}/emails/templates/fr/approve"
    source = "Bonne nouvelle pour {{ reference }}\nBonjour,\nC'est accepté. {{ shop.name }}"
    preview = client.post(url, data={"csrf_token": token, "action": "preview", "source": source})
    assert "Bonne nouvelle pour R-7KQ2MX" in preview.get_data(as_text=True)
    client.post(url, data={"csrf_token": token, "action": "save", "source": source})
    with services.uow() as uow:
        saved = uow.shops.get(shop.id)
    assert saved is not None
    assert email_templates.override(saved, "fr", "approve") == source
    client.post(url, data={"csrf_token": token, "action": "reset"})
    with services.uow() as uow:
        assert email_templates.override(uow.shops.get(shop.id), "fr", "approve") is None  # type: ignore[arg-type]


def test_a_broken_template_is_refused_with_the_reason(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    url = f"/admin/{shop.slug}/emails/templates/en/reject"
    for source in ("Hello {{ nothing_like_this }}\nbody", "Hi {% if %}\nbody",
                   "{{ ret.__class__.__mro__ }}\nbody"):
        response = client.post(url, data={"csrf_token": token, "action": "save", "source": source})
        assert response.status_code == 422, source
        assert 'id="source-error"' in response.get_data(as_text=True)
    with services.uow() as uow:
        assert email_templates.override(uow.shops.get(shop.id), "en", "reject") is None  # type: ignore[arg-type]


def test_an_override_renders_for_the_shop_and_a_failing_one_falls_back(services: Services) -> None:
    shop = builders.shop(services)
    email_templates.save_override(services, shop.id, "fr", "approve", "Accepté : {{ reference }}\nMerci")
    with services.uow() as uow:
        saved = uow.shops.get(shop.id)
    assert saved is not None
    context = email_templates.sample_context(saved, "fr", "https://x.test")
    assert email_templates.render_for_shop(saved, "approve", "fr", context) == ("Accepté : R-7KQ2MX", "Merci")
    assert email_templates.render_for_shop(saved, "approve", "fr", {}) is None  # missing value: default used
    assert email_templates.render_for_shop(saved, "reject", "fr", context) is None


def test_the_emails_page_lists_what_was_written(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    signed_in(client, services, shop)
    html = client.get(f"/admin/{shop.slug}/emails").get_data(as_text=True)
    assert reference in html
    assert "claire@example.com" in html


def test_settings_toggle_gateway_refunds_and_show_the_embed_snippet(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services, platform="woocommerce", domain="https://boutique.example")
    token = signed_in(client, services, shop)
    page = client.get(f"/admin/{shop.slug}/settings").get_data(as_text=True)
    assert f"/portal/{shop.slug}/" in page
    assert 'name="gateway_refunds"' in page
    client.post(f"/admin/{shop.slug}/settings", data={"csrf_token": token, "gateway_refunds": "yes",
                                                      "contact_email": "sav@boutique.example"})
    with services.uow() as uow:
        saved = uow.shops.get(shop.id)
        connection = uow.shops.connection(shop.id)
    assert saved is not None
    assert saved.options["gateway_refunds"] == "yes"
    assert connection.options["gateway_refunds"] == "yes"
    assert saved.contact_email == "sav@boutique.example"


def test_failed_jobs_page_and_a_retry_of_another_shops_job_is_refused(client: FlaskClient,
                                                                       services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    assert client.get(f"/admin/{shop.slug}/jobs").status_code == 200
    response = client.post(f"/admin/{shop.slug}/jobs/retry", data={"csrf_token": token, "kind": "outbox", "id": "999"})
    assert response.status_code == 302
    assert client.post(f"/admin/{shop.slug}/jobs/retry",
                       data={"csrf_token": token, "kind": "rq", "id": "x"}).status_code == 400
