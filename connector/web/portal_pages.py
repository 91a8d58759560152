"""What each portal page shows, gathered from the portal's use cases (connector.workflow.portal). Flask-Babel for words.

The views stay thin: they parse the request, call one function here (or a use case in
connector.workflow.returns), and render.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from flask_babel import format_number, ngettext
from flask_babel import gettext as _

from connector.domain.eligibility import (
    LineEligibility,
    PolicyDecision,
    store_credit_bonus_per_unit,
)
from connector.domain.money import Money
from connector.domain.orders import Order, OrderLine
from connector.domain.policy import ReturnPolicy
from connector.domain.resolutions import ResolutionPlan, returned_line_amount
from connector.domain.returns import ResolutionKind, ReturnStatus
from connector.domain.shops import Shop
from connector.i18n import format_date, format_money, resolution_name, say
from connector.web.portal_photos import MAX_PHOTOS_PER_ITEM, Photo, PhotoRejected, read_photo
from connector.workflow import portal
from connector.workflow import returns as flow

if TYPE_CHECKING:
    from connector.web.context import Services

log = logging.getLogger(__name__)

MAX_COMMENT_CHARS = 2000


# ---- the items page ----

@dataclass(frozen=True)
class Variant:
    id: str
    title: str
    available: bool = True
    stock: int | None = None
    image_url: str = ""

    @property
    def stock_label(self) -> str:
        """What the shopper gets, said before she chooses: "in stock", "2 left", "sold out"."""
        if not self.available or self.stock == 0:
            return str(_("sold out"))
        if self.stock is not None and self.stock <= 3:
            return str(ngettext("only %(num)d left", "only %(num)d left", self.stock))
        return str(_("in stock"))

    @property
    def label(self) -> str:
        return str(_("%(variant)s, %(stock)s", variant=self.title, stock=self.stock_label))


@dataclass(frozen=True)
class ItemRow:
    """One order line as the shopper sees it, with what the policy says of it."""

    index: int
    line: OrderLine
    verdict: LineEligibility
    why_not: tuple[str, ...]
    unit_price: str
    bonus_per_unit: str
    variants: tuple[Variant, ...] = ()
    image_url: str = ""


@dataclass(frozen=True)
class ExistingReturn:
    """A return already opened for this order, as the items page lists it (a link to follow it)."""

    reference: str
    status: ReturnStatus
    tracking_token: str
    requested_on: str


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    needs_photo: bool = False


@dataclass(frozen=True)
class ItemsPage:
    order: Order
    rows: tuple[ItemRow, ...]
    reasons: tuple[Choice, ...]
    resolutions: tuple[Choice, ...]
    returns: tuple[ExistingReturn, ...]
    window_ends: str

    @property
    def any_returnable(self) -> bool:
        return any(row.verdict.returnable for row in self.rows)


def resolution_label(kind: ResolutionKind, lang: str) -> str:
    name = resolution_name(kind, lang)
    return name[:1].upper() + name[1:]


def status_label(status: ReturnStatus) -> str:
    labels: dict[ReturnStatus, str] = {
        ReturnStatus.REQUESTED: _("Waiting for approval"),
        ReturnStatus.APPROVED: _("Approved: send your parcel"),
        ReturnStatus.REJECTED: _("Declined"),
        ReturnStatus.IN_TRANSIT: _("Parcel on its way"),
        ReturnStatus.RECEIVED: _("Parcel received"),
        ReturnStatus.INSPECTED: _("Items checked"),
        ReturnStatus.RESOLVED: _("Resolved"),
        ReturnStatus.CLOSED: _("Closed"),
        ReturnStatus.CANCELLED: _("Cancelled"),
    }
    return labels[status]


def exchange_variants(svc: Services, shop: Shop, order: Order, policy: ReturnPolicy | None
                      ) -> dict[str, tuple[Variant, ...]]:
    """Other variants per product, when the platform's gateway can list them (else: a text field).

    `policy` None: list them whatever the policy offers (for the products' pictures).
    """
    if policy is not None and ResolutionKind.EXCHANGE not in policy.allowed_resolutions:
        return {}
    listed = portal.product_variants(svc, shop, sorted({ln.product_id for ln in order.lines if ln.product_id}))
    return {product_id: tuple(Variant(v.platform_variant_id, v.title, v.available, v.stock, v.image_url)
                              for v in variants)
            for product_id, variants in listed.items()}


def items_page(svc: Services, shop: Shop, order: Order, lang: str) -> ItemsPage:
    known = portal.order_returnability(svc, shop, order)
    policy, history, verdicts, existing, now = known.policy, known.history, known.verdicts, known.existing, known.today
    listed = exchange_variants(svc, shop, order, None)
    exchanges = ResolutionKind.EXCHANGE in policy.allowed_resolutions
    rows = []
    for index, (line, verdict) in enumerate(zip(order.lines, verdicts, strict=True)):
        # Decided as the review and the resolution decide it (evaluate, resolution_plans), not a copy.
        unit_bonus = (store_credit_bonus_per_unit(policy, order, line.platform_line_id, history, now.date())
                      if verdict.returnable else Money.zero(order.currency))
        bonus = "" if unit_bonus.is_zero() else format_money(unit_bonus, lang)
        rows.append(ItemRow(
            index=index, line=line, verdict=verdict, why_not=tuple(say(r, lang) for r in verdict.reasons),
            unit_price=format_money(_unit_paid(line), lang),
            bonus_per_unit=bonus, variants=listed.get(line.product_id or "", ()) if exchanges else (),
            image_url=_picture(line, listed.get(line.product_id or "", ())),
        ))
    last_day = verdicts[0].last_day if verdicts else None
    return ItemsPage(
        order=order, rows=tuple(rows),
        reasons=tuple(Choice(r.code, r.label(lang), r.needs_photo) for r in policy.reasons),
        resolutions=tuple(Choice(k.value, resolution_label(k, lang)) for k in policy.allowed_resolutions),
        returns=tuple(ExistingReturn(r.reference, r.status, r.tracking_token,
                                    format_date(r.timeline[0].at.date(), lang) if r.timeline else "")
                      for r in existing),
        window_ends=format_date(last_day, lang) if last_day else "",
    )


def _picture(line: OrderLine, variants: Sequence[Variant]) -> str:
    """The line's own picture (from the platform's order), else the bought variant's in the catalogue,
    else the product's first; only https addresses are shown."""
    own = [line.image_url] if line.image_url else [v.image_url for v in variants if v.id == line.variant_id and v.image_url]
    found = own[0] if own else next((v.image_url for v in variants if v.image_url), "")
    return found if found.startswith("https://") else ""


