"""Erasing personal data: one customer's (customers/redact) or a whole shop's (shop/redact), rows and files.

Imports SQLAlchemy, the tables and the standard library. Every step is idempotent (a
second run finds nothing left to erase), and what it returns are counts, never the data,
so callers can log them.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from connector.persistence.merchant_webhooks import MerchantWebhookDeliveryRow
from connector.persistence.tables import (
    Base,
    CreditLedgerRow,
    EmailRow,
    OrderLineRow,
    OrderRow,
    OutboxRow,
    ResolutionRow,
    ReturnItemRow,
    ReturnRow,
    ShopRow,
    TimelineEventRow,
    WebhookDeliveryRow,
)
from connector.ports import CustomerToRedact
from connector.ports.storage import Erased as Erased

# Raw bodies are read in pages: a shop may hold many within the retention period.
_PAGE = 500
# What a redacted raw webhook body becomes: still a JSON object, with nothing in it.
REDACTED_BODY = b"{}"


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def _mentions(body: bytes, needles: Iterable[bytes]) -> bool:
    lowered = body.lower()
    return any(needle in lowered for needle in needles)


def _ids_in(payload: Any) -> set[str]:
    """The order and customer ids a platform body names at the places platforms put them."""
    found: set[str] = set()
    if not isinstance(payload, dict):
        return found
    for key in ("id", "order_id", "customer_id"):
        value = payload.get(key)
        if isinstance(value, (int, str)) and not isinstance(value, bool):
            found.add(f"{key}:{value}")
    for key in ("order", "customer", "order_edit"):
        inner = payload.get(key)
        if isinstance(inner, dict):
            for sub in ("id", "order_id"):
                value = inner.get(sub)
                if isinstance(value, (int, str)) and not isinstance(value, bool):
                    found.add(f"{key}.{sub}:{value}")
    return found


def _numeric(value: str) -> str:
    """`gid://shopify/Order/42` and `42` are the same id."""
    return value.rsplit("/", 1)[-1].strip()


def customer_orders(session: Session, shop_id: int, email: str, customer_id: str,
                    order_ids: set[str]) -> list[OrderRow]:
    """The shop's orders of a customer: by email, platform customer id or order id (any of them)."""
    matches = []
    if email:
        matches.append(OrderRow.customer_email == email)
    if customer_id:
        matches.append(OrderRow.customer_platform_id == customer_id)
    if order_ids:
        matches.append(OrderRow.platform_order_id.in_(sorted(order_ids)))
    if not matches:
        return []
    return list(session.scalars(select(OrderRow).where(OrderRow.shop_id == shop_id, or_(*matches))))


def customer_returns(session: Session, shop_id: int, emails: set[str], order_pks: list[int]) -> list[ReturnRow]:
    """The shop's returns of a customer: by email, or on one of their orders."""
    matches = []
    if emails:
        matches.append(ReturnRow.customer_email.in_(sorted(emails)))
    if order_pks:
        matches.append(ReturnRow.order_id.in_(order_pks))
    if not matches:
        return []
    return list(session.scalars(select(ReturnRow).where(ReturnRow.shop_id == shop_id, or_(*matches))))


def normalised(who: CustomerToRedact) -> tuple[str, str, set[str]]:
    """Email lowercased, ids without their `gid://` prefix."""
    email = who.email.strip().lower()
    customer_id = _numeric(who.platform_customer_id) if who.platform_customer_id else ""
    return email, customer_id, {_numeric(o) for o in who.platform_order_ids if _numeric(o)}


