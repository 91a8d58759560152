"""The shopper's return label in the portal: her address for it, the PDF, a QR code. Flask edge.

Attaches its routes to both portal blueprints (direct and Shopify app proxy) and gives the
templates `return_label(ret)`, what the confirmation and tracking pages show about the label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import segno
from flask import Response, abort, redirect, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from connector.domain.returns import ReturnRequest, ReturnStatus
from connector.domain.shipping import ParcelStep, PostalAddress
from connector.i18n import format_moment
from connector.web.context import services
from connector.web.portal_visit import current_visit, link, portal_bp, proxy_bp, shopper_lang
from connector.workflow import portal

if TYPE_CHECKING:
    from connector.workflow.portal import StoredShipment


@dataclass(frozen=True)
class LabelBox:
    state: str  # address, preparing, ready, check, failed
    shipment: StoredShipment
    carrier_title: str
    qr: Markup | None
    name: str
    postal_code: str
    steps: tuple[tuple[str, str, str], ...]  # (when, what, where) of the carrier's events
    specimen: bool  # the demo carrier's sample: the page says so before and after the label is drawn


def _step_title(step: ParcelStep) -> str:
    titles: dict[ParcelStep, str] = {
        ParcelStep.IN_TRANSIT: _("Scanned by the carrier"), ParcelStep.DELIVERED: _("Delivered to the shop"),
        ParcelStep.PROBLEM: _("Delivery problem"), ParcelStep.LABEL_CREATED: _("Label created")}
    return titles[step]


def return_label(ret: ReturnRequest) -> LabelBox | None:
    """What the pages show about this return's label; None when the shop gives none."""
    if ret.id is None:
        return None
    svc = services()
    found = portal.return_label(svc, current_visit().shop, ret)
    if found is None or ret.status in (ReturnStatus.CANCELLED, ReturnStatus.REJECTED):
        return None
    shipment, order = found.shipment, found.order
    if not shipment.has_label and shipment.status != "bought" and ret.status is not ReturnStatus.APPROVED:
        return None  # the parcel left another way (or arrived): no label to offer any more
    carrier = svc.carriers.get(shipment.carrier)
    state = {"address": "address", "pending": "preparing", "buying": "preparing", "bought": "ready",
             "check": "preparing"}.get(shipment.status, "failed")
    qr = None
    if state == "ready" and carrier is not None and carrier.offers_qr:
        # segno writes the SVG from the carrier's tracking number (letters and digits): safe as markup.
        qr = Markup(segno.make(shipment.tracking_number, error="m").svg_inline(scale=4, omitsize=True))  # noqa: S704
    lang = shopper_lang()
    steps = tuple((format_moment(e.occurred_at, lang),
                   e.description or _step_title(e.step), e.location) for e in reversed(shipment.events))
    customer = order.customer if order else None
    return LabelBox(state=state, shipment=shipment, carrier_title=carrier.title if carrier else shipment.carrier,
                    qr=qr, name=customer.name if customer else "", postal_code=customer.postal_code if customer else "",
                    steps=steps, specimen=shipment.specimen or bool(carrier and carrier.specimen))


def _return(token: str) -> ReturnRequest:
    ret = portal.return_by_token(services(), current_visit().shop, token)
    if ret is None:
        abort(404)
    return ret


def label_pdf(token: str) -> Any:
    ret = _return(token)
    pdf = portal.label_pdf(services(), current_visit().shop, ret)
    if pdf is None:
        return redirect(link("track", token=token))  # not bought yet: the page says what is awaited
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="label-{ret.reference}.pdf"', "Cache-Control": "private, no-store"})


FIELDS = ("name", "line1", "line2", "postal_code", "city", "country_code", "phone")


def label_address(token: str) -> Any:
    ret = _return(token)
    form = {name: request.form.get(name, "").strip()[:200] for name in FIELDS}
    form["country_code"] = form["country_code"].upper()
    sender = PostalAddress(name=form["name"], line1=form["line1"], line2=form["line2"],
                           postal_code=form["postal_code"], city=form["city"], country_code=form["country_code"],
                           phone=form["phone"], email=ret.customer_email)
    problem = ""
    if sender.missing():
        problem = _("Please fill in your name, street, postal code, city and country.")
    elif len(sender.country_code) != 2 or not sender.country_code.isalpha():
        problem = _("The country is a two-letter code, for example FR.")
    if problem:
        from connector.web.portal_tracking import tracking_page

        page = tracking_page(services(), current_visit().shop, token, shopper_lang())
        return render_template("portal/track.html", t=page, notice=None, problem=problem), 422
    done = portal.give_sender_address(services(), current_visit().shop, ret, sender)
    return redirect(link("track", token=token, done="label" if done else None))


for _bp in (portal_bp, proxy_bp):
    _bp.add_url_rule("/track/<token>/label", "label_pdf", label_pdf, methods=["GET"])
    _bp.add_url_rule("/track/<token>/label-address", "label_address", label_address, methods=["POST"])
    _bp.context_processor(lambda: {"return_label": return_label})
