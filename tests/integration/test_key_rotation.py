"""`returns-connector keys rotate`: a new key seals, the old keys still open, every sealed value is re-encrypted."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.fernet import Fernet
from sqlalchemy import select

from connector.bootstrap import Services
from connector.cli import main
from connector.config import Settings
from connector.persistence.crypto import CredentialBox
from connector.persistence.merchant_webhooks import MerchantWebhookEndpointRow
from connector.persistence.tables import ShopRow
from tests import builders
from tests.conftest import TEST_KEY

NEW_KEY = Fernet.generate_key().decode()


def env(services: Services, key: str | None) -> dict[str, str | None]:
    return {"DATABASE_URL": services.settings.database_url, "INSTANCE_PATH": str(services.settings.instance_path),
            "SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": key, "REDIS_URL": ""}


def seed(services: Services) -> None:
    """Two shops with sealed tokens and webhook secrets, and a merchant webhook endpoint's secret."""
    for n in range(2):
        shop = builders.shop(services, platform="shopify", domain=f"shop-{n}.myshopify.com",
                             credentials={"access_token": f"shpat_{n}"}, webhook_secret=f"whsec_{n}")
    with services.uow() as uow:
        uow.scope(shop).merchant_webhooks.add_endpoint(url="https://erp.example/hooks", secret="endpoint-secret",
                                                       events=("return.created",), description="", now=services.clock.now())
        uow.commit()


def sealed_values(services: Services) -> list[str]:
    with services.engine.connect() as conn:
        values = [v for row in conn.execute(select(ShopRow.credentials, ShopRow.webhook_secret)) for v in row]
        values += list(conn.execute(select(MerchantWebhookEndpointRow.secret)).scalars())
    return [v for v in values if v]


def opened(values: list[str], box: CredentialBox) -> list[str]:
    return [box.open(v) for v in values]


def test_rotation_reseals_every_value_with_the_new_key_and_shows_progress(services: Services) -> None:
    seed(services)
    before = sealed_values(services)
    plain = opened(before, CredentialBox(TEST_KEY))
    # The app with the new key first and the old one after it reads everything already stored.
    assert opened(before, CredentialBox(f"{NEW_KEY},{TEST_KEY}")) == plain

    result = CliRunner().invoke(main, ["keys", "rotate"], env=env(services, f"{NEW_KEY},{TEST_KEY}"))
    assert result.exit_code == 0, result.output
    assert "re-encrypting with the first of 2 keys" in result.output
    assert "re-encrypted 5 sealed values in 3 rows" in result.output

    after = sealed_values(services)
    assert opened(after, CredentialBox(NEW_KEY)) == plain  # the new key alone opens everything
    with pytest.raises(ValueError, match="cannot be decrypted"):
        CredentialBox(TEST_KEY).open(after[0])  # the old key alone opens nothing any more
    # A process still running with the old key only (TOKEN_ENCRYPTION_KEY from the environment) must be
    # restarted with the new one first: it is told so, and the value tells it plainly.
    assert "restart every process" in result.output


def test_a_second_rotation_keeps_everything_readable(services: Services) -> None:
    seed(services)
    plain = opened(sealed_values(services), CredentialBox(TEST_KEY))
    for _run in range(2):
        result = CliRunner().invoke(main, ["keys", "rotate"], env=env(services, f"{NEW_KEY} {TEST_KEY}"))
        assert result.exit_code == 0, result.output
    assert opened(sealed_values(services), CredentialBox(NEW_KEY)) == plain


def test_keys_kept_under_instance_get_a_new_first_key_and_running_processes_follow(
    services: Services, tmp_path: Path,
) -> None:
    seed(services)
    plain = opened(sealed_values(services), CredentialBox(TEST_KEY))
    key_file = Path(services.settings.instance_path) / "token_encryption_key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(TEST_KEY + "\n")
    running = CredentialBox(key_file.read_text(), key_file)  # a web process started before the rotation

    result = CliRunner().invoke(main, ["keys", "rotate", "--new-key"], env=env(services, None))
    assert result.exit_code == 0, result.output
    keys = key_file.read_text().split()
    assert len(keys) == 2
    assert keys[1] == TEST_KEY
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    after = sealed_values(services)
    assert opened(after, CredentialBox(keys[0])) == plain
    assert opened(after, running) == plain  # it read the key file again, no restart needed
    assert Settings.from_env(env(services, None)).token_encryption_key_file == key_file  # type: ignore[arg-type]


def test_a_new_key_is_not_added_behind_the_environments_back(services: Services) -> None:
    result = CliRunner().invoke(main, ["keys", "rotate", "--new-key"], env=env(services, TEST_KEY))
    assert result.exit_code != 0
    assert "TOKEN_ENCRYPTION_KEY is set" in result.output


def test_a_key_that_is_not_a_fernet_key_is_named_clearly() -> None:
    with pytest.raises(ValueError, match="not a Fernet key"):
        CredentialBox(f"{TEST_KEY},not-a-key")


def test_keys_generate_prints_a_usable_key() -> None:
    result = CliRunner().invoke(main, ["keys", "generate"])
    assert result.exit_code == 0
    box = CredentialBox(result.output.strip())
    assert box.open(box.seal("secret")) == "secret"
