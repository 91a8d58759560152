"""The returns-connector command: thin wrappers over the workflow and the services."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from flask import Flask

from connector.bootstrap import AdapterLoadError, Services, build_services
from connector.config import Settings


def _services() -> Services:
    ctx = click.get_current_context()
    obj: dict[str, Any] = ctx.ensure_object(dict)
    if "services" not in obj:
        try:
            svc = build_services(Settings.from_env())
        except AdapterLoadError as exc:
            raise click.ClickException(str(exc)) from exc
        obj["services"] = svc
    services: Services = obj["services"]
    return services


def _upgrade(svc: Services) -> None:
    from connector.persistence.migrate import upgrade

    upgrade(svc.engine)


def _shop(svc: Services, key: str) -> Any:
    with svc.uow() as uow:
        shop = uow.shops.by_reference(key)
    if shop is None:
        raise click.ClickException(f"no shop {key!r}: see `returns-connector shop list`")
    return shop


@click.group()
@click.version_option(package_name="returns-connector")
def main() -> None:
    """returns-connector: returns management for Shopify, WooCommerce and manual shops."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--debug/--no-debug", default=False)
def serve(host: str, port: int, debug: bool) -> None:
    """Run the development server (migrates the database first)."""
    from connector.app import create_app

    svc = _services()
    _upgrade(svc)
    app = create_app(svc.settings, svc)
    _start_relay_thread(svc)
    click.echo(f"returns-connector on http://{host}:{port}/ (database: {svc.engine.url.render_as_string()}, "
               f"jobs: {svc.queue.mode})")
    app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)


def _start_relay_thread(svc: Services) -> None:
    """In the embedded default the web process also relays waiting work to the inline queue."""
    from connector.jobs.relay import start_relay_thread

    start_relay_thread(svc)


@main.command()
@click.option("--burst", is_flag=True, help="Stop when the queues are empty (tests, one-off runs).")
@click.option("--no-relay", is_flag=True, help="Do not run the outbox relay and sweep in this worker.")
@click.option("--queues", default="", help="Comma-separated queues to work (default: all, webhooks first).")
def worker(burst: bool, no_relay: bool, queues: str) -> None:
    """Run an RQ worker on all queues, with the outbox relay and the periodic sweep.

    It rides out Redis and PostgreSQL outages and exits only when stopped or misconfigured.
    """
    import logging

    from connector.jobs.queues import QUEUE_NAMES
    from connector.jobs.worker import ConfigurationError, run_lanes, run_worker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    svc = _services()
    if svc.queue.mode != "redis":
        raise click.ClickException("REDIS_URL is not set: jobs already run inside the web process")
    names = tuple(q.strip() for q in queues.split(",") if q.strip())
    try:
        if names or burst:
            # One process on the queues named (all of them in burst mode).
            run_worker(svc, burst=burst, relay=not no_relay, queues=names or QUEUE_NAMES)
        else:
            # Production: one supervised process per lane (webhooks; push and notify; sync).
            status = run_lanes(svc, relay=not no_relay)
            if status:
                raise click.ClickException(f"the worker stopped: a lane exited with {status}")
    except ConfigurationError as exc:
        raise click.ClickException(str(exc)) from exc


@main.group()
def db() -> None:
    """Database commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database to the newest schema."""
    svc = _services()
    _upgrade(svc)
    click.echo(f"database at head: {svc.engine.url.render_as_string()}")


@main.command()
def demo() -> None:
    """Load a sample shop (manual platform) with orders and returns to try the portal and admin."""
    from connector.demo import load_demo

    svc = _services()
    _upgrade(svc)
    result = load_demo(svc)
    click.echo(result)


@main.group()
def shop() -> None:
    """Connect and list shops."""


@shop.command("list")
def shop_list() -> None:
    svc = _services()
    with svc.uow() as uow:
        shops = uow.shops.all()
        counts = {s.id: uow.scope(s).orders.count() for s in shops}
    if not shops:
        click.echo("no shop yet: connect one, or run `returns-connector demo`")
    for s in shops:
        state = "uninstalled" if s.uninstalled_at else "active"
        click.echo(f"{s.id}\t{s.slug}\t{s.platform}\t{s.domain}\t{state}\t{counts[s.id]} orders")


@shop.command("connect-shopify")
@click.option("--domain", required=True, help="my-shop.myshopify.com")
@click.option("--token", required=True, help="the Admin API access token of a custom app")
def connect_shopify(domain: str, token: str) -> None:
    """Connect a Shopify shop with a custom app's token made in the Shopify admin."""
    from connector.workflow.shops import ConnectError, connect_with_keys

    svc = _services()
    _upgrade(svc)
    try:
        shop, _notes = connect_with_keys(svc, "shopify", {"domain": domain, "access_token": token})
    except ConnectError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"connected {shop.domain} as shop {shop.id} ({shop.slug})")


