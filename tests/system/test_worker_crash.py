"""A worker killed with SIGKILL in the middle of a push: one refund at the store, finished by a new worker within 60 s."""

from __future__ import annotations

import signal
import time
from datetime import UTC, datetime

from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.workflow import returns as flow
from tests import builders
from tests.system.stack import Stack
from tests.system.standin import WooRefundsStandIn


def _resolved_return(stack: Stack, store_url: str) -> tuple[int, str]:
    """A WooCommerce return carried to its refund; the stack's relay hands the push on."""
    svc = stack.services()
    shop = stack.woocommerce_shop(store_url, "crash-secret")
    order = builders.order("501", platform="woocommerce", now=datetime.now(UTC),
                           lines=(builders.line("11"), builders.line("12", price="25.00")))
    with svc.uow() as uow:
        uow.scope(shop).orders.save(order)
        uow.commit()
    opened = flow.open_return_request(
        svc, shop.id, "501", [flow.WantedItem("11", 1, "size_too_small", ResolutionKind.REFUND)],
        channel=Channel.PORTAL)
    reference = opened.ret.reference
    flow.approve(svc, shop.id, reference, "merchant")
    flow.receive(svc, shop.id, reference, "merchant")
    flow.inspect(svc, shop.id, reference, "merchant", {"11": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    [resolution] = flow.resolve(svc, shop.id, reference, "merchant")
    return resolution.id, reference


def test_worker_killed_mid_push_leaves_one_refund_and_a_new_worker_finishes_within_60_seconds(
    stack: Stack,
) -> None:
    with WooRefundsStandIn(hold_first=True) as store:
        resolution_id, reference = _resolved_return(stack, store.url)
        assert store.first_refund_arrived.wait(60), stack.worker_log()[-3000:]
        killed_at = time.monotonic()
        stack.kill_worker(signal.SIGKILL)  # the refund is made; the worker never hears of it
        store.release.set()
        assert store.count == 1
        assert stack.sql("SELECT status FROM outbox WHERE task = 'push_resolution'") == [("pending",)]

        stack.start_worker()
        stack.wait_for(lambda: stack.sql("SELECT status FROM outbox WHERE task = 'push_resolution'")
                       == [("done",)], timeout=75, what="the push finished by the new worker")
        took = time.monotonic() - killed_at

    assert store.count == 1
    assert took < 60, f"the new worker finished the push {took:.0f} s after the kill"
    assert stack.sql("SELECT push_status, platform_reference FROM resolutions WHERE id = %(id)s",
                     id=resolution_id) == [("pushed", "9000")]
    notes = [m for (m,) in stack.sql(
        "SELECT t.message FROM timeline_events t JOIN return_requests r ON r.id = t.return_id "
        "WHERE r.reference = %(ref)s", ref=reference)]
    assert any("adopted existing" in note for note in notes), notes
