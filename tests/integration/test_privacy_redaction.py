"""Compliance webhooks leave nothing behind: a customer seeded through webhooks, the portal and emails, then
customers/redact or shop/redact, then every table dumped as text and every file of the instance folder read."""

from __future__ import annotations

import base64
import copy
import io
import json
import re
import stat
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.bootstrap import Services
from connector.domain.policy import ReturnPolicy
from connector.domain.shops import Shop
from connector.jobs.relay import drain
from connector.persistence.tables import Base, OrderRow, WebhookDeliveryRow
from connector.workflow import returns as flow
from platforms.shopify.signatures import webhook_hmac
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import signed_in
from tests.integration.test_portal import JPEG, confirm, find_order, review
from tests.unit.shopify.conftest import SHOP, load_fixture

SECRET = "test-api-secret"
ORDER_ID = "5550001"
OTHER_ORDER_ID = "5550002"
CUSTOMER_ID = 7_700_441
# The customer's personal data as Shopify sends it: none of it may survive a redaction.
ZOE = {
    "email": "zoe.martinot@example.org", "first_name": "Zoelie", "last_name": "Martinot-Quesnel",
    "phone": "+33 6 98 76 54 31", "address1": "17 rue des Capucines", "city": "Montbrisonnet",
    "zip": "42697",
}
OTHER = {
    "email": "john.keeper@example.com", "first_name": "Johnathan", "last_name": "Keeperson",
    "phone": "+1 555 010 9999", "address1": "9 Maple Avenue", "city": "Springfieldia", "zip": "K2H7A8",
}
_events = iter(range(1, 10_000))


def post(client: FlaskClient, topic: str, body: dict[str, Any], shop_domain: str = SHOP) -> Any:
    raw = json.dumps(body).encode()
    return client.post("/webhooks/shopify", data=raw, content_type="application/json", headers={
        "X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": webhook_hmac(raw, SECRET),
        "X-Shopify-Shop-Domain": shop_domain, "X-Shopify-Webhook-Id": f"webhook-{next(_events)}",
        "X-Shopify-Event-Id": f"event-{next(_events)}", "X-Shopify-Triggered-At": "2026-06-15T09:59:58.000Z",
    })


def an_order(order_id: str, person: dict[str, str], customer_id: int, number: int) -> dict[str, Any]:
    body = copy.deepcopy(load_fixture("webhooks/orders__create.json"))
    address = {"first_name": person["first_name"], "last_name": person["last_name"], "address1": person["address1"],
               "city": person["city"], "zip": person["zip"], "phone": person["phone"],
               "name": f"{person['first_name']} {person['last_name']}", "country": "France", "country_code": "FR"}
    body.update(id=int(order_id), admin_graphql_api_id=f"gid://shopify/Order/{order_id}", name=f"#{number}",
                order_number=number, number=number - 1000, email=person["email"], contact_email=person["email"],
                phone=person["phone"], created_at="2026-06-01T10:00:00+02:00",
                processed_at="2026-06-01T10:00:00+02:00", updated_at="2026-06-02T10:00:00+02:00",
                shipping_address=address, billing_address=address, note=f"Livrer chez {person['last_name']}")
    body.update(cancelled_at=None, cancel_reason=None, closed_at=None, refunds=[], financial_status="paid")
    body["customer"] = {"id": customer_id, "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
                        "email": person["email"], "first_name": person["first_name"],
                        "last_name": person["last_name"], "phone": person["phone"], "default_address": address}
    body["fulfillments"] = [{
        "id": int(order_id) + 1, "status": "success", "created_at": "2026-06-03T10:00:00+02:00",
        "updated_at": "2026-06-05T10:00:00+02:00", "shipment_status": "delivered",
        "line_items": [{"id": li["id"], "quantity": li["quantity"]} for li in body["line_items"]],
    }]
    return body


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services, platform="shopify", domain=SHOP, name="Maison Claire",
                          credentials={"access_token": "shpat_test"},
                          policy=ReturnPolicy(currency="USD", window_days=60,
                                                        allowed_resolutions=("refund",)).to_dict())
    with services.uow() as uow:
        found = uow.shops.update(found.id, contact_email="marchand@maison.example")
        uow.commit()
    return found


