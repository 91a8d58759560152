"""Deliveries applied in batches: one claim and one commit a batch, each delivery undone alone when it fails."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from connector.bootstrap import Services
from connector.domain.orders import Order
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest
from connector.persistence import rollups
from connector.persistence.tables import WebhookDeliveryRow
from connector.ports import OrderChanged, PlatformEvent
from connector.workflow.webhooks import process_deliveries
from tests import builders
from tests.conftest import is_postgres
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


class VersionedPlatform(BrittlePlatform):
    """Serves the order version a delivery names, as order/updated webhooks carry one each."""

    def __init__(self) -> None:
        super().__init__()
        self.versions: dict[tuple[str, int], Order] = {}

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        data = json.loads(body)
        if "version" not in data:
            return super().parse_webhook(topic, body)
        return [OrderChanged(self.versions[(data["order_id"], data["version"])])]


def _record_version(services: Services, shop_id: int, key: str, order_id: str, version: int) -> int:
    with services.uow() as uow:
        found = uow.deliveries.record(platform="fake", shop_id=shop_id, topic="orders/updated", dedupe_key=key,
                                      body=json.dumps({"order_id": order_id, "version": version}).encode(),
                                      received_at=services.clock.now(), triggered_at=None)
        uow.commit()
    assert found is not None
    return found


def _rollups_exact(services: Services) -> rollups.Contribution:
    with services.engine.connect() as conn:
        kept, scratch = rollups.stored(conn), rollups.measure(conn)
    if not is_postgres():  # SQLite keeps money as floating point: compare to a millionth
        kept, scratch = (rollups.Contribution(*({k: tuple(round(v, 6) if isinstance(v, Decimal) else v for v in vs)
                                                 for k, vs in part.items()}
                                                for part in (c.totals, c.sales, c.returned)))
                         for c in (kept, scratch))
    assert kept == scratch
    return kept


@pytest.mark.parametrize("with_failure", [False, True], ids=["whole batch", "batch with a failing delivery"])
def test_a_batch_saves_its_orders_together_as_one_by_one_with_exact_rollups_and_shops_apart(
    services: Services, with_failure: bool, caplog: pytest.LogCaptureFixture,
) -> None:
    fake = VersionedPlatform()
    services.adapters["fake"] = fake
    shop_a = builders.shop(services, platform="fake", domain="a.example")
    shop_b = builders.shop(services, platform="fake", domain="b.example")
    now = services.clock.now()

    def version(order_id: str, v: int, **kwargs: Any) -> Order:
        made = builders.order(order_id, platform="fake", now=now, updated_at=now + timedelta(minutes=v), **kwargs)
        fake.versions[(order_id, v)] = made
        return made

    with services.uow() as uow:  # stored before the batch, with a return on it
        uow.scope(shop_a).orders.save(version("3002", 5))
        ret = ReturnRequest(shop_id=shop_a.id, order_id="3002", customer_email="claire@example.com",
                            items=[ReturnItem("L2", 1, "size_too_small", ResolutionKind.REFUND)],
                            channel=Channel.PORTAL)
        uow.scope(shop_a).returns.add(ret, now=now, currency="EUR")
        uow.commit()
    version("3001", 1)
    version("3001", 2, currency="USD", lines=(builders.line("L7", price="9.00", currency="USD"),))
    version("3002", 6, lines=(builders.line("L2", price="30.00", quantity=2),))
    version("3002", 3, lines=(builders.line("L9", price="1.00"),))  # older than what is stored
    version("3003", 1)
    version("3003", 2, cancelled_at=now)
    fake.state.orders["boom"] = builders.order("boom", platform="fake", now=now)
    ids = [_record_version(services, shop_a.id, "a1", "3001", 1),
           _record_version(services, shop_b.id, "b1", "3001", 2),  # same order id, another shop
           _record_version(services, shop_a.id, "a2", "3002", 6),
           _record_version(services, shop_a.id, "a3", "3003", 1),
           _record_version(services, shop_a.id, "a4", "3003", 2),  # the same order again in the batch
           _record_version(services, shop_a.id, "a5", "3002", 3),
           _record_version(services, shop_a.id, "a6", "3001", 1)]  # a duplicate delivery
    if with_failure:
        ids.append(_record(services, shop_a.id, "a7", "boom"))

    caplog.set_level(logging.INFO, logger="connector.workflow.webhooks")
    assert process_deliveries(services, ids) == {"processed": 7, **({"retry": 1} if with_failure else {})}
    assert ("each is now applied alone" in caplog.text) is with_failure  # the bulk save ran whole
    with services.uow() as uow:
        orders_a, orders_b = uow.scope(shop_a).orders, uow.scope(shop_b).orders
        assert orders_a.count() == 3
        assert orders_b.count() == 1
        assert orders_a.get("3001") == fake.versions[("3001", 1)]
        assert orders_b.get("3001") == fake.versions[("3001", 2)]
        assert orders_a.get("3002") == fake.versions[("3002", 6)]
        assert orders_a.get("3003") == fake.versions[("3003", 2)]
    kept = _rollups_exact(services)
    assert {key[0] for key in kept.totals} == {shop_a.id, shop_b.id}

    assert process_deliveries(services, ids) == ({"retry": 1} if with_failure else {})  # nothing twice
    assert _rollups_exact(services) == kept
