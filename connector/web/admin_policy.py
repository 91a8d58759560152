"""Admin policy editor: every ReturnPolicy setting as a form field, checked, with the public page previewed.

Imports Flask and the web helpers; the rules are the domain's (connector.domain.policy).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from connector.domain.policy import CouponType, OriginalShipping, ReturnPolicy, ShippingPayer, WindowStart
from connector.domain.returns import RejectedItemHandling, ResolutionKind
from connector.i18n import format_number
from connector.web.admin_core import _, back_to, bp, locale, shop
from connector.web.context import services
from connector.workflow import admin_policy
from connector.workflow.returns import policy_for

LIST_FIELDS = ("non_returnable_tags", "non_returnable_product_types", "non_returnable_skus",
               "free_returns_tags", "blocked_emails")
CHECKBOX_FIELDS = ("allowed_resolutions", "restocking_fee_waived_reasons", "merchant_pays_shipping_reasons",
                   "auto_approve_reasons")
OPTIONAL_FIELDS = ("auto_approve_max_order_value", "auto_approve_max_previous_returns")
TEXT_FIELDS = ("currency", "window_days", "window_starts_from", "final_sale_tag", "restocking_fee_percent",
               "return_shipping_fee", "return_shipping_paid_by", "original_shipping_refund", "free_returns_limit", "free_returns_period_days",
               "store_credit_bonus_percent", "rejected_items", "rejected_item_return_fee",
               "goodwill_coupon_percent", "goodwill_coupon_type")


def _words(text: str) -> list[str]:
    return [w for w in re.split(r"[,\n]", text) if w.strip()]


def _reasons(text: str) -> list[dict[str, Any]]:
    """One reason a line: `code | French label | English label | photo` (the last part optional)."""
    reasons: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        reason: dict[str, Any] = {"code": parts[0]}
        if len(parts) > 1:
            reason["label_fr"] = parts[1]
        if len(parts) > 2:
            reason["label_en"] = parts[2]
        reason["needs_photo"] = len(parts) > 3 and parts[3].lower() in ("photo", "yes", "oui", "1", "true")
        reasons.append(reason)
    return reasons


DECIMAL_FIELDS = ("restocking_fee_percent", "return_shipping_fee", "store_credit_bonus_percent",
                  "rejected_item_return_fee", "goodwill_coupon_percent", "auto_approve_max_order_value")
BLANK_REASON_ROWS = 2  # room to add reasons without a script


def _decimal_typed(text: str) -> str:
    """"5,90" or "1 234,50" as a French merchant types them -> "5.90", "1234.50"."""
    cleaned = "".join(text.split()).replace("\u202f", "").replace("\u00a0", "")
    return cleaned.replace(",", ".") if cleaned.count(",") == 1 and "." not in cleaned else cleaned


def _decimal_shown(value: Any) -> str:
    """5.90 -> "5,90" for a French merchant (read back by _decimal_typed); anything else shown as typed."""
    text = "" if value is None else str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite():
        return text
    return format_number(number, locale(), grouped=False)


def _slug(label: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", plain).strip("_")[:64]


def _reason_rows(form: MultiDict[str, str]) -> list[dict[str, Any]]:
    """Reasons as labelled rows (reason-fr-N, reason-en-N, reason-photo-N, reason-remove-N)."""
    rows = []
    for index in range(int(form.get("reason-count", "0") or 0) + BLANK_REASON_ROWS):
        french, english = form.get(f"reason-fr-{index}", "").strip(), form.get(f"reason-en-{index}", "").strip()
        code = form.get(f"reason-code-{index}", "").strip() or _slug(english or french)
        if form.get(f"reason-remove-{index}") or not (french or english or form.get(f"reason-code-{index}")):
            continue
        rows.append({"code": code, "label_fr": french or english, "label_en": english or french,
                     "needs_photo": form.get(f"reason-photo-{index}") == "1"})
    return rows


def form_to_settings(form: MultiDict[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    for name in DECIMAL_FIELDS:
        if name in data:
            data[name] = _decimal_typed(data[name])
    for name in LIST_FIELDS:
        data[name] = _words(form.get(name, ""))
    for name in CHECKBOX_FIELDS:
        data[name] = form.getlist(name)
    for name in OPTIONAL_FIELDS:
        value = form.get(name, "").strip()
        data[name] = (_decimal_typed(value) if name in DECIMAL_FIELDS else value) or None
    # The rows of the editor; the one-line-per-reason text of earlier versions is still read.
    data["reasons"] = _reasons(form["reasons"]) if "reasons" in form else _reason_rows(form)
    for name in ("original_shipping_refund", "goodwill_coupon_type"):
        if not data[name]:
            del data[name]  # a form from before the setting existed: the default
    return data


def settings_to_form(policy: ReturnPolicy) -> dict[str, Any]:
    plain = policy.to_dict()
    values: dict[str, Any] = {name: plain.get(name) if plain.get(name) is not None else "" for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = ", ".join(plain[name])
    for name in CHECKBOX_FIELDS:
        values[name] = list(plain[name])
    for name in OPTIONAL_FIELDS:
        values[name] = "" if plain[name] is None else plain[name]
    for name in DECIMAL_FIELDS:
        values[name] = _decimal_shown(values.get(name))
    values["reason_rows"] = [{"code": r.code, "label_fr": r.label_fr, "label_en": r.label_en,
                              "needs_photo": r.needs_photo} for r in policy.reasons]
    return values


def _raw_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """What the merchant typed, to show back as typed next to the errors."""
    values: dict[str, Any] = {name: form.get(name, "") for name in (*TEXT_FIELDS, *LIST_FIELDS, *OPTIONAL_FIELDS)}
    for name in CHECKBOX_FIELDS:
        values[name] = form.getlist(name)
    values["reason_rows"] = _reasons(form["reasons"]) if "reasons" in form else _reason_rows(form)
    return values


def _render(values: dict[str, Any], errors: dict[str, str], policy: ReturnPolicy, status: int = 200
            ) -> tuple[str, int]:
    return render_template(
        "admin/policy.html", values=values, errors=errors, preview=admin_policy.preview(policy),
        reason_codes=[r.code for r in policy.reasons],
        reason_labels={r.code: r.label(locale()) for r in policy.reasons}, blank_rows=BLANK_REASON_ROWS,
        window_starts=[w.value for w in WindowStart],
        payers=[p.value for p in ShippingPayer], original_shippings=[o.value for o in OriginalShipping],
        coupon_types=[c.value for c in CouponType], rejected_handlings=[h.value for h in RejectedItemHandling],
        resolution_kinds=[k.value for k in ResolutionKind],
    ), status


@bp.route("/policy", methods=["GET", "POST"])
def policy() -> Response | tuple[str, int]:
    current = policy_for(shop())
    if request.method == "GET":
        return _render(settings_to_form(current), {}, current)
    data = form_to_settings(request.form)
    if request.form.get("action") == "preview":
        checked, errors = admin_policy.check_policy(data, locale())
        return _render(_raw_form(request.form), errors, checked or current, 200 if checked else 422)
    saved, errors = admin_policy.save_policy(services(), shop().id, data, locale())
    if saved is None:
        flash(_("The policy was not saved: correct the fields marked below."), "error")
        return _render(_raw_form(request.form), errors, current, 422)
    flash(_("Policy saved. The public policy page and new requests follow it now."))
    return back_to("policy")
