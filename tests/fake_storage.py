"""An in-memory storage behind the storage ports (connector/ports/storage.py): use cases without a database.

`FakeDatabase` is what is committed; a `FakeUnitOfWork` works on a copy taken when its
block opens and publishes it on `commit()`, so what a use case forgets to commit is lost
as it would be in PostgreSQL. The repositories do what the SQL ones do, as far as the
use cases can tell (scoped to one shop, statuses, leases, counts); they read the unit of
work's current copy at each call, so a rollback or a savepoint undoes what they did.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from connector.domain.money import Money
from connector.domain.orders import Order, normalise_order_name
from connector.domain.resolutions import Resolution
from connector.domain.returns import ReturnRequest, ReturnStatus
from connector.domain.shipping import Label, LabelMode, ParcelSize, ParcelStep, PostalAddress, TrackingEvent
from connector.domain.shops import Shop
from connector.ports.carriers import CarrierAccount
from connector.ports.platforms import CustomerToRedact, ShopConnection
from connector.ports.queries import ReturnListFilter
from connector.ports.storage import (
    CarrierSettings,
    CreditMovement,
    CustomerSummary,
    Delivery,
    DeliveryRecord,
    Endpoint,
    Erased,
    KnownShop,
    MerchantUser,
    OutboxItem,
    OutboxState,
    OutgoingDelivery,
    ReturnSummary,
    StoredEmail,
    StoredEvent,
    StoredShipment,
)

if TYPE_CHECKING:
    from connector.ports import storage as ports


@dataclass
class OutboxRecord:
    id: int
    shop_id: int
    task: str
    subject_id: int
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    available_at: datetime
    locked_until: datetime | None = None

    def item(self) -> OutboxItem:
        return OutboxItem(self.id, self.shop_id, self.task, self.subject_id, self.status, self.attempts,
                          self.last_error)

    def state(self) -> OutboxState:
        return OutboxState(self.id, self.shop_id, self.task, self.subject_id, self.attempts, self.created_at,
                           self.available_at, self.locked_until, self.last_error)


@dataclass
class ReturnRecord:
    shop_id: int
    ret: ReturnRequest
    currency: str
    return_shipping_fee: Money
    free_return: bool
    decision: dict[str, Any]
    platform_return_id: str | None
    created_at: datetime
    updated_at: datetime
    satisfaction: int | None = None
    satisfaction_comment: str = ""


@dataclass
class FakeData:
    """Every table, as dicts by id. Copied whole at each unit of work: keep test data small."""

    next_id: int = 1
    shops: dict[int, Shop] = field(default_factory=dict)
    credentials: dict[int, dict[str, str]] = field(default_factory=dict)
    webhook_secrets: dict[int, str] = field(default_factory=dict)
    last_synced: dict[int, datetime] = field(default_factory=dict)
    api_tokens: dict[int, tuple[int, str, str, datetime, datetime | None]] = field(default_factory=dict)
    deliveries: dict[int, Delivery] = field(default_factory=dict)
    outbox: dict[int, OutboxRecord] = field(default_factory=dict)
    orders: dict[tuple[int, str], Order] = field(default_factory=dict)
    returns: dict[int, ReturnRecord] = field(default_factory=dict)
    resolutions: dict[int, tuple[int, Resolution]] = field(default_factory=dict)
    emails: dict[int, StoredEmail] = field(default_factory=dict)
    credit: dict[int, list[CreditMovement]] = field(default_factory=dict)
    endpoints: dict[int, tuple[int, Endpoint, str, datetime | None]] = field(default_factory=dict)
    webhook_deliveries: dict[int, tuple[int, DeliveryRecord, str]] = field(default_factory=dict)
    carrier_settings: dict[int, CarrierSettings] = field(default_factory=dict)
    shipments: dict[int, tuple[int, StoredShipment]] = field(default_factory=dict)
    exports: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict)
    label_pdfs: dict[int, bytes] = field(default_factory=dict)
    merchant_users: dict[int, MerchantUser] = field(default_factory=dict)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id - 1


class FakeDatabase:
    """What is committed. Tests read it through a FakeUnitOfWork, as the use cases do."""

    def __init__(self) -> None:
        self.data = FakeData()
        self.commits = 0

    def uow(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)


class FakeUnitOfWork:
    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._work: FakeData | None = None

    def __enter__(self) -> FakeUnitOfWork:
        self._work = copy.deepcopy(self._database.data)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._work = None  # nothing uncommitted survives the block

    @property
    def data(self) -> FakeData:
        if self._work is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._work

    @property
    def shops(self) -> FakeShops:
        return FakeShops(self)

    @property
    def api_tokens(self) -> FakeApiTokens:
        return FakeApiTokens(self)

    @property
    def deliveries(self) -> FakeDeliveries:
        return FakeDeliveries(self)

    @property
    def all_outbox(self) -> FakeOutbox:
        return FakeOutbox(self, None)

    def scope(self, shop: Shop) -> FakeShopScope:
        return FakeShopScope(
            shop=shop, orders=FakeOrders(self, shop.id), returns=FakeReturns(self, shop.id),
            resolutions=FakeResolutions(self, shop.id), outbox=FakeOutbox(self, shop.id),
            emails=FakeEmails(self, shop.id), credit_ledger=FakeCreditLedger(self, shop.id),
            merchant_webhooks=FakeMerchantWebhooks(self, shop.id), carrier_account=FakeCarrierAccount(self, shop.id),
            shipments=FakeShipments(self, shop.id), privacy=FakePrivacy(self, shop.id),
            data_requests=FakeDataRequests(self, shop.id),
        )

    def merchant_users(self, shop_id: int) -> FakeMerchantUsers:
        return FakeMerchantUsers(self, shop_id)

    def analytics(self, shop: Shop) -> ports.ShopAnalytics:
        # The dashboard's figures are SQL aggregates: they are proven on the database
        # (tests/integration/test_analytics*.py), not re-implemented in memory.
        raise NotImplementedError("FakeUnitOfWork has no dashboard figures: test them on the database")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        before = copy.deepcopy(self.data)
        try:
            yield
        except BaseException:
            self._work = before
            raise

    def commit(self) -> None:
        self._database.data = copy.deepcopy(self.data)
        self._database.commits += 1

    def rollback(self) -> None:
        self._work = copy.deepcopy(self._database.data)


class _Repo:
    def __init__(self, uow: FakeUnitOfWork, shop_id: int | None) -> None:
        self._uow = uow
        self._shop_id = shop_id

    @property
    def _data(self) -> FakeData:
        return self._uow.data

    @property
    def shop_id(self) -> int:
        assert self._shop_id is not None, "written within one shop"
        return self._shop_id


# ---- across shops ----

class FakeShops(_Repo):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, None)

    def get(self, shop_id: int) -> Shop | None:
        return self._data.shops.get(shop_id)

    def by_domain(self, platform: str, domain: str) -> Shop | None:
        return next((s for s in self._data.shops.values() if s.platform == platform and s.domain == domain), None)

    def connect(
        self, *, platform: str, domain: str, now: datetime, name: str = "",
        credentials: dict[str, str] | None = None, webhook_secret: str = "", locale: str = "fr",
        currency: str = "EUR", policy: dict[str, Any] | None = None, slug: str | None = None,
    ) -> Shop:
        shop = self.by_domain(platform, domain)
        if shop is None:
            shop_id = self._data.new_id()
            shop = Shop(id=shop_id, platform=platform, domain=domain, slug=slug or f"shop-{shop_id}",
                        name=name or domain, locale=locale, currency=currency, installed_at=now,
                        policy=policy or {})
        shop = replace(shop, uninstalled_at=None, name=name or shop.name)
        self._data.shops[shop.id] = shop
        if credentials is not None:
            self._data.credentials[shop.id] = dict(credentials)
        if webhook_secret:
            self._data.webhook_secrets[shop.id] = webhook_secret
        return shop

    def connection(self, shop_id: int) -> ShopConnection:
        shop = self.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        creds = self._data.credentials.get(shop_id, {})
        return ShopConnection(
            shop_id=shop.id, platform=shop.platform, domain=shop.domain,
            access_token=creds.get("access_token", ""), consumer_key=creds.get("consumer_key", ""),
            consumer_secret=creds.get("consumer_secret", ""),
            webhook_secret=self._data.webhook_secrets.get(shop_id, ""), currency=shop.currency,
            options={k: str(v) for k, v in shop.options.items()})

    def update(self, shop_id: int, **fields: Any) -> Shop:
        if "last_synced_at" in fields:
            self._data.last_synced[shop_id] = fields.pop("last_synced_at")
        shop = replace(self._data.shops[shop_id], **fields)
        self._data.shops[shop_id] = shop
        return shop

    def uninstall(self, shop_id: int, now: datetime) -> None:
        self._data.shops[shop_id] = replace(self._data.shops[shop_id], uninstalled_at=now)
        self._data.credentials.pop(shop_id, None)

    def last_synced_at(self, shop_id: int) -> datetime | None:
        return self._data.last_synced.get(shop_id)

    def by_slug(self, slug: str) -> Shop | None:
        return next((s for s in self._data.shops.values() if s.slug == slug), None)

    def all(self) -> list[Shop]:
        return sorted(self._data.shops.values(), key=lambda s: s.id or 0)


class FakeMerchantUsers(_Repo):
    def _mine(self) -> list[MerchantUser]:
        return [u for u in self._data.merchant_users.values() if u.shop_id == self.shop_id]

    def by_email(self, email: str) -> MerchantUser | None:
        return next((u for u in self._mine() if u.email == email.strip().lower()), None)

    def get(self, user_id: int) -> MerchantUser | None:
        return next((u for u in self._mine() if u.id == user_id), None)

    def all(self) -> list[MerchantUser]:
        return sorted(self._mine(), key=lambda u: u.id)

    def save(self, email: str, password_hash: str, now: datetime) -> MerchantUser:
        found = self.by_email(email)
        user = MerchantUser(id=found.id if found else self._data.new_id(), shop_id=self.shop_id,
                            email=email.strip().lower(), password_hash=password_hash,
                            created_at=found.created_at if found else now)
        self._data.merchant_users[user.id] = user
        return user


class FakeApiTokens(_Repo):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, None)

    def add(self, shop_id: int, token_hash: str, label: str, now: datetime) -> int:
        token_id = self._data.new_id()
        self._data.api_tokens[token_id] = (shop_id, token_hash, label, now, None)
        return token_id

    def revoke(self, shop_id: int, token_id: int, now: datetime) -> bool:
        token = self._data.api_tokens.get(token_id)
        if token is None or token[0] != shop_id or token[4] is not None:
            return False
        self._data.api_tokens[token_id] = (*token[:4], now)
        return True

    def revoke_all(self, shop_id: int, now: datetime) -> int:
        live = [t for t, row in self._data.api_tokens.items() if row[0] == shop_id and row[4] is None]
        return sum(self.revoke(shop_id, t, now) for t in live)

    def shop_for(self, token_hash: str) -> int | None:
        return next((row[0] for row in self._data.api_tokens.values() if row[1] == token_hash and row[4] is None),
                    None)


class FakeDeliveries(_Repo):
    def __init__(self, uow: FakeUnitOfWork) -> None:
        super().__init__(uow, None)

    def get(self, delivery_id: int) -> Delivery | None:
        return self._data.deliveries.get(delivery_id)

    def claim(self, delivery_id: int) -> bool:
        return bool(self.claim_many([delivery_id]))

    def claim_many(self, delivery_ids: list[int]) -> list[Delivery]:
        claimed = []
        for delivery_id in sorted(delivery_ids):
            delivery = self._data.deliveries.get(delivery_id)
            if delivery is not None and delivery.status == "received":
                delivery = replace(delivery, attempts=delivery.attempts + 1)
                self._data.deliveries[delivery_id] = delivery
                claimed.append(delivery)
        return claimed

    def mark(self, delivery_id: int, status: str, now: datetime, error: str = "") -> None:
        if delivery_id in self._data.deliveries:
            self._data.deliveries[delivery_id] = replace(self._data.deliveries[delivery_id], status=status,
                                                         error=error[:2000])

    def mark_many(self, delivery_ids: list[int], status: str, now: datetime) -> None:
        for delivery_id in delivery_ids:
            self.mark(delivery_id, status, now)

    def note_failure(self, delivery_id: int, error: str, now: datetime, *, final: bool,
                     counted: bool = False) -> int:
        delivery = self._data.deliveries[delivery_id]
        attempts = delivery.attempts if counted else delivery.attempts + 1
        self._data.deliveries[delivery_id] = replace(delivery, attempts=attempts, error=error[:2000],
                                                     status="failed" if final else delivery.status)
        return attempts

    def purge_bodies(self, received_before: datetime) -> int:
        old = [d for d in self._data.deliveries.values()
               if d.received_at < received_before and d.status != "received" and d.body]
        for delivery in old:
            self._data.deliveries[delivery.id] = replace(delivery, body=b"{}")
        return len(old)


class FakeOutbox(_Repo):
    def _rows(self) -> list[OutboxRecord]:
        return [r for r in self._data.outbox.values() if self._shop_id is None or r.shop_id == self._shop_id]

    def _row(self, outbox_id: int) -> OutboxRecord | None:
        return next((r for r in self._rows() if r.id == outbox_id), None)

    def add(self, task: str, subject_id: int, now: datetime) -> OutboxItem:
        row = OutboxRecord(self._data.new_id(), self.shop_id, task, subject_id, "pending", 0, "", now, now)
        self._data.outbox[row.id] = row
        return row.item()

    def get(self, outbox_id: int) -> OutboxItem | None:
        row = self._row(outbox_id)
        return row.item() if row else None

    def state_of(self, task: str, subject_ids: list[int]) -> dict[int, OutboxState]:
        return {r.subject_id: r.state() for r in self._rows()
                if r.status == "pending" and r.task == task and r.subject_id in subject_ids}

    def stale(self, task: str, older_than: datetime, limit: int = 200) -> list[OutboxState]:
        return [r.state() for r in self._rows()
                if r.status == "pending" and r.task == task and r.created_at < older_than][:limit]

    def claim(self, outbox_id: int, now: datetime, lease: timedelta) -> bool:
        row = self._row(outbox_id)
        if row is None or row.status != "pending" or (row.locked_until is not None and row.locked_until > now):
            return False
        row.locked_until = row.available_at = now + lease
        row.attempts += 1
        return True

    def renew(self, outbox_id: int, attempt: int, now: datetime, lease: timedelta) -> bool:
        row = self._row(outbox_id)
        if row is None or row.status != "pending" or row.attempts != attempt or row.locked_until is None:
            return False
        row.locked_until = row.available_at = now + lease
        return True

    def done(self, outbox_id: int, now: datetime) -> None:
        row = self._row(outbox_id)
        if row is not None:
            row.status, row.last_error, row.locked_until = "done", "", None

    def retry_later(self, outbox_id: int, error: str, at: datetime) -> None:
        row = self._row(outbox_id)
        if row is not None:
            row.available_at, row.last_error, row.locked_until = at, error[:2000], None

    def defer(self, outbox_id: int, at: datetime, why: str) -> None:
        row = self._row(outbox_id)
        if row is not None:
            row.available_at, row.last_error, row.locked_until = at, why[:2000], None
            row.attempts -= 1

    def fail(self, outbox_id: int, error: str) -> None:
        row = self._row(outbox_id)
        if row is not None:
            row.status, row.last_error, row.locked_until = "failed", error[:2000], None

    def stop_pending(self, tasks: tuple[str, ...], error: str) -> list[OutboxItem]:
        stopped = [r for r in self._rows() if r.status == "pending" and r.task in tasks]
        for row in stopped:
            row.status, row.last_error, row.locked_until = "failed", error[:2000], None
        return [r.item() for r in stopped]


# ---- one shop ----

class FakeOrders(_Repo):
    def get(self, platform_order_id: str) -> Order | None:
        return self._data.orders.get((self.shop_id, platform_order_id))

    def save(self, order: Order) -> bool:
        known = self.get(order.platform_order_id)
        if known is not None and known.updated_at and order.updated_at and known.updated_at > order.updated_at:
            return False  # a newer stored order wins over a late event, as in SQL
        self._data.orders[(self.shop_id, order.platform_order_id)] = order
        return True

    def save_many(self, orders: Sequence[Order]) -> None:
        for order in orders:
            self.save(order)

    def delete(self, platform_order_id: str) -> None:
        self._data.orders.pop((self.shop_id, platform_order_id), None)

    def count_for_customer(self, email: str) -> int:
        email = email.strip().lower()
        return sum(1 for (shop_id, _), o in self._data.orders.items()
                   if shop_id == self.shop_id and o.customer.email.lower() == email)

    def find_by_name(self, name: str) -> Order | None:
        wanted = normalise_order_name(name)
        return next((o for (shop_id, _), o in self._data.orders.items()
                     if shop_id == self.shop_id and normalise_order_name(o.name) == wanted), None)

    def customers(self, search: str = "", limit: int = 50, offset: int = 0) -> tuple[list[CustomerSummary], int]:
        mine = [o for (shop_id, _), o in self._data.orders.items() if shop_id == self.shop_id]
        by_email: dict[str, list[Order]] = {}
        for order in mine:
            by_email.setdefault(order.customer.email.lower(), []).append(order)
        term = search.strip().lower()
        found = []
        for email, orders in by_email.items():
            last = max(orders, key=lambda o: o.placed_at)
            if term and term not in email and term not in f"{last.customer.first_name} {last.customer.last_name}".lower():
                continue
            returns = sum(1 for r in self._data.returns.values()
                          if r.shop_id == self.shop_id and r.ret.customer_email == email)
            found.append(CustomerSummary(email=email, first_name=last.customer.first_name,
                                         last_name=last.customer.last_name, orders=len(orders),
                                         last_order_at=last.placed_at, returns=returns))
        found.sort(key=lambda c: c.last_order_at, reverse=True)
        return found[offset:offset + limit], len(found)


class FakeReturns(_Repo):
    def _records(self) -> list[ReturnRecord]:
        return [r for _, r in sorted(self._data.returns.items()) if r.shop_id == self.shop_id]

    def _record(self, return_id: int) -> ReturnRecord | None:
        record = self._data.returns.get(return_id)
        return record if record is not None and record.shop_id == self.shop_id else None

    @staticmethod
    def _copy(record: ReturnRecord | None) -> ReturnRequest | None:
        return copy.deepcopy(record.ret) if record is not None else None

    def get(self, return_id: int) -> ReturnRequest | None:
        return self._copy(self._record(return_id))

    def get_by_reference(self, reference: str, *, for_update: bool = False) -> ReturnRequest | None:
        return self._copy(next((r for r in self._records() if r.ret.reference == reference), None))

    def lock(self, return_id: int) -> bool:
        return self._record(return_id) is not None

    def get_by_tracking_token(self, token: str) -> ReturnRequest | None:
        return self._copy(next((r for r in self._records() if r.ret.tracking_token == token), None))

    def get_by_platform_return_id(self, platform_return_id: str) -> ReturnRequest | None:
        return self._copy(next((r for r in self._records() if r.platform_return_id == platform_return_id), None))

    def add(
        self, ret: ReturnRequest, *, now: datetime, currency: str,
        return_shipping_fee: Money | None = None, free_return: bool = False,
        decision: dict[str, Any] | None = None, platform_return_id: str | None = None,
    ) -> ReturnRequest:
        if (self.shop_id, ret.order_id) not in self._data.orders:
            raise LookupError(f"order {ret.order_id} is not in this shop")
        ret.id = self._data.new_id()
        ret.customer_email = ret.customer_email.strip().lower()
        self._data.returns[ret.id] = ReturnRecord(
            self.shop_id, copy.deepcopy(ret), currency, return_shipping_fee or Money.zero(currency), free_return,
            decision or {}, platform_return_id, now, now)
        return ret

    def save(self, ret: ReturnRequest, now: datetime) -> None:
        record = self._record(ret.id) if ret.id is not None else None
        if record is None:
            raise LookupError(f"return {ret.reference} is not in this shop")
        record.ret, record.updated_at = copy.deepcopy(ret), now

    def set_platform_return_id(self, return_id: int, platform_return_id: str) -> None:
        record = self._record(return_id)
        if record is not None:
            record.platform_return_id = platform_return_id

    def set_satisfaction(self, return_id: int, score: int, comment: str) -> None:
        record = self._record(return_id)
        if record is not None:
            record.satisfaction, record.satisfaction_comment = score, comment

    def row_details(self, return_id: int) -> dict[str, Any] | None:
        record = self._record(return_id)
        if record is None:
            return None
        order = self._data.orders.get((self.shop_id, record.ret.order_id))
        return {"currency": record.currency, "return_shipping_fee": record.return_shipping_fee,
                "free_return": record.free_return, "decision": record.decision,
                "satisfaction": record.satisfaction, "created_at": record.created_at,
                "updated_at": record.updated_at, "platform_return_id": record.platform_return_id,
                "order_name": order.name if order else ""}

    def _customer(self, email: str) -> list[ReturnRecord]:
        email = email.strip().lower()
        return [r for r in self._records() if r.ret.customer_email == email]

    def count_for_customer(self, email: str, since: datetime | None = None, before: datetime | None = None) -> int:
        return sum(1 for r in self._customer(email) if r.ret.status is not ReturnStatus.CANCELLED
                   and (since is None or r.created_at >= since) and (before is None or r.created_at < before))

    def free_returns_since(self, email: str, since: datetime) -> int:
        return sum(1 for r in self._customer(email) if r.free_return and r.created_at >= since
                   and r.ret.status not in (ReturnStatus.CANCELLED, ReturnStatus.REJECTED))

    def quantities_in_returns(self, platform_order_id: str, exclude_return_id: int | None = None) -> dict[str, int]:
        quantities: dict[str, int] = {}
        for record in self._records():
            ret = record.ret
            if (ret.order_id != platform_order_id or ret.id == exclude_return_id
                    or ret.status in (ReturnStatus.CANCELLED, ReturnStatus.REJECTED)):
                continue
            for item in ret.items:
                quantities[item.order_line_id] = quantities.get(item.order_line_id, 0) + item.quantity
        return quantities

    def for_order(self, platform_order_id: str) -> list[ReturnRequest]:
        return [copy.deepcopy(r.ret) for r in self._records() if r.ret.order_id == platform_order_id]

    def customer_summaries(self, email: str, limit: int = 50) -> list[ReturnSummary]:
        summaries = []
        for record in reversed(self._customer(email)):
            ret = record.ret
            assert ret.id is not None
            order = self._data.orders.get((self.shop_id, ret.order_id))
            summaries.append(ReturnSummary(
                id=ret.id, reference=ret.reference, status=ret.status.value, channel=ret.channel.value,
                customer_email=ret.customer_email, order_name=order.name if order else "",
                created_at=record.created_at, updated_at=record.updated_at,
                units=sum(i.quantity for i in ret.items), reasons=tuple(i.reason for i in ret.items),
                resolutions=tuple(i.resolution.value for i in ret.items), free_return=record.free_return,
                currency=record.currency))
        return summaries[:limit]

    def _matching(self, flt: ReturnListFilter) -> list[ReturnRecord]:
        term = (flt.search or "").strip()
        found = []
        for record in self._records():
            ret = record.ret
            order = self._data.orders.get((self.shop_id, ret.order_id))
            if flt.status and ret.status.value != flt.status:
                continue
            if flt.customer and ret.customer_email != flt.customer.strip().lower():
                continue
            if flt.created_from and record.created_at < flt.created_from:
                continue
            if flt.created_to and record.created_at >= flt.created_to:
                continue
            if flt.reason and all(i.reason != flt.reason for i in ret.items):
                continue
            if flt.resolution and all(i.resolution.value != flt.resolution for i in ret.items):
                continue
            if flt.product:
                lines = {line.platform_line_id: line for line in order.lines} if order else {}
                wanted = flt.product.strip()
                if not any((line := lines.get(i.order_line_id)) is not None and (
                        wanted in (line.product_id, line.variant_id, line.sku)
                        or wanted.lower() in line.title.lower()) for i in ret.items):
                    continue
            if term and not (ret.reference == term.upper() or ret.customer_email == term.lower()
                             or (order is not None and normalise_order_name(order.name) == normalise_order_name(term))):
                continue
            found.append(record)
        return found

    def _summary(self, record: ReturnRecord) -> ReturnSummary:
        ret = record.ret
        assert ret.id is not None
        order = self._data.orders.get((self.shop_id, ret.order_id))
        return ReturnSummary(
            id=ret.id, reference=ret.reference, status=ret.status.value, channel=ret.channel.value,
            customer_email=ret.customer_email, order_name=order.name if order else "",
            created_at=record.created_at, updated_at=record.updated_at,
            units=sum(i.quantity for i in ret.items), reasons=tuple(i.reason for i in ret.items),
            resolutions=tuple(i.resolution.value for i in ret.items), free_return=record.free_return,
            currency=record.currency)

    def admin_summaries(
        self, flt: ReturnListFilter, *, sort: str = "-created", limit: int = 50, offset: int = 0,
    ) -> tuple[list[ReturnSummary], int]:
        found = self._matching(flt)
        key = sort.lstrip("-")
        sort_keys: dict[str, Any] = {
            "created": lambda r: (r.created_at, r.ret.id), "updated": lambda r: (r.updated_at, r.ret.id),
            "status": lambda r: (r.ret.status.value, r.ret.id), "reference": lambda r: r.ret.reference,
            "customer": lambda r: (r.ret.customer_email, r.ret.id)}
        found.sort(key=sort_keys.get(key, sort_keys["created"]), reverse=sort.startswith("-"))
        return [self._summary(r) for r in found[offset:offset + limit]], len(found)

    def search_after(
        self, flt: ReturnListFilter, *, after_created_at: datetime | None, after_id: int | None, limit: int,
    ) -> list[tuple[ReturnRequest, datetime, datetime]]:
        found = sorted(self._matching(flt), key=lambda r: (r.created_at, r.ret.id or 0), reverse=True)
        if after_created_at is not None and after_id is not None:
            found = [r for r in found if (r.created_at, r.ret.id or 0) < (after_created_at, after_id)]
        return [(copy.deepcopy(r.ret), r.created_at, r.updated_at) for r in found[:limit]]

    def id_for_reference(self, reference: str) -> int | None:
        found = next((r for r in self._records() if r.ret.reference == reference.strip().upper()), None)
        return found.ret.id if found is not None else None


class FakeResolutions(_Repo):
    """The domain's Resolution kept as is; its transitions are the domain's, as in the SQL repository."""

    def _put(self, resolution: Resolution) -> None:
        self._data.resolutions[resolution.id] = (self.shop_id, copy.deepcopy(resolution))

    def get(self, resolution_id: int) -> Resolution | None:
        found = self._data.resolutions.get(resolution_id)
        return copy.deepcopy(found[1]) if found is not None and found[0] == self.shop_id else None

    def for_return(self, return_id: int) -> list[Resolution]:
        return [copy.deepcopy(r) for shop_id, r in sorted(self._data.resolutions.values(), key=lambda x: x[1].id)
                if shop_id == self.shop_id and r.return_id == return_id]

    def add(self, resolution: Resolution, *, return_id: int, now: datetime) -> Resolution:
        if any(r.idempotency_key == resolution.idempotency_key for _, r in self._data.resolutions.values()):
            raise ValueError(f"idempotency key {resolution.idempotency_key} already used")  # the SQL unique index
        stored = replace(resolution, id=self._data.new_id(), return_id=return_id, created_at=now)
        self._put(stored)
        return copy.deepcopy(stored)

    def save(self, resolution: Resolution) -> None:
        if self.get(resolution.id) is None:
            raise LookupError(f"no resolution {resolution.id} in this shop")
        self._put(resolution)

    def _transition(self, resolution_id: int, change: Callable[[Resolution], None]) -> bool:
        found = self.get(resolution_id)
        if found is None:
            return False
        change(found)
        self._put(found)
        return True

    def mark_pushed(self, resolution_id: int, *, platform_reference: str, code: str, now: datetime) -> None:
        if not self._transition(resolution_id, lambda r: r.mark_pushed(platform_reference, code=code, at=now)):
            raise LookupError(f"no resolution {resolution_id} in this shop")

    def mark_failed(self, resolution_id: int, error: str, *, final: bool) -> None:
        def fail(resolution: Resolution) -> None:
            if not resolution.settled:
                resolution.mark_failed(error, final=final)

        self._transition(resolution_id, fail)

    def mark_done_by_merchant(self, resolution_id: int, note: str, now: datetime) -> None:
        if not self._transition(resolution_id, lambda r: r.mark_done_by_merchant(note or "manual", at=now)):
            raise LookupError(f"no resolution {resolution_id} in this shop")

    def retry(self, resolution_id: int) -> None:
        self._transition(resolution_id, lambda r: r.retry())


class FakeEmails(_Repo):
    def add(self, *, to: str, subject: str, body: str, return_id: int | None, now: datetime) -> StoredEmail:
        email = StoredEmail(self._data.new_id(), self.shop_id, return_id, to, subject, body, "pending", now, None)
        self._data.emails[email.id] = email
        return email

    def get(self, email_id: int) -> StoredEmail | None:
        email = self._data.emails.get(email_id)
        return email if email is not None and email.shop_id == self.shop_id else None

    def mark(self, email_id: int, status: str, now: datetime) -> None:
        email = self.get(email_id)
        if email is not None:
            self._data.emails[email_id] = replace(email, status=status, sent_at=now)

    def recent(self, limit: int = 100, return_id: int | None = None) -> list[StoredEmail]:
        found = [e for e in self._data.emails.values() if e.shop_id == self.shop_id
                 and (return_id is None or e.return_id == return_id)]
        return sorted(found, key=lambda e: e.id, reverse=True)[:limit]


class FakeCreditLedger(_Repo):
    def _movements(self) -> list[CreditMovement]:
        return self._data.credit.setdefault(self.shop_id, [])

    def has(self, reference: str) -> bool:
        return any(m.reference == reference for m in self._movements())

    def record(self, *, customer_email: str, amount: Money, reason: str, reference: str,
               now: datetime) -> CreditMovement | None:
        if self.has(reference):
            return None
        movement = CreditMovement(self._data.new_id(), customer_email.strip().lower(), amount, reason, reference, now)
        self._movements().append(movement)
        return movement

    def balance(self, customer_email: str, currency: str) -> Money:
        total = Money.zero(currency)
        for movement in self.movements(customer_email, currency):
            total = total + movement.amount
        return total

    def movements(self, customer_email: str, currency: str | None = None) -> list[CreditMovement]:
        email = customer_email.strip().lower()
        return [m for m in self._movements() if m.customer_email == email
                and (currency is None or m.amount.currency == currency)]


class FakeMerchantWebhooks(_Repo):
    def add_endpoint(self, *, url: str, secret: str, events: tuple[str, ...], description: str,
                     now: datetime) -> Endpoint:
        endpoint = Endpoint(self._data.new_id(), url, events, description, now)
        self._data.endpoints[endpoint.id] = (self.shop_id, endpoint, secret, None)
        return endpoint

    def endpoints(self) -> list[Endpoint]:
        return [e for shop_id, e, _, deleted in self._data.endpoints.values()
                if shop_id == self.shop_id and deleted is None]

    def endpoint(self, endpoint_id: int) -> Endpoint | None:
        return next((e for e in self.endpoints() if e.id == endpoint_id), None)

    def delete_endpoint(self, endpoint_id: int, now: datetime) -> bool:
        if self.endpoint(endpoint_id) is None:
            return False
        shop_id, endpoint, secret, _ = self._data.endpoints[endpoint_id]
        self._data.endpoints[endpoint_id] = (shop_id, endpoint, secret, now)
        return True

    def add_delivery(self, *, endpoint_id: int, event: str, event_id: str, body: str, now: datetime) -> int:
        record = DeliveryRecord(self._data.new_id(), endpoint_id, event_id, event, "pending", 0, now, None, "", "",
                                now, None)
        self._data.webhook_deliveries[record.id] = (self.shop_id, record, body)
        return record.id

    def deliveries(self, endpoint_id: int, *, before_id: int | None, limit: int) -> list[DeliveryRecord]:
        found = [r for shop_id, r, _ in self._data.webhook_deliveries.values() if shop_id == self.shop_id
                 and r.endpoint_id == endpoint_id and (before_id is None or r.id < before_id)]
        return sorted(found, key=lambda r: r.id, reverse=True)[:limit]

    def outgoing(self, delivery_id: int) -> OutgoingDelivery | None:
        found = self._data.webhook_deliveries.get(delivery_id)
        if found is None or found[0] != self.shop_id:
            return None
        _, record, body = found
        _, endpoint, secret, deleted = self._data.endpoints[record.endpoint_id]
        return OutgoingDelivery(record.id, endpoint.id, endpoint.url, secret, deleted is not None, record.event,
                                record.event_id, body, record.status, record.attempts)

    def record_attempt(self, delivery_id: int, *, status: str, status_code: int | None, response: str,
                       error: str, now: datetime, next_attempt_at: datetime | None) -> None:
        shop_id, record, body = self._data.webhook_deliveries[delivery_id]
        record = replace(record, status=status, attempts=record.attempts + 1, last_status_code=status_code,
                         last_response=response[:2000], last_error=error[:2000], next_attempt_at=next_attempt_at,
                         delivered_at=now if status == "delivered" else record.delivered_at)
        self._data.webhook_deliveries[delivery_id] = (shop_id, record, body)


class FakeCarrierAccount(_Repo):
    def get(self) -> CarrierSettings | None:
        return self._data.carrier_settings.get(self.shop_id)

    def save(self, *, carrier: str, credentials: dict[str, str], test_mode: bool, label_mode: LabelMode,
             auto_receive: bool, label_price: Decimal | None, currency: str, return_address: PostalAddress,
             parcel: ParcelSize, now: datetime) -> None:
        self._data.carrier_settings[self.shop_id] = CarrierSettings(
            carrier=carrier, account=CarrierAccount(carrier=carrier, credentials=dict(credentials), test_mode=test_mode),
            label_mode=label_mode, auto_receive=auto_receive,
            label_price=Money(label_price, currency) if label_price is not None else None,
            return_address=return_address, parcel=parcel, secrets_set=frozenset(credentials))


class FakeShipments(_Repo):
    def _put(self, shipment: StoredShipment) -> None:
        self._data.shipments[shipment.id] = (self.shop_id, shipment)

    def get(self, shipment_id: int) -> StoredShipment | None:
        found = self._data.shipments.get(shipment_id)
        return found[1] if found is not None and found[0] == self.shop_id else None

    def add(self, return_id: int, reference: str, carrier: str, currency: str, now: datetime,
            status: str = "address") -> int | None:
        if self.for_return(return_id) is not None:
            return None
        shipment = StoredShipment(self._data.new_id(), return_id, reference, carrier, status,
                                  ParcelStep.LABEL_CREATED, "", "", None, False, False, "", None)
        self._put(shipment)
        return shipment.id

    def for_return(self, return_id: int) -> StoredShipment | None:
        return next((s for shop_id, s in self._data.shipments.values()
                     if shop_id == self.shop_id and s.return_id == return_id), None)

    def set_sender(self, shipment_id: int, sender: PostalAddress, now: datetime) -> bool:
        shipment = self.get(shipment_id)
        if shipment is None or shipment.status != "address":
            return False
        self._put(replace(shipment, sender=sender, status="pending"))
        return True

    def set_status(self, shipment_id: int, status: str, now: datetime, error: str = "") -> None:
        shipment = self.get(shipment_id)
        if shipment is not None:
            self._put(replace(shipment, status=status, last_error=error))

    def record_label(self, shipment_id: int, label: Label, price: Money | None, now: datetime,
                     next_poll_at: datetime) -> None:
        shipment = self.get(shipment_id)
        if shipment is not None:
            self._put(replace(shipment, status="bought", tracking_number=label.tracking_number,
                              tracking_url=label.tracking_url, price=price, specimen=label.specimen,
                              has_label=True, last_error="", bought_at=now))

    def record_tracking_number(self, shipment_id: int, tracking_number: str, now: datetime,
                               next_poll_at: datetime) -> None:
        shipment = self.get(shipment_id)
        if shipment is not None:
            self._put(replace(shipment, status="bought", tracking_number=tracking_number, last_error="",
                              bought_at=now))

    def due_for_tracking(self, now: datetime, limit: int = 50) -> list[StoredShipment]:
        return [s for shop_id, s in self._data.shipments.values() if shop_id == self.shop_id
                and s.status == "bought" and s.tracking_number
                and s.step in (ParcelStep.LABEL_CREATED, ParcelStep.IN_TRANSIT)][:limit]

    def record_events(self, shipment_id: int, events: list[TrackingEvent], step: ParcelStep,
                      now: datetime, next_poll_at: datetime) -> list[TrackingEvent]:
        shipment = self.get(shipment_id)
        if shipment is None:
            return []
        known = {(e.occurred_at, e.code) for e in shipment.events}
        fresh = [e for e in events if (e.occurred_at, e.code) not in known]
        stored = tuple(StoredEvent(e.occurred_at, e.code, e.description, e.location, step) for e in fresh)
        self._put(replace(shipment, step=step, events=shipment.events + stored))
        return fresh

    def label_pdf(self, return_id: int) -> bytes | None:
        shipment = self.for_return(return_id)
        return self._data.label_pdfs.get(shipment.id) if shipment is not None else None

    def free_return_labels(self, start: datetime, end: datetime, currency: str) -> tuple[int, Decimal]:
        bought = [s for shop_id, s in self._data.shipments.values()
                  if shop_id == self.shop_id and s.bought_at is not None and start <= s.bought_at < end
                  and self._data.returns[s.return_id].free_return]
        return len(bought), sum((s.price.amount for s in bought if s.price is not None
                                 and s.price.currency == currency), Decimal(0))


class FakePrivacy(_Repo):
    def redact_customer(self, who: CustomerToRedact) -> Erased:
        erased = Erased()
        email = who.email.strip().lower()
        for key, order in list(self._data.orders.items()):
            if key[0] == self.shop_id and (order.customer.email.lower() == email
                                           or order.platform_order_id in who.platform_order_ids):
                del self._data.orders[key]
                erased.add("orders", 1)
        return erased

    def erase_shop(self) -> Erased:
        erased = Erased()
        for name in ("orders", "returns", "resolutions", "emails", "outbox", "shipments"):
            table: dict[Any, Any] = getattr(self._data, name)
            for key, value in list(table.items()):
                owner = key[0] if isinstance(key, tuple) else getattr(value, "shop_id", None)
                if owner is None and isinstance(value, tuple):
                    owner = value[0]
                if owner == self.shop_id:
                    del table[key]
                    erased.add(name, 1)
        self._data.shops.pop(self.shop_id, None)
        erased.add("shops", 1)
        return erased


class FakeDataRequests(_Repo):
    def customer_data(self, who: CustomerToRedact) -> dict[str, Any]:
        email = who.email.strip().lower()
        orders = [o.platform_order_id for (shop_id, _), o in self._data.orders.items()
                  if shop_id == self.shop_id and o.customer.email.lower() == email]
        returns = [r.ret.reference for r in self._data.returns.values()
                   if r.shop_id == self.shop_id and r.ret.customer_email == email]
        return {"customer": {"email": email}, "orders": orders, "returns": returns}

    def save_export(self, request_id: str, data: Mapping[str, Any]) -> str:
        name = f"data-request-{request_id}.json"
        self._data.exports[(self.shop_id, name)] = dict(data)
        return name

    def exports(self) -> list[tuple[str, datetime]]:
        # The fake keeps no time of saving: the exports come in the order they were made.
        return [(name, datetime.min.replace(tzinfo=UTC)) for (shop_id, name) in self._data.exports if shop_id == self.shop_id]

    def export_path(self, name: str) -> Path | None:
        return None  # the fake keeps exports in memory: there is no file to send


@dataclass(frozen=True)
class FakeShopScope:
    shop: Shop
    orders: FakeOrders
    returns: FakeReturns
    resolutions: FakeResolutions
    outbox: FakeOutbox
    emails: FakeEmails
    credit_ledger: FakeCreditLedger
    merchant_webhooks: FakeMerchantWebhooks
    carrier_account: FakeCarrierAccount
    shipments: FakeShipments
    privacy: FakePrivacy
    data_requests: FakeDataRequests


class FakeIntake:
    """The webhook request path's store, over the same FakeDatabase (committed at once, as the SQL one)."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database

    def shop(self, platform: str, domain: str, *, fresh: bool = False) -> KnownShop | None:
        with FakeUnitOfWork(self._database) as uow:
            found = uow.shops.by_domain(platform, domain)
            return KnownShop(found.id, uow.shops.connection(found.id)) if found is not None else None

    def forget(self, platform: str, domain: str) -> None:
        pass  # nothing cached

    def record(
        self, *, platform: str, shop_id: int, topic: str, dedupe_key: str, body: bytes,
        received_at: datetime, triggered_at: datetime | None, status: str = "received",
        queued_at: datetime | None = None,
    ) -> int | None:
        with FakeUnitOfWork(self._database) as uow:
            if shop_id not in uow.data.shops:
                raise LookupError(f"shop {shop_id} is gone")
            if any(d.platform == platform and d.dedupe_key == dedupe_key for d in uow.data.deliveries.values()):
                return None
            delivery = Delivery(uow.data.new_id(), platform, shop_id, topic, dedupe_key, body, status, 0,
                                received_at, triggered_at, "")
            uow.data.deliveries[delivery.id] = delivery
            uow.commit()
        return delivery.id


if TYPE_CHECKING:
    # mypy proves the fakes are the ports (`mypy --strict tests/fake_storage.py tests/fake_services.py`).
    def _unit_of_work(database: FakeDatabase) -> ports.UnitOfWork:
        return FakeUnitOfWork(database)

    def _scope(uow: FakeUnitOfWork, shop: Shop) -> ports.ShopScope:
        return uow.scope(shop)

    def _intake(database: FakeDatabase) -> ports.WebhookIntake:
        return FakeIntake(database)
