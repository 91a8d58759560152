"""A merchant's action and a job on the same return wait for each other; they never deadlock (PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import event, select

from connector.bootstrap import Services
from connector.domain.returns import ReturnStatus
from connector.persistence.tables import OutboxRow
from connector.ports import ReturnMirror, ShopConnection
from connector.workflow import returns as flow
from connector.workflow.mirror import mirror_return
from tests import builders
from tests.conftest import is_postgres
from tests.fakes import FakePlatform
from tests.integration.test_admin_support import request_return

pytestmark = pytest.mark.skipif(not is_postgres(), reason="row locks and deadlock detection: PostgreSQL")


class MirroringFake(FakePlatform):
    """A platform with returns of its own (as Shopify): each of ours is mirrored there."""

    def mirror_return(self, shop: ShopConnection, change: ReturnMirror) -> str | None:
        return "gid://fake/Return/1"


def test_marking_received_while_the_mirror_job_writes_the_same_return_waits_and_both_apply(
    services: Services,
) -> None:
    services.adapters["fake"] = MirroringFake()
    shop = builders.shop(services, platform="fake", domain="fake.example")
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    flow.approve(services, shop.id, reference, "merchant")  # writes the mirror row of the approval
    with services.uow() as uow:
        mirror_id = uow.session.scalar(select(OutboxRow.id).where(OutboxRow.task == "mirror_return"))
    assert mirror_id is not None

    job_holds_a_lock, merchant_started = threading.Event(), threading.Event()
    job = threading.current_thread()

    def pause_job_once_it_holds_a_lock(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        # The job's bookkeeping transaction, right after its first lock on the order or the return:
        # the merchant's request starts now and reaches its own locks before the job goes on.
        if threading.current_thread() is not job_thread or job_holds_a_lock.is_set():
            return
        text = " ".join(statement.split()).upper()
        if ("FROM ORDERS" in text and "FOR UPDATE" in text) or text.startswith("UPDATE RETURN_REQUESTS"):
            job_holds_a_lock.set()
            merchant_started.wait(5)
            threading.Event().wait(1.5)  # longer than PostgreSQL's deadlock_timeout (1 s)

    outcomes: dict[str, Any] = {}

    def run_job() -> None:
        try:
            outcomes["job"] = mirror_return(services, mirror_id)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test asserts
            outcomes["job"] = exc

    def run_merchant() -> None:
        job_holds_a_lock.wait(10)
        merchant_started.set()
        try:
            outcomes["merchant"] = flow.receive(services, shop.id, reference, "merchant").status
        except Exception as exc:  # noqa: BLE001
            outcomes["merchant"] = exc

    event.listen(services.engine, "after_cursor_execute", pause_job_once_it_holds_a_lock)
    try:
        job_thread = threading.Thread(target=run_job)
        merchant = threading.Thread(target=run_merchant)
        job_thread.start()
        merchant.start()
        job_thread.join(30)
        merchant.join(30)
    finally:
        event.remove(services.engine, "after_cursor_execute", pause_job_once_it_holds_a_lock)
    del job

    assert job_holds_a_lock.is_set()
    assert outcomes == {"job": "mirrored", "merchant": ReturnStatus.RECEIVED}
    with services.uow() as uow:
        stored = uow.scope(shop).returns.get_by_reference(reference)
        details = uow.scope(shop).returns.row_details(stored.id) if stored and stored.id else None
    assert stored is not None
    assert stored.status is ReturnStatus.RECEIVED
    assert details is not None
    assert details["platform_return_id"] == "gid://fake/Return/1"
