"""Settings read from the environment (and an optional .env): the only reader of os.environ."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

DEFAULT_APP_URL = "http://127.0.0.1:5000"
DEFAULT_SHOPIFY_ADMIN_URL = "https://{shop}/admin/api/{version}"
DEFAULT_SHOPIFY_API_VERSION = "2026-10"


def _generated_secret(path: Path, make: str) -> str:
    """Read a secret kept under instance/, creating it on first run (mode 0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = Fernet.generate_key().decode() if make == "fernet" else secrets.token_urlsafe(48)
    # O_EXCL: two processes starting together must not each write a different key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(value)
    return value


def add_token_encryption_key(path: Path) -> str:
    """Put a new Fernet key first in the key file, the old ones kept after it to be read; the new key."""
    old = path.read_text().split() if path.exists() else []
    new = Fernet.generate_key().decode()
    staged = path.with_name(path.name + ".new")
    staged.unlink(missing_ok=True)
    fd = os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("\n".join([new, *old]) + "\n")
    staged.replace(path)  # atomic: a process starting now reads the old file or the new one, whole
    return new


@dataclass(frozen=True)
class Settings:
    instance_path: Path
    database_url: str
    redis_url: str | None
    secret_key: str
    token_encryption_key: str
    app_url: str = DEFAULT_APP_URL
    shopify_api_key: str = ""
    shopify_api_secret: str = ""
    shopify_previous_api_secret: str = ""
    shopify_scopes: str = "read_orders,write_orders,read_returns,write_returns,read_customers,write_discounts,write_gift_cards,write_store_credit_account_transactions"
    shopify_api_version: str = DEFAULT_SHOPIFY_API_VERSION
    shopify_admin_url: str = DEFAULT_SHOPIFY_ADMIN_URL
    shopify_oauth_url: str = "https://{shop}/admin/oauth"
    smtp_url: str = ""
    mail_from: str = "returns@localhost"
    testing: bool = False
    # Raw webhook bodies hold personal data: blanked this many days after they were handled.
    webhook_body_retention_days: int = 30
    # How many proxies in front of the app set X-Forwarded-For (0: trust none, use the socket's address).
    trusted_proxies: int = 0
    # Where TOKEN_ENCRYPTION_KEY was read from when the environment does not set it (keys rotate adds to it).
    token_encryption_key_file: Path | None = None
    # Everything else an adapter may want (e.g. WOOCOMMERCE_* knobs), as read.
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def shopify_enabled(self) -> bool:
        return bool(self.shopify_api_key and self.shopify_api_secret)

    @property
    def queue_mode(self) -> str:
        return "inline" if not self.redis_url else "redis"

    def adapter_settings(self) -> dict[str, str]:
        """The flat settings each platform adapter receives."""
        values = dict(self.extra)
        values.update({
            "APP_URL": self.app_url,
            "SHOPIFY_API_KEY": self.shopify_api_key,
            "SHOPIFY_API_SECRET": self.shopify_api_secret,
            "SHOPIFY_PREVIOUS_API_SECRET": self.shopify_previous_api_secret,
            "SHOPIFY_SCOPES": self.shopify_scopes,
            "SHOPIFY_API_VERSION": self.shopify_api_version,
            "SHOPIFY_ADMIN_URL": self.shopify_admin_url,
            "SHOPIFY_OAUTH_URL": self.shopify_oauth_url,
            "REDIS_URL": self.redis_url or "",
        })
        return values

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        if environ is None:
            from dotenv import dotenv_values

            # A .env file fills in what the real environment leaves unset.
            env_file = {k: v for k, v in dotenv_values(".env").items() if v is not None}
            environ = {**env_file, **os.environ}
        instance = Path(environ.get("INSTANCE_PATH") or Path.cwd() / "instance").resolve()
        database_url = environ.get("DATABASE_URL") or f"sqlite:///{instance / 'returns.db'}"
        if database_url.startswith("postgres://"):
            # Heroku-style URLs; SQLAlchemy wants the dialect and we use psycopg 3.
            database_url = "postgresql+psycopg://" + database_url[len("postgres://"):]
        elif database_url.startswith("postgresql://"):
            database_url = "postgresql+psycopg://" + database_url[len("postgresql://"):]
        values: dict[str, object] = {
            "instance_path": instance,
            "database_url": database_url,
            "redis_url": environ.get("REDIS_URL") or None,
            "secret_key": environ.get("SECRET_KEY") or _generated_secret(instance / "secret_key", "token"),
            "token_encryption_key": environ.get("TOKEN_ENCRYPTION_KEY")
            or _generated_secret(instance / "token_encryption_key", "fernet"),
            "app_url": (environ.get("APP_URL") or DEFAULT_APP_URL).rstrip("/"),
            "shopify_api_key": environ.get("SHOPIFY_API_KEY", ""),
            "shopify_api_secret": environ.get("SHOPIFY_API_SECRET", ""),
            "shopify_previous_api_secret": environ.get("SHOPIFY_PREVIOUS_API_SECRET", ""),
            "shopify_api_version": environ.get("SHOPIFY_API_VERSION") or DEFAULT_SHOPIFY_API_VERSION,
            "shopify_admin_url": environ.get("SHOPIFY_ADMIN_URL") or DEFAULT_SHOPIFY_ADMIN_URL,
            "shopify_oauth_url": environ.get("SHOPIFY_OAUTH_URL") or "https://{shop}/admin/oauth",
            "smtp_url": environ.get("SMTP_URL", ""),
            "mail_from": environ.get("MAIL_FROM", "returns@localhost"),
            "extra": {k: v for k, v in environ.items() if k.startswith(("WOOCOMMERCE_", "RETURNS_", "SHOPIFY_BULK_"))},
            "webhook_body_retention_days": _whole(environ, "WEBHOOK_BODY_RETENTION_DAYS", 30, low=1),
            "trusted_proxies": _whole(environ, "TRUSTED_PROXIES", 0, low=0),
            "token_encryption_key_file": None if environ.get("TOKEN_ENCRYPTION_KEY")
            else instance / "token_encryption_key",
        }
        if environ.get("SHOPIFY_SCOPES"):
            values["shopify_scopes"] = environ["SHOPIFY_SCOPES"]
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]


def _whole(environ: Mapping[str, str], name: str, default: int, *, low: int) -> int:
    """A whole-number setting; a wrong value stops the start with its name rather than being guessed."""
    raw = (environ.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < low:
        raise ValueError(f"{name} must be a whole number of at least {low}, got {raw!r}")
    return int(raw)
