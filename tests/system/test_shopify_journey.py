"""A Shopify shop end to end through the real processes and our Shopify stand-in that enforces the API's limits.

The Procfile's web and worker (tests/system/stack.py) talk to tests/standins/shopify.py
on 127.0.0.1: every document checked against the real schema and priced (refused above
1,000 points), a leaky bucket per shop, signed webhooks sent back to gunicorn.
Install (connect) -> backfill of 300 orders, some with 150+ lines -> a shopper's return
through the portal -> approve (mirrored) -> inspection (dispositions) -> refund through
returnProcess -> the webhooks that follow -> exactly one refund; and the same with the
worker killed between Shopify's answer to returnProcess and our commit.
"""

from __future__ import annotations

import re
import signal
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.standins.shopify import ShopifyStandIn
from tests.standins.shopify_state import ShopState, numeric
from tests.system.stack import REPO, SHOPIFY_SECRET, Stack

DOMAIN = "journey-shop.myshopify.com"
TOKEN = "shpat_journey"
BIG = {7: 150, 41: 230, 99: 160, 150: 175, 222: 201}  # order index -> lines
# A Plus plan (1,000 points a second): a standard plan reads the same 300 orders in ~7 min.
MAXIMUM, RESTORE = 2000.0, 1000.0


@pytest.fixture
def standin() -> Iterator[ShopifyStandIn]:
    with ShopifyStandIn(SHOPIFY_SECRET, maximum=MAXIMUM, restore_rate=RESTORE) as running:
        yield running


@pytest.fixture
def shop(standin: ShopifyStandIn) -> ShopState:
    state = standin.add_shop(DOMAIN, TOKEN)
    # Delivered a few days ago: inside the return window of the default policy.
    state.now = datetime.now(UTC) - timedelta(days=4)
    for n in range(300):
        count = BIG.get(n, 1 + n % 4)
        state.add_order(1001 + n, f"shopper{n}@example.com",
                        [(f"Article {k}", 1 + k % 2, f"{10 + k % 7}.00") for k in range(count)],
                        fulfillments=3 if count > 100 else 1, customer_id=500 + n)
    return state


@pytest.fixture
def running(tmp_path: Path, standin: ShopifyStandIn, shop: ShopState) -> Iterator[Stack]:
    with Stack.start(tmp_path, env={"SHOPIFY_ADMIN_URL": standin.admin_url,
                                    "RETURNS_PUSH_LEASE_SECONDS": "4"}) as stack:
        yield stack


