"""Encryption of platform credentials at rest (Fernet, several keys for rotation). Imports cryptography only."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


def parse_keys(keys: str) -> list[str]:
    """TOKEN_ENCRYPTION_KEY as a list: one key, or several separated by commas or whitespace, newest first."""
    return [k for k in re.split(r"[\s,]+", keys.strip()) if k]


class CredentialBox:
    """Seals with the first TOKEN_ENCRYPTION_KEY; opens with any of them (MultiFernet).

    Rotation: put a new key first (the old ones after it), then `returns-connector keys
    rotate` re-encrypts every sealed value with it; the old keys can go afterwards.
    """

    def __init__(self, key: str, key_file: Path | None = None) -> None:
        # Keys kept in a file (the embedded default) are read again when a value does not open:
        # `keys rotate --new-key` in another process then needs no restart of this one.
        self._key_file = key_file
        self._lock = threading.Lock()
        self._load(key)

    def _load(self, key: str) -> None:
        keys = parse_keys(key)
        if not keys:
            raise ValueError("TOKEN_ENCRYPTION_KEY is empty")
        try:
            self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])
        except ValueError as exc:
            raise ValueError(f"TOKEN_ENCRYPTION_KEY holds a key that is not a Fernet key: {exc}") from None
        self.key_count = len(keys)
        self._keys = keys

    def _reloaded(self) -> bool:
        if self._key_file is None or not self._key_file.exists():
            return False
        with self._lock:
            keys = parse_keys(self._key_file.read_text())
            if not keys or keys == self._keys:
                return False
            self._load(" ".join(keys))
            return True

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
            if self._reloaded():
                return self.open(sealed)
            raise ValueError(
                "stored credentials cannot be decrypted: TOKEN_ENCRYPTION_KEY changed?"
            ) from exc

    def reseal(self, sealed: str) -> str:
        """The same secret sealed with the first key (unchanged when it already is); ValueError if unreadable."""
        if not sealed:
            return ""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("a sealed value cannot be decrypted with any TOKEN_ENCRYPTION_KEY") from exc
