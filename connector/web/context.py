"""Access to the app's services from a request, set by create_app."""

from __future__ import annotations

from typing import cast

from flask import current_app

from connector.bootstrap import Services


def services() -> Services:
    return cast(Services, current_app.extensions["returns_connector"])
