"""Months of a believable shop for the demo: orders across products and sizes, returns across
reasons, resolutions and states, so the dashboard tells a story on first run.

Deterministic (a seeded random generator, dates relative to the clock) and quick: orders go in
through the CSV import, returns through the same use cases the portal and the admin call, each
at its own moment of the past.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from connector.bootstrap import Services
from connector.domain.errors import DomainError
from connector.domain.orders import Order
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.workflow import returns as flow

HISTORY_DAYS = 135  # four and a half months: enough weeks for a trend, loaded in seconds
FIRST_NUMBER = 101  # history orders 0101... come before the featured 1001-1005
SEED = 2026


@dataclass(frozen=True)
class Product:
    product_id: str
    title: str
    product_type: str
    price: str
    sizes: tuple[str, ...]
    sales_weight: int
    return_rate: float  # share of units that come back
    reasons: tuple[tuple[str, int], ...]  # reason code and its weight
    rising: bool = False  # returns climb in the last six weeks: the dashboard's "rising" table


CATALOGUE = (
    Product("robe-lin", "Robe lin bleue", "Robe", "79.00", ("S", "M", "L"), 9, 0.30,
            (("size_too_small", 6), ("size_too_large", 3), ("not_as_described", 1))),
    Product("jean-brut", "Jean brut", "Pantalon", "89.00", ("30", "32", "34"), 7, 0.22,
            (("size_too_large", 4), ("size_too_small", 3), ("changed_mind", 1))),
    Product("chemise-rayee", "Chemise rayée", "Chemise", "59.00", ("S", "M", "L"), 6, 0.12,
            (("changed_mind", 3), ("not_as_described", 2), ("size_too_small", 1))),
    Product("pull-laine", "Pull laine mérinos", "Pull", "69.00", ("S", "M", "L"), 6, 0.10,
            (("not_as_described", 2), ("changed_mind", 2), ("size_too_large", 1))),
    Product("tshirt-blanc", "T-shirt coton blanc", "T-shirt", "19.00", ("S", "M", "L"), 10, 0.05,
            (("changed_mind", 2), ("size_too_small", 1))),
    Product("baskets-toile", "Baskets toile écrue", "Chaussures", "65.00", ("38", "39", "40", "41", "42"), 5, 0.08,
            (("defective", 4), ("size_too_small", 2), ("wrong_item", 1)), rising=True),
    Product("veste-cuir", "Veste cuir", "Veste", "249.00", ("M", "L"), 2, 0.18,
            (("not_as_described", 3), ("changed_mind", 2))),
    Product("foulard-soie", "Foulard soie", "Accessoire", "25.00", ("",), 4, 0.04, (("changed_mind", 1),)),
)
FIRST_NAMES = ("Camille", "Julie", "Sophie", "Inès", "Manon", "Chloé", "Sarah", "Emma", "Louise", "Alice",
               "Thomas", "Lucas", "Hugo", "Nicolas", "Antoine", "Pauline", "Marie", "Lina", "Zoé", "Jeanne")
LAST_NAMES = ("Martin", "Bernard", "Petit", "Robert", "Richard", "Durand", "Leroy", "Moreau", "Simon", "Laurent",
              "Lefebvre", "Michel", "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard")
POSTCODES = ("75011", "69003", "33000", "13006", "31000", "44000", "59000", "67000", "35000", "06000")
RESOLUTIONS = ((ResolutionKind.REFUND, 50), (ResolutionKind.STORE_CREDIT, 22), (ResolutionKind.EXCHANGE, 18),
               (ResolutionKind.COUPON, 10))
COMMENTS = {
    "size_too_small": ("Taille un peu juste", "Trop serré aux épaules", ""),
    "size_too_large": ("Taille grand", "Trop ample", ""),
    "not_as_described": ("La couleur ne correspond pas aux photos", "Matière plus fine que prévu", ""),
    "changed_mind": ("Finalement non", ""),
    "defective": ("La semelle se décolle", "Couture ouverte au talon"),
    "wrong_item": ("Reçu la mauvaise pointure",),
}
# A 1×1 grey PNG: the photo a "defective" return carries in the demo.
DEMO_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6368686800000304010184e7fb8e0000000049454e44ae426082")


class _MovingClock:
    """The demo's own past: each step of a return happens at the moment it is set to."""

    def __init__(self, now: datetime) -> None:
        self.current = now

    def now(self) -> datetime:
        return self.current


