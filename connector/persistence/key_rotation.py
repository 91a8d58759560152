"""Re-encrypting every sealed value with the first TOKEN_ENCRYPTION_KEY. Imports SQLAlchemy and the tables.

Every column holding a sealed value is listed here, so a new one is rotated too. Rows are
re-sealed in batches, each batch its own transaction: a run stopped half-way leaves every
value readable (old keys still open them) and a second run finishes the job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import InstrumentedAttribute, Session, sessionmaker

from connector.persistence.crypto import CredentialBox
from connector.persistence.merchant_webhooks import MerchantWebhookEndpointRow
from connector.persistence.tables import ShopRow

# (table's id column, sealed columns)
SEALED: tuple[tuple[InstrumentedAttribute[int], tuple[InstrumentedAttribute[str], ...]], ...] = (
    (ShopRow.id, (ShopRow.credentials, ShopRow.webhook_secret)),
    (MerchantWebhookEndpointRow.id, (MerchantWebhookEndpointRow.secret,)),
)
BATCH = 200


def count_sealed_rows(session: Session) -> int:
    from sqlalchemy import func

    return sum(session.scalar(select(func.count()).select_from(key.class_)) or 0 for key, _columns in SEALED)


def _batches(session: Session, key: InstrumentedAttribute[int],
             columns: tuple[InstrumentedAttribute[str], ...]) -> Iterator[list[Any]]:
    after = 0
    while True:
        rows = session.execute(select(key, *columns).where(key > after).order_by(key).limit(BATCH)).all()
        if not rows:
            return
        yield list(rows)
        after = rows[-1][0]


def reseal_all(session_factory: sessionmaker[Session], box: CredentialBox,
               progress: Callable[[int], None] = lambda _n: None) -> int:
    """Re-seal every sealed value with the box's first key; returns how many values changed.

    `progress` is called with the number of rows done after each batch.
    """
    changed = 0
    with session_factory() as reader:
        for key, columns in SEALED:
            for rows in _batches(reader, key, columns):
                with session_factory() as writer, writer.begin():
                    for row in rows:
                        values = {col.key: box.reseal(value) for col, value in zip(columns, row[1:], strict=True)
                                  if value}
                        changed += sum(1 for col, value in zip(columns, row[1:], strict=True) if value)
                        if values:
                            writer.execute(update(key.class_).where(key == row[0]).values(**values))
                progress(len(rows))
    return changed
