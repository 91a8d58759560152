"""Loaders for the recorded WooCommerce 10.5 traffic under tests/fixtures/woocommerce/."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "woocommerce"

# The secret of each recorded webhook, by X-WC-Webhook-ID (fixtures README).
SECRETS = {
    "1": "whsec_harness_order_updated",
    "6": "whsec_harness_order_updated",
    "2": "whsec_harness_order_created",
    "3": "whsec_harness_coupon_created",
    "4": "whsec_harness_product_updated",
    "5": "whsec_harness_action_woocommerce_order_refunded",
}


def rest(name: str) -> dict[str, Any]:
    """One recorded REST exchange: {"request": ..., "response": {"status", "headers", "body"}}."""
    data: dict[str, Any] = json.loads((FIXTURES / "rest" / f"{name}.json").read_text())
    return data


def rest_body(name: str) -> Any:
    return rest(name)["response"]["body"]


def delivery(name: str) -> dict[str, Any]:
    """One recorded webhook delivery: headers and body_raw exactly as received."""
    data: dict[str, Any] = json.loads((FIXTURES / "webhooks" / f"{name}.json").read_text())
    return data


def signed_deliveries() -> list[dict[str, Any]]:
    """Every recorded delivery that carries a signature (all but the creation pings)."""
    found = []
    for path in sorted((FIXTURES / "webhooks").glob("2*.json")):
        data = json.loads(path.read_text())
        if "X-WC-Webhook-Signature" in data["headers"]:
            data["file"] = path.name
            found.append(data)
    return found


def pings() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text()) for path in sorted((FIXTURES / "webhooks").glob("*no-topic*.json"))
    ]
