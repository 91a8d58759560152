"""The merchant admin edge: registers the admin blueprint, its sign-in and its translations.

create_app calls `register(app, csrf)`. The views live in the admin_* modules beside this
one, each on the blueprint of admin_core. Imports Flask and those modules.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

PASSWORD_FAILURES_PER_ACCOUNT = 30


def register(app: Flask, csrf: CSRFProtect) -> None:
    # Importing the view modules attaches their routes to the blueprint.
    from connector.web import (  # noqa: F401
        admin_actions,
        admin_analytics,
        admin_carriers,
        admin_customers,
        admin_policy,
        admin_returns,
        admin_settings,
    )
    from connector.web.admin_core import bp
    from connector.web.auth import bp as auth_bp

    # Both check CSRF themselves: the cookie sign-in does, a session token is its own proof.
    csrf.exempt(bp)
    csrf.exempt(auth_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(bp)
    from connector.web.portal_access import limiter_for

    # More failures per account than one address may make (10): guessing a merchant's password
    # closes it to passwords only when several addresses join in (the emailed link still works).
    svc = app.extensions["returns_connector"]
    app.extensions["login_limiter"] = limiter_for(svc.settings.redis_url, svc.connect_redis,
                                                  per_account=PASSWORD_FAILURES_PER_ACCOUNT)
