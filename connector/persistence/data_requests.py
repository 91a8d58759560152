"""customers/data_request: what the app holds on a customer, exported for the shop's merchant only.

Imports SQLAlchemy, the tables and the standard library. Exports are files under
instance/exports/<shop>/, readable by the app's user only (0600 in a 0700 folder).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from connector.persistence.privacy import customer_orders, customer_returns, normalised
from connector.persistence.tables import CreditLedgerRow, EmailRow
from connector.ports import CustomerToRedact


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class DataRequestRepository:
    """One shop's data-request exports: what is gathered, where it is written, what may be downloaded."""

    def __init__(self, session: Session, shop_id: int, instance_path: str | Path) -> None:
        self._session = session
        self._shop_id = shop_id
        self._instance = Path(instance_path)

    def customer_data(self, who: CustomerToRedact) -> dict[str, Any]:
        """Everything about the customer, as JSON-ready data: orders, returns with their photos, emails, credit."""
        email, customer_id, order_ids = normalised(who)
        orders = customer_orders(self._session, self._shop_id, email, customer_id, order_ids)
        emails = {email} if email else set()
        emails |= {r.customer_email for r in orders if not r.customer_email.endswith("@invalid")}
        returns = customer_returns(self._session, self._shop_id, emails, [r.id for r in orders])
        return_ids = [r.id for r in returns]
        sent: list[EmailRow] = []
        if emails or return_ids:
            matches = []
            if emails:
                matches.append(EmailRow.to.in_(sorted(emails)))
            if return_ids:
                matches.append(EmailRow.return_id.in_(return_ids))
            sent = list(self._session.scalars(select(EmailRow).where(
                EmailRow.shop_id == self._shop_id, or_(*matches)).order_by(EmailRow.id)))
        credit = list(self._session.scalars(select(CreditLedgerRow).where(
            CreditLedgerRow.shop_id == self._shop_id, CreditLedgerRow.customer_email.in_(sorted(emails) or [""]),
        ).order_by(CreditLedgerRow.id)))
        return {
            "customer": {
                "emails": sorted(emails),
                "platform_customer_ids": sorted({r.customer_platform_id for r in orders if r.customer_platform_id}
                                                | ({customer_id} if customer_id else set())),
                "names": sorted({f"{r.customer_first_name} {r.customer_last_name}".strip() for r in orders} - {""}),
                "postal_codes": sorted({r.customer_postal_code for r in orders} - {""}),
            },
            "orders": [{
                "number": r.name, "platform_order_id": r.platform_order_id, "placed_at": _iso(r.placed_at),
                "currency": r.currency, "total_paid": str(r.total_paid), "email": r.customer_email,
                "first_name": r.customer_first_name, "last_name": r.customer_last_name,
                "postal_code": r.customer_postal_code, "fulfilled_at": _iso(r.fulfilled_at),
                "delivered_at": _iso(r.delivered_at), "cancelled_at": _iso(r.cancelled_at),
                "lines": [{"title": ln.title, "variant": ln.variant_title, "sku": ln.sku, "quantity": ln.quantity,
                           "unit_price": str(ln.unit_price)} for ln in r.lines],
            } for r in orders],
            "returns": [{
                "reference": r.reference, "status": r.status, "channel": r.channel, "created_at": _iso(r.created_at),
                "email": r.customer_email, "tracking_number": r.tracking_number,
                "merchant_message": r.merchant_message, "satisfaction": r.satisfaction,
                "satisfaction_comment": r.satisfaction_comment,
                "items": [{
                    "line": i.order_line_id, "title": i.line_title, "quantity": i.quantity, "reason": i.reason,
                    "resolution": i.resolution, "comment": i.comment, "condition": i.condition,
                    "rejection_reason": i.rejection_reason,
                    "photos": [self._photo(str(name)) for name in i.photos or ()],
                } for i in r.items],
                "timeline": [{"at": _iso(e.at), "kind": e.kind, "message": e.message}
                             for e in r.events if not e.private],
            } for r in returns],
            "emails_sent": [{"to": e.to, "subject": e.subject, "body": e.body, "status": e.status,
                             "created_at": _iso(e.created_at), "sent_at": _iso(e.sent_at)} for e in sent],
            "store_credit": [{"amount": str(c.amount), "currency": c.currency, "reason": c.reason,
                              "created_at": _iso(c.created_at)} for c in credit],
        }

    def _photo(self, name: str) -> dict[str, str]:
        path = self._instance / "uploads" / str(self._shop_id) / Path(name).name
        if not path.is_file():
            return {"name": name, "missing": "true"}
        return {"name": name, "base64": base64.b64encode(path.read_bytes()).decode("ascii")}

    def _exports(self) -> Path:
        return self._instance / "exports" / str(self._shop_id)

    def save_export(self, request_id: str, data: Mapping[str, Any]) -> str:
        """Write a data-request export readable by the app's user only (0600 in a 0700 folder); its file name."""
        folder = self._exports()
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        folder.chmod(0o700)
        safe_id = "".join(ch for ch in request_id if ch.isalnum() or ch in "-_")[:64] or "request"
        name = f"data-request-{safe_id}.json"
        path = folder / name
        # Created 0600 from the first byte: never readable by others, even for an instant.
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2, ensure_ascii=False)
        path.chmod(0o600)
        return name

    def exports(self) -> list[tuple[str, datetime]]:
        """The shop's data-request exports: file name and when it was written, newest first."""
        folder = self._exports()
        if not folder.is_dir():
            return []
        found = [(p.name, datetime.fromtimestamp(p.stat().st_mtime, UTC))
                 for p in folder.glob("data-request-*.json") if p.is_file()]
        return sorted(found, key=lambda item: item[1], reverse=True)

    def export_path(self, name: str) -> Path | None:
        """The export's path when `name` is one of this shop's exports; None otherwise."""
        if name != Path(name).name or not name.startswith("data-request-") or not name.endswith(".json"):
            return None
        path = self._exports() / name
        return path if path.is_file() else None

