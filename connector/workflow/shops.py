"""Connecting shops: credentials checked with a real call, webhooks subscribed, kept encrypted."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import TYPE_CHECKING

from connector.domain.errors import DomainError
from connector.domain.money import Money
from connector.domain.shops import LANGUAGES, Shop
from connector.ports import ConnectablePlatform, IdentifiedPlatform, PlatformError, ShopConnection
from connector.ports.platforms import ConnectsWithKeys, EmbeddedSession, EmbeddedSessions, InvalidSessionToken

if TYPE_CHECKING:
    from connector.ports.services import Services


log = logging.getLogger(__name__)

# The address last read from the platform, so a return address the merchant typed is never overwritten.
PLATFORM_ADDRESS_OPTION = "platform_address"


class ConnectError(Exception):
    """The shop could not be connected; the message tells the merchant what to fix."""


class TokenExchangeError(Exception):
    """The embedded load could not get a token; `status` is the HTTP answer to give (401, 404, 502)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def connect_shop(
    svc: Services, platform: str, domain: str, credentials: dict[str, str], *, name: str = "",
) -> tuple[Shop, list[str]]:
    """Check the credentials, subscribe webhooks, then store the shop (only if it works)."""
    try:
        adapter = svc.adapter(platform)
    except LookupError as exc:
        raise ConnectError(str(exc)) from exc
    with svc.uow() as uow:
        existing = uow.shops.by_domain(platform, domain)
        secret = uow.shops.connection(existing.id).webhook_secret if existing else ""
    # Each shop gets its own webhook secret (WooCommerce signs with it; Shopify ignores it).
    webhook_secret = secret or secrets.token_urlsafe(32)
    probe = ShopConnection(
        shop_id=existing.id if existing else 0, platform=platform, domain=domain,
        access_token=credentials.get("access_token", ""), consumer_key=credentials.get("consumer_key", ""),
        consumer_secret=credentials.get("consumer_secret", ""), webhook_secret=webhook_secret,
        options=dict(existing.options) if existing else {},
    )
    notes: list[str] = []
    outcome = None
    if isinstance(adapter, ConnectablePlatform):
        try:
            outcome = adapter.connect(probe, svc.settings.app_url)
        except PlatformError as exc:
            raise ConnectError(str(exc)) from exc
        if not outcome.ok:
            raise ConnectError(outcome.message)
        notes = [outcome.message, *outcome.notes]
    with svc.uow() as uow:
        shop = uow.shops.connect(
            platform=platform, domain=domain, now=svc.clock.now(), name=name or (outcome.name if outcome else ""),
            credentials=credentials, webhook_secret=webhook_secret,
            currency=(outcome.currency if outcome and outcome.currency else "EUR"),
            locale=(outcome.locale if outcome and outcome.locale in ("fr", "en") else "fr"),
        )
        if outcome and outcome.options:
            shop = uow.shops.update(shop.id, options={**shop.options, **outcome.options})
        uow.commit()
    try:
        shop = refresh_identity(svc, shop.id)
    except PlatformError as exc:
        # Connected all the same: the reconciliation reads the identity again later.
        notes.append(f"the shop's name, currency and address could not be read yet: {exc}")
    return shop, notes


def refresh_identity(svc: Services, shop_id: int) -> Shop:
    """Read the shop's name, currency, language and address from its platform and keep ours in step.

    A return address the merchant typed in the app stays; one we read earlier follows the shop's.
    Raises PlatformError when the platform cannot be read; changes nothing then.
    """
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise LookupError(f"no shop {shop_id}")
        connection = uow.shops.connection(shop_id)
    adapter = svc.adapter(shop.platform)
    if not isinstance(adapter, IdentifiedPlatform):
        return shop
    identity = adapter.store_identity(connection)
    fields: dict[str, object] = {}
    if identity.name.strip():
        fields["name"] = identity.name.strip()[:255]
    try:
        if identity.currency:
            fields["currency"] = Money.zero(identity.currency).currency
    except DomainError:
        log.warning("shop %s: the platform gave the currency %r, kept %s", shop_id, identity.currency, shop.currency)
    if identity.locale in LANGUAGES:
        fields["locale"] = identity.locale
    if identity.contact_email and not shop.contact_email:
        fields["contact_email"] = identity.contact_email[:255]
    read_before = str(shop.options.get(PLATFORM_ADDRESS_OPTION, ""))
    if identity.address and shop.return_address in ("", read_before):
        fields["return_address"] = identity.address
        fields["options"] = {**shop.options, PLATFORM_ADDRESS_OPTION: identity.address}
    changed = {k: v for k, v in fields.items() if getattr(shop, k) != v}
    if not changed:
        return shop
    with svc.uow() as uow:
        shop = uow.shops.update(shop_id, **changed)
        uow.commit()
    return shop


