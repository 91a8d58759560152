"""Store credit on WooCommerce through the whole app: ledger credit, balance coupon, partial spending, remainder.

The coupons API is a small stand-in (responses callbacks) seeded with recorded coupon JSON,
so codes looked up, created and deleted stay consistent across calls.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import responses
from flask.testing import FlaskClient
from requests import PreparedRequest

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.jobs.relay import wait_idle
from connector.persistence.credit_ledger import CreditLedgerRepository
from connector.workflow import returns as flow
from tests import builders
from tests.conftest import FrozenClock
from tests.unit.woocommerce.app_helpers import (
    RECORDED_API,
    post_delivery,
    recorded_body,
    recorded_shop,
    use_secret,
)
from tests.unit.woocommerce.recordings import SECRETS, rest_body

ORDER_20_CREATED = "20261122T013213-order_created-506308"
ORDER_21_UPDATED = "20261122T013223-order_updated-061653"
EMAIL = "jane.doe@example.test"

@pytest.fixture(autouse=True)
def after_the_recordings(clock: FrozenClock) -> None:
    clock.current = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class CouponStore:
    """GET /coupons?code=, POST /coupons, DELETE /coupons/<id>: what WooCommerce keeps."""

    def __init__(self) -> None:
        self.coupons: dict[int, dict[str, Any]] = {}
        self.next_id = 40
        responses.add_callback(responses.GET, re.compile(re.escape(RECORDED_API + "coupons") + r"(\?.*)?$"),
                               callback=self.list)
        responses.add_callback(responses.POST, re.compile(re.escape(RECORDED_API + "coupons") + r"(\?.*)?$"),
                               callback=self.create)
        responses.add_callback(responses.DELETE, re.compile(re.escape(RECORDED_API) + r"coupons/\d+(\?.*)?$"),
                               callback=self.delete)

    def list(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        code = re.search(r"[?&]code=([^&]+)", request.url or "")
        wanted = code.group(1).lower() if code else None
        found = [c for c in self.coupons.values() if wanted is None or c["code"] == wanted]
        return 200, {"X-WP-TotalPages": "1"}, json.dumps(found)

    def create(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        sent = json.loads(request.body or b"{}")
        coupon = {**copy.deepcopy(rest_body("coupons-create-store-credit-like")), **sent, "id": self.next_id}
        self.coupons[self.next_id] = coupon
        self.next_id += 1
        return 201, {}, json.dumps(coupon)

    def delete(self, request: PreparedRequest) -> tuple[int, dict[str, str], str]:
        coupon_id = int(re.search(r"coupons/(\d+)", request.url or "").group(1))  # type: ignore[union-attr]
        return 200, {}, json.dumps(self.coupons.pop(coupon_id))

    def live(self) -> list[tuple[str, str, list[str]]]:
        return [(c["code"], c["amount"], c["email_restrictions"]) for c in self.coupons.values()]


def ledger(services: Services, shop: Shop) -> tuple[list[Decimal], Money]:
    with services.uow() as uow:
        repo = CreditLedgerRepository(uow.session, shop.id)
        return [m.amount.amount for m in repo.movements(EMAIL)], repo.balance(EMAIL, "USD")


def credit_from_a_return(services: Services, client: FlaskClient, shop: Shop) -> str:
    """Order 20 arrives, one sneaker comes back for store credit, the push job runs."""
    post_delivery(client, ORDER_20_CREATED)
    opened = flow.open_return_request(
        services, shop.id, "20", [flow.WantedItem("1", 1, "changed_mind", ResolutionKind.STORE_CREDIT)],
        channel=Channel.PORTAL)
    reference = opened.ret.reference
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", {"1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    flow.resolve(services, shop.id, reference, "merchant")
    wait_idle(services)
    return reference


def order_spending(code: str, discount: str) -> bytes:
    """Order 21 as WooCommerce sends it once it used `discount` of the balance coupon."""
    body = recorded_body(ORDER_21_UPDATED)
    body["status"] = "processing"
    body["coupon_lines"] = [{"id": 9, "code": code, "discount": discount, "discount_tax": "0.00",
                             "discount_type": "fixed_cart", "meta_data": [], "free_shipping": False}]
    return json.dumps(body).encode()


def test_ledger_movement_with_a_used_reference_is_not_written_twice(services: Services) -> None:
    shop = recorded_shop(services)
    now = services.clock.now()
    with services.uow() as uow:
        repo = CreditLedgerRepository(uow.session, shop.id)
        first = repo.record(customer_email=EMAIL, amount=Money.of("30.00", "USD"), reason="r", reference="x", now=now)
        again = repo.record(customer_email=EMAIL, amount=Money.of("30.00", "USD"), reason="r", reference="x", now=now)
        uow.commit()
    assert first is not None
    assert again is None
    assert ledger(services, shop) == ([Decimal("30.00")], Money.of("30.00", "USD"))


def test_two_shops_may_use_the_same_movement_reference(services: Services) -> None:
    one = recorded_shop(services)
    two = builders.shop(services, platform="woocommerce", domain="https://other.example.test", currency="USD")
    with services.uow() as uow:
        for shop in (one, two):
            CreditLedgerRepository(uow.session, shop.id).record(
                customer_email=EMAIL, amount=Money.of("5.00", "USD"), reason="r", reference="spent:21:x",
                now=services.clock.now())
        uow.commit()
    assert ledger(services, one)[1] == ledger(services, two)[1] == Money.of("5.00", "USD")


@responses.activate
def test_store_credit_resolution_credits_the_ledger_and_issues_the_balance_as_a_locked_coupon(
    client: FlaskClient, services: Services
) -> None:
    coupons = CouponStore()
    shop = recorded_shop(services, SECRETS["2"])
    credit_from_a_return(services, client, shop)
    movements, balance = ledger(services, shop)
    assert movements == [balance.amount]
    assert balance.amount > 0
    [(code, amount, emails)] = coupons.live()
    assert code.startswith("rcsc-")
    assert (Decimal(amount), emails) == (balance.amount, [EMAIL])


@responses.activate
def test_store_credit_spent_partly_is_debited_once_and_the_remainder_reissued(
    client: FlaskClient, services: Services
) -> None:
    coupons = CouponStore()
    shop = recorded_shop(services, SECRETS["2"])
    credit_from_a_return(services, client, shop)
    [(first_code, first_amount, _)] = coupons.live()
    use_secret(services, shop, SECRETS["1"])
    body = order_spending(first_code, "20.00")
    assert post_delivery(client, ORDER_21_UPDATED, body=body, secret=SECRETS["1"]).status_code == 200
    # WooCommerce sends order.updated again on the next save of the same order: no second debit.
    again = json.loads(body)
    again["status"] = "completed"
    again["date_modified_gmt"] = "2026-11-22T02:00:00"
    assert post_delivery(client, ORDER_21_UPDATED, body=json.dumps(again).encode(),
                         secret=SECRETS["1"]).status_code == 200
    movements, balance = ledger(services, shop)
    assert movements == [Decimal(first_amount), Decimal("-20.00")]
    assert balance == Money.of(first_amount, "USD") - Money.of("20.00", "USD")
    [(code, amount, emails)] = coupons.live()  # the spent coupon is gone, one holds the rest
    assert code != first_code
    assert (Money.of(amount, "USD"), emails) == (balance, [EMAIL])


@responses.activate
def test_store_credit_spent_on_an_order_then_cancelled_is_given_back_once(
    client: FlaskClient, services: Services
) -> None:
    coupons = CouponStore()
    shop = recorded_shop(services, SECRETS["2"])
    credit_from_a_return(services, client, shop)
    [(first_code, first_amount, _)] = coupons.live()
    use_secret(services, shop, SECRETS["1"])
    body = order_spending(first_code, "20.00")
    assert post_delivery(client, ORDER_21_UPDATED, body=body, secret=SECRETS["1"]).status_code == 200

    for status, modified in (("cancelled", "2026-11-22T03:00:00"), ("cancelled", "2026-11-22T03:05:00")):
        cancelled = json.loads(body)
        cancelled["status"] = status
        cancelled["date_modified_gmt"] = modified
        assert post_delivery(client, ORDER_21_UPDATED, body=json.dumps(cancelled).encode(),
                             secret=SECRETS["1"]).status_code == 200

    movements, balance = ledger(services, shop)
    assert movements == [Decimal(first_amount), Decimal("-20.00"), Decimal("20.00")]
    assert balance == Money.of(first_amount, "USD")
    [(_code, amount, emails)] = coupons.live()  # the whole credit again, on one coupon
    assert (Money.of(amount, "USD"), emails) == (balance, [EMAIL])


@responses.activate
def test_a_cancelled_order_whose_credit_was_never_debited_gives_nothing(
    client: FlaskClient, services: Services
) -> None:
    coupons = CouponStore()
    shop = recorded_shop(services, SECRETS["2"])
    credit_from_a_return(services, client, shop)
    [(first_code, first_amount, _)] = coupons.live()
    use_secret(services, shop, SECRETS["1"])
    cancelled = json.loads(order_spending(first_code, "20.00"))
    cancelled["status"] = "cancelled"
    assert post_delivery(client, ORDER_21_UPDATED, body=json.dumps(cancelled).encode(),
                         secret=SECRETS["1"]).status_code == 200
    movements, _balance = ledger(services, shop)
    assert movements == [Decimal(first_amount)]
