"""A merchant's shop as the domain sees it (credentials stay in storage). Standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Shop:
    id: int
    platform: str
    domain: str
    slug: str
    name: str
    locale: str
    currency: str
    installed_at: datetime
    uninstalled_at: datetime | None = None
    contact_email: str = ""
    return_address: str = ""
    policy: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.uninstalled_at is None


LANGUAGES = ("fr", "en")


def language_of(tag: str) -> str:
    """The app's language for a platform's locale tag ("fr_FR", "en-CA", "fr"), or "" when it speaks neither."""
    code = tag.strip().replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else ""
