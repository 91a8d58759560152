"""Dashboard figures computed on a small seeded shop, checked to the unit and the cent."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.persistence import analytics
from connector.persistence.analytics import Range
from connector.workflow import returns as flow
from tests import builders
from tests.builders import line
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import request_return, signed_in

JUNE = Range(datetime(2026, 6, 1, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC))


def _accept_and_resolve(services: Services, shop: Shop, reference: str, line_id: str) -> None:
    flow.approve(services, shop.id, reference, "merchant")
    flow.receive(services, shop.id, reference, "merchant")
    flow.inspect(services, shop.id, reference, "merchant", {line_id: Inspection(Condition.AS_NEW, 1, 0, True)})
    flow.resolve(services, shop.id, reference, "merchant")


def seed(services: Services, clock: FrozenClock) -> tuple[Shop, dict[str, str]]:
    """May: 4 units of P1 sold, 1 returned. June: 7 units sold (225.00 EUR), 3 returned (100.00 EUR)."""
    shop = builders.shop(services)
    pull = {"product_id": "P1", "variant_id": "V1-M", "title": "Pull marin", "variant_title": "M"}
    tee = {"product_id": "P2", "variant_id": "V2-S", "title": "Tee-shirt", "variant_title": "S"}
    clock.current = datetime(2026, 5, 15, 10, 0, tzinfo=UTC)
    builders.stored_order(services, shop, order_id="1000", email="anne@example.com",
                          lines=(line("L1", price="40.00", quantity=4, **pull),))
    refs = {"may": request_return(services, shop, "1000")}
    clock.current = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    builders.stored_order(services, shop, order_id="1001", lines=(
        line("L1", price="40.00", quantity=2, **pull), line("L2", price="25.00", **tee)))
    builders.stored_order(services, shop, order_id="1002", lines=(line("L1", price="40.00", **pull),))
    builders.stored_order(services, shop, order_id="1003", email="paul@example.com", lines=(
        line("L1", price="40.00", **pull), line("L2", price="25.00", quantity=2, discount="10.00", **tee)))
    refs["r1"] = request_return(services, shop, "1001")
    refs["r2"] = request_return(services, shop, "1002", reason="changed_mind", resolution=ResolutionKind.STORE_CREDIT)
    refs["r3"] = request_return(services, shop, "1003", line_id="L2")
    clock.advance(days=2)
    _accept_and_resolve(services, shop, refs["r1"], "L1")
    _accept_and_resolve(services, shop, refs["r2"], "L1")
    with services.uow() as uow:
        [refund] = uow.scope(shop).resolutions.for_return(
            uow.scope(shop).returns.id_for_reference(refs["r1"]) or 0)
    flow.mark_resolution_done(services, shop.id, refund.id, "merchant", "virement")
    r1 = flow.load_return(services, shop.id, refs["r1"])[1]
    flow.record_satisfaction(services, shop.id, r1.tracking_token, 4, "Rapide et simple")
    return shop, refs


@pytest.fixture
def seeded(services: Services, clock: FrozenClock) -> tuple[Shop, dict[str, str]]:
    return seed(services, clock)



def test_return_rate_by_month_in_units_and_value(services: Services, seeded: tuple[Shop, dict[str, str]]) -> None:
    shop, _ = seeded
    with services.uow() as uow:
        [june] = analytics.for_shop(uow, shop.id, "EUR").rate_by_period(JUNE, "month")
    assert (june.period, june.orders, june.units_sold, june.value_sold) == ("2026-06-01", 3, 7, Decimal("225.00"))
    assert (june.returns, june.units_returned, june.value_returned) == (3, 3, Decimal("100.00"))
    assert (june.unit_rate, june.value_rate) == (Decimal("42.9"), Decimal("44.4"))


def test_return_rate_by_product_and_variant(services: Services, seeded: tuple[Shop, dict[str, str]]) -> None:
    shop, _ = seeded
    with services.uow() as uow:
        figures = analytics.for_shop(uow, shop.id, "EUR")
        products = figures.rate_by_product(JUNE)
        variants = figures.rate_by_product(JUNE, by_variant=True)
    assert [(p.product_id, p.units_sold, p.units_returned, p.unit_rate, p.value_returned) for p in products] == [
        ("P1", 4, 2, Decimal("50.0"), Decimal("80.00")), ("P2", 3, 1, Decimal("33.3"), Decimal("20.00"))]
    assert [(v.variant_id, v.variant_title) for v in variants] == [("V1-M", "M"), ("V2-S", "S")]


def test_reasons_resolutions_delay_serial_returners_and_satisfaction(
        services: Services, seeded: tuple[Shop, dict[str, str]]) -> None:
    shop, _ = seeded
    with services.uow() as uow:
        figures = analytics.for_shop(uow, shop.id, "EUR")
        reasons = figures.reasons(JUNE)
        mix = figures.resolution_mix(JUNE)
        delay = figures.refund_delay(JUNE)
        serial = figures.serial_returners(JUNE)
        satisfaction = figures.satisfaction(JUNE)
        free = figures.free_return_cost(JUNE, Decimal("5.90"))
    assert [(r.reason, r.returns, r.units) for r in reasons] == [("size_too_small", 2, 2), ("changed_mind", 1, 1)]
    assert sorted((r.kind, r.count, r.amount) for r in mix) == [
        ("refund", 1, Decimal("40.00")), ("store_credit", 1, Decimal("40.00"))]
    assert (delay.refunds, delay.average_days, delay.median_days) == (1, Decimal("2.0"), Decimal("2.0"))
    assert [(s.email, s.returns, s.orders, s.units, s.returns_per_order) for s in serial] == [
        ("claire@example.com", 2, 2, 2, Decimal("1.00"))]
    assert (satisfaction.answers, satisfaction.average, satisfaction.by_score) == (1, Decimal("4.0"), {4: 1})
    assert satisfaction.comments[0][2] == "Rapide et simple"
    assert (free.free_returns, free.cost) == (0, Decimal(0))


def test_products_whose_return_rate_rose_against_the_previous_period(
        services: Services, seeded: tuple[Shop, dict[str, str]]) -> None:
    shop, _ = seeded
    with services.uow() as uow:
        rising = analytics.for_shop(uow, shop.id, "EUR").rising_products(JUNE, min_sold=1)
    # P1: 25 % in May (1 of 4), 50 % in June; P2: never sold before, 33.3 % now.
    assert [(r.product.product_id, r.previous_rate, r.current_rate, r.rise) for r in rising] == [
        ("P2", Decimal(0), Decimal("33.3"), Decimal("33.3")), ("P1", Decimal("25.0"), Decimal("50.0"), Decimal("25.0"))]


def test_the_dashboard_renders_accessible_charts_and_exports_csv(
        client: FlaskClient, services: Services, seeded: tuple[Shop, dict[str, str]]) -> None:
    shop, _ = seeded
    signed_in(client, services, shop)
    html = client.get(f"/admin/{shop.slug}/dashboard?from=2026-06-01&to=2026-06-30&grain=month").get_data(as_text=True)
    assert html.count('role="img"') >= 4
    assert '<title id="chart-rate-title">' in html
    assert "cdn." not in html  # standalone: nothing from a CDN
    response = client.get(f"/admin/{shop.slug}/dashboard/periods.csv?from=2026-06-01&to=2026-06-30&grain=month")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1] == ["2026-06-01", "3", "7", "225.00", "3", "3", "3", "100.00", "42.9", "44.4"]
    reasons = client.get(f"/admin/{shop.slug}/dashboard/reasons.csv?from=2026-06-01&to=2026-06-30")
    assert "size_too_small,2,2" in reasons.get_data(as_text=True)
    assert client.get(f"/admin/{shop.slug}/dashboard/nothing.csv").status_code == 404


def test_the_return_rate_counts_units_sold_in_a_period_that_came_back_and_every_week_is_on_the_axis(
        client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop = builders.shop(services)
    clock.current = datetime(2026, 6, 2, 10, 0, tzinfo=UTC)  # a Tuesday
    for order_id, quantity in (("2001", 2), ("2002", 3)):
        builders.stored_order(services, shop, order_id=order_id, placed_at=clock.now(), delivered_days_ago=0,
                              lines=(line("L1", price="30.00", quantity=quantity),))
    clock.current = datetime(2026, 6, 23, 10, 0, tzinfo=UTC)  # three weeks later, no sale that week
    for order_id in ("2001", "2002"):
        request_return(services, shop, order_id, quantity=2 if order_id == "2001" else 3)
    signed_in(client, services, shop)
    response = client.get(f"/admin/{shop.slug}/dashboard/periods.csv?from=2026-06-01&to=2026-06-28&grain=week")
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))[1:]
    # Four weeks, the empty ones included; the returns belong to the week their units were sold.
    assert [r[0] for r in rows] == ["2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22"]
    assert [(r[2], r[4], r[6], r[8]) for r in rows] == [
        ("5", "0", "5", "100.0"), ("0", "0", "0", ""), ("0", "0", "0", ""), ("0", "2", "0", "")]
    html = client.get(f"/admin/{shop.slug}/dashboard?from=2026-06-01&to=2026-06-28&grain=week").get_data(as_text=True)
    assert "500" not in html.split('id="chart-rate"', 1)[1].split("</svg>", 1)[0]