def cli(stack: Stack, *args: str, timeout: float = 600) -> str:
    done = subprocess.run(["returns-connector", *args], cwd=REPO, env=stack.env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


# ---- the shopper, in the portal ----

def _field(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page)
    assert found, f"the page has {name}"
    return found.group(1)


def shopper_returns(stack: Stack, slug: str, order: dict[str, Any], line_index: int) -> str:
    """Finds the order in the portal, asks a refund for one unit of a line, returns the reference."""
    http = requests.Session()
    base = f"{stack.base_url}/portal/{slug}/"
    form = http.get(base, timeout=30).text
    found = http.post(base, data={"csrf_token": _field(form, "csrf_token"), "order": order["name"].lstrip("#"),
                                  "contact": order["email"]}, timeout=30, allow_redirects=False)
    assert found.status_code == 302, "the backfilled order is found"
    items = http.get(f"{base}order", timeout=30).text
    wanted = str(numeric(order["lineItems"][line_index]["id"]))
    rows = dict((line_id, index) for index, line_id in re.findall(r'name="line-(\d+)" value="(\d+)"', items))
    assert len(rows) == len(order["lineItems"]), "every line of the order can be chosen"
    index = rows[wanted]
    reviewed = http.post(f"{base}review", files={"_": ("", b"")}, data={
        "csrf_token": _field(items, "csrf_token"), f"line-{index}": wanted, f"qty-{index}": "1",
        f"reason-{index}": "size_too_small", f"resolution-{index}": "refund"}, timeout=30)
    assert reviewed.status_code == 200, reviewed.text[:500]
    confirmed = http.post(f"{base}confirm", data={"csrf_token": _field(reviewed.text, "csrf_token"),
                                                   "draft": _field(reviewed.text, "draft")}, timeout=30)
    reference = re.search(r"R-[A-Z0-9]{6}", confirmed.text)
    assert reference, confirmed.text[:500]
    return reference.group(0)


# ---- the merchant, through the JSON API ----

class Merchant:
    def __init__(self, stack: Stack, token: str) -> None:
        self.base = f"{stack.base_url}/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def act(self, reference: str, action: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        answer = self.http.post(f"{self.base}/returns/{reference}/{action}", json=body or {}, timeout=30)
        assert answer.status_code == 200, f"{action}: {answer.status_code} {answer.text[:500]}"
        result: dict[str, Any] = answer.json()
        return result


def shopify_return(stack: Stack, order: dict[str, Any], reference: str) -> dict[str, Any]:
    return stack.wait_for(lambda: next((r for r in order["returns"] if any(
        reference in (i["returnReasonNote"] or "") for i in r["returnLineItems"])), None),
        timeout=60, what=f"the Shopify return of {reference}")


def resolution(stack: Stack, reference: str) -> tuple[str, str | None, int]:
    """Push status, platform reference, and how many times a worker took the push."""
    rows = stack.sql("SELECT r.push_status, r.platform_reference, coalesce(max(o.attempts), 0) FROM resolutions r "
                     "JOIN return_requests q ON q.id = r.return_id "
                     "LEFT JOIN outbox o ON o.subject_id = r.id AND o.task = %(task)s "
                     "WHERE q.reference = %(ref)s GROUP BY r.push_status, r.platform_reference",
                     ref=reference, task="push_resolution")
    assert len(rows) == 1
    return rows[0][0], rows[0][1], rows[0][2]


def refunds_carrying(order: dict[str, Any], reference: str) -> list[dict[str, Any]]:
    return [r for r in order["refunds"] if reference in (r["note"] or "")]


def take_back(stack: Stack, merchant: Merchant, order: dict[str, Any], reference: str, line_index: int) -> None:
    """Approve (mirrored as a Shopify return), receive, inspect (dispositions), resolve."""
    merchant.act(reference, "approve", {"message": ""})
    ret = shopify_return(stack, order, reference)
    assert ret["status"] == "OPEN"
    merchant.act(reference, "receive")
    line_id = str(numeric(order["lineItems"][line_index]["id"]))
    merchant.act(reference, "inspect", {"items": [{"line_id": line_id, "condition": "as_new",
                                                   "accepted_quantity": 1, "rejected_quantity": 0, "restock": True}]})
    stack.wait_for(lambda: ret["reverseFulfillmentOrders"][0]["lineItems"][0]["dispositions"], timeout=60,
                   what="the dispositions mirrored to Shopify")
    merchant.act(reference, "resolve")


def test_a_shopify_shop_from_install_to_one_refund_within_the_api_limits(
    running: Stack, standin: ShopifyStandIn, shop: ShopState,
) -> None:
    stack = running
    # Install: the custom app's token, checked against the shop; webhooks subscribed to gunicorn.
    cli(stack, "shop", "connect-shopify", "--domain", DOMAIN, "--token", TOKEN)
    assert shop.subscriptions["refunds/create"] == f"{stack.base_url}/webhooks/shopify"

    # Backfill: every order, every line of the big ones, never refused by Shopify.
    assert "synced 300 orders" in cli(stack, "sync-orders", "--shop", DOMAIN)
    stored = dict(stack.sql("SELECT o.name, count(l.id) FROM orders o JOIN order_lines l ON l.order_id = o.id "
                            "GROUP BY o.name"))
    assert len(stored) == 300
    for index, count in BIG.items():
        assert stored[f"#{1001 + index}"] == count
    assert standin.refused_for(DOMAIN) == [], "no THROTTLED and no MAX_COST_EXCEEDED answer"
    assert max(requested for domain, _f, requested, _a in standin.requests if domain == DOMAIN) <= 500

    slug = stack.sql("SELECT slug FROM shops WHERE domain = %(d)s", d=DOMAIN)[0][0]
    merchant = Merchant(stack, cli(stack, "api-token", "create", "--shop", DOMAIN).strip())

    # A shopper returns line 180 of a 230-line order: a line past any single query's reach.
    big = shop.orders[41]
    reference = shopper_returns(stack, slug, big, 180)
    take_back(stack, merchant, big, reference, 180)
    status, platform_reference, _attempts = stack.wait_for(
        lambda: (found := resolution(stack, reference))[0] != "pending" and found, timeout=90,
        what="the refund pushed")
    assert status == "pushed"
    made = refunds_carrying(big, reference)
    assert len(made) == 1
    assert platform_reference == str(numeric(made[0]["id"]))
    # The refunds/create webhook that follows is delivered, verified and applied: nothing twice.
    stack.wait_for(lambda: any(t == "refunds/create" and s == 200 for t, _i, s in standin.deliveries),
                   timeout=30, what="refunds/create delivered")
    stack.wait_for(lambda: stack.sql("SELECT count(*) FROM webhook_deliveries WHERE topic = 'refunds/create' "
                                     "AND status = 'processed'")[0][0] >= 1, timeout=60,
                   what="refunds/create processed")
    assert len(refunds_carrying(big, reference)) == 1
    assert resolution(stack, reference)[:2] == ("pushed", platform_reference)
    assert stack.sql("SELECT count(*) FROM outbox WHERE status = 'failed'")[0][0] == 0
    assert [r for r in standin.refused_for(DOMAIN) if r[1] != "THROTTLED"] == []

    # The worker dies between Shopify's answer to returnProcess and the commit.
    other = shop.orders[150]
    second = shopper_returns(stack, slug, other, 3)

    def kill_the_worker(domain: str, field: str) -> None:
        if domain == DOMAIN and field == "returnProcess":
            standin.after_mutation = None
            stack.kill_worker(signal.SIGKILL)

    standin.after_mutation = kill_the_worker
    # Without the refunds/create webhook, only the retried push itself can find the refund.
    subscribed = shop.subscriptions.pop("refunds/create")
    take_back(stack, merchant, other, second, 3)
    stack.wait_for(lambda: refunds_carrying(other, second), timeout=90, what="Shopify processing the return")
    stack.wait_for(lambda: stack.worker is not None and not stack.worker.alive(), timeout=30,
                   what="the worker killed")
    assert resolution(stack, second)[0] == "pending", "the commit never happened"
    stack.start_worker()
    status, platform_reference, attempts = stack.wait_for(
        lambda: (found := resolution(stack, second))[0] != "pending" and found, timeout=120,
        what="the push adopted after the restart")
    assert status == "pushed"
    assert attempts == 2, "the push ran again after the kill"
    made = refunds_carrying(other, second)
    assert len(made) == 1, "adopted by its note marker, not refunded again"
    assert platform_reference == str(numeric(made[0]["id"]))
    assert len([c for c in standin.calls_to("returnProcess") if c[0] == DOMAIN]) == 2, "processed once per return"
    shop.subscriptions["refunds/create"] = subscribed
    assert stack.sql("SELECT count(*) FROM outbox WHERE status = 'failed'")[0][0] == 0
