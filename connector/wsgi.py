"""The WSGI entry point for gunicorn: `gunicorn connector.wsgi:app` (see Procfile)."""

from __future__ import annotations

from connector.app import create_app
from connector.bootstrap import build_services
from connector.config import Settings
from connector.jobs.relay import start_relay_thread

# The composition root of the web process: its services, built once and handed to the app.
services = build_services(Settings.from_env())
app = create_app(services.settings, services)

if services.queue.mode == "inline":
    # Without Redis there is no worker process: this process relays its own work.
    start_relay_thread(services)
