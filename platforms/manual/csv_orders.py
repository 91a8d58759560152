"""Orders of a manual shop from a CSV file, one row per order line. Imports the domain only."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation

from connector.domain.errors import DomainError
from connector.domain.money import Money
from connector.domain.orders import Customer, Order, OrderLine, ShippingLine

REQUIRED = ("order_number", "email", "placed_at", "currency", "title", "quantity", "unit_price")
OPTIONAL = (
    "first_name", "last_name", "postal_code", "fulfilled_at", "delivered_at", "line_id", "sku",
    "product_id", "variant_id", "variant_title", "product_type", "tags", "discount", "tax",
    "final_sale", "shipping", "shipping_tax", "taxes_included",
)
COLUMNS = REQUIRED + OPTIONAL


class CsvOrderError(ValueError):
    """Every problem found in the file, with its line number; nothing is imported."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class _Draft:
    number: str
    customer: Customer
    currency: str
    placed_at: datetime
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    taxes_included: bool
    shipping: Money
    shipping_tax: Money
    lines: list[OrderLine]


def _when(value: str, field: str) -> datetime | None:
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        try:
            parsed = datetime.combine(date.fromisoformat(value), time(12, 0))
        except ValueError as exc:
            raise ValueError(f"{field} {value!r} is not a date like 2026-03-15") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _amount(value: str, field: str, currency: str) -> Money:
    text = (value or "0").strip().replace(",", ".") or "0"
    try:
        return Money(Decimal(text), currency)
    except (InvalidOperation, DomainError) as exc:
        raise ValueError(f"{field} {value!r} is not an amount") from exc


def _yes(value: str) -> bool:
    return value.strip().lower() in {"1", "yes", "oui", "true", "y", "o", "x"}


def parse_orders_csv(text: str, platform: str = "manual") -> list[Order]:
    """Parse the whole file; raise CsvOrderError listing every bad row."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CsvOrderError([f"missing column(s): {', '.join(missing)}; expected {', '.join(COLUMNS)}"])
    drafts: dict[str, _Draft] = {}
    problems: list[str] = []
    for lineno, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k}
        try:
            _add_row(drafts, row, lineno)
        except ValueError as exc:
            problems.append(f"line {lineno}: {exc}")
    if problems:
        raise CsvOrderError(problems)
    if not drafts:
        raise CsvOrderError(["the file has no order lines"])
    return [_order(d, platform) for d in drafts.values()]


def _add_row(drafts: dict[str, _Draft], row: dict[str, str], lineno: int) -> None:
    for column in REQUIRED:
        if not row.get(column):
            raise ValueError(f"{column} is empty")
    number = row["order_number"].lstrip("#")
    currency = row["currency"].upper()
    if "@" not in row["email"]:
        raise ValueError(f"email {row['email']!r} is not an email address")
    try:
        quantity = int(row["quantity"])
    except ValueError as exc:
        raise ValueError(f"quantity {row['quantity']!r} is not a whole number") from exc
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    placed = _when(row["placed_at"], "placed_at")
    assert placed is not None
    draft = drafts.get(number)
    if draft is None:
        draft = _Draft(
            number=number,
            customer=Customer(None, row["email"].lower(), row.get("first_name", ""),
                              row.get("last_name", ""), row.get("postal_code", "")),
            currency=currency, placed_at=placed,
            fulfilled_at=_when(row.get("fulfilled_at", ""), "fulfilled_at"),
            delivered_at=_when(row.get("delivered_at", ""), "delivered_at"),
            taxes_included=_yes(row.get("taxes_included", "")),
            shipping=_amount(row.get("shipping", ""), "shipping", currency),
            shipping_tax=_amount(row.get("shipping_tax", ""), "shipping_tax", currency),
            lines=[],
        )
        drafts[number] = draft
    elif draft.currency != currency or draft.customer.email != row["email"].lower():
        raise ValueError(f"order {number} appears with another currency or email")
    line_id = row.get("line_id") or f"{number}-{len(draft.lines) + 1}"
    if any(ln.platform_line_id == line_id for ln in draft.lines):
        raise ValueError(f"line_id {line_id} appears twice in order {number}")
    draft.lines.append(OrderLine(
        platform_line_id=line_id, title=row["title"], quantity=quantity,
        unit_price=_amount(row["unit_price"], "unit_price", currency),
        discount=_amount(row.get("discount", ""), "discount", currency),
        tax=_amount(row.get("tax", ""), "tax", currency),
        sku=row.get("sku", ""), product_id=row.get("product_id") or None,
        variant_id=row.get("variant_id") or None, variant_title=row.get("variant_title", ""),
        product_type=row.get("product_type", ""),
        product_tags=tuple(t.strip() for t in row.get("tags", "").split("|") if t.strip()),
        fulfilled_quantity=quantity if draft.fulfilled_at else 0,
        final_sale=_yes(row.get("final_sale", "")), taxes_included=draft.taxes_included,
    ))


def _order(draft: _Draft, platform: str) -> Order:
    shipping: Iterable[ShippingLine] = (
        (ShippingLine("Shipping", draft.shipping, draft.shipping_tax),) if not draft.shipping.is_zero() else ()
    )
    return Order(
        platform=platform, platform_order_id=draft.number, name=f"#{draft.number}",
        currency=draft.currency, customer=draft.customer, placed_at=draft.placed_at,
        lines=tuple(draft.lines), fulfilled_at=draft.fulfilled_at, delivered_at=draft.delivered_at,
        shipping_lines=tuple(shipping), financial_status="paid",
    )
