"""The yardstick of bench/webhooks.py: a Flask endpoint that reads the body and answers JSON."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

app = Flask(__name__)


@app.post("/webhooks/shopify")
def receive() -> tuple[Response, int]:
    request.get_data(cache=False)
    return jsonify(status="accepted"), 200
