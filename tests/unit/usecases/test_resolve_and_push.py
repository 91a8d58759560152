"""Resolve, then push from the outbox to our own fake platform: exactly once, retried, adopted. No database."""

from __future__ import annotations

from collections.abc import Mapping

from connector.domain.money import Money
from connector.domain.resolutions import Resolution
from connector.domain.returns import ResolutionKind
from connector.ports import PlatformError, ResolutionPush
from connector.workflow import merchant_webhooks
from connector.workflow import returns as flow
from connector.workflow.markers import resolution_marker
from connector.workflow.push import push_resolution
from tests.fake_services import FakeServices
from tests.unit.usecases.support import (
    platform_and_services,
    request_return,
    shop_with_order,
    through_inspection,
)


def _resolved(svc: FakeServices) -> tuple[int, str, Resolution, int]:
    """A shop's return resolved with one refund; (shop id, reference, the resolution, its outbox row)."""
    shop, _ = shop_with_order(svc)
    opened = request_return(svc, shop)
    through_inspection(svc, shop, opened.ret.reference)
    [resolution] = flow.resolve(svc, shop.id, opened.ret.reference, "merchant")
    with svc.uow() as uow:
        [state] = uow.scope(shop).outbox.state_of("push_resolution", [resolution.id]).values()
    return shop.id, opened.ret.reference, resolution, state.id


def _stored(svc: FakeServices, shop_id: int, resolution_id: int) -> Resolution:
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        assert shop is not None
        found = uow.scope(shop).resolutions.get(resolution_id)
    assert found is not None
    return found


def test_a_resolution_is_pushed_once_even_when_its_job_runs_twice() -> None:
    platform, svc = platform_and_services()
    shop_id, reference, resolution, outbox_id = _resolved(svc)

    assert push_resolution(svc, outbox_id) == "pushed"
    assert push_resolution(svc, outbox_id) == "skipped"

    assert platform.state.creations == 1
    [pushed] = platform.state.created.values()
    assert pushed.amount == Money.of("40.00", "EUR")
    assert pushed.reference == resolution_marker(reference, resolution.id)
    stored = _stored(svc, shop_id, resolution.id)
    assert stored.push_status == "pushed"
    assert stored.platform_reference == f"fake-{pushed.reference}"


def test_a_push_the_platform_refuses_for_now_is_retried_later_then_made() -> None:
    platform, svc = platform_and_services()
    shop_id, _, resolution, outbox_id = _resolved(svc)
    platform.state.fail_next.append(PlatformError("the shop is busy", status=503, retryable=True))

    assert push_resolution(svc, outbox_id) == "retry"
    assert _stored(svc, shop_id, resolution.id).push_status == "pending"
    assert platform.state.creations == 0

    svc.clock.advance(minutes=1)
    assert push_resolution(svc, outbox_id) == "pushed"
    assert platform.state.creations == 1


def test_a_push_a_dead_worker_already_made_is_adopted_not_made_again() -> None:
    platform, svc = platform_and_services()
    shop_id, reference, resolution, outbox_id = _resolved(svc)
    # The worker died after the platform created the refund and before it recorded it.
    marker = resolution_marker(reference, resolution.id)
    platform.state.created[marker] = ResolutionPush(
        reference=marker, idempotency_key=resolution.idempotency_key, kind=ResolutionKind.REFUND,
        amount=resolution.amount, platform_order_id="1001", customer_email="claire@example.com",
        customer_platform_id=None)

    assert push_resolution(svc, outbox_id) == "adopted"
    assert platform.state.creations == 0
    assert _stored(svc, shop_id, resolution.id).push_status == "pushed"


def test_a_refusal_fails_the_push_for_the_merchant_to_see() -> None:
    platform, svc = platform_and_services()
    shop_id, _, resolution, outbox_id = _resolved(svc)
    platform.state.fail_next.append(PlatformError("order already refunded", status=422, retryable=False))

    assert push_resolution(svc, outbox_id) == "failed"

    stored = _stored(svc, shop_id, resolution.id)
    assert stored.push_status == "failed"
    assert "already refunded" in stored.last_error


class _Receiver:
    def __init__(self) -> None:
        self.bodies: list[tuple[str, bytes, dict[str, str]]] = []

    def post(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> merchant_webhooks.Answer:
        self.bodies.append((url, body, dict(headers)))
        return merchant_webhooks.Answer(200, "ok")


def test_the_merchants_endpoint_hears_of_the_push_signed() -> None:
    _, svc = platform_and_services()
    shop_id, reference, _, outbox_id = _resolved(svc)
    _, secret = merchant_webhooks.create_endpoint(svc, shop_id, "https://hooks.example/returns",
                                                  (merchant_webhooks.RESOLUTION_PUSHED,))
    assert push_resolution(svc, outbox_id) == "pushed"
    with svc.uow() as uow:
        [row] = [r for r in uow.data.outbox.values() if r.task == merchant_webhooks.OUTBOX_TASK]
    receiver = _Receiver()

    assert merchant_webhooks.deliver_merchant_webhook(svc, row.id, transport=receiver) == "delivered"

    [(url, body, headers)] = receiver.bodies
    assert url == "https://hooks.example/returns"
    assert reference.encode() in body
    assert merchant_webhooks.verify_signature(secret, headers[merchant_webhooks.SIGNATURE_HEADER], body,
                                              svc.clock.now())
