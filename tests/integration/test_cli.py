"""The returns-connector command, as a merchant runs it."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner

from connector.bootstrap import Services
from connector.cli import main
from connector.demo import demo_csv
from tests import builders
from tests.conftest import TEST_KEY


def _env(services: Services) -> dict[str, str]:
    return {
        "DATABASE_URL": services.settings.database_url, "INSTANCE_PATH": str(services.settings.instance_path),
        "SECRET_KEY": "x", "TOKEN_ENCRYPTION_KEY": TEST_KEY, "REDIS_URL": "",
    }


def test_orders_import_reads_a_csv_into_a_manual_shop(services: Services, tmp_path: Path) -> None:
    shop = builders.shop(services)
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(demo_csv(services.clock.now()), encoding="utf-8")
    result = CliRunner().invoke(main, ["orders", "import", "--shop", shop.slug, str(csv_file)], env=_env(services))
    assert result.exit_code == 0, result.output
    assert "imported 5 orders" in result.output
    with services.uow() as uow:
        order = uow.scope(shop).orders.get("1003")
    assert order is not None
    assert order.lines[0].final_sale
    assert order.customer.email == "lea@example.com"


def test_a_bad_csv_imports_nothing_and_names_every_bad_line(services: Services, tmp_path: Path) -> None:
    shop = builders.shop(services)
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text(
        "order_number,email,placed_at,currency,title,quantity,unit_price\n"
        "2001,ann@example.com,2026-06-01,EUR,Robe,1,49.00\n"
        "2002,not-an-email,2026-06-01,EUR,Robe,1,49.00\n"
        "2003,bob@example.com,yesterday,EUR,Robe,two,49.00\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["orders", "import", "--shop", shop.slug, str(csv_file)], env=_env(services))
    assert result.exit_code == 1
    assert "line 3" in result.output
    assert "line 4" in result.output
    assert "nothing imported" in result.output
    with services.uow() as uow:
        assert uow.scope(shop).orders.count() == 0


def test_unknown_shop_is_a_clear_error(services: Services, tmp_path: Path) -> None:
    csv_file = tmp_path / "orders.csv"
    csv_file.write_text("x\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["orders", "import", "--shop", "nope", str(csv_file)], env=_env(services))
    assert result.exit_code == 1
    assert "no shop 'nope'" in result.output


def test_demo_loads_a_shop_that_shop_list_shows(services: Services) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["demo"], env=_env(services))
    assert result.exit_code == 0, result.output
    assert "/portal/demo/" in result.output
    listed = runner.invoke(main, ["shop", "list"], env=_env(services))
    assert "demo\tmanual" in listed.output
    orders = int(re.search(r"(\d+) orders", listed.output).group(1))  # type: ignore[union-attr]
    assert orders > 150  # months of a shop, not five orders


def test_the_demo_shop_tells_a_story_across_months_products_reasons_and_resolutions(services: Services) -> None:
    from connector.demo import load_demo
    from connector.persistence.tables import OrderRow, ResolutionRow, ReturnItemRow, ReturnRow

    load_demo(services)
    with services.uow() as uow:
        session = uow.session
        months = {o.placed_at.strftime("%Y-%m") for o in session.query(OrderRow)}
        statuses = {r.status for r in session.query(ReturnRow)}
        reasons = {i.reason for i in session.query(ReturnItemRow)}
        kinds = {r.kind for r in session.query(ResolutionRow)}
        returns = session.query(ReturnRow).count()
    assert len(months) >= 4
    assert returns >= 30
    assert {"closed", "requested", "resolved"} <= statuses
    assert len(reasons) >= 5
    assert {"refund", "store_credit", "exchange", "coupon"} <= kinds


def test_the_demo_history_is_the_same_every_time() -> None:
    import random
    from datetime import UTC, datetime

    from connector.demo import HEADER
    from connector.demo_history import SEED, history_csv

    now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)
    assert history_csv(now, random.Random(SEED), HEADER) == history_csv(now, random.Random(SEED), HEADER)


def test_api_token_is_printed_once_and_stored_hashed(services: Services) -> None:
    shop = builders.shop(services)
    result = CliRunner().invoke(main, ["api-token", "create", "--shop", shop.slug], env=_env(services))
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert token.startswith("rc_")
    from connector.workflow.api_tokens import shop_for_token

    assert shop_for_token(services, token) == shop.id
    with services.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT token_hash FROM api_tokens").scalar_one()
    assert token not in stored


def test_shop_add_user_gives_a_merchant_sign_in(services: Services) -> None:
    shop = builders.shop(services)
    runner = CliRunner()
    result = runner.invoke(main, ["shop", "add-user", "--shop", shop.slug, "--email", "Owner@Example.com",
                                  "--password", "correct horse battery"], env=_env(services))
    assert result.exit_code == 0, result.output
    assert f"/admin/{shop.slug}/login" in result.output
    weak = runner.invoke(main, ["shop", "add-user", "--shop", shop.slug, "--email", "x@example.com",
                                "--password", "short"], env=_env(services))
    assert weak.exit_code == 1


def test_outbox_drain_says_which_rows_it_skipped_and_why(services: Services) -> None:
    from datetime import UTC, datetime, timedelta

    shop = builders.shop(services)
    now = datetime.now(UTC)  # the command reads the system clock
    with services.uow() as uow:
        outbox = uow.scope(shop).outbox
        running = outbox.add("send_email", 991, now)
        waiting = outbox.add("send_email", 992, now)
        outbox.add("send_email", 993, now)
        uow.all_outbox.claim(running.id, now, timedelta(seconds=30))
        uow.all_outbox.claim(waiting.id, now, timedelta(seconds=30))
        outbox.retry_later(waiting.id, "WooCommerce answered 503", now + timedelta(minutes=10))
        uow.commit()
    result = CliRunner().invoke(main, ["outbox", "drain"], env=_env(services))
    assert result.exit_code == 0, result.output
    assert "re-enqueued 0 webhook deliveries and 1 outbox rows" in result.output
    assert "skipped " in result.output  # the row just handed on may be listed too, until a worker takes it
    assert f"outbox {running.id} (send_email #991, shop {shop.id}): a worker is running it" in result.output
    assert f"outbox {waiting.id} (send_email #992, shop {shop.id}): next try at" in result.output
    assert "last error: WooCommerce answered 503" in result.output
