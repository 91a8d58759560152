"""Helpers shared by the admin tests (no tests here): shops, signed-in clients, session tokens, seeded returns."""

from __future__ import annotations

import re
from datetime import datetime

import jwt
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.web.auth import create_merchant_user
from connector.workflow import returns as flow
from tests import builders

PASSWORD = "correct horse battery"


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def signed_in(client: FlaskClient, services: Services, shop: Shop, email: str = "owner@boutique.example") -> str:
    """Create a merchant user for `shop`, sign in through the form; return a CSRF token for later posts."""
    create_merchant_user(services, shop.id, email, PASSWORD)
    page = client.get(f"/admin/{shop.slug}/login")
    response = client.post(f"/admin/{shop.slug}/login", data={
        "email": email, "password": PASSWORD, "csrf_token": csrf_from(page.get_data(as_text=True)),
        "mode": "password"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return csrf_from(client.get(f"/admin/{shop.slug}/").get_data(as_text=True))


def session_token(now: datetime, *, dest: str = "claire.myshopify.com", aud: str = "test-api-key",
                  secret: str = "test-api-secret", lifetime: int = 60, issued_ago: int = 0) -> str:  # noqa: S107
    issued = int(now.timestamp()) - issued_ago
    return jwt.encode({
        "iss": f"https://{dest}/admin", "dest": f"https://{dest}", "aud": aud, "sub": "42",
        "exp": issued + lifetime, "nbf": issued, "iat": issued, "jti": "jti-1", "sid": "sid-1",
    }, secret, algorithm="HS256")


def shopify_shop(services: Services, domain: str = "claire.myshopify.com", name: str = "Claire Shopify") -> Shop:
    return builders.shop(services, platform="shopify", domain=domain, name=name)


def request_return(services: Services, shop: Shop, order_id: str = "1001", *, reason: str = "size_too_small",
                   resolution: ResolutionKind = ResolutionKind.REFUND, line_id: str = "L1", quantity: int = 1,
                   comment: str = "Trop petit") -> str:
    opened = flow.open_return_request(
        services, shop.id, order_id,
        [flow.WantedItem(line_id, quantity, reason, resolution, comment=comment)], channel=Channel.PORTAL)
    return opened.ret.reference


def through_inspection(services: Services, shop: Shop, reference: str) -> None:
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant",
                 {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
