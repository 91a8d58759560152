"""Shopper email templates a shop may rewrite, per language and kind, with a preview.

Overrides live in `shops.options["email_templates"][locale][kind]`: the first line is
the subject, the rest the body, as in templates/emails/. A merchant's template is
rendered in Jinja's sandbox (it may read the values it is given, never call into the
app), and a template that fails is never allowed to lose an email: the default is used.
Imports the domain and Jinja2.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from connector.domain.money import Money
from connector.domain.returns import Channel, ResolutionKind, ReturnItem, ReturnRequest, ReturnStatus
from connector.domain.shops import Shop
from connector.i18n import format_money, gettext, resolution_name
from connector.workflow.errors import NotFound

if TYPE_CHECKING:
    from connector.ports.services import Services

log = logging.getLogger(__name__)

DEFAULTS = Path(__file__).resolve().parent.parent.parent / "templates" / "emails"
KINDS = ("requested", "approve", "reject", "mark_in_transit", "receive", "resolve", "code_issued", "cancel",
         "payment_due")
LOCALES = ("fr", "en")
MAX_TEMPLATE_CHARS = 20_000

_sandbox = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


class InvalidTemplate(ValueError):
    """A merchant's template that does not render; the message says where and why.

    `line` is the template's line (1 = the subject) when known, `problem` Jinja's reason,
    `unknown` the name the template used that is not a field (so the admin can say it in words).
    """

    def __init__(self, message: str, *, line: int | None = None, problem: str = "", unknown: str = "",
                 kind: str = "syntax") -> None:
        super().__init__(message)
        self.kind = kind  # "syntax" (Jinja's reason in `problem`), "unknown", "subject" or "length"
        self.line = line
        self.problem = problem or message
        self.unknown = unknown


# The values a template may use, in the order the editor lists them. The descriptions are the
# admin's (templates/admin/_email_fields.html); the examples are rendered from sample_context,
# so the list can never show a field that does not work.
FIELDS = ("reference", "order_name", "shop.name", "tracking_url", "message", "ret.customer_email",
          "ret.tracking_number", "format_money(amount)", "code", "label", "payment_url")
_UNDEFINED = re.compile(r"^'([^']+)' is undefined$|has no attribute '([^']+)'$")


def default_source(kind: str, locale: str) -> str:
    if kind not in KINDS or locale not in LOCALES:
        raise NotFound(f"no email {kind} in {locale}")
    return (DEFAULTS / locale / f"{kind}.txt").read_text(encoding="utf-8")


def override(shop: Shop, locale: str, kind: str) -> str | None:
    templates = shop.options.get("email_templates")
    if not isinstance(templates, Mapping):
        return None
    found = templates.get(locale, {}).get(kind) if isinstance(templates.get(locale), Mapping) else None
    return found if isinstance(found, str) and found.strip() else None


def render_source(source: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """Subject and body of a template text; raises InvalidTemplate."""
    try:
        text = _sandbox.from_string(source).render(**context)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None) or _template_line(exc)
        where = f" (line {line})" if line else ""
        problem = str(exc.message or exc)
        named = _UNDEFINED.search(problem)
        raise InvalidTemplate(f"{problem}{where}", line=line, problem=problem,
                              unknown=(named.group(1) or named.group(2)) if named else "",
                              kind="unknown" if named else "syntax") from None
    subject, _, body = text.partition("\n")
    if not subject.strip():
        raise InvalidTemplate("the first line is the subject and cannot be empty", line=1, kind="subject")
    return subject.strip(), body.lstrip("\n")


def _template_line(exc: BaseException) -> int | None:
    """The template line a render error happened on: Jinja maps its frames to "<template>" lines."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def field_examples(shop: Shop, locale: str, app_url: str) -> list[tuple[str, str]]:
    """Each field as `{{ name }}` with what it gives in the sample email (the editor's list)."""
    context = sample_context(shop, locale, app_url)
    return [(name, _sandbox.from_string("{{ " + name + " }}").render(**context)) for name in FIELDS]


def render_for_shop(shop: Shop, kind: str, locale: str, context: Mapping[str, Any]) -> tuple[str, str] | None:
    """The shop's own version of this email, or None to use the default.

    The hook for connector.workflow.notifications.queue_shopper_email (see the lead's note).
    """
    source = override(shop, locale if locale in LOCALES else "en", kind)
    if source is None:
        return None
    try:
        return render_source(source, context)
    except InvalidTemplate:
        # Saved templates were checked, but a value may be missing at send time: the shopper
        # still gets the default email rather than none.
        log.warning("email template %s/%s of shop %s failed; default used", locale, kind, shop.id)
        return None


def sample_context(shop: Shop, locale: str, app_url: str) -> dict[str, Any]:
    """Made-up values with every name the default templates use, for the preview and the check."""
    now = datetime(2026, 3, 14, 10, 0, tzinfo=UTC)
    ret = ReturnRequest(
        shop_id=shop.id, order_id="1001", customer_email="claire@example.com",
        items=[ReturnItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL,
        reference="R-7KQ2MX", status=ReturnStatus.APPROVED, locale=locale, tracking_number="6A12345678901",
    )
    ret.record_request(now)
    amount = Money(Decimal("49.90"), shop.currency)
    return {
        "shop": shop, "ret": ret, "reference": ret.reference,
        "tracking_url": f"{app_url}/portal/{shop.slug}/track/example",
        "message": gettext("Thank you for your return.", locale),
        "format_money": lambda m: format_money(m, locale), "amount": amount, "code": "MERCI-7KQ2",
        "delay": "", "order_name": "#1001",
        "resolutions": [{"label": resolution_name(ResolutionKind.REFUND, locale), "amount": amount,
                         "code": ""}],
        "label": resolution_name(ResolutionKind.COUPON, locale),
        "rejected": [{"title": gettext("Linen dress", locale), "quantity": 1,
                      "reason": gettext("Label removed", locale)}],
        "rejected_kept": False, "rejected_fee": Money(Decimal("6.50"), shop.currency),
        "payment_url": f"https://{shop.domain}/checkout/order-pay/1002/", "percent": "",
    }


def check_source(shop: Shop, locale: str, source: str, app_url: str) -> tuple[str, str]:
    if len(source) > MAX_TEMPLATE_CHARS:
        raise InvalidTemplate(f"the template is longer than {MAX_TEMPLATE_CHARS} characters", kind="length")
    return render_source(source, sample_context(shop, locale, app_url))


def save_override(svc: Services, shop_id: int, locale: str, kind: str, source: str | None) -> None:
    """Store the shop's template (checked first), or remove it when `source` is None."""
    default_source(kind, locale)  # raises NotFound for an unknown kind or language
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        if source is not None:
            check_source(shop, locale, source, svc.settings.app_url)
        options = dict(shop.options)
        templates = {lang: dict(kinds) for lang, kinds in (options.get("email_templates") or {}).items()
                     if isinstance(kinds, Mapping)}
        if source is None:
            templates.get(locale, {}).pop(kind, None)
        else:
            templates.setdefault(locale, {})[kind] = source.replace("\r\n", "\n")
        options["email_templates"] = templates
        uow.shops.update(shop.id, options=options)
        uow.commit()