@shop.command("connect-woocommerce")
@click.option("--url", "url", required=True, help="the store's address, e.g. https://www.my-store.fr")
@click.option("--key", required=True, help="consumer key (ck_...)")
@click.option("--secret", required=True, help="consumer secret (cs_...)")
def connect_woocommerce(url: str, key: str, secret: str) -> None:
    """Connect a WooCommerce store with REST API keys made by hand (read/write)."""
    from connector.workflow.shops import ConnectError, connect_with_keys

    svc = _services()
    _upgrade(svc)
    try:
        shop, notes = connect_with_keys(svc, "woocommerce",
                                        {"url": url, "consumer_key": key, "consumer_secret": secret})
    except ConnectError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"connected {shop.domain} as shop {shop.id} ({shop.slug})")
    for note in notes:
        click.echo(f"  {note}")


@shop.command("add-user")
@click.option("--shop", "shop_key", required=True, help="shop id, slug or domain")
@click.option("--email", required=True)
@click.password_option(help="at least 10 characters; asked twice when not given")
def shop_add_user(shop_key: str, email: str, password: str) -> None:
    """A sign-in to the admin for a WooCommerce or manual shop (or a new password)."""
    from connector.web.auth import WeakPassword, create_merchant_user

    svc = _services()
    found = _shop(svc, shop_key)
    try:
        create_merchant_user(svc, found.id, email, password)
    except WeakPassword as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"{email} can sign in at {svc.settings.app_url}/admin/{found.slug}/login")


@main.group()
def orders() -> None:
    """Order commands."""


@orders.command("import")
@click.option("--shop", "shop_key", required=True, help="shop id, slug or domain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def orders_import(shop_key: str, file: Path) -> None:
    """Import a manual shop's orders from CSV (one row per order line); all or nothing."""
    from platforms.manual import COLUMNS_HELP, CsvOrderError, parse_orders_csv

    svc = _services()
    found = _shop(svc, shop_key)
    try:
        parsed = parse_orders_csv(file.read_text(encoding="utf-8"), platform=found.platform)
    except CsvOrderError as exc:
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"nothing imported from {file}. {COLUMNS_HELP}") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text; export it as CSV UTF-8") from exc
    with svc.uow() as uow:
        scope = uow.scope(found)
        with click.progressbar(parsed, label="importing orders") as bar:
            for order in bar:
                scope.orders.save(order)
        uow.commit()
    click.echo(f"imported {len(parsed)} orders into {found.slug}")


@orders.command("import-catalogue")
@click.option("--shop", "shop_key", required=True, help="shop id, slug or domain")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def catalogue_import(shop_key: str, file: Path) -> None:
    """Import a manual shop's catalogue (variants and stock) for exchanges; replaces the previous one."""
    from platforms.manual import OPTION_KEY, CsvCatalogueError, catalogue_option, parse_catalogue_csv

    svc = _services()
    found = _shop(svc, shop_key)
    if found.platform != "manual":
        raise click.ClickException(f"{found.slug} is a {found.platform} shop: its variants come from the platform")
    try:
        variants = parse_catalogue_csv(file.read_text(encoding="utf-8"))
    except CsvCatalogueError as exc:
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        raise click.ClickException(f"nothing imported from {file}") from exc
    except UnicodeDecodeError as exc:
        raise click.ClickException(f"{file} is not UTF-8 text; export it as CSV UTF-8") from exc
    with svc.uow() as uow:
        uow.shops.update(found.id, options={**found.options, OPTION_KEY: catalogue_option(variants)})
        uow.commit()
    click.echo(f"imported {len(variants)} variants into {found.slug}")


@main.command("sync-orders")
@click.option("--shop", "shop_key", required=True)
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None)
def sync_orders(shop_key: str, since: datetime | None) -> None:
    """Backfill a connected shop's orders from its platform, with a progress bar."""
    from connector.workflow.sync import sync_shop_orders

    svc = _services()
    found = _shop(svc, shop_key)
    bar: Any = None

    def progress(done: int, total: int | None) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total or 0, label=f"syncing {found.slug}", show_pos=True)
            bar.__enter__()
        bar.update(done - bar.pos)

    count = sync_shop_orders(svc, found.id, since.replace(tzinfo=UTC) if since else None, progress)
    if bar is not None:
        bar.__exit__(None, None, None)
    click.echo(f"synced {count} orders")