def dump_database(services: Services) -> str:
    """Every column of every row of every table, as text."""
    parts: list[str] = []
    with services.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        value = bytes(value).decode("utf-8", "replace")
                    parts.append(f"{table.name}: {value}")
    return "\n".join(parts)


def instance_files(services: Services) -> dict[Path, bytes]:
    root = Path(services.settings.instance_path)
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} if root.exists() else {}


def traces(person: dict[str, str], services: Services) -> list[str]:
    """Where any piece of the person's data still is, in the database or the instance folder."""
    found = []
    dump = dump_database(services).lower()
    files = {p: b.lower() for p, b in instance_files(services).items()}
    for key, value in person.items():
        needle = value.lower()
        found += [f"{key} in the database: {ln[:200]}" for ln in dump.splitlines() if needle in ln]
        for path, content in files.items():
            if needle.encode() in content:
                found.append(f"{key} in {path}")
    return found


def seed_customer(client: FlaskClient, services: Services, shop: Shop) -> str:
    """Zoe's order by webhook, her return with a comment and a photo through the portal, the emails it sent,
    a merchant note naming her, and a data request's export. Returns the return's reference."""
    assert post(client, "orders/create", an_order(ORDER_ID, ZOE, CUSTOMER_ID, 1201)).status_code == 200
    assert post(client, "orders/create", an_order(OTHER_ORDER_ID, OTHER, CUSTOMER_ID + 1, 1202)).status_code == 200
    with services.uow() as uow:
        order = uow.scope(shop).orders.get(ORDER_ID)
    assert order is not None
    assert order.customer.postal_code == ZOE["zip"]
    line_id = order.lines[0].platform_line_id
    assert find_order(client, shop.slug, contact=ZOE["email"], number="1201").status_code == 302
    page = client.get(f"/portal/{shop.slug}/order")
    assert page.status_code == 200
    reviewed = review(client, shop.slug, **{
        "line-0": line_id, "reason-0": "defective",
        "comment-0": f"{ZOE['first_name']} {ZOE['last_name']}, {ZOE['phone']}: couture ouverte",
        "photos-0": (io.BytesIO(JPEG + ZOE["address1"].encode()), "photo.jpg")})
    assert reviewed.status_code == 200, re.findall(r"<li>([^<]+)</li>", reviewed.get_data(as_text=True))
    assert confirm(client, shop.slug, reviewed).status_code == 302
    drain(services)  # the emails the request wrote, sent (written under instance/mail/ without SMTP)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order(ORDER_ID)
    flow.add_note(services, shop.id, ret.reference, "marchand@maison.example",
                  f"Appelé {ZOE['first_name']} au {ZOE['phone']}, {ZOE['city']} {ZOE['zip']}")
    request = copy.deepcopy(load_fixture("webhooks/customers__data_request.json"))
    request["customer"] = {"id": CUSTOMER_ID, "email": ZOE["email"], "phone": ZOE["phone"]}
    request["orders_requested"] = [int(ORDER_ID)]
    assert post(client, "customers/data_request", request).status_code == 200
    drain(services)
    return ret.reference


