"""The WSGI entry point for gunicorn: `gunicorn connector.wsgi:app` (see Procfile)."""

from __future__ import annotations

from connector.app import create_app
from connector.jobs.relay import start_relay_thread
from connector.web.context import services

app = create_app()

with app.app_context():
    if services().queue.mode == "inline":
        # Without Redis there is no worker process: this process relays its own work.
        start_relay_thread(services())