def catalogue_csv() -> str:
    """The demo's catalogue: every size of every product, with stock (one size sold out, one low)."""
    rows = ["product_id,variant_id,title,variant_title,stock,image_url"]
    for product in CATALOGUE:
        for index, size in enumerate(product.sizes):
            sku = f"{product.product_id.upper()}-{size}" if size else product.product_id.upper()
            stock = 0 if (product.product_id, size) == ("robe-lin", "L") else 2 if index == 0 else 6 + index * 3
            rows.append(f'{product.product_id},{sku},"{product.title}",{size or "Taille unique"},{stock},')
    return "\n".join(rows) + "\n"


def _pick(rng: random.Random, weighted: Sequence[tuple[object, int]]) -> object:
    return rng.choices([value for value, _ in weighted], weights=[weight for _, weight in weighted])[0]


def history_csv(now: datetime, rng: random.Random, header: str) -> str:
    """Orders of the last months in the import's CSV format; busier on weekends and in sales."""
    rows = [header]
    number = FIRST_NUMBER
    weights = [p.sales_weight for p in CATALOGUE]
    for days_ago in range(HISTORY_DAYS, 2, -1):
        day = now - timedelta(days=days_ago)
        busy = 1.6 if day.weekday() >= 5 else 1.0
        for _order in range(rng.randint(1, 4) if rng.random() < 0.6 * busy else rng.randint(0, 1)):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first.lower().replace('é', 'e').replace('è', 'e').replace('ï', 'i')}.{last.lower()}@example.com"
            placed = day.replace(hour=rng.randint(8, 22), minute=rng.randint(0, 59), second=0, microsecond=0)
            products = rng.choices(CATALOGUE, weights=weights, k=1 if rng.random() < 0.7 else 2)
            for index, product in enumerate(dict.fromkeys(products), start=1):
                size = rng.choice(product.sizes)
                sku = f"{product.product_id.upper()}-{size}" if size else product.product_id.upper()
                rows.append(",".join([
                    f"0{number}", email, first, last, rng.choice(POSTCODES), placed.strftime("%Y-%m-%dT%H:%M:%S"),
                    (placed + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S"),
                    (placed + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M:%S"), "EUR", f"0{number}-{index}", sku,
                    f'"{product.title}"', size, f'"{product.product_type}"', "", "1", product.price, "0", "0", "",
                    "4.90", "yes", product.product_id, sku,
                ]))
            number += 1
    return "\n".join(rows) + "\n"


def _wanted(rng: random.Random, order: Order, now: datetime, photo: str) -> list[flow.WantedItem] | None:
    by_id = {p.product_id: p for p in CATALOGUE}
    wanted = []
    for line in order.lines:
        product = by_id.get(line.product_id or "")
        if product is None:
            continue
        rate = product.return_rate * 1.3
        if product.rising and (now - order.placed_at).days < 45:
            rate *= 4  # a bad batch: the dashboard's rising product
        if rng.random() >= rate:
            continue
        reason = str(_pick(rng, product.reasons))
        kind = _pick(rng, RESOLUTIONS)
        assert isinstance(kind, ResolutionKind)
        variant = None
        if kind is ResolutionKind.EXCHANGE:
            others = [s for s in product.sizes if s != line.variant_title] or list(product.sizes)
            variant = f"{product.product_id.upper()}-{rng.choice(others)}" if others[0] else line.variant_id
            variant = variant or line.platform_line_id
        photos = (photo,) if reason in ("defective", "wrong_item") else ()
        wanted.append(flow.WantedItem(line.platform_line_id, 1, reason, kind, comment=rng.choice(COMMENTS[reason]),
                                      photos=photos, exchange_variant_id=variant))
    return wanted or None


def load_history(svc: Services, shop_id: int, orders: Sequence[Order], photo: str) -> int:
    """Returns for the history orders, each carried as far as its age allows; how many were opened."""
    rng = random.Random(SEED + 1)
    real_now = svc.clock.now()
    clock = _MovingClock(real_now)
    past = replace(svc, clock=clock)
    opened = 0
    for order in sorted(orders, key=lambda o: o.placed_at):
        wanted = _wanted(rng, order, real_now, photo)
        if wanted is None:
            continue
        delivered = order.delivered_at or order.placed_at
        at = delivered + timedelta(days=rng.randint(1, 12), hours=rng.randint(0, 8))
        if at >= real_now:
            continue
        clock.current = at
        try:
            ret = flow.open_return_request(past, shop_id, order.platform_order_id, wanted, channel=Channel.PORTAL,
                                           locale="fr").ret
        except (flow.ReturnRefused, DomainError):
            continue
        opened += 1
        _carry(past, clock, rng, shop_id, ret.reference, ret.tracking_token, wanted, real_now)
    return opened


def _carry(svc: Services, clock: _MovingClock, rng: random.Random, shop_id: int, reference: str,
           tracking_token: str, wanted: Sequence[flow.WantedItem], real_now: datetime) -> None:
    """Approve, ship, receive, inspect, resolve and close, each step days apart, up to today."""
    fate = rng.random()

    def step(days: float) -> bool:
        clock.current += timedelta(days=days, hours=rng.randint(1, 6))
        return clock.current < real_now

    if fate < 0.04:
        if step(1):
            flow.cancel(svc, shop_id, reference, "shopper")
        return
    if fate < 0.09 and flow.load_return(svc, shop_id, reference)[1].can("reject"):
        if step(1):
            flow.reject(svc, shop_id, reference, "marchand@example.com",
                        "Article porté et lavé\u202f: nous ne pouvons pas l'accepter en retour.")
        return
    if not step(rng.uniform(0.2, 2)):
        return
    ret = flow.load_return(svc, shop_id, reference)[1]
    if ret.can("approve"):
        flow.approve(svc, shop_id, reference, "marchand@example.com")
    if not step(rng.uniform(1, 4)):
        return
    flow.mark_in_transit(svc, shop_id, reference, "shopper", f"6A{rng.randint(10**9, 10**10 - 1)}")
    if not step(rng.uniform(2, 5)):
        return
    flow.receive(svc, shop_id, reference, "marchand@example.com")
    if not step(rng.uniform(0.5, 3)):
        return
    outcomes = {}
    for item in wanted:
        if rng.random() < 0.08:
            outcomes[item.line_id] = Inspection(Condition.DAMAGED, 0, item.quantity, restock=False,
                                                rejection_reason="Article taché")
        else:
            outcomes[item.line_id] = Inspection(Condition.AS_NEW, item.quantity, 0, restock=True)
    flow.inspect(svc, shop_id, reference, "marchand@example.com", outcomes)
    if not step(rng.uniform(0.2, 2)):
        return
    resolutions = flow.resolve(svc, shop_id, reference, "marchand@example.com")
    # A shop without an integration carries refunds out by hand, a day or three later.
    if resolutions and step(rng.uniform(1, 3)):
        for resolution in resolutions:
            if resolution.push_status == "awaiting_merchant":
                flow.mark_resolution_done(svc, shop_id, resolution.id, "marchand@example.com", "virement")
    if clock.current < real_now and rng.random() < 0.45:
        score = int(str(_pick(rng, ((5, 6), (4, 3), (3, 1), (2, 1)))))
        said = {5: ("Rapide et simple", "Parfait", ""), 4: ("Remboursé en quelques jours", ""),
                3: ("Un peu long", ""), 2: ("Trop long à rembourser", "Frais de retour trop chers")}[score]
        flow.record_satisfaction(svc, shop_id, tracking_token, score, rng.choice(said))
    if clock.current < real_now and step(rng.uniform(3, 10)):
        flow.close(svc, shop_id, reference, "marchand@example.com")
