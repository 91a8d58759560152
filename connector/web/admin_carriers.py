"""Admin: the carrier account for return labels, and a return's label (buy again, enter a tracking number).

Flask edge: parses the form, stores it through the merchant settings use case (credentials sealed
like the platform tokens), calls the label use cases. Imports Flask and the admin core.
"""

from __future__ import annotations

from dataclasses import fields
from decimal import Decimal, InvalidOperation

from flask import flash, render_template, request
from werkzeug.wrappers import Response

from connector.domain.shipping import LabelMode, ParcelSize, PostalAddress
from connector.web.admin_core import _, back_to, bp, fail, shop
from connector.web.context import services
from connector.workflow import labels, merchant_settings
from connector.workflow import merchant_queries as queries

ADDRESS_FIELDS = tuple(f.name for f in fields(PostalAddress))


def _carriers() -> list[tuple[str, str, tuple[tuple[str, str, bool], ...]]]:
    return sorted(((name, c.title, c.fields) for name, c in services().carriers.items()), key=lambda c: c[1])


@bp.get("/carrier")
def carrier() -> str:
    current = queries.carrier_settings(services(), shop())
    return render_template("admin/carrier.html", current=current, carriers=_carriers(),
                           modes=[(LabelMode.SHOPPER_SHIPS.value, _("The shopper ships the parcel herself")),
                                  (LabelMode.PREPAID.value, _("A prepaid label, bought when the return is approved"))])


def _decimal(name: str, default: str) -> Decimal:
    raw = request.form.get(name, "").strip().replace(",", ".") or default
    value = Decimal(raw)
    if not value.is_finite() or value < 0 or value > 10000:
        raise InvalidOperation(name)
    return value


@bp.post("/carrier")
def save_carrier() -> Response:
    svc = services()
    name = request.form.get("carrier", "")
    adapter = svc.carriers.get(name)
    if adapter is None:
        fail(_("Choose a carrier from the list."))
        return back_to("carrier")
    try:
        mode = LabelMode(request.form.get("label_mode", ""))
    except ValueError:
        fail(_("Choose what the shopper gets."))
        return back_to("carrier")
    address = PostalAddress(**{f: request.form.get(f"addr_{f}", "").strip()[:200] for f in ADDRESS_FIELDS})
    address = PostalAddress(**{**{f: getattr(address, f) for f in ADDRESS_FIELDS},
                               "country_code": address.country_code.upper()})
    if address.missing() or len(address.country_code) != 2:
        fail(_("The return address needs a name, street, postal code, city and a two-letter country code."))
        return back_to("carrier")
    try:
        parcel = ParcelSize(weight_kg=_decimal("weight_kg", "1"), length_cm=_decimal("length_cm", "30"),
                            width_cm=_decimal("width_cm", "20"), height_cm=_decimal("height_cm", "10"))
        raw_price = request.form.get("label_price", "").strip()
        price = _decimal("label_price", "0") if raw_price else None
    except (InvalidOperation, ValueError):
        fail(_("Weights, sizes and the label price are positive numbers, for example 1.5."))
        return back_to("carrier")
    credentials = {field: request.form.get(f"cred_{field}", "").strip()[:500] for field, _label, _secret in adapter.fields}
    saved = merchant_settings.save_carrier_settings(
        svc, shop(), carrier=name, credentials=credentials, test_mode=request.form.get("test_mode") == "yes",
        label_mode=mode, auto_receive=request.form.get("auto_receive") == "yes", label_price=price,
        return_address=address, parcel=parcel)
    missing = [label for field, label, _secret in adapter.fields if saved and not saved.account.credentials.get(field)]
    if missing:
        flash(_("Saved. Still missing for %(carrier)s: %(fields)s.", carrier=adapter.title, fields=", ".join(missing)))
    else:
        flash(_("Carrier settings saved."))
    return back_to("carrier")


@bp.post("/returns/<reference>/label/again")
def label_buy_again(reference: str) -> Response:
    ret_id = _return_id(reference)
    if ret_id is None or not labels.buy_again(services(), shop().id, ret_id):
        fail(_("This label cannot be bought again now."))
    else:
        flash(_("A new label is being bought."))
    return back_to("return_page", reference=reference)


@bp.post("/returns/<reference>/label/tracking")
def label_tracking_number(reference: str) -> Response:
    ret_id = _return_id(reference)
    number = request.form.get("tracking_number", "")
    if ret_id is None or not labels.enter_tracking_number(services(), shop().id, ret_id, number):
        fail(_("Enter the tracking number of a label that is waiting for your check."))
    else:
        flash(_("Tracking number saved: the parcel is followed."))
    return back_to("return_page", reference=reference)


def _return_id(reference: str) -> int | None:
    ret = queries.find_return(services(), shop(), reference)
    return ret.id if ret else None


def return_shipment(return_id: int | None) -> object:
    """For the return page's template: the return's shipment, or None."""
    if return_id is None:
        return None
    return queries.return_shipment(services(), shop(), return_id)


bp.add_app_template_global(return_shipment, "return_shipment")
