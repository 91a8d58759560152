"""What the use-case tests share: a shop with an order, in memory, on our own fake platform."""

from __future__ import annotations

from connector.domain.orders import Order
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shops import Shop
from connector.workflow import returns as flow
from tests import builders
from tests.fake_services import FakeServices, fake_services
from tests.fakes import FakePlatform

DOMAIN = "fake.example"
SECRET = "whsec-test"


def platform_and_services() -> tuple[FakePlatform, FakeServices]:
    platform = FakePlatform()
    return platform, fake_services(platform)


def shop_with_order(svc: FakeServices, **order: object) -> tuple[Shop, Order]:
    """A shop of the fake platform and one stored order (#1001: L1 at 40 EUR, L2 at 25 EUR)."""
    with svc.transaction() as uow:
        shop = uow.shops.connect(platform="fake", domain=DOMAIN, name="Boutique Claire", now=svc.clock.now(),
                                 credentials={"access_token": "t"}, webhook_secret=SECRET)
        built = builders.order(now=svc.clock.now(), platform="fake", **order)  # type: ignore[arg-type]
        uow.scope(shop).orders.save(built)
    return shop, built


def request_return(svc: FakeServices, shop: Shop, quantity: int = 1,
                   resolution: ResolutionKind = ResolutionKind.REFUND) -> flow.OpenedReturn:
    return flow.open_return_request(
        svc, shop.id, "1001", [flow.WantedItem("L1", quantity, "size_too_small", resolution, comment="Trop petit")],
        channel=Channel.PORTAL)


def through_inspection(svc: FakeServices, shop: Shop, reference: str) -> None:
    flow.approve(svc, shop.id, reference, "merchant")
    flow.receive(svc, shop.id, reference, "merchant")
    flow.inspect(svc, shop.id, reference, "merchant", {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
