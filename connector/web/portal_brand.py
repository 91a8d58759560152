"""The shop's colour on the portal: a small stylesheet per shop, since the CSP allows styles from the app only.

Attached to the portal's blueprints like portal_labels; the layout links it with the colour in the
address, so a changed colour is a new address. Imports Flask and the domain.
"""

from __future__ import annotations

from flask import Response

from connector.domain.branding import DEFAULT_COLOUR, Branding, branding_of
from connector.web.context import services
from connector.web.portal_visit import current_visit, portal_bp, proxy_bp


def brand_stylesheet(brand: Branding) -> str:
    """CSS for the portal in the shop's colour; every value is a checked #rrggbb, never the merchant's raw text."""
    return (f":root{{--accent:{brand.colour};--on-accent:{brand.on_colour};--accent-link:{brand.link_colour}}}\n"
            ".primary{background:var(--accent);color:var(--on-accent)}\n"
            "a{color:var(--accent-link)}\n"
            ".bar{border-top:4px solid var(--accent)}\n")


def brand_css() -> Response:
    brand = branding_of(current_visit().shop.options)
    return Response(brand_stylesheet(brand), mimetype="text/css")


def brand_css_url() -> str:
    """Where the portal layout finds this shop's stylesheet (on the app's address under the Shopify proxy)."""
    from flask import url_for

    visit = current_visit()
    brand = branding_of(visit.shop.options)
    path = url_for("portal.brand_css", shop_slug=visit.shop.slug, v=brand.colour.lstrip("#"))
    if visit.proxy is None:
        return path
    return services().settings.app_url.rstrip("/") + path


def portal_branding() -> dict[str, object]:
    from flask import g

    if "portal" not in g:
        return {"branding": None}
    brand = branding_of(current_visit().shop.options)
    return {"branding": brand, "brand_css_url": brand_css_url, "branded": brand.colour != DEFAULT_COLOUR}


portal_bp.add_url_rule("/brand.css", "brand_css", brand_css, methods=["GET"])
for _bp in (portal_bp, proxy_bp):
    _bp.context_processor(portal_branding)
