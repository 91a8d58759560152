"""`returns-connector demo`: a sample manual shop, so the portal and the admin can be tried at once."""

from __future__ import annotations

import importlib
import random
import secrets
from datetime import datetime, timedelta
from decimal import Decimal

from connector.bootstrap import Services
from connector.demo_history import DEMO_PNG, SEED, catalogue_csv, history_csv, load_history
from connector.domain.policy import ReturnPolicy
from connector.domain.returns import Channel, Condition, Inspection, ResolutionKind
from connector.domain.shipping import LabelMode, ParcelSize, PostalAddress
from connector.web.portal_photos import Photo, store_photo
from connector.workflow import returns as flow
from platforms.manual import OPTION_KEY, catalogue_option, parse_catalogue_csv, parse_orders_csv

DEMO_SLUG = "demo"
DEMO_DOMAIN = "demo.returns-connector.local"
HEADER = ("order_number,email,first_name,last_name,postal_code,placed_at,fulfilled_at,delivered_at,currency,"
          "line_id,sku,title,variant_title,product_type,tags,quantity,unit_price,discount,tax,final_sale,"
          "shipping,taxes_included,product_id,variant_id")


# The featured orders' products, as the history's catalogue names them.
PRODUCT_IDS = {"Robe lin bleue": "robe-lin", "Foulard soie": "foulard-soie", "Jean brut": "jean-brut",
               "T-shirt coton blanc": "tshirt-blanc", "Veste cuir": "veste-cuir", "Chemise rayée": "chemise-rayee"}


def demo_policy() -> ReturnPolicy:
    return ReturnPolicy.from_dict({
        "currency": "EUR", "window_days": 30, "window_starts_from": "delivery",
        "final_sale_tag": "final-sale", "non_returnable_product_types": ["Carte cadeau"],
        "allowed_resolutions": ["refund", "store_credit", "coupon", "exchange"],
        "return_shipping_fee": "5.90", "return_shipping_paid_by": "shopper",
        "free_returns_limit": 1, "free_returns_period_days": 365,
        "store_credit_bonus_percent": "10", "auto_approve_max_order_value": "100.00",
        "auto_approve_max_previous_returns": 3,
    })


