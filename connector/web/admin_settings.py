"""Admin pages around the returns: emails sent and their templates, failed jobs, the shop's connection.

Thin: parse, call one use case, render. Imports Flask and the web helpers.
"""

from __future__ import annotations

from flask import abort, flash, jsonify, render_template, request
from werkzeug.wrappers import Response

from connector.domain.branding import InvalidBranding, branding_of, checked_branding
from connector.web.admin_core import _, back_to, bp, fail, identity, shop
from connector.web.auth import WeakPassword, create_merchant_user, merchant_users
from connector.web.context import services
from connector.workflow import email_templates, merchant_settings
from connector.workflow import merchant_queries as queries
from connector.workflow.errors import NotFound

OPTION_TOGGLES = {"woocommerce": ("gateway_refunds",)}


@bp.get("/emails")
def emails() -> str:
    sent = queries.recent_emails(services(), shop(), limit=200)
    customised = {(lang, kind) for lang in email_templates.LOCALES for kind in email_templates.KINDS
                  if email_templates.override(shop(), lang, kind) is not None}
    return render_template("admin/emails.html", sent=sent, kinds=email_templates.KINDS,
                           locales=email_templates.LOCALES, customised=customised)


@bp.route("/emails/templates/<locale_code>/<kind>", methods=["GET", "POST"])
def email_template(locale_code: str, kind: str) -> Response | str | tuple[str, int]:
    svc = services()
    try:
        default = email_templates.default_source(kind, locale_code)
    except NotFound:
        abort(404)
    source = email_templates.override(shop(), locale_code, kind) or default
    error = ""
    status = 200
    if request.method == "POST":
        action = request.form.get("action", "preview")
        if action == "reset":
            email_templates.save_override(svc, shop().id, locale_code, kind, None)
            flash(_("The default email is used again."))
            return back_to("email_template", locale_code=locale_code, kind=kind)
        source = request.form.get("source", "")
        try:
            if action == "save":
                email_templates.save_override(svc, shop().id, locale_code, kind, source)
                flash(_("Email template saved."))
                return back_to("email_template", locale_code=locale_code, kind=kind)
            email_templates.check_source(shop(), locale_code, source, svc.settings.app_url)
        except email_templates.InvalidTemplate as exc:
            error, status = template_problem(exc), 422
    preview: tuple[str, str] | None = None
    if not error:
        preview = email_templates.check_source(shop(), locale_code, source, svc.settings.app_url)
    return render_template(
        "admin/email_template.html", locale_code=locale_code, kind=kind, source=source, error=error,
        preview=preview, customised=email_templates.override(shop(), locale_code, kind) is not None,
        fields=email_templates.field_examples(shop(), locale_code, svc.settings.app_url),
    ), status


def template_problem(exc: email_templates.InvalidTemplate) -> str:
    """What is wrong with a merchant's template, in the admin's language, with its line."""
    if exc.kind == "length":
        return _("The template is longer than %(limit)s characters.", limit=email_templates.MAX_TEMPLATE_CHARS)
    if exc.kind == "subject":
        return _("Line 1 is the subject: it cannot be empty.")
    if exc.kind == "unknown" and exc.line:
        return _("Line %(line)s: “%(name)s” is not a field you can use (see the list of fields).",
                 line=exc.line, name=exc.unknown)
    if exc.line:
        return _("Line %(line)s: %(problem)s", line=exc.line, problem=exc.problem)
    return _("The template cannot be read: %(problem)s", problem=exc.problem)


@bp.post("/emails/templates/<locale_code>/<kind>/preview")
def email_template_preview(locale_code: str, kind: str) -> tuple[Response, int]:
    """The draft rendered in the sandbox, for the editor's live preview; nothing is saved."""
    svc = services()
    try:
        email_templates.default_source(kind, locale_code)
    except NotFound:
        abort(404)
    try:
        subject, body = email_templates.check_source(shop(), locale_code, request.form.get("source", ""),
                                                     svc.settings.app_url)
    except email_templates.InvalidTemplate as exc:
        return jsonify(ok=False, error=template_problem(exc), line=exc.line), 200
    return jsonify(ok=True, subject=subject, body=body), 200


@bp.get("/jobs")
def jobs() -> str:
    return render_template("admin/jobs.html", failures=queries.failed_work(services(), shop()))


@bp.post("/jobs/retry")
def retry_job() -> Response:
    kind = request.form.get("kind", "")
    if kind not in ("delivery", "outbox"):  # RQ's own failures are not tied to one shop
        abort(400)
    if queries.retry_failed_work(services(), shop(), kind, request.form.get("id", "")):
        flash(_("Queued again."))
    else:
        fail(_("This job could not be queued again (already done, or not this shop's)."))
    return back_to("jobs")


def _embed_snippet() -> str:
    app_url = services().settings.app_url
    try:
        from connector.web.portal import portal_embed_snippet
    except ImportError:
        return f'<iframe src="{app_url}/portal/{shop().slug}/" style="width:100%;min-height:700px;border:0"></iframe>'
    return portal_embed_snippet(app_url, shop().slug)


@bp.get("/settings")
def settings() -> str:
    current = shop()
    return render_template(
        "admin/settings.html", s=current, toggles=OPTION_TOGGLES.get(current.platform, ()),
        branding=branding_of(current.options),
        snippet=_embed_snippet(), users=merchant_users(services(), current.id),
        portal_url=f"{services().settings.app_url}/portal/{current.slug}/", embedded=identity().embedded,
    )


@bp.post("/settings")
def save_settings() -> Response:
    current = shop()
    options = dict(current.options)
    for name in OPTION_TOGGLES.get(current.platform, ()):
        # Adapters read these as "yes"/"no" strings (ShopConnection.options).
        options[name] = "yes" if request.form.get(name) == "yes" else "no"
    contact = request.form.get("contact_email", "").strip()
    if contact and "@" not in contact:
        fail(_("The contact email is not an email address."))
        return back_to("settings")
    try:
        options["branding"] = checked_branding(request.form.get("logo_url", ""),
                                               request.form.get("colour", "")).as_options()
    except InvalidBranding as exc:
        # Nothing is saved: the merchant fixes the one field and sends the form again.
        fail(_("The logo must be an https:// address of an image, 500 characters at most.")
             if exc.field == "logo_url" else _("The colour is written like #1a6b3c."))
        return back_to("settings")
    merchant_settings.save_shop_settings(services(), current, options=options, contact_email=contact,
                                         return_address=request.form.get("return_address", "").strip()[:2000])
    flash(_("Settings saved."))
    return back_to("settings")


@bp.post("/settings/users")
def add_user() -> Response:
    try:
        create_merchant_user(services(), shop().id, request.form.get("email", ""), request.form.get("password", ""))
    except WeakPassword as exc:
        fail(_("Not done: %(why)s", why=str(exc)))
    else:
        flash(_("Sign-in saved for %(email)s.", email=request.form.get("email", "").strip().lower()))
    return back_to("settings")
