"""Rate limits stop an attacker without stopping anyone else: shoppers and the merchant from their own
addresses, behind a trusted proxy or not, while one address or many hammer the portal and the sign-in."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from connector.app import create_app
from connector.bootstrap import Services
from connector.config import Settings
from connector.domain.shops import Shop
from connector.persistence.tables import EmailRow
from connector.web.auth import create_merchant_user
from tests import builders
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import PASSWORD

ATTACKER = "203.0.113.66"
SHOPPER = "198.51.100.7"
MERCHANT = "192.0.2.44"
PROXY = "10.0.0.1"
OWNER = "owner@boutique.example"


def csrf(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services)
    builders.stored_order(services, found)  # #1001, claire@example.com, postal code 75011
    create_merchant_user(services, found.id, OWNER, PASSWORD)
    return found


def lookup(app: Flask, shop: Shop, ip: str, contact: str, number: str = "1001",
           forwarded: str | None = None) -> int:
    """One lookup by a fresh browser at `ip` (a new session each time, as an attacker's script would)."""
    client = app.test_client()
    environ = {"REMOTE_ADDR": ip}
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    page = client.get(f"/portal/{shop.slug}/", environ_base=environ, headers=headers)
    return client.post(f"/portal/{shop.slug}/", data={"csrf_token": csrf(page.get_data(as_text=True)),
                                                      "order": number, "contact": contact},
                       environ_base=environ, headers=headers).status_code


def sign_in(app: Flask, shop: Shop, ip: str, password: str, email: str = OWNER,
            client: FlaskClient | None = None, mode: str = "password") -> int:
    client = client or app.test_client()
    page = client.get(f"/admin/{shop.slug}/login", environ_base={"REMOTE_ADDR": ip})
    return client.post(f"/admin/{shop.slug}/login", environ_base={"REMOTE_ADDR": ip}, data={
        "email": email, "password": password, "mode": mode,
        "csrf_token": csrf(page.get_data(as_text=True))}).status_code


# ---- the portal's order lookup ----

def test_one_address_hammering_the_lookup_never_stops_another_shopper(app: Flask, shop: Shop) -> None:
    answers = [lookup(app, shop, ATTACKER, f"guess{n}@example.com") for n in range(300)]
    assert answers[:10] == [200] * 10  # tried and refused as a wrong pair
    assert set(answers[10:]) == {429}
    assert lookup(app, shop, SHOPPER, "claire@example.com") == 302
    assert lookup(app, shop, ATTACKER, "claire@example.com") == 429  # the attacker stays stopped


def test_many_addresses_guessing_shrink_each_budget_but_a_shopper_still_gets_in(app: Flask, shop: Shop) -> None:
    for n in range(31):  # 310 failed tries from 31 addresses: past the shop's 300
        for attempt in range(10):
            lookup(app, shop, f"203.0.113.{n}", f"x{attempt}@example.com", number=f"{2000 + n}")
    # A distributed attack is under way: a new address has 3 tries, not 0.
    assert lookup(app, shop, SHOPPER, "claire@example.com") == 302
    assert [lookup(app, shop, "198.51.100.99", "no@example.com", number="9") for _ in range(4)] == [
        200, 200, 200, 429]


def test_postal_codes_guessed_on_one_order_from_everywhere_close_it_to_postal_codes_only(
    app: Flask, shop: Shop,
) -> None:
    for n in range(10):
        assert lookup(app, shop, f"203.0.113.{n}", f"{n:05d}") == 200  # wrong postal codes
    # The right postal code no longer opens order 1001 in this window, from any address ...
    assert lookup(app, shop, "203.0.113.200", "75011") == 200
    # ... but its owner's email does.
    assert lookup(app, shop, SHOPPER, "claire@example.com") == 302


def test_a_new_window_lets_the_guesser_try_again(app: Flask, shop: Shop, clock: FrozenClock) -> None:
    for n in range(11):
        lookup(app, shop, ATTACKER, f"g{n}@example.com")
    assert lookup(app, shop, ATTACKER, "claire@example.com") == 429
    clock.advance(minutes=15)
    assert lookup(app, shop, ATTACKER, "claire@example.com") == 302


# ---- the merchant's sign-in ----

def test_wrong_passwords_from_one_address_never_lock_the_merchant_out(app: Flask, shop: Shop) -> None:
    answers = [sign_in(app, shop, ATTACKER, f"guess-{n}") for n in range(60)]
    assert answers[:10] == [401] * 10
    assert set(answers[10:]) == {429}
    assert sign_in(app, shop, MERCHANT, PASSWORD) == 302


def test_passwords_guessed_from_many_addresses_leave_the_merchant_the_emailed_link(
    app: Flask, shop: Shop, services: Services,
) -> None:
    for n in range(30):  # 30 wrong passwords on the account, from 10 addresses
        assert sign_in(app, shop, f"203.0.113.{n % 10}", f"guess-{n}") == 401
    # The password alone no longer opens the account, from any address, even the right one ...
    assert sign_in(app, shop, MERCHANT, PASSWORD) == 429
    assert sign_in(app, shop, "203.0.113.250", PASSWORD) == 429
    # ... the second factor does: a link sent to the merchant's mailbox.
    merchant = app.test_client()
    assert sign_in(app, shop, MERCHANT, "", client=merchant, mode="link") == 302
    with services.uow() as uow:
        body = uow.session.scalars(select(EmailRow.body).where(EmailRow.to == OWNER)).one()
    link = re.search(r"https?://\S+/login/link/\S+", body)
    assert link
    path = link.group(0).split("returns.example.test", 1)[1]
    assert merchant.get(path, environ_base={"REMOTE_ADDR": MERCHANT}).status_code == 302
    assert merchant.get(f"/admin/{shop.slug}/", environ_base={"REMOTE_ADDR": MERCHANT}).status_code == 200
    # Other accounts of the shop are not affected.
    create_merchant_user(services, shop.id, "second@boutique.example", PASSWORD)
    assert sign_in(app, shop, MERCHANT, PASSWORD, email="second@boutique.example") == 302


def test_the_account_lock_says_the_same_for_an_address_that_has_no_access(app: Flask, shop: Shop) -> None:
    for n in range(30):
        sign_in(app, shop, f"203.0.113.{n % 10}", "x", email="nobody@boutique.example")
    assert sign_in(app, shop, MERCHANT, "x", email="nobody@boutique.example") == 429


# ---- behind a load balancer ----

@pytest.fixture
def proxied_app(services: Services) -> Flask:
    settings = Settings.from_env({
        "DATABASE_URL": services.settings.database_url, "INSTANCE_PATH": str(services.settings.instance_path),
        "SECRET_KEY": "test-secret", "TOKEN_ENCRYPTION_KEY": services.settings.token_encryption_key,
        "APP_URL": "https://returns.example.test", "TRUSTED_PROXIES": "1",
    }, testing=True)
    services.settings = settings
    return create_app(settings, services)


def test_behind_one_trusted_proxy_each_shopper_is_counted_on_their_own_address(
    proxied_app: Flask, shop: Shop,
) -> None:
    # Every request comes from the proxy; the proxy names the client in X-Forwarded-For.
    for n in range(12):
        lookup(proxied_app, shop, PROXY, f"g{n}@example.com", forwarded=ATTACKER)
    assert lookup(proxied_app, shop, PROXY, "claire@example.com", forwarded=ATTACKER) == 429
    assert lookup(proxied_app, shop, PROXY, "claire@example.com", forwarded=SHOPPER) == 302


def test_behind_one_trusted_proxy_a_client_cannot_pick_its_own_address(proxied_app: Flask, shop: Shop) -> None:
    # The attacker sends its own X-Forwarded-For; the proxy appends the address it saw.
    for n in range(12):
        lookup(proxied_app, shop, PROXY, f"g{n}@example.com", forwarded=f"198.51.100.{n}, {ATTACKER}")
    assert lookup(proxied_app, shop, PROXY, "claire@example.com", forwarded=f"{SHOPPER}, {ATTACKER}") == 429


def test_without_a_trusted_proxy_the_header_is_ignored(app: Flask, shop: Shop) -> None:
    for n in range(12):
        lookup(app, shop, ATTACKER, f"g{n}@example.com", forwarded=f"198.51.100.{n}")
    assert lookup(app, shop, ATTACKER, "claire@example.com", forwarded=SHOPPER) == 429


def test_trusted_proxies_is_read_from_the_environment() -> None:
    base = {"SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": "k", "INSTANCE_PATH": "/tmp/unused-instance"}
    assert Settings.from_env(base).trusted_proxies == 0
    assert Settings.from_env({**base, "TRUSTED_PROXIES": "2"}).trusted_proxies == 2
    with pytest.raises(ValueError, match="TRUSTED_PROXIES"):
        Settings.from_env({**base, "TRUSTED_PROXIES": "-1"})


def test_failures_are_shared_through_redis_between_web_processes() -> None:
    import fakeredis

    from connector.web.portal_access import limiter_for

    server = fakeredis.FakeServer()
    first = limiter_for("redis://x", lambda url: fakeredis.FakeRedis(server=server))
    second = limiter_for("redis://x", lambda url: fakeredis.FakeRedis(server=server))
    now = 1_781_000_000.0
    for _n in range(10):
        first.failed(1, now, account="#1001")
    assert second.account_locked(1, "#1001", now)
    assert not second.account_locked(1, "#1002", now)
    assert not second.account_locked(2, "#1001", now)  # another shop
    assert not second.account_locked(1, "#1001", now + 15 * 60)  # a new window
    # No order number or email in Redis, only hashes.
    assert not [k for k in fakeredis.FakeRedis(server=server).keys() if b"1001" in k]