def _unit_paid(line: OrderLine) -> Money:
    return returned_line_amount(line, 1).total if line.quantity else line.unit_price


# ---- the request form, parsed ----

@dataclass
class ParsedRequest:
    """What the shopper asked for, per line index, with the problems found before the policy."""

    wanted: list[flow.WantedItem] = field(default_factory=list)
    photos: dict[str, list[Photo]] = field(default_factory=dict)
    errors: dict[int, list[str]] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)

    def problem(self, index: int, text: str) -> None:
        self.errors.setdefault(index, []).append(text)


def parse_request(form: Mapping[str, str], files: Any, order: Order, policy: ReturnPolicy,
                  offered: Mapping[str, tuple[Variant, ...]] | None = None) -> ParsedRequest:
    """Read items-form fields (`qty-N`, `reason-N`, ...), photos checked but not yet stored.

    `offered`: the variants listed per product; a chosen variant must be one of them.
    """
    parsed = ParsedRequest(values={k: v for k, v in form.items() if k != "csrf_token"})
    for index, line in enumerate(order.lines):
        if form.get(f"line-{index}", line.platform_line_id) != line.platform_line_id:
            parsed.problem(index, _("This order changed since the page was shown. Please check it again."))
            continue
        try:
            quantity = int(form.get(f"qty-{index}", "0") or "0")
        except ValueError:
            quantity = -1
        if quantity == 0 and form.get(f"reason-{index}", ""):
            # A reason given for an item says she is returning it: one unit unless she says more.
            quantity = 1
        if quantity == 0:
            continue
        if quantity < 0:
            parsed.problem(index, _("Choose how many to return."))
            continue
        reason = form.get(f"reason-{index}", "")
        if policy.reason(reason) is None:
            parsed.problem(index, _("Choose a reason."))
        try:
            resolution = ResolutionKind(form.get(f"resolution-{index}", ""))
        except ValueError:
            parsed.problem(index, _("Choose what you would like instead."))
            continue
        variant: str | None = None
        variant_title = ""
        comment = form.get(f"comment-{index}", "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            # Refused with its length, never cut: the shopper decides what to keep.
            parsed.problem(index, _("Your comment has %(count)s characters; shorten it to %(limit)s at most.",
                                    count=format_number(len(comment)), limit=format_number(MAX_COMMENT_CHARS)))
        if resolution is ResolutionKind.EXCHANGE:
            variant = form.get(f"variant-{index}", "").strip() or None
            choices = {v.id: v for v in (offered or {}).get(line.product_id or "", ())}
            if variant is not None and variant not in choices:
                variant = None  # not a variant we offered (a forged form): ask again
            elif variant is not None and not choices[variant].available:
                parsed.problem(index, _("%(variant)s is sold out: choose another one.", variant=choices[variant].title))
                continue
            elif variant is not None:
                variant_title = choices[variant].title
            wish = form.get(f"exchange-{index}", "").strip()[:200]
            if variant is None and wish:
                # No variant list from the platform: the shopper says what they want, the merchant
                # picks the variant; until then the exchange names the variant they have.
                variant = line.variant_id or line.product_id or line.platform_line_id
                variant_title = wish
                label = _("Exchange wanted:")
                comment = f"{label} {wish}\n{comment}".strip()
            if variant is None:
                parsed.problem(index, _("Say which size or colour you would like instead."))
        photos = []
        uploads = [f for f in files.getlist(f"photos-{index}") if f and f.filename] if files else []
        if len(uploads) > MAX_PHOTOS_PER_ITEM:
            parsed.problem(index, _("Add at most %(count)d photos per item.", count=MAX_PHOTOS_PER_ITEM))
            uploads = []
        for upload in uploads:
            try:
                photos.append(read_photo(upload.stream, upload.filename or "photo"))
            except PhotoRejected as rejected:
                if rejected.problem == "size":
                    parsed.problem(index, _("%(name)s is larger than 8 MB.", name=rejected.filename))
                else:
                    parsed.problem(index, _("%(name)s is not a JPEG, PNG, WebP or HEIC photo.",
                                            name=rejected.filename))
        if index in parsed.errors:
            continue
        parsed.photos[line.platform_line_id] = photos
        # Placeholder names tell the policy a photo is there; the real names come once stored.
        parsed.wanted.append(flow.WantedItem(
            line.platform_line_id, quantity, reason, resolution, comment=comment,
            photos=tuple("pending" for _photo in photos), exchange_variant_id=variant,
            exchange_variant_title=variant_title,
        ))
    return parsed


# ---- the review ----

@dataclass(frozen=True)
class ReviewLine:
    title: str
    quantity: int
    reason: str
    resolution: str
    amount: str
    restocking_fee: str
    photos: int
    exchange: str


@dataclass(frozen=True)
class PlanRow:
    kind: str
    gross: str
    restocking_fee: str
    return_shipping_fee: str
    bonus: str
    net: str
    has_fees: bool
    has_bonus: bool


@dataclass(frozen=True)
class ReviewPage:
    lines: tuple[ReviewLine, ...]
    plans: tuple[PlanRow, ...]
    notes: tuple[str, ...]
    free_return: bool
    return_shipping_fee: str
    total: str
    auto_approved: bool


def plan_rows(plans: Sequence[ResolutionPlan], lang: str) -> tuple[PlanRow, ...]:
    return tuple(PlanRow(
        kind=resolution_label(p.kind, lang), gross=format_money(p.gross, lang),
        restocking_fee=format_money(p.restocking_fee, lang),
        return_shipping_fee=format_money(p.return_shipping_fee, lang), bonus=format_money(p.bonus, lang),
        net=format_money(p.net, lang), has_fees=not p.fees.is_zero(), has_bonus=not p.bonus.is_zero(),
    ) for p in plans)


def review_page(order: Order, policy: ReturnPolicy, wanted: Sequence[flow.WantedItem],
                decision: PolicyDecision, plans: Sequence[ResolutionPlan], lang: str) -> ReviewPage:
    by_line = {item.line_id: item for item in decision.items}
    lines = []
    for want in wanted:
        item = by_line[want.line_id]
        reason = policy.reason(want.reason)
        lines.append(ReviewLine(
            title=order.line(want.line_id).title, quantity=want.quantity,
            reason=reason.label(lang) if reason else want.reason,
            resolution=resolution_label(want.resolution, lang), amount=format_money(item.amount, lang),
            restocking_fee=format_money(item.restocking_fee, lang) if not item.restocking_fee.is_zero() else "",
            photos=len(want.photos), exchange=want.exchange_variant_title or want.exchange_variant_id or "",
        ))
    net = sum((p.net.amount for p in plans), Money.zero(order.currency).amount)
    return ReviewPage(
        lines=tuple(lines), plans=plan_rows(plans, lang),
        notes=tuple(say(n, lang) for n in decision.notes),
        free_return=decision.free_return,
        return_shipping_fee=format_money(decision.return_shipping_fee, lang),
        total=format_money(Money(net, order.currency), lang), auto_approved=decision.auto_approved,
    )


def item_problems(decision: PolicyDecision, order: Order, lang: str) -> dict[int, list[str]]:
    """The policy's refusals per line index, for the items page shown again."""
    index = {line.platform_line_id: i for i, line in enumerate(order.lines)}
    problems: dict[int, list[str]] = {}
    for item in decision.items:
        if not item.eligible and item.line_id in index:
            problems.setdefault(index[item.line_id], []).extend(say(r, lang) for r in item.reasons)
    return problems


# ---- draft: the reviewed request, carried to the confirmation in a signed field ----

def draft_payload(shop: Shop, order: Order, wanted: Sequence[flow.WantedItem]) -> dict[str, Any]:
    return {"s": shop.id, "o": order.platform_order_id, "i": [
        [w.line_id, w.quantity, w.reason, w.resolution.value, w.comment, list(w.photos), w.exchange_variant_id,
         w.exchange_variant_title] for w in wanted]}


def wanted_from_draft(data: Mapping[str, Any]) -> list[flow.WantedItem]:
    return [flow.WantedItem(str(item[0]), int(item[1]), str(item[2]), ResolutionKind(item[3]), comment=str(item[4]),
                            photos=tuple(str(p) for p in item[5]), exchange_variant_id=item[6],
                            exchange_variant_title=str(item[7]) if len(item) > 7 else "")
            for item in data["i"]]
