"""Emails to shoppers and merchants at each step, in the shopper's language.

Written in the same transaction as the change they announce (an email row and its outbox
row), then sent by a job through SMTP, or written under instance/mail/ without SMTP.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, select_autoescape

from connector.domain.returns import ReturnRequest
from connector.domain.shops import Shop
from connector.workflow.email_html import email_language, fill_message
from connector.workflow.outbox import Failed, Finish, Limits, OutboxKind, consume

if TYPE_CHECKING:
    from connector.ports.services import Services
    from connector.ports.storage import ShopScope, UnitOfWork

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "emails"
# What a shopper is told about, by timeline event kind.
SHOPPER_EVENTS = ("requested", "approve", "reject", "receive", "resolve", "cancel", "mark_in_transit",
                  "code_issued", "payment_due")

_env: Environment | None = None


def _environment() -> Environment:
    global _env
    if _env is None:
        _env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                           autoescape=select_autoescape(enabled_extensions=("html",), default=False),
                           keep_trailing_newline=True)
    return _env


def render_email(kind: str, locale: str, context: dict[str, Any]) -> tuple[str, str]:
    """Subject (first line) and body of templates/emails/<locale>/<kind>.txt."""
    lang = locale if locale in ("fr", "en") else "en"
    try:
        template = _environment().get_template(f"{lang}/{kind}.txt")
    except TemplateNotFound:
        template = _environment().get_template(f"en/{kind}.txt")
    text = template.render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.lstrip("\n")


def queue_shopper_email(svc: Services, scope: ShopScope, ret: ReturnRequest, kind: str,
                        extra: dict[str, Any] | None = None) -> None:
    """Write the email and its outbox row; the caller's commit makes both real together."""
    if kind not in SHOPPER_EVENTS or ret.id is None or ret.customer_email.endswith("@invalid"):
        return
    from connector.i18n import format_money

    context: dict[str, Any] = {
        "shop": scope.shop, "ret": ret, "reference": ret.reference,
        "tracking_url": f"{svc.settings.app_url}/portal/{scope.shop.slug}/track/{ret.tracking_token}",
        "message": ret.merchant_message, "format_money": lambda m: format_money(m, ret.locale),
        "amount": None, "code": "", "delay": "", "percent": "",
    }
    context.update(extra or {})
    from connector.workflow.email_templates import render_for_shop  # imported here: it imports this module

    subject, body = render_for_shop(scope.shop, kind, ret.locale, context) or render_email(kind, ret.locale, context)
    now = svc.clock.now()
    email = scope.emails.add(to=ret.customer_email, subject=subject, body=body, return_id=ret.id, now=now)
    scope.outbox.add("send_email", email.id, now)
    if kind == "requested" and scope.shop.contact_email:
        admin_url = f"{svc.settings.app_url}/admin/{scope.shop.slug}/returns/{ret.reference}"
        subject, body = render_email("merchant_new_request", scope.shop.locale, {**context, "admin_url": admin_url})
        email = scope.emails.add(to=scope.shop.contact_email, subject=subject, body=body, return_id=ret.id, now=now)
        scope.outbox.add("send_email", email.id, now)


@dataclass(frozen=True)
class _Mail:
    email_id: int
    message: EmailMessage
    file_name: str


class _Send:
    """Email's part of the outbox consumer: SMTP, or a file under instance/mail/ without SMTP."""

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> _Mail | Finish:
        email = uow.scope(shop).emails.get(subject_id)
        if email is None or email.status != "pending":
            return Finish("skipped")
        message = EmailMessage()
        message["From"] = svc.settings.mail_from
        message["To"] = email.to
        message["Subject"] = email.subject
        # An explicit domain: make_msgid() would otherwise ask DNS for this host's name, which
        # can stall for tens of seconds where reverse lookups go unanswered.
        domain = svc.settings.mail_from.rpartition("@")[2] or "returns-connector.local"
        message["Message-ID"] = make_msgid(idstring=f"rc{email.id}", domain=domain)
        # The plain text and the same words in HTML, in the language the email was written in.
        fill_message(message, shop, email.subject, email.body, email_language(uow.scope(shop), email))
        return _Mail(email.id, message, f"{shop.id}-{email.id}.eml")

    def call(self, svc: Services, shop: Shop, work: _Mail) -> str:
        if svc.settings.smtp_url:
            try:
                _send_smtp(svc.settings.smtp_url, work.message)
            except (smtplib.SMTPException, OSError) as exc:
                # A refused recipient will be refused again; a server away may be back later.
                permanent = isinstance(exc, smtplib.SMTPRecipientsRefused)
                raise Failed(f"{type(exc).__name__}: {exc}", retryable=not permanent) from exc
            return "sent"
        folder = Path(svc.settings.instance_path) / "mail"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / work.file_name).write_bytes(bytes(work.message))
        return "written"

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Mail, status: str) -> str:
        uow.scope(shop).emails.mark(work.email_id, status, svc.clock.now())
        return status

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: _Mail, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        return None  # the email stays pending; a final failure shows in the failed jobs list


KIND: OutboxKind[_Mail, str] = OutboxKind(
    task="send_email", queue="notify", handler=_Send(),
    limits=Limits(max_attempts=8, first=timedelta(seconds=30), longest=timedelta(hours=1)))


def send_email(svc: Services, outbox_id: int) -> str:
    """Run one email row of the outbox: sent, written, skipped, retry or failed. Safe to run twice."""
    return consume(svc, outbox_id, KIND)


def _send_smtp(url: str, message: EmailMessage) -> None:
    """SMTP_URL like smtp://user:pass@host:587 (STARTTLS) or smtps://user:pass@host:465."""
    parsed = urlparse(url)
    host = parsed.hostname or "localhost"
    if parsed.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(host, parsed.port or 465, timeout=30)
    else:
        client = smtplib.SMTP(host, parsed.port or 587, timeout=30)
    with client:
        if parsed.scheme == "smtp" and parsed.port != 25:
            client.starttls()
        if parsed.username:
            client.login(unquote(parsed.username), unquote(parsed.password or ""))
        client.send_message(message)
