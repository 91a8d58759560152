"""The manual platform: shops without an integration. Orders come from CSV; the merchant
carries out refunds (bank transfer, cheque) and marks them done in the admin.

Imports the domain and ports only, like every adapter.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from connector.domain.orders import Order
from connector.ports import (
    BadWebhook,
    PlatformEvent,
    ProductVariant,
    Progress,
    PushResult,
    ResolutionPush,
    ShopConnection,
    WebhookEnvelope,
)
from platforms.manual.catalogue import (
    OPTION_KEY,
    CatalogueVariant,
    CsvCatalogueError,
    catalogue_from_option,
    catalogue_option,
    parse_catalogue_csv,
    variants_of,
)
from platforms.manual.csv_orders import COLUMNS, CsvOrderError, parse_orders_csv

COLUMNS_HELP = "Columns: " + ", ".join(COLUMNS) + " (the first seven are required)."

__all__ = ["COLUMNS_HELP", "OPTION_KEY", "CsvCatalogueError", "CsvOrderError", "ManualAdapter", "ManualGateway",
           "catalogue_option", "create_adapter", "parse_catalogue_csv", "parse_orders_csv"]


class ManualGateway:
    """Nothing to call: the orders and the catalogue the app knows are the ones imported."""

    def __init__(self, catalogue: list[CatalogueVariant] | None = None) -> None:
        self._catalogue = catalogue or []

    def variants_of(self, product_id: str) -> list[ProductVariant]:
        """The exchange choices of a product, with their stock, from the imported catalogue."""
        return variants_of(self._catalogue, product_id)

    def fetch_order(self, platform_order_id: str) -> Order | None:
        return None

    def find_order(self, name: str, email: str) -> Order | None:
        return None

    def orders_since(self, since: datetime | None, progress: Progress | None = None) -> Iterator[Order]:
        return iter(())

    def push(self, push: ResolutionPush) -> PushResult:
        # Never called for a manual shop (automatic_resolutions is False); say so loudly if it is.
        raise RuntimeError("a manual shop's resolutions are carried out by the merchant")


class ManualAdapter:
    name = "manual"
    # The workflow leaves resolutions waiting for the merchant instead of pushing them.
    automatic_resolutions = False

    def envelope(self, headers: Mapping[str, str], body: bytes) -> WebhookEnvelope:
        raise BadWebhook("manual shops receive no webhooks")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes, shop: ShopConnection) -> bool:
        return False

    def parse_webhook(self, topic: str, body: bytes) -> list[PlatformEvent]:
        raise BadWebhook("manual shops receive no webhooks")

    def gateway(self, shop: ShopConnection) -> ManualGateway:
        return ManualGateway(catalogue_from_option(shop.options.get(OPTION_KEY, "")))


def create_adapter(settings: Mapping[str, str]) -> ManualAdapter:
    return ManualAdapter()