def test_seeding_puts_the_customer_everywhere_the_redaction_must_reach(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    seed_customer(client, services, shop)
    where = "\n".join(traces(ZOE, services))
    # The proof that the redaction test below looks in the right places.
    for place in ("webhook_deliveries", "emails", "orders", "timeline_events", "return_items", "/mail/",
                  "/uploads/", "/exports/"):
        assert place in where, f"the seed left nothing in {place}"


def test_customers_redact_leaves_nothing_of_the_customer(client: FlaskClient, services: Services, shop: Shop) -> None:
    reference = seed_customer(client, services, shop)
    redact = copy.deepcopy(load_fixture("webhooks/customers__redact.json"))
    redact["customer"] = {"id": CUSTOMER_ID, "email": ZOE["email"], "phone": ZOE["phone"]}
    redact["orders_to_redact"] = [int(ORDER_ID)]
    assert post(client, "customers/redact", redact).status_code == 200
    drain(services)

    assert traces(ZOE, services) == []
    # The other customer and the shop's figures stay.
    assert traces(OTHER, services) != []
    with services.uow() as uow:
        scope = uow.scope(shop)
        assert scope.orders.get(OTHER_ORDER_ID).customer.email == OTHER["email"]  # type: ignore[union-attr]
        ret = scope.returns.get_by_reference(reference)
        assert ret is not None
        assert ret.items[0].quantity == 1
        statuses = set(uow.session.scalars(select(WebhookDeliveryRow.status)))
    assert statuses <= {"processed", "ignored"}


def test_customers_redact_by_customer_id_alone_finds_the_orders_and_a_second_one_changes_nothing(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    seed_customer(client, services, shop)
    redact = {"shop_id": 1, "shop_domain": SHOP, "customer": {"id": CUSTOMER_ID, "email": None, "phone": None},
              "orders_to_redact": []}
    assert post(client, "customers/redact", redact).status_code == 200
    drain(services)
    assert traces(ZOE, services) == []
    before = dump_database(services)
    assert post(client, "customers/redact", redact).status_code == 200
    drain(services)
    after = dump_database(services)
    # Only the second delivery's own row is new.
    assert set(after.splitlines()) - set(before.splitlines()) <= {
        ln for ln in after.splitlines() if ln.startswith("webhook_deliveries")}


def test_customers_redact_by_orders_to_redact_alone(client: FlaskClient, services: Services, shop: Shop) -> None:
    seed_customer(client, services, shop)
    redact = {"shop_id": 1, "shop_domain": SHOP, "customer": {"email": None}, "orders_to_redact": [int(ORDER_ID)]}
    assert post(client, "customers/redact", redact).status_code == 200
    drain(services)
    assert traces(ZOE, services) == []


def test_shop_redact_deletes_every_row_and_file_of_the_shop(client: FlaskClient, services: Services, shop: Shop) -> None:
    other = builders.shop(services, platform="manual", domain="autre.example", name="Autre boutique")
    builders.stored_order(services, other)
    seed_customer(client, services, shop)
    with services.uow() as uow:
        flow_token = uow.api_tokens.add(shop.id, "a" * 64, "erp", services.clock.now())
        uow.commit()
    assert flow_token
    body = copy.deepcopy(load_fixture("webhooks/shop__redact.json"))
    body["shop_domain"] = SHOP
    assert post(client, "shop/redact", body).status_code == 200
    drain(services)

    assert traces(ZOE, services) == []
    assert traces(OTHER, services) == []
    dump = dump_database(services)
    assert SHOP not in dump
    assert "Maison Claire" not in dump
    assert not [p for p in instance_files(services) if f"/{shop.id}" in str(p) or f"{shop.id}-" in p.name]
    with services.uow() as uow:
        assert uow.shops.get(shop.id) is None
        # The other shop is untouched.
        assert uow.scope(other).orders.get("1001") is not None
        assert {r.shop_id for r in uow.session.scalars(select(OrderRow))} == {other.id}
    # A delivery for the erased shop is an unknown shop.
    assert post(client, "orders/create", an_order(ORDER_ID, ZOE, CUSTOMER_ID, 1201)).status_code == 404


def test_raw_bodies_are_blanked_by_the_schedule_after_the_retention_period(
    client: FlaskClient, services: Services, shop: Shop, clock: FrozenClock,
) -> None:
    from connector.jobs import schedule

    # Whatever ran before in these services (the request path, the relay) does not hold the purge back.
    services.schedule_runs.clear()
    assert post(client, "orders/create", an_order(ORDER_ID, ZOE, CUSTOMER_ID, 1201)).status_code == 200
    clock.advance(days=29)
    assert post(client, "orders/create", an_order(OTHER_ORDER_ID, OTHER, CUSTOMER_ID + 1, 1202)).status_code == 200
    clock.advance(days=1, seconds=1)
    assert schedule.run_due(services, is_wanted=lambda p: p.name == "purge-webhook-bodies") == [
        "purge-webhook-bodies"]
    with services.uow() as uow:
        bodies = [bytes(b) for b in uow.session.scalars(select(WebhookDeliveryRow.body).order_by(WebhookDeliveryRow.id))]
    # Past 30 days: blanked (the row stays, so a repeat is still recognised); within them: kept.
    assert bodies[0] == b"{}"
    assert OTHER["email"].encode() in bodies[1]
    # The order itself stays: only the raw copy goes.
    with services.uow() as uow:
        assert uow.scope(shop).orders.get(ORDER_ID) is not None


def test_the_retention_period_is_read_from_the_environment() -> None:
    from connector.config import Settings

    base = {"SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": "k", "INSTANCE_PATH": "/tmp/unused-instance"}
    assert Settings.from_env(base).webhook_body_retention_days == 30
    assert Settings.from_env({**base, "WEBHOOK_BODY_RETENTION_DAYS": "7"}).webhook_body_retention_days == 7
    with pytest.raises(ValueError, match="WEBHOOK_BODY_RETENTION_DAYS"):
        Settings.from_env({**base, "WEBHOOK_BODY_RETENTION_DAYS": "soon"})


# ---- customers/data_request ----

def test_a_data_request_exports_everything_for_the_merchant_only_and_emails_the_merchant(
    client: FlaskClient, services: Services, shop: Shop,
) -> None:
    seed_customer(client, services, shop)
    with services.uow() as uow:
        [(name, _written)] = uow.scope(shop).data_requests.exports()
    path = Path(services.settings.instance_path) / "exports" / str(shop.id) / name
    # Never world-readable: the app's user only, the folder too.
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["customer"]["emails"] == [ZOE["email"]]
    assert data["customer"]["names"] == [f"{ZOE['first_name']} {ZOE['last_name']}"]
    assert data["customer"]["postal_codes"] == [ZOE["zip"]]
    assert [o["number"] for o in data["orders"]] == ["#1201"]
    [ret] = data["returns"]
    [photo] = ret["items"][0]["photos"]
    assert base64.b64decode(photo["base64"]) == JPEG + ZOE["address1"].encode()
    assert ZOE["phone"] in ret["items"][0]["comment"]
    assert {e["to"] for e in data["emails_sent"]} >= {ZOE["email"]}
    assert any(ret["reference"] in e["subject"] for e in data["emails_sent"])

    # The merchant is told, in the shop's language, without the customer's data in the email.
    with services.uow() as uow:
        told = [e for e in uow.scope(shop).emails.recent() if "9999" in e.subject]
    assert [e.to for e in told] == ["marchand@maison.example"]
    assert told[0].subject.startswith("Demande d'accès aux données")
    assert ZOE["email"] not in told[0].body
    assert "/admin/" in told[0].body

    # Downloaded from the admin by the shop's signed-in merchant only.
    url = f"/admin/{shop.slug}/data-requests/{name}"
    assert client.get(url).status_code in (302, 401)
    signed_in(client, services, shop)
    listing = client.get(f"/admin/{shop.slug}/customers").get_data(as_text=True)
    assert name in listing
    download = client.get(url)
    assert download.status_code == 200
    assert download.headers["Cache-Control"] == "no-store"
    assert "attachment" in download.headers["Content-Disposition"]
    assert json.loads(download.data)["customer"]["emails"] == [ZOE["email"]]
    assert client.get(f"/admin/{shop.slug}/data-requests/..%2Fsecret_key").status_code == 404
    assert client.get(f"/admin/{shop.slug}/data-requests/data-request-1.json").status_code == 404


def test_another_shops_merchant_cannot_download_the_export(
    client: FlaskClient, services: Services, shop: Shop, app: Flask,
) -> None:
    seed_customer(client, services, shop)
    other = builders.shop(services, platform="manual", domain="autre.example", name="Autre boutique")
    stranger = app.test_client()
    signed_in(stranger, services, other, email="autre@autre.example")
    with services.uow() as uow:
        [(name, _written)] = uow.scope(shop).data_requests.exports()
    assert stranger.get(f"/admin/{other.slug}/data-requests/{name}").status_code == 404
    assert stranger.get(f"/admin/{shop.slug}/data-requests/{name}").status_code in (302, 401, 403)


@pytest.mark.parametrize(("locale", "subject"), [("fr", "Demande d'accès aux données d'un client (42)"),
                                                 ("en", "Customer data request (42)")])
def test_the_data_request_email_exists_in_french_and_english(shop: Shop, locale: str, subject: str) -> None:
    from connector.workflow.notifications import render_email

    title, body = render_email("merchant_data_request", locale, {
        "shop": shop, "request_id": "42", "platform": "Shopify", "admin_url": "https://app.example/admin/x/customers"})
    assert title == subject
    assert "https://app.example/admin/x/customers" in body
