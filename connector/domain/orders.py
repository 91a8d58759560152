"""The common order model every platform adapter translates into. Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from connector.domain.money import Money, total


@dataclass(frozen=True)
class Customer:
    platform_customer_id: str | None
    email: str
    first_name: str = ""
    last_name: str = ""
    postal_code: str = ""
    # The language the shopper bought in ("fr", "en"), when the platform says: their emails' language.
    locale: str = ""

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class OrderLine:
    """One line of an order, with what the customer actually paid for it.

    `unit_price` is the list price before discounts; `discount` is the part of the
    line's and the order's discounts allocated to the whole line; `tax` the tax
    charged on the whole line. Paid for the line = unit_price*quantity - discount + tax
    when prices exclude tax; when `taxes_included`, tax is inside the price.
    """

    platform_line_id: str
    title: str
    quantity: int
    unit_price: Money
    discount: Money
    tax: Money
    sku: str = ""
    product_id: str | None = None
    variant_id: str | None = None
    variant_title: str = ""
    product_type: str = ""
    product_tags: tuple[str, ...] = ()
    fulfilled_quantity: int = 0
    refunded_quantity: int = 0
    final_sale: bool = False
    taxes_included: bool = False
    # Tax per platform tax rate id, for platforms that refund tax per rate (WooCommerce).
    tax_by_rate: tuple[tuple[str, Money], ...] = ()
    # The bought variant's picture as the platform gives it (an https address), or "": adapters
    # translate their own shape of it, the portal shows it beside the line.
    image_url: str = ""

    @property
    def currency(self) -> str:
        return self.unit_price.currency

    @property
    def subtotal(self) -> Money:
        return self.unit_price.times(self.quantity)

    @property
    def paid_total(self) -> Money:
        """What the customer paid for the whole line, tax included."""
        after_discount = self.subtotal - self.discount
        return after_discount if self.taxes_included else after_discount + self.tax


@dataclass(frozen=True)
class ShippingLine:
    """A shipping charge of the order: price before tax, its tax, and its tax per platform rate id."""

    title: str
    price: Money
    tax: Money
    platform_line_id: str = ""
    tax_by_rate: tuple[tuple[str, Money], ...] = ()


@dataclass(frozen=True)
class Order:
    """An order as the returns domain sees it, whatever platform it came from."""

    platform: str
    platform_order_id: str
    name: str
    currency: str
    customer: Customer
    placed_at: datetime
    lines: tuple[OrderLine, ...]
    fulfilled_at: datetime | None = None
    delivered_at: datetime | None = None
    cancelled_at: datetime | None = None
    shipping_lines: tuple[ShippingLine, ...] = ()
    tags: tuple[str, ...] = ()
    financial_status: str = ""
    refunded: Money | None = None
    updated_at: datetime | None = None
    # The shop's own currency when the customer paid in another (Shopify presentment).
    shop_currency: str | None = None
    lines_by_id: dict[str, OrderLine] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines_by_id", {ln.platform_line_id: ln for ln in self.lines})

    def line(self, platform_line_id: str) -> OrderLine:
        return self.lines_by_id[platform_line_id]

    @property
    def total_paid(self) -> Money:
        items = total((ln.paid_total for ln in self.lines), self.currency)
        shipping = total((s.price + s.tax for s in self.shipping_lines), self.currency)
        return items + shipping

    @property
    def merchandise_total(self) -> Money:
        return total((ln.paid_total for ln in self.lines), self.currency)


def normalise_order_name(name: str) -> str:
    """'1001', '#1001' and ' #1001 ' all name order #1001."""
    return name.strip().lstrip("#").strip().upper()
