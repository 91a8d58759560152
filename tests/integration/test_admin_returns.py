"""The admin's returns list, bulk decisions, CSV export and a return's page, through HTTP with a signed-in merchant."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.returns import ResolutionKind, ReturnStatus
from connector.workflow.returns import load_return
from tests import builders
from tests.builders import line
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import (
    PASSWORD,
    csrf_from,
    request_return,
    signed_in,
    through_inspection,
)


def _status(services: Services, shop_id: int, reference: str) -> ReturnStatus:
    return load_return(services, shop_id, reference)[1].status


def _seed(services: Services, clock: FrozenClock) -> tuple[object, dict[str, str]]:
    """Four returns: two customers, three reasons, two resolutions, on two days."""
    shop = builders.shop(services)
    builders.stored_order(services, shop, order_id="1001", email="claire@example.com")
    builders.stored_order(services, shop, order_id="1002", email="claire@example.com")
    builders.stored_order(services, shop, order_id="1003", email="paul@example.com",
                          lines=(line("L1", title="Pull marin", sku="PULL-M"), line("L2", price="25.00")))
    builders.stored_order(services, shop, order_id="1004", email="paul@example.com")
    refs = {"a": request_return(services, shop, "1001", reason="size_too_small")}
    clock.advance(days=1)
    refs["b"] = request_return(services, shop, "1002", reason="changed_mind", resolution=ResolutionKind.STORE_CREDIT)
    refs["c"] = request_return(services, shop, "1003", reason="not_as_described")
    refs["d"] = request_return(services, shop, "1004", reason="size_too_small", line_id="L2")
    return shop, refs


def _listed(client: FlaskClient, slug: str, query: str) -> set[str]:
    html = client.get(f"/admin/{slug}/{query}").get_data(as_text=True)
    return {ref for ref in __import__("re").findall(r'name="reference" value="(R-[A-Z0-9]+)"', html)}


def test_password_sign_in_and_a_wrong_password(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    signed_in(client, services, shop)
    assert client.get(f"/admin/{shop.slug}/").status_code == 200
    other = builders.shop(services, domain="autre.example", name="Autre")
    from connector.web.auth import create_merchant_user

    create_merchant_user(services, other.id, "o@autre.example", PASSWORD)
    fresh = client.application.test_client()
    page = fresh.get(f"/admin/{other.slug}/login").get_data(as_text=True)
    response = fresh.post(f"/admin/{other.slug}/login", data={
        "email": "o@autre.example", "password": "wrong password!", "csrf_token": csrf_from(page)})
    assert response.status_code == 401
    assert fresh.get(f"/admin/{other.slug}/").status_code == 302


def test_a_sign_in_form_without_csrf_is_refused(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    from connector.web.auth import create_merchant_user

    create_merchant_user(services, shop.id, "owner@boutique.example", PASSWORD)
    response = client.post(f"/admin/{shop.slug}/login", data={"email": "owner@boutique.example", "password": PASSWORD})
    assert response.status_code == 400


def test_filters_narrow_the_list(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    slug = shop.slug  # type: ignore[attr-defined]
    assert _listed(client, slug, "") == set(refs.values())
    assert _listed(client, slug, "?reason=size_too_small") == {refs["a"], refs["d"]}
    assert _listed(client, slug, "?resolution=store_credit") == {refs["b"]}
    assert _listed(client, slug, "?customer=paul@example.com") == {refs["c"], refs["d"]}
    assert _listed(client, slug, "?product=PULL-M") == {refs["c"]}
    assert _listed(client, slug, "?product=marin") == {refs["c"]}
    assert _listed(client, slug, "?from=2026-06-15&to=2026-06-15") == {refs["a"]}
    assert _listed(client, slug, "?q=%231002") == {refs["b"]}
    assert _listed(client, slug, f"?q={refs['c'].lower()}") == {refs["c"]}
    assert _listed(client, slug, "?q=claire@example.com") == {refs["a"], refs["b"]}
    assert _listed(client, slug, "?status=approved") == set()


def test_sort_and_pages(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    html = client.get(f"/admin/{shop.slug}/?sort=created").get_data(as_text=True)  # type: ignore[attr-defined]
    assert html.index(refs["a"]) < html.index(refs["d"])
    html = client.get(f"/admin/{shop.slug}/?sort=-created").get_data(as_text=True)  # type: ignore[attr-defined]
    assert html.index(refs["d"]) < html.index(refs["a"])
    from connector.web import admin_returns

    admin_returns.PAGE_SIZE, saved = 3, admin_returns.PAGE_SIZE
    try:
        first = _listed(client, shop.slug, "?sort=created")  # type: ignore[attr-defined]
        second = _listed(client, shop.slug, "?sort=created&page=2")  # type: ignore[attr-defined]
    finally:
        admin_returns.PAGE_SIZE = saved
    assert len(first) == 3
    assert second == {refs["d"]}


def test_bulk_approve_and_bulk_reject_with_a_message(client: FlaskClient, services: Services,
                                                     clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    token = signed_in(client, services, shop)
    sid = shop.id  # type: ignore[attr-defined]
    slug = shop.slug  # type: ignore[attr-defined]
    response = client.post(f"/admin/{slug}/returns/bulk", data={
        "csrf_token": token, "action": "approve", "reference": [refs["a"], refs["b"]]})
    assert response.status_code == 302
    assert _status(services, sid, refs["a"]) is ReturnStatus.APPROVED
    assert _status(services, sid, refs["b"]) is ReturnStatus.APPROVED
    # A rejection needs a message: nothing changes without one.
    client.post(f"/admin/{slug}/returns/bulk", data={"csrf_token": token, "action": "reject", "reference": [refs["c"]]})
    assert _status(services, sid, refs["c"]) is ReturnStatus.REQUESTED
    # Rejecting asks first, on a page naming the returns: nothing changes until it is confirmed.
    asked = client.post(f"/admin/{slug}/returns/bulk", data={
        "csrf_token": token, "action": "reject", "message": "Hors délai", "reference": [refs["a"], refs["c"], refs["d"]]})
    assert "/returns/bulk/confirm?" in asked.location
    question = client.get(asked.location).get_data(as_text=True)
    assert "Rejeter 3 retours" in question
    assert all(refs[k] in question for k in "acd")
    assert _status(services, sid, refs["c"]) is ReturnStatus.REQUESTED
    # An approved return cannot be rejected; the others in the batch still are.
    done = client.post(f"/admin/{slug}/returns/bulk", data={
        "csrf_token": token, "action": "reject", "message": "Hors délai", "confirmed": "yes",
        "reference": [refs["a"], refs["c"], refs["d"]]})
    assert done.location.endswith(f"/admin/{slug}/")
    assert "2 retours mis à jour" in client.get(done.location).get_data(as_text=True)
    assert _status(services, sid, refs["a"]) is ReturnStatus.APPROVED
    assert _status(services, sid, refs["c"]) is ReturnStatus.REJECTED
    assert load_return(services, sid, refs["d"])[1].merchant_message == "Hors délai"


def test_bulk_without_csrf_changes_nothing(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    response = client.post(f"/admin/{shop.slug}/returns/bulk", data={  # type: ignore[attr-defined]
        "action": "approve", "reference": [refs["a"]]})
    assert response.status_code == 400
    assert _status(services, shop.id, refs["a"]) is ReturnStatus.REQUESTED  # type: ignore[attr-defined]


def test_csv_export_follows_the_filters(client: FlaskClient, services: Services, clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    response = client.get(f"/admin/{shop.slug}/returns.csv?customer=paul@example.com&sort=created")  # type: ignore[attr-defined]
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["reference", "status", "order", "customer"]
    assert [(r[0], r[2], r[3], r[7]) for r in rows[1:]] == [
        (refs["c"], "#1003", "paul@example.com", "not_as_described"),
        (refs["d"], "#1004", "paul@example.com", "size_too_small"),
    ]


def test_the_return_page_shows_context_and_decision(client: FlaskClient, services: Services,
                                                    clock: FrozenClock) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    html = client.get(f"/admin/{shop.slug}/returns/{refs['b']}").get_data(as_text=True)  # type: ignore[attr-defined]
    assert "#1002" in html
    assert refs["a"] in html  # the customer's earlier return
    assert "Trop petit" in html  # the shopper's comment
    assert 'id="decision-title"' in html
    assert "/approve" in html
    assert "/reject" in html
    assert "/inspect" not in html


def test_inspection_and_resolution_through_the_page(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    token = signed_in(client, services, shop)
    base = f"/admin/{shop.slug}/returns/{reference}"
    client.post(f"{base}/approve", data={"csrf_token": token})
    client.post(f"{base}/in-transit", data={"csrf_token": token, "tracking_number": "6A123"})
    client.post(f"{base}/receive", data={"csrf_token": token})
    # Quantities that do not add up are refused, and nothing is recorded.
    client.post(f"{base}/inspect", data={"csrf_token": token, "line": "L1", "condition-L1": "as_new",
                                         "accepted-L1": "1", "rejected-L1": "1"})
    assert _status(services, shop.id, reference) is ReturnStatus.RECEIVED
    client.post(f"{base}/inspect", data={"csrf_token": token, "line": "L1", "condition-L1": "opened",
                                         "accepted-L1": "1", "rejected-L1": "0", "restock-L1": "1"})
    assert _status(services, shop.id, reference) is ReturnStatus.INSPECTED
    page = client.get(base).get_data(as_text=True)
    assert "40,00\u00a0€" in page  # the amount shown before confirming
    client.post(f"{base}/resolve", data={"csrf_token": token})
    ret = load_return(services, shop.id, reference)[1]
    assert ret.status is ReturnStatus.RESOLVED
    assert ret.tracking_number == "6A123"
    assert ret.items[0].inspection is not None
    assert ret.items[0].inspection.restock
    with services.uow() as uow:
        [resolution] = uow.scope(shop).resolutions.for_return(ret.id or 0)
    assert resolution.amount.amount == Decimal("40.00")
    assert resolution.push_status == "awaiting_merchant"
    client.post(f"{base}/done", data={"csrf_token": token, "resolution": resolution.id, "note": "virement"})
    with services.uow() as uow:
        assert uow.scope(shop).resolutions.get(resolution.id).push_status == "done_by_merchant"  # type: ignore[union-attr]
    client.post(f"{base}/note", data={"csrf_token": token, "message": "Client appelé"})
    assert load_return(services, shop.id, reference)[1].timeline[-1].message == "Client appelé"


def test_an_illegal_action_is_refused_and_changes_nothing(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    token = signed_in(client, services, shop)
    response = client.post(f"/admin/{shop.slug}/returns/{reference}/resolve", data={"csrf_token": token})
    assert response.status_code == 302
    assert _status(services, shop.id, reference) is ReturnStatus.REQUESTED
    assert "cannot resolve" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_another_shops_session_cannot_see_or_change_this_shops_returns(client: FlaskClient,
                                                                        services: Services) -> None:
    mine = builders.shop(services)
    builders.stored_order(services, mine)
    reference = request_return(services, mine)
    rival = builders.shop(services, domain="rival.example", name="Rival")
    token = signed_in(client, services, rival)
    assert client.get(f"/admin/{mine.slug}/returns/{reference}").status_code == 403
    response = client.post(f"/admin/{mine.slug}/returns/{reference}/approve", data={"csrf_token": token})
    assert response.status_code == 403
    # Under its own shop's address, the rival's session finds no such return.
    assert client.get(f"/admin/{rival.slug}/returns/{reference}").status_code == 404
    response = client.post(f"/admin/{rival.slug}/returns/{reference}/approve", data={"csrf_token": token})
    assert response.status_code == 404
    assert _status(services, mine.id, reference) is ReturnStatus.REQUESTED


def test_a_resolution_of_another_return_cannot_be_marked_done_here(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, order_id="1001")
    builders.stored_order(services, shop, order_id="1002")
    first = request_return(services, shop, "1001")
    second = request_return(services, shop, "1002")
    through_inspection(services, shop, first)
    from connector.workflow.returns import resolve

    [resolution] = resolve(services, shop.id, first, "merchant")
    token = signed_in(client, services, shop)
    response = client.post(f"/admin/{shop.slug}/returns/{second}/done",
                           data={"csrf_token": token, "resolution": resolution.id, "note": "x"})
    assert response.status_code == 404


def test_the_admin_speaks_french_and_english(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    signed_in(client, services, shop)
    french = client.get(f"/admin/{shop.slug}/?lang=fr").get_data(as_text=True)
    english = client.get(f"/admin/{shop.slug}/?lang=en").get_data(as_text=True)
    assert "Exporter en CSV" in french
    assert "Export CSV" in english


def _visible(html: str) -> str:
    import html as html_module
    import re

    body = html.split("<body", 1)[-1]
    return re.sub(r"\s+", " ", html_module.unescape(re.sub(r"<[^>]+>", " ", body))).replace("\u202f", " ")


def test_a_damaged_unit_ticked_for_restock_is_refused_with_why_and_never_shown_restocked(
    client: FlaskClient, services: Services
) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    token = signed_in(client, services, shop)
    base = f"/admin/{shop.slug}/returns/{reference}"
    client.post(f"{base}/approve", data={"csrf_token": token})
    client.post(f"{base}/receive", data={"csrf_token": token})
    form = client.get(base).get_data(as_text=True)
    assert 'data-restock-for="condition-L1"' in form  # the box follows the condition (static admin.js)
    refused = client.post(f"{base}/inspect", follow_redirects=True, data={
        "csrf_token": token, "line": "L1", "condition-L1": "damaged", "accepted-L1": "0", "rejected-L1": "1",
        "restock-L1": "1"})
    assert "ne peut pas être remis en stock" in _visible(refused.get_data(as_text=True))
    assert _status(services, shop.id, reference) is ReturnStatus.RECEIVED
    client.post(f"{base}/inspect", data={"csrf_token": token, "line": "L1", "condition-L1": "as_new",
                                         "accepted-L1": "0", "rejected-L1": "1", "restock-L1": "1"})
    page = _visible(client.get(base).get_data(as_text=True))
    assert "Non remis en stock" in page  # every unit refused: nothing went back on the shelf
    assert "Remis en stock" not in page.replace("Non remis en stock", "")


def test_the_return_page_states_the_current_situation_the_price_paid_and_one_count_of_returns(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, lines=(line("L1", price="50.00", discount="10.00"),))
    builders.stored_order(services, shop, order_id="1002")
    first = request_return(services, shop, "1002")
    cancelled = request_return(services, shop, "1002", line_id="L2")
    from connector.workflow import returns as flow

    flow.cancel(services, shop.id, cancelled, "shopper")
    clock.advance(days=1)
    reference = request_return(services, shop)
    clock.advance(days=1)
    request_return(services, shop, "1002", line_id="L2")  # a later one is not "earlier"
    token = signed_in(client, services, shop)
    base = f"/admin/{shop.slug}/returns/{reference}"
    page = _visible(client.get(base).get_data(as_text=True))
    assert "Demandé : en attente de votre décision." in page
    assert "40,00 € payé l'unité" in page  # 50.00 listed, 10.00 discount: what was paid
    assert "50,00 €" not in page
    assert "2 commandes · 1 retour précédent" in page  # the cancelled one is not counted, as the policy counts
    assert first in page
    for action in ("approve", "receive"):
        client.post(f"{base}/{action}", data={"csrf_token": token})
    client.post(f"{base}/inspect", data={"csrf_token": token, "line": "L1", "condition-L1": "as_new",
                                         "accepted-L1": "1", "rejected-L1": "0", "restock-L1": "1"})
    client.post(f"{base}/resolve", data={"csrf_token": token})
    client.post(f"{base}/close", data={"csrf_token": token})
    closed = _visible(client.get(base).get_data(as_text=True))
    assert "Clôturé : plus rien à faire." in closed
    assert "attend votre décision" not in closed
    assert "Remis en stock" in closed


def test_the_list_and_its_csv_show_the_amount_the_products_and_the_age(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    clock.advance(days=3)
    slug = shop.slug  # type: ignore[attr-defined]
    page = _visible(client.get(f"/admin/{slug}/?customer=paul@example.com").get_data(as_text=True))
    assert "Pull marin" in page
    assert "40,00 €" in page
    assert "25,00 €" in page
    assert "3 jours" in page
    rows = list(csv.reader(io.StringIO(client.get(f"/admin/{slug}/returns.csv?customer=paul@example.com&sort=created")
                                       .get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-4:] == ["amount", "currency", "products", "age_days"]
    assert [r[-4:] for r in rows[1:]] == [["40.00", "EUR", "Pull marin", "3"], ["25.00", "EUR", "Article L2", "3"]]


def test_the_customers_list_finds_a_customer_by_email_or_name_with_their_orders_and_returns(
    client: FlaskClient, services: Services, clock: FrozenClock
) -> None:
    shop, refs = _seed(services, clock)
    signed_in(client, services, shop)
    slug = shop.slug  # type: ignore[attr-defined]
    everyone = _visible(client.get(f"/admin/{slug}/customers").get_data(as_text=True))
    assert "claire@example.com" in everyone
    assert "paul@example.com" in everyone
    found = client.get(f"/admin/{slug}/customers?q=PAUL").get_data(as_text=True)
    rows = __import__("re").findall(r"<tr>\s*<td><a [^>]*>([^<]+)</a>.*?</td>\s*<td[^>]*>[^<]*</td><td class=\"num\">(\d+)</td>"
                                    r"<td class=\"num\">(\d+)</td>", found, flags=__import__("re").S)
    assert rows == [("paul@example.com", "2", "2")]
    by_name = _visible(client.get(f"/admin/{slug}/customers?q=martin").get_data(as_text=True))
    assert "claire@example.com" in by_name  # the builders' customer is Claire Martin
    assert "Aucun client ne correspond" in _visible(client.get(f"/admin/{slug}/customers?q=zzz").get_data(as_text=True))
