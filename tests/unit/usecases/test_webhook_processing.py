"""Platform webhooks: recorded once by the intake, then turned into orders and return requests. No database."""

from __future__ import annotations

import json

from connector.domain.returns import Channel, ReturnStatus
from connector.ports import PlatformEvent, PlatformReturnRequested
from connector.workflow import webhooks
from tests import builders
from tests.fake_services import FakeServices, fake_services
from tests.fakes import FakePlatform
from tests.unit.usecases.support import DOMAIN, SECRET, shop_with_order


class ReturnsPlatform(FakePlatform):
    """The fake platform, whose shoppers may also ask for a return in the shop (topic returns/request)."""

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        if topic != "returns/request":
            return super().parse_webhook(topic, body)
        data = json.loads(body)
        return [PlatformReturnRequested(platform_order_id=str(data["order_id"]), platform_return_id=data["id"],
                                        lines=(("L1", 1, "damaged", "arrived broken"),))]


def _headers(topic: str, event: str, secret: str = SECRET) -> dict[str, str]:
    return {"X-Fake-Shop": DOMAIN, "X-Fake-Topic": topic, "X-Fake-Event": event, "X-Fake-Signature": secret}


def _services() -> tuple[ReturnsPlatform, FakeServices]:
    platform = ReturnsPlatform()
    return platform, fake_services(platform)


def test_a_delivery_is_recorded_once_then_its_order_stored() -> None:
    platform, svc = _services()
    shop, _ = shop_with_order(svc)
    changed = builders.order("1002", now=svc.clock.now(), platform="fake", name="#1002")
    platform.state.orders["1002"] = changed
    body = json.dumps({"order_id": "1002"}).encode()

    first = webhooks.receive_webhook(svc, "fake", _headers("orders/updated", "e-1"), body)
    again = webhooks.receive_webhook(svc, "fake", _headers("orders/updated", "e-1"), body)

    assert (first.status, first.message) == (200, "accepted")
    assert (again.status, again.message) == (200, "duplicate delivery, already accepted")
    assert first.delivery_id is not None
    assert [job for job, _, _ in svc.queue.jobs] == [webhooks.process_delivery]
    assert webhooks.process_delivery(svc, first.delivery_id) == "processed"
    assert webhooks.process_delivery(svc, first.delivery_id) == "skipped"
    with svc.uow() as uow:
        assert uow.scope(shop).orders.get("1002") == changed
        delivery = uow.deliveries.get(first.delivery_id)
    assert delivery is not None
    assert delivery.status == "processed"


def test_a_delivery_with_a_wrong_signature_is_refused_and_not_recorded() -> None:
    _, svc = _services()
    shop_with_order(svc)

    answer = webhooks.receive_webhook(svc, "fake", _headers("orders/updated", "e-1", secret="forged"), b"{}")

    assert answer.status == 401
    assert svc.database.data.deliveries == {}


def test_a_return_asked_for_in_the_shop_becomes_a_return_request_once() -> None:
    _, svc = _services()
    shop, _ = shop_with_order(svc)
    body = json.dumps({"id": "PR-9", "order_id": "1001"}).encode()
    ids = []
    for event in ("e-1", "e-2"):  # the platform sends it twice, as two deliveries
        intake = webhooks.receive_webhook(svc, "fake", _headers("returns/request", event), body)
        assert intake.delivery_id is not None
        ids.append(intake.delivery_id)

    assert webhooks.process_deliveries(svc, ids) == {"processed": 2}

    with svc.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.status is ReturnStatus.REQUESTED
    assert ret.channel is Channel.WEBHOOK
    assert [(i.order_line_id, i.quantity, i.reason) for i in ret.items] == [("L1", 1, "damaged")]


def test_in_a_batch_a_failing_delivery_is_undone_alone_and_retried() -> None:
    _, svc = _services()
    shop, _ = shop_with_order(svc)
    good = webhooks.receive_webhook(svc, "fake", _headers("returns/request", "e-1"),
                                    json.dumps({"id": "PR-1", "order_id": "1001"}).encode())
    # An order neither we nor the platform know yet: applying it raises, the delivery is tried again later.
    early = webhooks.receive_webhook(svc, "fake", _headers("returns/request", "e-2"),
                                     json.dumps({"id": "PR-2", "order_id": "2002"}).encode())
    assert good.delivery_id is not None
    assert early.delivery_id is not None

    outcome = webhooks.process_deliveries(svc, [good.delivery_id, early.delivery_id])

    assert outcome == {"processed": 1, "retry": 1}
    with svc.uow() as uow:
        assert len(uow.scope(shop).returns.for_order("1001")) == 1
        failed = uow.deliveries.get(early.delivery_id)
    assert failed is not None
    assert failed.status == "received"
    assert "2002" in failed.error
