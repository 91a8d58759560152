"""Bearer tokens of the merchant API: shown once, stored as a SHA-256 hash, revocable."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from connector.ports.services import Services

PREFIX = "rc_"


def hash_token(token: str) -> str:
    # Tokens are 256 random bits: a plain SHA-256 is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(svc: Services, shop_id: int, label: str = "") -> str:
    token = PREFIX + secrets.token_urlsafe(32)
    with svc.uow() as uow:
        uow.api_tokens.add(shop_id, hash_token(token), label, svc.clock.now())
        uow.commit()
    return token


def revoke_token(svc: Services, shop_id: int, token_id: int) -> bool:
    with svc.uow() as uow:
        done = uow.api_tokens.revoke(shop_id, token_id, svc.clock.now())
        uow.commit()
    return done


def shop_for_token(svc: Services, token: str) -> int | None:
    """The shop a live token belongs to, or None (unknown or revoked)."""
    if not token.startswith(PREFIX):
        return None
    with svc.uow() as uow:
        return uow.api_tokens.shop_for(hash_token(token))
