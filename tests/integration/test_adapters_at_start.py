"""The app starts with every installed adapter or not at all; the Shopify limiter works on any Redis URL the app accepts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from connector.app import create_app
from connector.bootstrap import AdapterLoadError, build_services
from connector.config import Settings
from connector.jobs.queues import redis_from_url
from platforms.shopify import ShopifyAdapter
from platforms.shopify.throttle import RedisLimiter, ThrottleStatus
from tests.conftest import TEST_KEY

REPO = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/start.db",
                "SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": TEST_KEY, **extra})
    return env


def test_an_adapter_that_cannot_load_stops_the_command_with_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "connector.cli", "shop", "list"], cwd=REPO, capture_output=True, text=True,
        env=_env(tmp_path, SHOPIFY_BULK_THRESHOLD="lots"), timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "platform adapter 'shopify'" in result.stderr
    assert "could not be loaded" in result.stderr
    assert "lots" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_adapter_that_cannot_load_stops_the_web_app_at_start(tmp_path: Path) -> None:
    settings = Settings.from_env({**_env(tmp_path), "SHOPIFY_BULK_THRESHOLD": "0"})
    with pytest.raises(AdapterLoadError, match="shopify"):
        create_app(settings)


def _redis_urls() -> list[str]:
    urls = ["fakeredis://"]
    if os.environ.get("REDIS_URL", "").startswith("redis://"):
        urls.append(os.environ["REDIS_URL"])
    return urls


@pytest.mark.parametrize("url", _redis_urls())
def test_the_shopify_cost_bucket_is_shared_through_every_redis_url_the_app_accepts(url: str, tmp_path: Path) -> None:
    settings = Settings.from_env({**_env(tmp_path), "REDIS_URL": url})
    svc = build_services(settings)
    try:
        adapter = svc.adapters["shopify"]
        assert isinstance(adapter, ShopifyAdapter)
        assert isinstance(adapter.limiter, RedisLimiter)
        shop = f"bucket-{os.getpid()}.myshopify.com"
        adapter.limiter.update(shop, ThrottleStatus(1000.0, 420.0, 50.0))
        # Another process of the app (same URL) sees the bucket this one recorded.
        stored = redis_from_url(url).hgetall(f"shopify:cost:{shop}")
        assert float(stored[b"available"]) == 420.0
        assert float(stored[b"restore"]) == 50.0
    finally:
        svc.engine.dispose()
