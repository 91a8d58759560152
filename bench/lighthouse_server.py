"""Serve the portal with a seeded shop for Lighthouse: prints the URLs and a session cookie, then serves.

Usage: python bench/lighthouse_server.py PORT INSTANCE_DIR
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connector import app as factory  # noqa: E402
from connector.bootstrap import build_services  # noqa: E402
from connector.config import Settings  # noqa: E402
from connector.domain.money import Money  # noqa: E402
from connector.domain.orders import Customer, Order, OrderLine  # noqa: E402
from connector.domain.policy import ReturnPolicy  # noqa: E402
from connector.persistence.migrate import upgrade  # noqa: E402
from connector.web import portal  # noqa: E402


def line(line_id: str, title: str, price: str, **extra: object) -> OrderLine:
    return OrderLine(platform_line_id=line_id, title=title, quantity=1, unit_price=Money(Decimal(price), "EUR"),
                     discount=Money.zero("EUR"), tax=Money.zero("EUR"), fulfilled_quantity=1, **extra)  # type: ignore[arg-type]


def main() -> None:
    port, instance = int(sys.argv[1]), Path(sys.argv[2])
    settings = Settings.from_env({
        "INSTANCE_PATH": str(instance), "SECRET_KEY": "lighthouse", "APP_URL": f"http://127.0.0.1:{port}",
        "TOKEN_ENCRYPTION_KEY": "Yb3VxH8sY0mG2lq0M9-1cXoJc4kzqfW5cZ2y7zY3m0A=",
    })
    services = build_services(settings)
    upgrade(services.engine)
    now = datetime.now(UTC)
    with services.uow() as uow:
        shop = uow.shops.connect(platform="manual", domain="boutique.example", name="Boutique Claire", now=now,
                                 policy=ReturnPolicy(store_credit_bonus_percent=Decimal(10),
                                                     return_shipping_fee=Money(Decimal("5.90"), "EUR")).to_dict())
        uow.shops.update(shop.id, return_address="Boutique Claire\n12 rue des Lilas\n75011 Paris")
        uow.scope(shop).orders.save(Order(
            platform="manual", platform_order_id="1001", name="#1001", currency="EUR",
            customer=Customer("C1", "claire@example.com", "Claire", "Martin", "75011"),
            placed_at=now - timedelta(days=8), fulfilled_at=now - timedelta(days=7),
            delivered_at=now - timedelta(days=5),
            lines=(line("L1", "Robe lin", "40.00"), line("L2", "Ceinture soldée", "25.00", final_sale=True),
                   line("L3", "Foulard soie", "35.00")),
        ))
        uow.commit()

    # Only the portal among the optional edges: the benchmark measures the portal alone.
    factory._register_optional = lambda flask_app: portal.register(flask_app, factory.csrf)  # type: ignore[assignment]
    app = factory.create_app(settings, services)
    client = app.test_client()
    form = client.get(f"/portal/{shop.slug}/")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))
    assert token
    client.post(f"/portal/{shop.slug}/", data={"csrf_token": token.group(1), "order": "1001",
                                               "contact": "claire@example.com"})
    cookie = client.get_cookie("session")
    assert cookie is not None
    base = f"http://127.0.0.1:{port}/portal/{shop.slug}"
    print(f"LOOKUP_URL={base}/", flush=True)
    print(f"ITEMS_URL={base}/order", flush=True)
    print(f"SESSION_COOKIE=session={cookie.value}", flush=True)
    make_server("127.0.0.1", port, app, threaded=True).serve_forever()


if __name__ == "__main__":
    main()