class PrivacyRepository:
    """One shop's personal data, rows and files under the instance folder."""

    def __init__(self, session: Session, shop_id: int, instance_path: str | Path) -> None:
        self._session = session
        self._shop_id = shop_id
        self._instance = Path(instance_path)

    # ---- one customer ----

    def redact_customer(self, who: CustomerToRedact) -> Erased:
        """Erase the customer everywhere in this shop; figures (amounts, counts) stay anonymous."""
        erased = Erased()
        email, customer_id, order_ids = normalised(who)
        if not (email or customer_id or order_ids):
            return erased
        order_rows = self._customer_orders(email, customer_id, order_ids)
        emails_seen = {email} if email else set()
        emails_seen |= {r.customer_email for r in order_rows if "@" in r.customer_email
                        and not r.customer_email.endswith("@invalid")}
        order_pks = [r.id for r in order_rows]
        order_ids_seen = order_ids | {r.platform_order_id for r in order_rows}
        customer_ids_seen = {customer_id} if customer_id else set()
        customer_ids_seen |= {r.customer_platform_id for r in order_rows if r.customer_platform_id}
        for row in order_rows:
            row.customer_email = f"redacted-{row.id}@invalid"
            row.customer_first_name = ""
            row.customer_last_name = ""
            row.customer_postal_code = ""
            row.customer_platform_id = None
        erased.add("orders", len(order_rows))
        return_rows = self._customer_returns(emails_seen, order_pks)
        return_ids = [r.id for r in return_rows]
        references = {r.reference for r in return_rows}
        photos: list[str] = []
        for ret in return_rows:
            ret.customer_email = f"redacted-{ret.id}@invalid"
            ret.merchant_message = ""
            ret.satisfaction_comment = ""
            ret.tracking_number = ""
            for item in ret.items:
                photos.extend(str(p) for p in item.photos or ())
                item.comment = ""
                item.photos = []
                item.rejection_reason = ""
        erased.add("returns", len(return_rows))
        if return_ids:
            # Notes and messages are free text about the customer: the kinds and statuses stay.
            erased.add("timeline messages", _rowcount(self._session.execute(
                update(TimelineEventRow).where(TimelineEventRow.return_id.in_(return_ids))
                .values(message="", actor="redacted"))))
            self._session.execute(update(ResolutionRow).where(ResolutionRow.return_id.in_(return_ids))
                                  .values(last_error=""))
        erased.add("emails", self._erase_emails(emails_seen, return_ids))
        erased.add("credit movements", self._pseudonymise_credit(emails_seen))
        erased.add("merchant webhook bodies", self._erase_merchant_webhooks(emails_seen, references))
        erased.add("webhook bodies", self._erase_webhook_bodies(emails_seen, customer_ids_seen, order_ids_seen))
        erased.add("photos", self._remove_photos(photos))
        erased.add("exports", self._remove_exports(emails_seen))
        self._session.flush()
        return erased

    def _customer_orders(self, email: str, customer_id: str, order_ids: set[str]) -> list[OrderRow]:
        return customer_orders(self._session, self._shop_id, email, customer_id, order_ids)

    def _customer_returns(self, emails: set[str], order_pks: list[int]) -> list[ReturnRow]:
        return customer_returns(self._session, self._shop_id, emails, order_pks)

    def _erase_emails(self, emails: set[str], return_ids: list[int]) -> int:
        matches = []
        if emails:
            matches.append(EmailRow.to.in_(sorted(emails)))
        if return_ids:
            # The merchant's "new request" email names the customer too.
            matches.append(EmailRow.return_id.in_(return_ids))
        if not matches:
            return 0
        ids = list(self._session.scalars(select(EmailRow.id).where(EmailRow.shop_id == self._shop_id, or_(*matches))))
        if not ids:
            return 0
        # A send still queued finds no email and stops; an SMTP error may quote the address.
        self._session.execute(update(OutboxRow).where(
            OutboxRow.shop_id == self._shop_id, OutboxRow.task == "send_email", OutboxRow.subject_id.in_(ids),
        ).values(last_error=""))
        self._session.execute(delete(EmailRow).where(EmailRow.id.in_(ids)))
        for email_id in ids:
            (self._instance / "mail" / f"{self._shop_id}-{email_id}.eml").unlink(missing_ok=True)
        return len(ids)

    def _pseudonymise_credit(self, emails: set[str]) -> int:
        count = 0
        for email in sorted(emails):
            # The same pseudonym for every movement: the balance still adds up.
            alias = "redacted-" + hashlib.sha256(f"{self._shop_id}:{email}".encode()).hexdigest()[:16] + "@invalid"
            count += _rowcount(self._session.execute(update(CreditLedgerRow).where(
                CreditLedgerRow.shop_id == self._shop_id, CreditLedgerRow.customer_email == email,
            ).values(customer_email=alias)))
        return count

    def _erase_merchant_webhooks(self, emails: set[str], references: set[str]) -> int:
        needles = [e.encode() for e in emails] + [f'"{r}"'.lower().encode() for r in references]
        if not needles:
            return 0
        count = 0
        rows = self._session.execute(select(MerchantWebhookDeliveryRow.id, MerchantWebhookDeliveryRow.body).where(
            MerchantWebhookDeliveryRow.shop_id == self._shop_id)).all()
        for delivery_id, body in rows:
            if _mentions(body.encode(), needles):
                self._session.execute(update(MerchantWebhookDeliveryRow).where(
                    MerchantWebhookDeliveryRow.id == delivery_id).values(body="{}", last_response=""))
                count += 1
        return count

    def _bodies(self) -> Iterator[tuple[int, bytes]]:
        after = 0
        while True:
            page = self._session.execute(
                select(WebhookDeliveryRow.id, WebhookDeliveryRow.body)
                .where(WebhookDeliveryRow.shop_id == self._shop_id, WebhookDeliveryRow.id > after,
                       WebhookDeliveryRow.body != REDACTED_BODY)
                .order_by(WebhookDeliveryRow.id).limit(_PAGE)
            ).all()
            if not page:
                return
            for delivery_id, body in page:
                yield delivery_id, bytes(body)
            after = page[-1][0]

    def _erase_webhook_bodies(self, emails: set[str], customer_ids: set[str], order_ids: set[str]) -> int:
        """Raw bodies that name the customer: by email anywhere, or by the ids platforms send."""
        needles = [e.encode() for e in emails]
        wanted = {f"{key}:{cid}" for cid in customer_ids
                  for key in ("customer_id", "customer.id")}
        wanted |= {f"{key}:{oid}" for oid in order_ids
                   for key in ("id", "order_id", "order.id", "order_edit.order_id")}
        hits = []
        for delivery_id, body in self._bodies():
            if _mentions(body, needles):
                hits.append(delivery_id)
                continue
            try:
                payload = json.loads(body)
            except (ValueError, UnicodeDecodeError, RecursionError):
                continue
            if _ids_in(payload) & wanted:
                hits.append(delivery_id)
        for start in range(0, len(hits), _PAGE):
            chunk = hits[start:start + _PAGE]
            # One still waiting is not applied any more: it would write the customer back.
            self._session.execute(update(WebhookDeliveryRow).where(
                WebhookDeliveryRow.id.in_(chunk), WebhookDeliveryRow.status == "received",
            ).values(status="ignored"))
            self._session.execute(update(WebhookDeliveryRow).where(WebhookDeliveryRow.id.in_(chunk))
                                  .values(body=REDACTED_BODY, error=""))
        return len(hits)

    def _remove_photos(self, names: list[str]) -> int:
        folder = self._instance / "uploads" / str(self._shop_id)
        count = 0
        for name in names:
            path = folder / Path(name).name  # a stored name never walks out of the folder
            if path.is_file():
                path.unlink()
                count += 1
        return count

    def _remove_exports(self, emails: set[str]) -> int:
        folder = self._instance / "exports" / str(self._shop_id)
        needles = [e.encode() for e in emails]
        count = 0
        if not needles or not folder.is_dir():
            return 0
        for path in folder.iterdir():
            if path.is_file() and _mentions(path.read_bytes(), needles):
                path.unlink()
                count += 1
        return count

    # ---- the whole shop ----

    def erase_shop(self) -> Erased:
        """Delete every row of the shop, the shop itself, and its files."""
        erased = Erased()
        shop = self._shop_id
        returns = select(ReturnRow.id).where(ReturnRow.shop_id == shop)
        orders = select(OrderRow.id).where(OrderRow.shop_id == shop)
        for model, where in ((TimelineEventRow, TimelineEventRow.return_id.in_(returns)),
                             (ReturnItemRow, ReturnItemRow.return_id.in_(returns))):
            erased.add(model.__tablename__, _rowcount(self._session.execute(delete(model).where(where))))
        # Children before parents; every table carrying shop_id, so a new one is not forgotten.
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "order_lines":
                erased.add(table.name, _rowcount(self._session.execute(
                    delete(OrderLineRow).where(OrderLineRow.order_id.in_(orders)))))
            elif "shop_id" in table.columns:
                erased.add(table.name, _rowcount(self._session.execute(
                    delete(table).where(table.columns["shop_id"] == shop))))
        erased.add("shops", _rowcount(self._session.execute(delete(ShopRow).where(ShopRow.id == shop))))
        for sub in ("uploads", "exports"):
            folder = self._instance / sub / str(shop)
            if folder.is_dir():
                erased.add(f"{sub} files", sum(1 for p in folder.rglob("*") if p.is_file()))
                shutil.rmtree(folder)
        mail = self._instance / "mail"
        if mail.is_dir():
            for path in mail.glob(f"{shop}-*.eml"):
                path.unlink()
                erased.add("mail files", 1)
        self._session.flush()
        return erased


def purge_webhook_bodies(session: Session, received_before: datetime) -> int:
    """Blank the raw bodies of deliveries handled before the retention limit; returns how many.

    Only finished deliveries (processed, ignored, failed): a body still waiting is needed.
    """
    result = session.execute(update(WebhookDeliveryRow).where(
        WebhookDeliveryRow.received_at < received_before,
        WebhookDeliveryRow.status.in_(("processed", "ignored", "failed")),
        WebhookDeliveryRow.body != REDACTED_BODY,
    ).values(body=REDACTED_BODY))
    return _rowcount(result)