def connect_with_keys(svc: Services, platform: str, fields: Mapping[str, str]) -> tuple[Shop, list[str]]:
    """Connect a shop with credentials the merchant pasted (a custom app's token, REST API keys).

    The platform reads its own fields (ConnectsWithKeys): which it needs, what they look like.
    """
    adapter = svc.adapters.get(platform)
    if not isinstance(adapter, ConnectsWithKeys):
        raise ConnectError(f"no {platform} adapter that connects with keys is installed")
    try:
        domain, credentials = adapter.credentials_from(fields)
    except ValueError as exc:
        raise ConnectError(str(exc)) from exc
    return connect_shop(svc, platform, domain, credentials)


def connected_shop(svc: Services, platform: str, domain: str) -> Shop | None:
    """The active shop a connect flow stored for `domain`, or None (not stored, or uninstalled)."""
    with svc.uow() as uow:
        shop = uow.shops.by_domain(platform, domain)
    return shop if shop is not None and shop.active else None


def embedded_session(svc: Services, token: str) -> tuple[str, EmbeddedSession] | None:
    """The platform and the session (shop, actor) of an embedded admin's session token.

    None when no platform embeds the app on this server; InvalidSessionToken when none of
    those that do accepts the token.
    """
    refused: InvalidSessionToken | None = None
    now = svc.clock.now()
    for platform, adapter in sorted(svc.adapters.items()):
        if not isinstance(adapter, EmbeddedSessions) or not adapter.embedded_enabled():
            continue
        try:
            return platform, adapter.session_of_token(token, now)
        except InvalidSessionToken as exc:
            refused = exc
    if refused is not None:
        raise refused
    return None


def invalid_session_headers(svc: Services) -> dict[str, str]:
    """The headers of a 401 for a refused session token, as the embedding platforms want them (a retry)."""
    headers: dict[str, str] = {}
    for _platform, adapter in sorted(svc.adapters.items()):
        if isinstance(adapter, EmbeddedSessions):
            headers.update(adapter.invalid_session_headers())
    return headers


def connect_embedded(svc: Services, platform: str, session_token: str) -> Shop:
    """The shop of an embedded admin's session token, connected with a token exchange if it has no usable token.

    For a first embedded load (a managed install) or a reinstall. Raises TokenExchangeError:
    status 401 for a forged, expired or foreign session token, 404 when this server does not
    offer the platform's embedded admin, 502 when the platform refuses the exchange or the shop
    cannot be connected.
    """
    adapter = svc.adapters.get(platform)
    if not isinstance(adapter, EmbeddedSessions) or not adapter.embedded_enabled():
        raise TokenExchangeError(f"the {platform} embedded app is off on this server", 404)
    now = svc.clock.now()
    try:
        domain = adapter.session_of_token(session_token, now).shop_domain
    except InvalidSessionToken as exc:
        raise TokenExchangeError(f"the ID token is not valid: {exc}", 401) from exc
    with svc.uow() as uow:
        found = uow.shops.by_domain(platform, domain)
        usable = found is not None and found.active and bool(uow.shops.connection(found.id).access_token)
    if found is not None and usable:
        return found
    try:
        domain, credentials = adapter.exchange_session_token(session_token, now)
        shop, _notes = connect_shop(svc, platform, domain, credentials)
    except InvalidSessionToken as exc:
        raise TokenExchangeError(f"the ID token is not valid: {exc}", 401) from exc
    except (PlatformError, ConnectError) as exc:
        raise TokenExchangeError(str(exc), 502) from exc
    return shop