def demo_csv(now: datetime) -> str:
    def day(days_ago: int) -> str:
        return (now - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%S")

    rows = [
        # order, email, first, last, postcode, placed, fulfilled, delivered, lines...
        ("1001", "claire@example.com", "Claire", "Martin", "75011", 12, 10, 8, [
            ("1001-1", "ROBE-LIN-M", "Robe lin bleue", "M", "Robe", "", 1, "79.00", "0", "0", ""),
            ("1001-2", "FOULARD-SOIE", "Foulard soie", "", "Accessoire", "", 2, "25.00", "5.00", "0", ""),
        ]),
        ("1002", "hugo@example.com", "Hugo", "Bernard", "69003", 50, 48, 45, [
            ("1002-1", "JEAN-BRUT-32", "Jean brut", "32", "Pantalon", "", 1, "89.00", "0", "0", ""),
        ]),
        ("1003", "lea@example.com", "Léa", "Dubois", "33000", 9, 7, 5, [
            ("1003-1", "PULL-SOLDE-S", "Pull laine (soldes)", "S", "Pull", "final-sale", 1, "39.00", "0", "0", "yes"),
            ("1003-2", "TSHIRT-BLANC-L", "T-shirt coton blanc", "L", "T-shirt", "", 3, "19.00", "0", "0", ""),
        ]),
        ("1004", "sam@example.com", "Sam", "Taylor", "SW1A 1AA", 6, 4, 2, [
            ("1004-1", "VESTE-CUIR-L", "Veste cuir", "L", "Veste", "", 1, "249.00", "0", "0", ""),
        ]),
        ("1005", "claire@example.com", "Claire", "Martin", "75011", 20, 18, 16, [
            ("1005-1", "CHEMISE-RAYEE-M", "Chemise rayée", "M", "Chemise", "", 1, "59.00", "0", "0", ""),
            ("1005-2", "CARTE-CADEAU-50", "Carte cadeau 50 €", "", "Carte cadeau", "", 1, "50.00", "0", "0", ""),
        ]),
    ]
    lines = [HEADER]
    for number, email, first, last, postcode, placed, fulfilled, delivered, items in rows:
        for line_id, sku, title, variant, ptype, tags, qty, price, discount, tax, final in items:
            lines.append(",".join([
                number, email, first, last, f'"{postcode}"', day(placed), day(fulfilled), day(delivered), "EUR",
                line_id, sku, f'"{title}"', variant, f'"{ptype}"', tags, str(qty), price, discount, tax, final,
                "4.90", "yes", PRODUCT_IDS.get(title, ""), sku if title in PRODUCT_IDS else "",
            ]))
    return "\n".join(lines) + "\n"


def load_demo(svc: Services) -> str:
    """Create (or refresh) the demo shop; returns what to open and how to sign in."""
    now = svc.clock.now()
    with svc.uow() as uow:
        existing = uow.shops.by_slug(DEMO_SLUG)
        if existing is not None and existing.platform != "manual":
            raise RuntimeError("a non-demo shop already uses the slug 'demo'")
        shop = uow.shops.connect(platform="manual", domain=DEMO_DOMAIN, name="Boutique Démo", now=now,
                                 slug=DEMO_SLUG, locale="fr", currency="EUR", credentials={})
        shop = uow.shops.update(
            shop.id, policy=demo_policy().to_dict(), contact_email="marchand@example.com",
            return_address="Boutique Démo — Service retours\n12 rue des Lilas\n75011 Paris\nFrance",
        )
        scope = uow.scope(shop)
        if scope.carrier_account.get() is None:
            # The specimen carrier: sample labels printed SPÉCIMEN, a parcel that moves by itself.
            scope.carrier_account.save(
                carrier="specimen", credentials={}, test_mode=True, label_mode=LabelMode.PREPAID, auto_receive=True,
                label_price=None, currency="EUR", parcel=ParcelSize(Decimal("1")), now=now,
                return_address=PostalAddress(name="Service retours", company="Boutique Démo", line1="12 rue des Lilas",
                                             postal_code="75011", city="Paris", country_code="FR"))
        fresh = scope.orders.count() == 0
        history = parse_orders_csv(history_csv(now, random.Random(SEED), HEADER)) if fresh else []
        # One batch: new orders are inserted together with one rollup pass (save_many), instead
        # of a save and a rollup measure per order (most of the demo's time before).
        scope.orders.save_many([*history, *parse_orders_csv(demo_csv(now))])
        # Exchanges offer the catalogue's sizes with their stock, as a connected shop's would.
        shop = uow.shops.update(shop.id, options={
            **shop.options, OPTION_KEY: catalogue_option(parse_catalogue_csv(catalogue_csv()))})
        uow.commit()
    if fresh:
        photo = store_photo(svc.settings.instance_path, shop.id, Photo("png", DEMO_PNG))
        load_history(svc, shop.id, history, photo)
        _sample_returns(svc, shop.id)
    password = _merchant_sign_in(svc, shop.id)
    lines = [
        f"Demo shop ready: {shop.name} (manual platform)",
        f"  Return portal: {svc.settings.app_url}/portal/{DEMO_SLUG}/",
        "    try order 1001 with claire@example.com, or 1003 with lea@example.com (a final-sale item)",
        "    an approved return gets a sample label printed SPÉCIMEN (the demo carrier: nothing is bought)",
        f"  Merchant admin: {svc.settings.app_url}/admin/{DEMO_SLUG}/",
    ]
    if password:
        lines.append(f"    sign in as marchand@example.com with password {password}")
    return "\n".join(lines)


def _sample_returns(svc: Services, shop_id: int) -> None:
    """Two recent returns: one waiting for the merchant's decision, one resolved."""
    waiting = flow.open_return_request(
        svc, shop_id, "1004",
        [flow.WantedItem("1004-1", 1, "not_as_described", ResolutionKind.STORE_CREDIT,
                         comment="La couleur ne correspond pas aux photos")],
        channel=Channel.PORTAL)
    del waiting  # left waiting for the merchant's decision: the first thing to try in the admin
    done = flow.open_return_request(
        svc, shop_id, "1001",
        [flow.WantedItem("1001-2", 1, "changed_mind", ResolutionKind.REFUND, comment="Finalement non")],
        channel=Channel.PORTAL)
    reference = done.ret.reference
    if done.ret.can("approve"):
        flow.approve(svc, shop_id, reference, "demo")
    flow.receive(svc, shop_id, reference, "demo")
    flow.inspect(svc, shop_id, reference, "demo", {"1001-2": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    flow.resolve(svc, shop_id, reference, "demo")


def _merchant_sign_in(svc: Services, shop_id: int) -> str:
    """A sign-in for the demo admin, when the admin's own sign-in is installed."""
    try:
        auth = importlib.import_module("connector.web.auth")
    except ImportError:
        return ""
    create_merchant_user = getattr(auth, "create_merchant_user", None)
    if create_merchant_user is None:
        return ""
    password = secrets.token_urlsafe(9)
    create_merchant_user(svc, shop_id, "marchand@example.com", password)
    return password
