"""Encryption of platform credentials at rest (Fernet). Imports cryptography only."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken


class CredentialBox:
    """Seals and opens secrets with the TOKEN_ENCRYPTION_KEY."""

    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def seal(self, secret: str) -> str:
        if not secret:
            return ""
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        if not sealed:
            return ""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                "stored credentials cannot be decrypted: TOKEN_ENCRYPTION_KEY changed?"
            ) from exc
