"""A burst of signed webhooks through the real web and worker processes is processed whole, quietly."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.system.stack import Stack, shopify_order, woocommerce_order

WOO_URL = "http://127.0.0.1:9"  # never called: order.created carries the whole order
WOO_SECRET = "system-woo-secret"
# What the worker logged when processes shared PostgreSQL sockets across a fork (issue 11).
CONNECTION_TROUBLE = ("prepared statement", "DuplicatePreparedStatement", "INTRANS",
                      "server closed the connection", "OperationalError", "InterfaceError",
                      "connection is closed", "Redis unreachable")


def test_five_hundred_signed_deliveries_are_all_processed_without_a_connection_error(stack: Stack) -> None:
    stack.shopify_shop("burst-shop.myshopify.com")
    stack.woocommerce_shop(WOO_URL, WOO_SECRET)

    def send(n: int) -> int:
        if n % 2:
            return stack.send_woocommerce(WOO_URL, "order.created", woocommerce_order(n), WOO_SECRET).status_code
        return stack.send_shopify("burst-shop.myshopify.com", "orders/create", shopify_order(n)).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(send, range(500)))
    assert answers == [200] * 500

    def all_processed() -> bool:
        rows = stack.sql("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
        return dict(rows) == {"processed": 500}

    stack.wait_for(all_processed, timeout=180, what="500 deliveries processed")
    assert stack.sql("SELECT count(*) FROM orders") == [(500,)]
    log = stack.worker_log()
    assert [trouble for trouble in CONNECTION_TROUBLE if trouble in log] == []
