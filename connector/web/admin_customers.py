"""Admin customer view: a customer's returns, orders, free returns used, and the block list.

Imports Flask and the web helpers.
"""

from __future__ import annotations

from flask import abort, flash, render_template, request, send_file
from werkzeug.wrappers import Response

from connector.domain.policy import InvalidPolicy
from connector.web.admin_core import _, back_to, bp, fail, query_string, shop
from connector.web.context import services
from connector.workflow import abuse
from connector.workflow import merchant_queries as queries
from connector.workflow.returns import policy_for


@bp.get("/customers/<email>")
def customer(email: str) -> str:
    if "@" not in email:
        abort(404)
    signals = abuse.customer_signals(services(), shop().id, email)
    return render_template("admin/customer.html", c=signals)


@bp.post("/customers/block")
def block_customer() -> Response:
    email = request.form.get("email", "").strip().lower()
    blocked = request.form.get("blocked") == "1"
    try:
        abuse.set_blocked(services(), shop().id, email, blocked)
    except InvalidPolicy as exc:
        fail(_("Not done: %(why)s", why=str(exc)))
        return back_to("blocked_customers")
    if blocked:
        flash(_("%(email)s is blocked: new return requests from this address are refused.", email=email))
    else:
        flash(_("%(email)s may request returns again.", email=email))
    target = request.form.get("back", "")
    if target == "customer":
        return back_to("customer", email=email)
    return back_to("blocked_customers")


PAGE_SIZE = 50


@bp.get("/customers")
def blocked_customers() -> str:
    """Every customer, searchable by email or name, with their orders and returns; the block list; data requests."""
    search = request.args.get("q", "").strip()[:200]
    page = max(1, request.args.get("page", 1, type=int) or 1)
    found = queries.customers_page(services(), shop(), search, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    total = found.total
    policy = policy_for(shop())
    return render_template("admin/customers.html", blocked=policy.blocked_emails, customers=found.customers,
                           total=total, search=search, page=page, pages=max(1, -(-total // PAGE_SIZE)),
                           page_link=lambda n: query_string({"q": search}, page=n),
                           is_blocked=policy.is_blocked, exports=found.exports)


@bp.get("/data-requests/<name>")
def data_request_export(name: str) -> Response:
    """A customer data-request export, to this shop's signed-in merchant only, never cached."""
    path = queries.data_request_export(services(), shop(), name)
    if path is None:
        abort(404)
    response = send_file(path, mimetype="application/json", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
