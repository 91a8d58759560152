"""Test support for return labels: a fake carrier of our own port, and a shop set up for labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from connector.bootstrap import Services
from connector.domain.money import Money
from connector.domain.shipping import Label, LabelMode, LabelRequest, ParcelSize, PostalAddress, TrackingEvent
from connector.domain.shops import Shop
from connector.ports.carriers import CarrierAccount, CarrierError, LookupUnsupported

RETURN_ADDRESS = PostalAddress(name="Service retours", company="Boutique Exemple", line1="12 rue des Lilas",
                               postal_code="69003", city="Lyon", country_code="FR")
SHOPPER = PostalAddress(name="Claire Martin", line1="3 avenue Foch", postal_code="75016", city="Paris",
                        country_code="FR", email="claire@example.com")


@dataclass
class FakeCarrierState:
    bought: dict[str, Label] = field(default_factory=dict)  # by reference, as the carrier keeps them
    calls: int = 0
    can_look_up: bool = True
    events: dict[str, list[TrackingEvent]] = field(default_factory=dict)
    refuse: CarrierError | None = None


class FakeCarrierGateway:
    def __init__(self, state: FakeCarrierState) -> None:
        self.state = state

    def buy_label(self, request: LabelRequest) -> Label:
        if self.state.refuse is not None:
            raise self.state.refuse
        self.state.calls += 1
        number = f"FAKE{len(self.state.bought) + 1:06d}"
        label = Label(tracking_number=number, pdf=b"%PDF-1.4 fake", price=Money.of("6.45", "EUR"))
        self.state.bought[request.reference] = label
        return label

    def find_label(self, reference: str) -> Label | None:
        if not self.state.can_look_up:
            raise LookupUnsupported("this fake cannot look up")
        return self.state.bought.get(reference)

    def track(self, tracking_numbers: Sequence[str]) -> Mapping[str, Sequence[TrackingEvent]]:
        return {n: self.state.events[n] for n in tracking_numbers if n in self.state.events}


class FakeCarrier:
    name = "fake"
    title = "Fake carrier"
    fields: tuple[tuple[str, str, bool], ...] = (("api_key", "API key", True),)
    poll_every = timedelta(minutes=30)
    offers_qr = True
    specimen = False

    def __init__(self) -> None:
        self.state = FakeCarrierState()

    def gateway(self, account: CarrierAccount) -> FakeCarrierGateway:
        return FakeCarrierGateway(self.state)


def connect_carrier(services: Services, shop: Shop, carrier: str = "fake", *, auto_receive: bool = True,
                    label_price: str | None = None, credentials: dict[str, str] | None = None) -> None:
    with services.uow() as uow:
        uow.scope(shop).carrier_account.save(
            carrier=carrier, credentials=credentials or {}, test_mode=False, label_mode=LabelMode.PREPAID,
            auto_receive=auto_receive, label_price=Decimal(label_price) if label_price else None, currency="EUR",
            return_address=RETURN_ADDRESS, parcel=ParcelSize(Decimal("1.2")), now=services.clock.now())
        uow.commit()
