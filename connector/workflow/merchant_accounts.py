"""The merchant's own sign-ins (WooCommerce and manual shops): accounts, passwords, emailed sign-in links.

Passwords are kept as werkzeug scrypt hashes. Who is signed in (the session cookie, the
Shopify session token) is the web edge's business (connector.web.auth); this module
keeps the accounts. Imports the domain; storage only through the unit of work.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from werkzeug.security import check_password_hash, generate_password_hash

from connector.domain.shops import Shop

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import MerchantUser as MerchantUser

MIN_PASSWORD_LENGTH = 10
# Checked against when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password-but-the-same-cost")


class WeakPassword(ValueError):
    """A password or email the app will not store; the message is for the merchant."""


def fingerprint(user: MerchantUser) -> str:
    """A short digest of the password hash, kept in sessions and links: a new password ends them."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def create_merchant_user(svc: Services, shop_id: int, email: str, password: str) -> MerchantUser:
    """Create a sign-in for a shop (or set a new password); for the connect flows, the demo and the CLI."""
    email = email.strip().lower()
    if "@" not in email or len(email) > 255:
        raise WeakPassword("an email address is needed to sign in")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"the password needs at least {MIN_PASSWORD_LENGTH} characters")
    with svc.uow() as uow:
        if uow.shops.get(shop_id) is None:
            raise LookupError(f"no shop {shop_id}")
        user = uow.merchant_users(shop_id).save(email, generate_password_hash(password), svc.clock.now())
        uow.commit()
    return user


def check_merchant_password(svc: Services, shop_id: int, email: str, password: str) -> MerchantUser | None:
    with svc.uow() as uow:
        user = uow.merchant_users(shop_id).by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    return user if check_password_hash(user.password_hash, password) else None


def merchant_users(svc: Services, shop_id: int) -> list[MerchantUser]:
    with svc.uow() as uow:
        return uow.merchant_users(shop_id).all()


def merchant_user(svc: Services, shop_id: int, user_id: int, fingerprinted: str) -> MerchantUser | None:
    """The shop's user of this id, only while its password is the one `fingerprinted` was made from."""
    with svc.uow() as uow:
        user = uow.merchant_users(shop_id).get(user_id)
    return user if user is not None and fingerprinted == fingerprint(user) else None


def send_sign_in_link(svc: Services, shop: Shop, email: str,
                      compose: Callable[[MerchantUser], tuple[str, str]]) -> None:
    """Email a sign-in link to the shop's user of this address; nothing when there is none.

    `compose` writes the subject and body for the user (the link in it, in the merchant's
    language). The caller says the same thing either way: the form must not reveal who has access.
    """
    with svc.uow() as uow:
        user = uow.merchant_users(shop.id).by_email(email)
        if user is None:
            return
        subject, body = compose(user)
        scope = uow.scope(shop)
        now = svc.clock.now()
        stored = scope.emails.add(to=user.email, subject=subject, body=body, return_id=None, now=now)
        scope.outbox.add("send_email", stored.id, now)
        uow.commit()
