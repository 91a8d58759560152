"""A new platform plugs in through the registration the entry point loader uses: the tiny adapter takes a return end to end."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from importlib.metadata import EntryPoint

import pytest
from flask.testing import FlaskClient

from connector import bootstrap
from connector.bootstrap import AdapterLoadError, Services, load_adapters
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind, ReturnStatus
from connector.jobs.relay import wait_idle
from connector.ports.registry import PlatformRegistry, register_platform
from connector.workflow import returns as flow
from tests import builders
from tests.plugins import tiny_platform
from tests.plugins.tiny_platform import TinyAdapter, create_adapter, create_half_adapter, sign

SECRET = "tiny-secret"
DOMAIN = "tiny.example"


def _register_tiny(services: Services) -> TinyAdapter:
    adapter = register_platform(services.adapters, "tiny", create_adapter, services.settings.adapter_settings(),
                                origin="tests.plugins.tiny_platform:create_adapter")
    assert isinstance(adapter, TinyAdapter)
    return adapter


def _order_body(services: Services) -> bytes:
    now = services.clock.now()
    return json.dumps({
        "id": "T-1001", "name": "#T1001", "currency": "EUR", "email": "claire@example.com",
        "placed_at": (now - timedelta(days=8)).isoformat(), "delivered_at": (now - timedelta(days=5)).isoformat(),
        "lines": [{"id": "L1", "title": "Pull", "quantity": 1, "price": "40.00"}],
    }).encode()


def test_a_registered_platform_records_the_optional_capabilities_it_offers(services: Services) -> None:
    _register_tiny(services)
    assert services.adapters.capabilities("tiny") == frozenset({"resolution_mode"})
    assert "connect_flow" in services.adapters.capabilities("shopify")
    assert set(services.adapters.offering("scheduled_checks")) == {"woocommerce"}


def test_the_tiny_platform_takes_a_return_from_its_order_webhook_to_the_pushed_refund(
    services: Services, client: FlaskClient
) -> None:
    tiny = _register_tiny(services)
    shop = builders.shop(services, platform="tiny", domain=DOMAIN, webhook_secret=SECRET)
    body = _order_body(services)
    # Order in: through the one webhook edge, at the URL every platform gets.
    answer = client.post("/webhooks/tiny", data=body, content_type="application/json", headers={
        "X-Tiny-Shop": DOMAIN, "X-Tiny-Topic": "order", "X-Tiny-Event": "evt-1",
        "X-Tiny-Signature": sign(body, SECRET)})
    assert answer.status_code == 200, answer.data
    wait_idle(services)
    with services.uow() as uow:
        assert uow.scope(shop).orders.get("T-1001") is not None
    # Return requested, approved, received, inspected.
    opened = flow.open_return_request(
        services, shop.id, "T-1001", [flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    reference = opened.ret.reference
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    # Resolved, then pushed to the platform by the outbox, once.
    [resolution] = flow.resolve(services, shop.id, reference, "merchant")
    wait_idle(services)
    [refund] = tiny.ledger.refunds.values()
    assert refund.platform_order_id == "T-1001"
    assert refund.amount.amount == Decimal("40.00")
    with services.uow() as uow:
        stored = uow.scope(shop).resolutions.get(resolution.id)
        ret = uow.scope(shop).returns.get_by_reference(reference)
    assert stored is not None
    assert stored.push_status == "pushed"
    assert ret is not None
    assert ret.status is ReturnStatus.RESOLVED


def test_a_platform_missing_part_of_the_contract_is_refused_at_registration(services: Services) -> None:
    with pytest.raises(AdapterLoadError) as refused:
        register_platform(services.adapters, "half", create_half_adapter, {}, origin="tests.plugins:half")
    message = str(refused.value)
    assert "platform adapter 'half' (tests.plugins:half) does not keep the adapter contract" in message
    assert "verify_webhook()" in message
    assert "gateway()" in message
    assert "envelope()" not in message
    assert "half" not in services.adapters


def test_a_platform_whose_factory_fails_is_refused_with_its_error(services: Services) -> None:
    def broken(settings: object) -> TinyAdapter:
        raise ValueError("TINY_API_KEY is not set")

    with pytest.raises(AdapterLoadError, match="'tiny' could not be loaded: ValueError: TINY_API_KEY is not set"):
        register_platform(PlatformRegistry(), "tiny", broken, {})


def test_the_entry_point_loader_refuses_an_installed_platform_that_breaks_the_contract(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    group = bootstrap.ENTRY_POINT_GROUP
    installed = [EntryPoint("tiny", f"{tiny_platform.__name__}:create_adapter", group),
                 EntryPoint("half", f"{tiny_platform.__name__}:create_half_adapter", group)]
    monkeypatch.setattr(bootstrap, "entry_points", lambda group: installed)
    with pytest.raises(AdapterLoadError, match="'half'.*lacks the method verify_webhook"):
        load_adapters(services.settings)
    monkeypatch.setattr(bootstrap, "entry_points", lambda group: installed[:1])
    assert isinstance(load_adapters(services.settings)["tiny"], TinyAdapter)
