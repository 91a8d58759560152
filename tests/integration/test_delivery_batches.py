"""Deliveries applied in batches: one claim and one commit a batch, each delivery undone alone when it fails."""

from __future__ import annotations

import json

from sqlalchemy import select

from connector.bootstrap import Services
from connector.persistence.tables import WebhookDeliveryRow
from connector.ports import PlatformEvent
from connector.workflow.webhooks import process_deliveries
from tests import builders
from tests.fakes import FakePlatform


class BrittlePlatform(FakePlatform):
    """Fails outright on the order "boom", as a platform's odd payload or a bug would."""

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        if json.loads(body).get("order_id") == "boom":
            raise RuntimeError("boom")
        return super().parse_webhook(topic, body)


def _record(services: Services, shop_id: int, key: str, order_id: str) -> int:
    with services.uow() as uow:
        found = uow.deliveries.record(platform="fake", shop_id=shop_id, topic="orders/updated", dedupe_key=key,
                                      body=json.dumps({"order_id": order_id}).encode(),
                                      received_at=services.clock.now(), triggered_at=None)
        uow.commit()
    assert found is not None
    return found


def _rows(services: Services) -> list[tuple[str, int]]:
    with services.uow() as uow:
        return [(status, attempts) for status, attempts in uow.session.execute(
            select(WebhookDeliveryRow.status, WebhookDeliveryRow.attempts).order_by(WebhookDeliveryRow.id))]


def test_a_batch_applies_every_delivery_and_a_failing_one_is_undone_alone_and_counted_once(
    services: Services,
) -> None:
    fake = BrittlePlatform()
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example")
    for order_id in ("2001", "2002"):
        fake.state.orders[order_id] = builders.order(order_id, platform="fake", now=services.clock.now())
    ids = [_record(services, shop.id, "a", "2001"), _record(services, shop.id, "b", "boom"),
           _record(services, shop.id, "c", "2002")]

    assert process_deliveries(services, ids) == {"processed": 2, "retry": 1}
    assert _rows(services) == [("processed", 1), ("received", 1), ("processed", 1)]
    with services.uow() as uow:
        assert uow.scope(shop).orders.count() == 2

    # A batch run again (the relay handed it on twice) applies nothing twice.
    assert process_deliveries(services, ids) == {"retry": 1}
    assert _rows(services) == [("processed", 1), ("received", 2), ("processed", 1)]