@main.group()
def keys() -> None:
    """TOKEN_ENCRYPTION_KEY: the keys sealing platform credentials at rest."""


@keys.command("generate")
def keys_generate() -> None:
    """Print a new key, to put first in TOKEN_ENCRYPTION_KEY (comma-separated, old keys after it)."""
    from cryptography.fernet import Fernet

    click.echo(Fernet.generate_key().decode())


@keys.command("rotate")
@click.option("--new-key", is_flag=True,
              help="Keys kept under instance/ (TOKEN_ENCRYPTION_KEY unset): add a generated key first.")
def keys_rotate(new_key: bool) -> None:
    """Re-encrypt every sealed value with the first key; the other keys are only read."""
    from connector.config import add_token_encryption_key
    from connector.persistence.key_rotation import count_sealed_rows, reseal_all

    settings = Settings.from_env()
    if new_key:
        if settings.token_encryption_key_file is None:
            raise click.ClickException(
                "TOKEN_ENCRYPTION_KEY is set in the environment: put a new key first in it "
                "(`returns-connector keys generate`), the old ones after it, restart the app, then run "
                "`returns-connector keys rotate`")
        add_token_encryption_key(settings.token_encryption_key_file)
        click.echo(f"a new key was added first to {settings.token_encryption_key_file}")
        settings = Settings.from_env()
    svc = build_services(settings)
    with svc.session_factory() as session:
        total = count_sealed_rows(session)
    with click.progressbar(length=total, label=f"re-encrypting with the first of {svc.box.key_count} keys",
                           show_pos=True) as bar:
        changed = reseal_all(svc.session_factory, svc.box, bar.update)
    click.echo(f"re-encrypted {changed} sealed values in {total} rows with the first key")
    if svc.box.key_count > 1:
        click.echo("restart every process with the new keys; once done, the old keys can be removed")


@main.group("api-token")
def api_token() -> None:
    """Bearer tokens for the merchant JSON API."""


@api_token.command("create")
@click.option("--shop", "shop_key", required=True)
@click.option("--label", default="")
def api_token_create(shop_key: str, label: str) -> None:
    """Print a new token (shown once; only its hash is kept)."""
    from connector.workflow.api_tokens import create_token

    svc = _services()
    found = _shop(svc, shop_key)
    click.echo(create_token(svc, found.id, label))


@api_token.command("revoke")
@click.option("--shop", "shop_key", required=True)
@click.argument("token_id", type=int)
def api_token_revoke(shop_key: str, token_id: int) -> None:
    from connector.workflow.api_tokens import revoke_token

    svc = _services()
    found = _shop(svc, shop_key)
    if not revoke_token(svc, found.id, token_id):
        raise click.ClickException(f"no token {token_id} in shop {found.slug}")
    click.echo(f"revoked token {token_id}")


@main.group()
def outbox() -> None:
    """The transactional outbox of pushes and emails."""


@outbox.command("drain")
def outbox_drain() -> None:
    """Hand every pending delivery and outbox row to the queue again (after losing Redis)."""
    from connector.jobs.relay import drain, skipped_by_drain

    svc = _services()
    deliveries, pushes = drain(svc, sweep_all=True)
    click.echo(f"re-enqueued {deliveries} webhook deliveries and {pushes} outbox rows")
    skipped = skipped_by_drain(svc)
    if skipped:
        click.echo(f"skipped {len(skipped)} outbox rows:")
    for line in skipped:
        click.echo(f"  {line}")


@main.group()
def jobs() -> None:
    """Failed jobs: list and retry."""


@jobs.command("failed")
def jobs_failed() -> None:
    from connector.jobs.failures import list_failures

    svc = _services()
    rows = list_failures(svc)
    if not rows:
        click.echo("no failed jobs")
    for row in rows:
        click.echo(f"{row.kind}\t{row.id}\t{row.shop_id}\t{row.what}\t{row.error[:120]}")


@jobs.command("retry")
@click.argument("kind", type=click.Choice(["delivery", "outbox", "rq"]))
@click.argument("job_id")
def jobs_retry(kind: str, job_id: str) -> None:
    from connector.jobs.failures import retry_failure

    svc = _services()
    if not retry_failure(svc, kind, job_id):
        raise click.ClickException(f"no failed {kind} {job_id}")
    click.echo(f"{kind} {job_id} queued again")


def register_flask_cli(app: Flask) -> None:
    """`flask --app connector.app routes` etc. keep working; the commands live above."""
    app.cli.add_command(main, "returns-connector")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
