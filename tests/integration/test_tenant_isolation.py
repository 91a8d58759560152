"""Every repository function called with another shop's ids finds nothing and changes nothing."""

from __future__ import annotations

from decimal import Decimal

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.resolutions import Resolution
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest
from connector.persistence.returns import ReturnListFilter
from tests import builders


def _two_shops_with_a_return(services: Services) -> tuple[object, object, ReturnRequest, int]:
    shop_a = builders.shop(services, domain="a.example", name="Shop A")
    shop_b = builders.shop(services, domain="b.example", name="Shop B")
    builders.stored_order(services, shop_a, order_id="1001")
    builders.stored_order(services, shop_b, order_id="2001", email="bob@example.com")
    now = services.clock.now()
    with services.uow() as uow:
        scope = uow.scope(shop_a)
        ret = ReturnRequest(shop_id=shop_a.id, order_id="1001", customer_email="claire@example.com",
                            items=[ReturnItem("L1", 1, "size_too_small", ResolutionKind.REFUND)],
                            channel=Channel.PORTAL)
        ret.record_request(now)
        scope.returns.add(ret, now=now, currency="EUR")
        eur = Money(Decimal("40"), "EUR")
        res = scope.resolutions.add(Resolution(ResolutionKind.REFUND, eur, eur, eur, eur, eur, "k1"),
                                    return_id=ret.id or 0, now=now)
        scope.outbox.add("push_resolution", res.id, now)
        scope.emails.add(to="claire@example.com", subject="s", body="b", return_id=ret.id, now=now)
        uow.commit()
    return shop_a, shop_b, ret, res.id


def test_another_shops_ids_find_nothing(services: Services) -> None:
    shop_a, shop_b, ret, resolution_id = _two_shops_with_a_return(services)
    assert ret.id is not None
    with services.uow() as uow:
        b = uow.scope(shop_b)  # type: ignore[arg-type]
        assert b.orders.get("1001") is None
        assert b.orders.pk("1001") is None
        assert b.orders.find_by_name("#1001") is None
        assert b.orders.by_customer("claire@example.com") == []
        assert b.returns.get(ret.id) is None
        assert b.returns.get_by_reference(ret.reference) is None
        assert b.returns.get_by_tracking_token(ret.tracking_token) is None
        assert b.returns.row_details(ret.id) is None
        assert b.returns.search(ReturnListFilter()) == ([], 0)
        assert b.returns.search(ReturnListFilter(search=ret.reference)) == ([], 0)
        assert b.returns.for_order("1001") == []
        assert b.returns.quantities_in_returns("1001") == {}
        assert b.returns.count_for_customer("claire@example.com") == 0
        assert b.resolutions.get(resolution_id) is None
        assert b.resolutions.for_return(ret.id) == []
        assert b.resolutions.refunded_total_for_order("1001") == {}
        assert b.outbox.pending(services.clock.now()) == []
        assert b.emails.recent() == []
        # Writes aimed at shop A's rows through shop B do nothing.
        b.resolutions.mark_failed(resolution_id, "x", final=True)
        b.returns.set_satisfaction(ret.id, 1, "x")
        assert b.orders.redact_customer("claire@example.com") == 0
        assert b.returns.redact_customer("claire@example.com") == 0
        b.orders.delete("1001")
        uow.commit()
    with services.uow() as uow:
        a = uow.scope(shop_a)  # type: ignore[arg-type]
        assert a.orders.get("1001") is not None
        assert a.returns.get(ret.id) is not None
        stored = a.resolutions.get(resolution_id)
        assert stored is not None
        assert stored.push_status == "pending"
        assert stored.last_error == ""
        assert a.returns.row_details(ret.id)["satisfaction"] is None  # type: ignore[index]


def test_order_saved_in_one_shop_is_invisible_in_another_with_the_same_platform_id(services: Services) -> None:
    shop_a = builders.shop(services, domain="a.example", name="Shop A")
    shop_b = builders.shop(services, domain="b.example", name="Shop B")
    builders.stored_order(services, shop_a, order_id="1001", email="a@example.com")
    builders.stored_order(services, shop_b, order_id="1001", email="b@example.com")
    with services.uow() as uow:
        a_order = uow.scope(shop_a).orders.get("1001")
        b_order = uow.scope(shop_b).orders.get("1001")
    assert a_order is not None
    assert b_order is not None
    assert (a_order.customer.email, b_order.customer.email) == ("a@example.com", "b@example.com")
