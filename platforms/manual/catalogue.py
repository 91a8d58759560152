"""A manual shop's catalogue (products, variants, stock, images) from a CSV file. Standard library only.

Columns: product_id, variant_id, title, variant_title, stock (blank: not tracked), image_url.
Kept in the shop's options as JSON, so the exchange choices need no platform to ask.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass

from connector.ports import ProductVariant

CATALOGUE_COLUMNS = ("product_id", "variant_id", "title", "variant_title", "stock", "image_url")
OPTION_KEY = "catalogue"


class CsvCatalogueError(ValueError):
    """The file is not a catalogue we can read; `problems` says which rows and why."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CatalogueVariant:
    product_id: str
    variant_id: str
    title: str
    variant_title: str
    stock: int | None
    image_url: str = ""


def parse_catalogue_csv(text: str) -> list[CatalogueVariant]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in ("product_id", "variant_id", "variant_title") if c not in (reader.fieldnames or [])]
    if missing:
        raise CsvCatalogueError([f"missing column(s): {', '.join(missing)}; expected {', '.join(CATALOGUE_COLUMNS)}"])
    found, problems = [], []
    for number, row in enumerate(reader, start=2):
        product, variant = (row.get("product_id") or "").strip(), (row.get("variant_id") or "").strip()
        if not product or not variant:
            problems.append(f"row {number}: product_id and variant_id are required")
            continue
        stock_text = (row.get("stock") or "").strip()
        if stock_text and not stock_text.isdigit():
            problems.append(f"row {number}: stock {stock_text!r} is not a whole number")
            continue
        image = (row.get("image_url") or "").strip()
        if image and not image.startswith("https://"):
            problems.append(f"row {number}: image_url must be an https address")
            continue
        found.append(CatalogueVariant(product, variant, (row.get("title") or "").strip(),
                                      (row.get("variant_title") or "").strip() or variant,
                                      int(stock_text) if stock_text else None, image))
    if problems:
        raise CsvCatalogueError(problems)
    return found


def catalogue_option(variants: list[CatalogueVariant]) -> str:
    return json.dumps([asdict(v) for v in variants], ensure_ascii=False, separators=(",", ":"))


def catalogue_from_option(value: str) -> list[CatalogueVariant]:
    try:
        rows = json.loads(value) if value else []
    except ValueError:
        return []
    return [CatalogueVariant(**row) for row in rows if isinstance(row, dict)]


def variants_of(catalogue: list[CatalogueVariant], product_id: str) -> list[ProductVariant]:
    """The product's variants, in the file's order; a variant with no stock left is not available."""
    return [ProductVariant(v.variant_id, v.variant_title, available=v.stock is None or v.stock > 0, stock=v.stock,
                           image_url=v.image_url)
            for v in catalogue if v.product_id == product_id]
