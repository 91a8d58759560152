"""Admin actions on one return: each a POST that calls one workflow use case and goes back to the page.

A refused action (the state machine or a rule says no) is shown as a message and
changes nothing. Photos are served here, to the signed-in merchant of their shop only.
Imports Flask and the web helpers.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, request, send_file
from werkzeug.wrappers import Response

from connector.domain.errors import DomainError
from connector.domain.returns import SELLABLE_CONDITIONS, Condition, Inspection
from connector.web.admin_core import _, actor, back_to, bp, explain, fail, shop
from connector.web.context import services
from connector.workflow import merchant_queries as queries
from connector.workflow import returns as flow
from connector.workflow.errors import NotFound


def _act(reference: str, done: str, call: Callable[[], object]) -> Response:
    try:
        call()
    except NotFound:
        abort(404)
    except (DomainError, ValueError) as exc:
        fail(explain(exc) if isinstance(exc, DomainError) else _("Not done: %(why)s", why=str(exc)))
    else:
        flash(done)
    return back_to("return_page", reference=reference)


@bp.post("/returns/<reference>/approve")
def approve(reference: str) -> Response:
    message = request.form.get("message", "")
    return _act(reference, _("Return approved; the shopper is told."),
                lambda: flow.approve(services(), shop().id, reference, actor(), message.strip()))


@bp.post("/returns/<reference>/reject")
def reject(reference: str) -> Response:
    message = request.form.get("message", "")
    return _act(reference, _("Return rejected; the shopper is told why."),
                lambda: flow.reject(services(), shop().id, reference, actor(), message.strip(),
                                    goodwill=request.form.get("goodwill") == "yes"))


@bp.post("/returns/<reference>/in-transit")
def mark_in_transit(reference: str) -> Response:
    tracking = request.form.get("tracking_number", "")
    return _act(reference, _("Marked in transit."),
                lambda: flow.mark_in_transit(services(), shop().id, reference, actor(), tracking))


@bp.post("/returns/<reference>/receive")
def receive(reference: str) -> Response:
    return _act(reference, _("Marked received."),
                lambda: flow.receive(services(), shop().id, reference, actor()))


def _inspections() -> dict[str, Inspection]:
    """One outcome per returned line, from fields named <field>-<line id>."""
    outcomes: dict[str, Inspection] = {}
    for line_id in request.form.getlist("line"):
        try:
            accepted = int(request.form.get(f"accepted-{line_id}", ""))
            rejected = int(request.form.get(f"rejected-{line_id}", ""))
            condition = Condition(request.form.get(f"condition-{line_id}", ""))
        except ValueError:
            raise ValueError(_("give the condition and the accepted and rejected quantities of every item")) from None
        restock = request.form.get(f"restock-{line_id}") == "1"
        if restock and condition not in SELLABLE_CONDITIONS:
            # Said, not silently dropped: the merchant ticked it, so they learn why it cannot be.
            raise ValueError(_("a damaged or missing item cannot be put back in stock; untick \"Put back in stock\""))
        outcomes[line_id] = Inspection(
            condition=condition, accepted_quantity=accepted, rejected_quantity=rejected,
            restock=restock,
            rejection_reason=request.form.get(f"rejection-{line_id}", "").strip()[:1000],
        )
    return outcomes


@bp.post("/returns/<reference>/inspect")
def inspect(reference: str) -> Response:
    return _act(reference, _("Inspection recorded."),
                lambda: flow.inspect(services(), shop().id, reference, actor(), _inspections()))


@bp.post("/returns/<reference>/resolve")
def resolve(reference: str) -> Response:
    return _act(reference, _("Resolved: the amounts shown are on their way to the shopper."),
                lambda: flow.resolve(services(), shop().id, reference, actor()))


@bp.post("/returns/<reference>/close")
def close(reference: str) -> Response:
    return _act(reference, _("Return closed."), lambda: flow.close(services(), shop().id, reference, actor()))


@bp.post("/returns/<reference>/note")
def add_note(reference: str) -> Response:
    message = request.form.get("message", "")
    return _act(reference, _("Note added (the shopper does not see it)."),
                lambda: flow.add_note(services(), shop().id, reference, actor(), message))


def _resolution_of(reference: str) -> int:
    """The resolution id from the form, only if it belongs to this return of this shop."""
    found = queries.resolution_of(services(), shop(), reference, request.form.get("resolution", type=int) or 0)
    if found is None:
        abort(404)
    return found


@bp.post("/returns/<reference>/retry")
def retry_resolution(reference: str) -> Response:
    resolution_id = _resolution_of(reference)
    return _act(reference, _("The push is queued again."),
                lambda: flow.retry_resolution(services(), shop().id, resolution_id))


@bp.post("/returns/<reference>/done")
def mark_resolution_done(reference: str) -> Response:
    resolution_id = _resolution_of(reference)
    note = request.form.get("note", "")
    return _act(reference, _("Marked as carried out by hand."),
                lambda: flow.mark_resolution_done(services(), shop().id, resolution_id, actor(), note))


@bp.get("/returns/<reference>/photos/<name>")
def photo(reference: str, name: str) -> Response:
    """A shopper's photo, only when it belongs to this return of this shop."""
    if not queries.has_photo(services(), shop(), reference, name):
        abort(404)
    try:
        from connector.web.portal import photo_path
    except ImportError:  # no portal installed: no photo was ever stored
        abort(404)
    try:
        path = photo_path(shop().id, name)
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, max_age=0)
    # A photo is shown, never run: no sniffing it into HTML or script.
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
