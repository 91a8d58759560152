"""The unit of work: one transaction, the shop repository, and repositories scoped to a shop."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from connector.domain.shops import Shop
from connector.persistence.analytics import ShopAnalytics, for_shop
from connector.persistence.api_tokens import ApiTokenRepository
from connector.persistence.credit_ledger import CreditLedgerRepository
from connector.persistence.crypto import CredentialBox
from connector.persistence.data_requests import DataRequestRepository
from connector.persistence.emails import EmailRepository
from connector.persistence.merchant_users import MerchantUserRepository
from connector.persistence.merchant_webhooks import MerchantWebhookRepository
from connector.persistence.orders import OrderRepository
from connector.persistence.privacy import PrivacyRepository
from connector.persistence.queue_tables import DeliveryRepository, OutboxRepository
from connector.persistence.resolutions import ResolutionRepository
from connector.persistence.returns import ReturnRepository
from connector.persistence.shipments import CarrierAccountRepository, ShipmentRepository
from connector.persistence.shops import ShopRepository
from connector.ports import StorageConflict

# PostgreSQL's deadlock_detected and serialization_failure: the transaction was undone whole.
CONFLICT_CODES = frozenset({"40P01", "40001"})


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in CONFLICT_CODES


@dataclass(frozen=True)
class ShopScope:
    """Everything one shop may read or change. Built only from a Shop found by the caller."""

    shop: Shop
    orders: OrderRepository
    returns: ReturnRepository
    resolutions: ResolutionRepository
    outbox: OutboxRepository
    emails: EmailRepository
    credit_ledger: CreditLedgerRepository
    merchant_webhooks: MerchantWebhookRepository
    carrier_account: CarrierAccountRepository
    shipments: ShipmentRepository
    privacy: PrivacyRepository
    data_requests: DataRequestRepository


class UnitOfWork:
    def __init__(self, session_factory: sessionmaker[Session], box: CredentialBox,
                 instance_path: str = "instance") -> None:
        self._session_factory = session_factory
        self._box = box
        # Where the shop's files live (photos, mail, exports): erasure removes them with the rows.
        self._instance_path = instance_path
        self._session: Session | None = None

    def __enter__(self) -> UnitOfWork:
        self._session = self._session_factory()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session = self.session
        try:
            session.rollback()  # nothing uncommitted survives the block
        finally:
            session.close()
            self._session = None
        if exc is not None and is_conflict(exc):
            # Said in the ports' words, so a use case can run itself again (see StorageConflict).
            raise StorageConflict(str(exc).splitlines()[0]) from exc

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("use the unit of work inside a `with` block")
        return self._session

    @property
    def shops(self) -> ShopRepository:
        return ShopRepository(self.session, self._box)

    @property
    def api_tokens(self) -> ApiTokenRepository:
        return ApiTokenRepository(self.session)

    @property
    def deliveries(self) -> DeliveryRepository:
        return DeliveryRepository(self.session)

    @property
    def all_outbox(self) -> OutboxRepository:
        """The outbox across shops, for the relay and the sweep only (they dispatch by id)."""
        return OutboxRepository(self.session, None)

    def merchant_users(self, shop_id: int) -> MerchantUserRepository:
        """The shop's own sign-ins (WooCommerce and manual shops)."""
        return MerchantUserRepository(self.session, shop_id)

    def analytics(self, shop: Shop) -> ShopAnalytics:
        """The shop's dashboard figures, read in this transaction."""
        return for_shop(self, shop.id, shop.currency)

    def scope(self, shop: Shop) -> ShopScope:
        return ShopScope(
            shop=shop,
            orders=OrderRepository(self.session, shop),
            returns=ReturnRepository(self.session, shop),
            resolutions=ResolutionRepository(self.session, shop),
            outbox=OutboxRepository(self.session, shop.id),
            emails=EmailRepository(self.session, shop.id),
            credit_ledger=CreditLedgerRepository(self.session, shop.id),
            merchant_webhooks=MerchantWebhookRepository(self.session, self._box, shop.id),
            carrier_account=CarrierAccountRepository(self.session, self._box, shop.id),
            shipments=ShipmentRepository(self.session, shop.id),
            privacy=PrivacyRepository(self.session, shop.id, self._instance_path),
            data_requests=DataRequestRepository(self.session, shop.id, self._instance_path),
        )

    def savepoint(self) -> AbstractContextManager[object]:
        """A nested transaction: an exception inside the block undoes only what the block did."""
        return self.session.begin_nested()

    def commit(self) -> None:
        self.session.commit()

    def rollback(self) -> None:
        self.session.rollback()
