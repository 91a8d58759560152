"""Carrier adapters (labels and tracking), one module each, registered under `returns_connector.carriers`.

Like `platforms`, this package never imports Flask, SQLAlchemy, RQ or the app's edges: it
knows carrier formats and nothing else.
"""
