"""What every HTTP edge shares with the app: its services (set by create_app), CSRF, the languages.

The one place the HTTP edges name the services' type: every edge imports `Services` from
here, never from the composition root, and nothing from connector.app (the import-linter
contract on the edges).
"""

from __future__ import annotations

from typing import cast

from flask import current_app
from flask_wtf.csrf import CSRFProtect

from connector.ports.services import Services as Services

SUPPORTED_LOCALES = ("fr", "en")
csrf = CSRFProtect()  # one per process, bound to each app by create_app


def services() -> Services:
    return cast(Services, current_app.extensions["returns_connector"])
