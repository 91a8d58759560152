"""The shopper portal over HTTP: lookup, items, review, confirmation, tracking, and what it refuses."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connector.bootstrap import Services
from connector.domain.policy import ReturnPolicy
from connector.domain.returns import Channel, ResolutionKind, ReturnStatus
from connector.domain.shops import Shop
from connector.web.portal import photo_path, portal_embed_snippet
from connector.workflow import returns as flow
from tests import builders
from tests.conftest import FrozenClock

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
HEIC = b"\x00\x00\x00\x18ftypheic" + b"\x00" * 200
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 200


def csrf(page: TestResponse) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page has a form with a CSRF token"
    return found.group(1)


def hidden(page: TestResponse, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', page.get_data(as_text=True))
    assert found, f"the page carries {name}"
    return found.group(1)


def policy(**overrides: object) -> dict[str, object]:
    return ReturnPolicy(**overrides).to_dict()  # type: ignore[arg-type]


@pytest.fixture
def shop(services: Services) -> Shop:
    found = builders.shop(services, policy=policy(
        allowed_resolutions=["refund", "store_credit", "exchange"], store_credit_bonus_percent="10",
        return_shipping_fee="5.90", restocking_fee_percent="10", free_returns_limit=0))
    with services.uow() as uow:
        found = uow.shops.update(found.id, return_address="Boutique Claire\n12 rue des Lilas\n75011 Paris")
        uow.commit()
    builders.stored_order(services, found, lines=(
        builders.line("L1", title="Robe lin", price="40.00"),
        builders.line("L2", title="Ceinture soldée", price="25.00", product_tags=("final-sale",)),
    ))
    return found


def find_order(client: FlaskClient, slug: str, contact: str = "claire@example.com", number: str = "1001",
               prefix: str = "") -> TestResponse:
    base = prefix or f"/portal/{slug}/"
    form = client.get(base)
    return client.post(base, data={"csrf_token": csrf(form), "order": number, "contact": contact})


def review(client: FlaskClient, slug: str, **fields: object) -> TestResponse:
    page = client.get(f"/portal/{slug}/order")
    data: dict[str, object] = {"csrf_token": csrf(page), "line-0": "L1", "qty-0": "1",
                               "reason-0": "size_too_small", "resolution-0": "refund"}
    data.update(fields)
    posted = client.post(f"/portal/{slug}/review", data=data, content_type="multipart/form-data")
    if posted.status_code == 302:  # post/redirect/get: the review is a page of its own
        return client.get(posted.location)
    return posted


def confirm(client: FlaskClient, slug: str, reviewed: TestResponse) -> TestResponse:
    return client.post(f"/portal/{slug}/confirm", data={
        "csrf_token": csrf(reviewed), "draft": hidden(reviewed, "draft")})


def test_whole_flow_from_lookup_to_tracking(client: FlaskClient, shop: Shop, services: Services) -> None:
    found = find_order(client, shop.slug)
    assert found.status_code == 302
    assert found.location.endswith(f"/portal/{shop.slug}/order")

    items = client.get(f"/portal/{shop.slug}/order?lang=en")
    text = items.get_data(as_text=True)
    assert "Robe lin" in text
    assert "final sale" in text
    # One unit alone as store credit: 40.00 - 4.00 restocking - 5.90 shipping = 30.10, 10 %: 3.01,
    # exactly what the review gives for it (test_store_credit_shows_the_bonus_as_an_amount).
    assert "+ €3.01 bonus per item" in text

    reviewed = review(client, shop.slug)
    page = reviewed.get_data(as_text=True)
    assert reviewed.status_code == 200
    # 40.00 paid, 10 % restocking (4.00) and 5.90 return shipping: 30.10, before confirming.
    assert "4,00\u00a0€" in page
    assert "5,90\u00a0€" in page
    assert "30,10\u00a0€" in page
    with services.uow() as uow:
        assert uow.scope(shop).returns.for_order("1001") == []  # nothing written yet

    done = confirm(client, shop.slug, reviewed)
    assert done.status_code == 302
    token = done.location.rsplit("/", 2)[-2]
    confirmation = client.get(done.location)
    body = confirmation.get_data(as_text=True)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.reference in body
    assert "12 rue des Lilas" in body
    slip = client.get(f"/portal/{shop.slug}/track/{token}/slip")
    assert "<svg" in slip.get_data(as_text=True)
    assert ret.reference in slip.get_data(as_text=True)

    tracking = client.get(f"/portal/{shop.slug}/track/{token}")
    assert tracking.status_code == 200
    assert "Retour demandé" in tracking.get_data(as_text=True)
    # The shop's own site frames the portal (the embed snippet); nobody else.
    assert tracking.headers["Content-Security-Policy"].endswith(
        "frame-ancestors 'self' https://boutique.example https://www.boutique.example")


def test_the_lookup_also_leads_to_existing_returns(client: FlaskClient, shop: Shop, services: Services) -> None:
    opened = flow.open_return_request(services, shop.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    find_order(client, shop.slug)
    items = client.get(f"/portal/{shop.slug}/order").get_data(as_text=True)
    assert opened.ret.tracking_token in items
    by_reference = client.get(f"/portal/{shop.slug}/returns/{opened.ret.reference}")
    assert by_reference.location.endswith(f"/track/{opened.ret.tracking_token}")


def test_postal_code_finds_the_order_too(client: FlaskClient, shop: Shop) -> None:
    assert find_order(client, shop.slug, contact="75 011").status_code == 302


def _visible(answer: TestResponse, *typed: str) -> str:
    text = re.sub(r'name="csrf_token" value="[^"]+"', "", answer.get_data(as_text=True))
    for value in typed:
        text = text.replace(f'value="{value}"', "")
    return text


def test_wrong_email_and_unknown_order_get_the_same_answer(client: FlaskClient, shop: Shop) -> None:
    wrong_email = find_order(client, shop.slug, contact="someone@example.com", number="1001")
    no_order = find_order(client, shop.slug, contact="someone@example.com", number="9999")
    assert wrong_email.status_code == no_order.status_code == 200
    assert _visible(wrong_email, "1001") == _visible(no_order, "9999")
    assert "Nous n&#39;avons pas trouvé" in wrong_email.get_data(as_text=True) or \
        "Nous n'avons pas trouvé" in wrong_email.get_data(as_text=True)


def test_lookups_are_limited_per_shop_and_address(client: FlaskClient, shop: Shop, clock: FrozenClock) -> None:
    for _attempt in range(10):
        assert find_order(client, shop.slug, contact="x@example.com").status_code == 200
    limited = find_order(client, shop.slug)
    assert limited.status_code == 429
    assert "Retry-After" in limited.headers
    assert "15 minutes" in limited.get_data(as_text=True)
    clock.advance(minutes=15)
    assert find_order(client, shop.slug).status_code == 302


def test_lookup_limit_is_shared_through_redis(services: Services) -> None:
    import fakeredis

    from connector.web.portal_access import limiter_for

    server = fakeredis.FakeServer()
    first = limiter_for("redis://x", lambda url: fakeredis.FakeRedis(server=server))
    second = limiter_for("redis://x", lambda url: fakeredis.FakeRedis(server=server))
    now = datetime(2026, 6, 15, 10, 0, tzinfo=UTC).timestamp()
    for _attempt in range(5):
        assert first.allow(1, "203.0.113.9", now)
        assert second.allow(1, "203.0.113.9", now)
    assert not first.allow(1, "203.0.113.9", now)
    assert first.allow(1, "198.51.100.1", now)  # another address has its own count
    assert first.allow(1, "203.0.113.9", now + 15 * 60)  # a new window


def test_post_without_csrf_token_is_refused_and_creates_nothing(
    app: Flask, client: FlaskClient, shop: Shop, services: Services
) -> None:
    assert app.config["WTF_CSRF_ENABLED"] is True  # TESTING does not turn the check off here
    find_order(client, shop.slug)
    reviewed = review(client, shop.slug)
    refused = client.post(f"/portal/{shop.slug}/confirm", data={"draft": hidden(reviewed, "draft")})
    assert refused.status_code == 400
    no_lookup = client.post(f"/portal/{shop.slug}/", data={"order": "1001", "contact": "claire@example.com"})
    assert no_lookup.status_code == 400
    with services.uow() as uow:
        assert uow.scope(shop).returns.for_order("1001") == []


def test_a_comment_with_a_script_tag_is_shown_escaped(client: FlaskClient, shop: Shop) -> None:
    find_order(client, shop.slug)
    reviewed = review(client, shop.slug, **{"comment-0": "<script>alert('x')</script>"})
    done = confirm(client, shop.slug, reviewed)
    tracking = client.get(done.location.replace("/confirmation", "")).get_data(as_text=True)
    assert "<script>alert" not in tracking
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in tracking


def test_another_shops_return_is_not_found(client: FlaskClient, shop: Shop, services: Services) -> None:
    other = builders.shop(services, domain="autre.example", name="Autre Boutique")
    builders.stored_order(services, other)
    theirs = flow.open_return_request(services, other.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    assert client.get(f"/portal/{shop.slug}/track/{theirs.ret.tracking_token}").status_code == 404
    assert client.get(f"/portal/{shop.slug}/track/{theirs.ret.tracking_token}/slip").status_code == 404
    find_order(client, shop.slug)
    assert client.get(f"/portal/{shop.slug}/returns/{theirs.ret.reference}").status_code == 404
    assert client.get(f"/portal/{other.slug}/track/{theirs.ret.tracking_token}").status_code == 200


def test_the_session_order_of_one_shop_does_not_open_another(client: FlaskClient, shop: Shop,
                                                             services: Services) -> None:
    other = builders.shop(services, domain="autre.example", name="Autre Boutique")
    find_order(client, shop.slug)
    assert client.get(f"/portal/{other.slug}/order").status_code == 302  # back to its lookup


def test_a_photo_is_required_for_a_defect_and_checked(client: FlaskClient, shop: Shop, services: Services) -> None:
    find_order(client, shop.slug)
    without = review(client, shop.slug, **{"reason-0": "defective"})
    assert without.status_code == 422
    assert "photo" in without.get_data(as_text=True)
    not_image = review(client, shop.slug, **{"reason-0": "defective",
                                             "photos-0": (io.BytesIO(b"%PDF-1.7 hello"), "scan.jpg")})
    assert not_image.status_code == 422
    assert "scan.jpg" in not_image.get_data(as_text=True)
    too_big = review(client, shop.slug, **{"reason-0": "defective",
                                           "photos-0": (io.BytesIO(JPEG + b"\x00" * (8 * 1024 * 1024)), "big.jpg")})
    assert too_big.status_code == 422
    assert "big.jpg dépasse 8 Mo" in too_big.get_data(as_text=True)
    with_photos = review(client, shop.slug, **{"reason-0": "defective", "photos-0": [
        (io.BytesIO(JPEG), "a.jpg"), (io.BytesIO(HEIC), "b.heic"), (io.BytesIO(WEBP), "c.webp")]})
    assert with_photos.status_code == 200
    confirm(client, shop.slug, with_photos)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    names = ret.items[0].photos
    assert [n.rsplit(".", 1)[1] for n in names] == ["jpg", "heic", "webp"]
    with client.application.app_context():
        stored = [photo_path(shop.id, n) for n in names]
        with pytest.raises(ValueError, match="not a photo name"):
            photo_path(shop.id, "../../secret.key")
    assert stored[0].read_bytes() == JPEG
    assert stored[0].parent == Path(services.settings.instance_path) / "uploads" / str(shop.id)
    # The shopper sees her photos again on the tracking page, and only through her own return.
    track = f"/portal/{shop.slug}/track/{ret.tracking_token}"
    assert f'src="{track}/photos/{names[0]}"' in client.get(track).get_data(as_text=True)
    assert client.get(f"{track}/photos/{names[0]}").get_data() == JPEG
    builders.stored_order(services, shop, order_id="1002")
    other = flow.open_return_request(services, shop.id, "1002", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    assert client.get(f"/portal/{shop.slug}/track/{other.ret.tracking_token}/photos/{names[0]}").status_code == 404


def test_png_photo_is_accepted(client: FlaskClient, shop: Shop) -> None:
    find_order(client, shop.slug)
    answer = review(client, shop.slug, **{"reason-0": "wrong_item", "photos-0": (io.BytesIO(PNG), "p.png")})
    assert answer.status_code == 200


def test_exchange_takes_the_wish_when_the_platform_lists_no_variants(
    client: FlaskClient, shop: Shop, services: Services
) -> None:
    find_order(client, shop.slug)
    missing = review(client, shop.slug, **{"resolution-0": "exchange"})
    assert missing.status_code == 422
    reviewed = review(client, shop.slug, **{"resolution-0": "exchange", "exchange-0": "taille M"})
    assert reviewed.status_code == 200
    confirm(client, shop.slug, reviewed)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.items[0].resolution is ResolutionKind.EXCHANGE
    assert "taille M" in ret.items[0].comment


def test_store_credit_shows_the_bonus_as_an_amount(client: FlaskClient, shop: Shop) -> None:
    find_order(client, shop.slug)
    page = review(client, shop.slug, **{"resolution-0": "store_credit"}).get_data(as_text=True)
    # 40.00 - 4.00 - 5.90 = 30.10; 10 % bonus on it: 3.01; 33.11 in all.
    assert "3,01\u00a0€" in page
    assert "33,11\u00a0€" in page


def test_free_return_is_said_before_confirming(client: FlaskClient, services: Services) -> None:
    free = builders.shop(services, domain="free.example", name="Libre", policy=policy(
        return_shipping_fee="5.90", free_returns_limit=2))
    builders.stored_order(services, free)
    find_order(client, free.slug)
    page = review(client, free.slug).get_data(as_text=True)
    assert "Ce retour est gratuit" in page


def test_ineligible_item_is_explained_and_refused(client: FlaskClient, shop: Shop) -> None:
    find_order(client, shop.slug)
    answer = review(client, shop.slug, **{"line-0": "L1", "qty-0": "0", "line-1": "L2", "qty-1": "1",
                                          "reason-1": "changed_mind", "resolution-1": "refund"})
    assert answer.status_code == 422
    assert "vente finale" in answer.get_data(as_text=True)


def test_window_passed_names_the_last_day(client: FlaskClient, services: Services) -> None:
    late = builders.shop(services, domain="late.example", name="Tard")
    builders.stored_order(services, late, delivered_days_ago=40)
    find_order(client, late.slug)
    page = client.get(f"/portal/{late.slug}/order?lang=en").get_data(as_text=True)
    assert "The return period for this item ended on June 5, 2026." in page


def test_cancel_before_sending_and_satisfaction_once_resolved(
    client: FlaskClient, shop: Shop, services: Services
) -> None:
    opened = flow.open_return_request(services, shop.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    url = f"/portal/{shop.slug}/track/{opened.ret.tracking_token}"
    page = client.get(f"{url}/cancel")
    cancelled = client.post(f"{url}/cancel", data={"csrf_token": csrf(page)})
    assert cancelled.status_code == 302
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert ret is not None
    assert ret.status is ReturnStatus.CANCELLED

    second = flow.open_return_request(services, shop.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    flow.approve(services, shop.id, second.ret.reference, "merchant", "OK, merci !")
    flow.mark_in_transit(services, shop.id, second.ret.reference, "shopper", "6A123")
    flow.receive(services, shop.id, second.ret.reference, "merchant")
    from connector.domain.returns import Condition, Inspection

    flow.inspect(services, shop.id, second.ret.reference, "merchant",
                 {"L1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    flow.resolve(services, shop.id, second.ret.reference, "merchant")
    url = f"/portal/{shop.slug}/track/{second.ret.tracking_token}?lang=en"
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert "OK, merci !" in text
    assert "6A123" in text
    assert "€30.10" in text
    assert "Cancel my return" not in text
    answered = client.post(f"/portal/{shop.slug}/track/{second.ret.tracking_token}/satisfaction",
                           data={"csrf_token": csrf(page), "score": "5", "comment": "Parfait"})
    assert answered.status_code == 302
    with services.uow() as uow:
        details = uow.scope(shop).returns.row_details(second.ret.id or 0)
    assert details is not None
    assert details["satisfaction"] == 5


def test_policy_page_is_the_engines_summary(client: FlaskClient, shop: Shop) -> None:
    page = client.get(f"/portal/{shop.slug}/policy?lang=en").get_data(as_text=True)
    assert "10%" in page
    assert "Defective item" in page
    assert client.get("/portal/nope/policy").status_code == 404


def test_portal_speaks_english_when_asked(client: FlaskClient, shop: Shop) -> None:
    fr = client.get(f"/portal/{shop.slug}/").get_data(as_text=True)
    en = client.get(f"/portal/{shop.slug}/?lang=en").get_data(as_text=True)
    assert '<html lang="fr">' in fr
    assert "Trouver ma commande" in fr
    assert '<html lang="en">' in en
    assert "Find my order" in en


def test_embed_snippet_frames_the_portal_and_listens_only_to_the_app(shop: Shop) -> None:
    snippet = portal_embed_snippet("https://returns.example.test/", shop.slug)
    assert f'src="https://returns.example.test/portal/{shop.slug}/"' in snippet
    assert 'e.origin!=="https://returns.example.test"' in snippet


def test_review_amounts_match_the_engine(client: FlaskClient, shop: Shop, services: Services) -> None:
    find_order(client, shop.slug)
    page = review(client, shop.slug).get_data(as_text=True)
    with services.uow() as uow:
        scope = uow.scope(shop)
        order = scope.orders.get("1001")
        assert order is not None
        _decision, plans = flow.decide(scope, order, [
            flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], services.clock.now())
    assert plans[0].net.amount == Decimal("30.10")
    assert "30,10\u00a0€" in page


# ---- through the Shopify app proxy: no cookies, signed queries, storefront paths ----

SHOPIFY_DOMAIN = "claire.myshopify.com"


@pytest.fixture
def shopify_shop(services: Services) -> Shop:
    found = builders.shop(services, platform="shopify", domain=SHOPIFY_DOMAIN, name="Claire Shopify",
                          policy=policy(allowed_resolutions=["refund", "store_credit"]))
    builders.stored_order(services, found)
    return found


APP_SECRET = "test-api-secret"  # tests/conftest.py settings


def signed(storefront_url: str, clock: FrozenClock, secret: str = APP_SECRET) -> str:
    """The request Shopify makes for a storefront /apps/returns/... URL: our path, its query, signed."""
    from urllib.parse import parse_qsl, urlencode, urlsplit

    from platforms.shopify.signatures import app_proxy_signature

    parts = urlsplit(storefront_url)
    assert parts.path.startswith("/apps/returns"), storefront_url
    pairs = parse_qsl(parts.query, keep_blank_values=True) + [
        ("shop", SHOPIFY_DOMAIN), ("path_prefix", "/apps/returns"), ("logged_in_customer_id", ""),
        ("timestamp", str(int(clock.now().timestamp())))]
    pairs.append(("signature", app_proxy_signature(pairs, secret)))
    return "/proxy" + parts.path[len("/apps/returns"):] + "?" + urlencode(pairs)


def test_proxy_serves_the_portal_with_storefront_links(app: Flask, shopify_shop: Shop, clock: FrozenClock) -> None:
    client = app.test_client(use_cookies=False)
    page = client.get(signed("/apps/returns/", clock))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'action="/apps/returns/"' in text
    assert 'href="/apps/returns/policy"' in text
    assert "https://returns.example.test/static/portal.js" in text


def test_proxy_refuses_a_tampered_or_missing_signature(app: Flask, shopify_shop: Shop, clock: FrozenClock) -> None:
    client = app.test_client(use_cookies=False)
    good = signed("/apps/returns/policy", clock)
    assert client.get(good).status_code == 200
    assert client.get(good.replace("claire.myshopify.com", "other.myshopify.com")).status_code == 401
    assert client.get(good + "&lang=en").status_code == 401  # an unsigned extra parameter
    assert client.get(signed("/apps/returns/policy", clock, secret="wrong")).status_code == 401
    assert client.get("/proxy/policy").status_code == 401
    assert client.get(f"/proxy/policy?shop={SHOPIFY_DOMAIN}&path_prefix=/apps/returns").status_code == 401
    clock.advance(minutes=5)
    assert client.get(good).status_code == 401  # too old to replay


def test_whole_flow_through_the_proxy_without_cookies(
    app: Flask, shopify_shop: Shop, clock: FrozenClock, services: Services
) -> None:
    client = app.test_client(use_cookies=False)
    form = client.get(signed("/apps/returns/", clock))
    found = client.post(signed("/apps/returns/", clock), data={
        "csrf_token": csrf(form), "order": "#1001", "contact": "Claire@Example.com"})
    assert found.status_code == 302
    assert found.location.startswith("/apps/returns/order?t=")
    items = client.get(signed(found.location, clock))
    assert items.status_code == 200
    action = re.search(r'action="([^"]+/review[^"]*)"', items.get_data(as_text=True))
    assert action
    reviewed = client.post(signed(action.group(1).replace("&amp;", "&"), clock), data={
        "csrf_token": csrf(items), "line-0": "L1", "qty-0": "1", "reason-0": "size_too_small",
        "resolution-0": "store_credit"}, content_type="multipart/form-data")
    assert reviewed.status_code == 302
    assert reviewed.location.startswith("/apps/returns/review?")
    reviewed = client.get(signed(reviewed.location, clock))
    assert reviewed.status_code == 200
    confirm_action = re.search(r'action="([^"]+/confirm[^"]*)"', reviewed.get_data(as_text=True))
    assert confirm_action
    done = client.post(signed(confirm_action.group(1).replace("&amp;", "&"), clock), data={
        "csrf_token": csrf(reviewed), "draft": hidden(reviewed, "draft")})
    assert done.status_code == 302
    assert done.location.startswith("/apps/returns/track/")
    assert client.get(signed(done.location, clock)).status_code == 200
    with services.uow() as uow:
        assert len(uow.scope(shopify_shop).returns.for_order("1001")) == 1


def test_proxy_post_without_its_form_token_is_refused(app: Flask, shopify_shop: Shop, clock: FrozenClock) -> None:
    client = app.test_client(use_cookies=False)
    refused = client.post(signed("/apps/returns/", clock), data={"order": "1001", "contact": "claire@example.com"})
    assert refused.status_code == 400


def test_proxy_items_need_the_signed_visit(app: Flask, shopify_shop: Shop, clock: FrozenClock) -> None:
    client = app.test_client(use_cookies=False)
    assert client.get(signed("/apps/returns/order", clock)).location == "/apps/returns/"
    assert client.get(signed("/apps/returns/order?t=forged", clock)).location == "/apps/returns/"


def test_a_rejection_shows_the_merchants_message(client: FlaskClient, shop: Shop, services: Services) -> None:
    opened = flow.open_return_request(services, shop.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    flow.reject(services, shop.id, opened.ret.reference, "merchant", "Article porté, désolé.")
    page = client.get(f"/portal/{shop.slug}/track/{opened.ret.tracking_token}").get_data(as_text=True)
    assert "Retour refusé" in page
    assert "Article porté, désolé." in page
    assert "Annuler mon retour" not in page


def test_the_proxy_root_without_a_slash_stays_on_the_storefront(
    app: Flask, shopify_shop: Shop, clock: FrozenClock
) -> None:
    client = app.test_client(use_cookies=False)
    bare = signed("/apps/returns", clock)
    assert bare.startswith("/proxy?")
    assert client.get(bare).status_code == 200


def test_the_real_app_factory_registers_the_portal_and_its_catalog(services: Services) -> None:
    from connector.app import create_app

    real = create_app(services.settings, services)
    assert any(rule.rule == "/proxy/track/<token>" for rule in real.url_map.iter_rules())
    # The one catalog, the same the emails and use cases read through connector.i18n.
    assert real.extensions["babel"].translation_directories == [
        str(Path(__file__).resolve().parents[2] / "connector/translations")]


def test_exchange_offers_the_platforms_variants_and_keeps_the_one_chosen(
    client: FlaskClient, services: Services
) -> None:
    from connector.ports import ProductVariant
    from tests.fakes import FakePlatform

    fake = FakePlatform()
    fake.state.variants["P1"] = [ProductVariant("V-S", "S"), ProductVariant("V-L", "L")]
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example", name="Boutique Variantes",
                         policy=policy(allowed_resolutions=["refund", "exchange"]))
    builders.stored_order(services, shop, lines=(
        builders.line("L1", title="Robe lin", price="40.00", product_id="P1", variant_id="V-M", variant_title="M"),))
    find_order(client, shop.slug)
    page = client.get(f"/portal/{shop.slug}/order").get_data(as_text=True)
    assert '<option value="V-L">L, en stock</option>' in page
    reviewed = review(client, shop.slug, **{"resolution-0": "exchange", "variant-0": "V-L"})
    assert reviewed.status_code == 200
    confirm(client, shop.slug, reviewed)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.items[0].resolution is ResolutionKind.EXCHANGE
    assert ret.items[0].exchange_variant_id == "V-L"


def test_a_variant_that_was_not_offered_is_refused(client: FlaskClient, services: Services) -> None:
    from connector.ports import ProductVariant
    from tests.fakes import FakePlatform

    fake = FakePlatform()
    fake.state.variants["P1"] = [ProductVariant("V-S", "S")]
    services.adapters["fake"] = fake
    shop = builders.shop(services, platform="fake", domain="fake.example", name="Boutique Variantes",
                         policy=policy(allowed_resolutions=["refund", "exchange"]))
    builders.stored_order(services, shop, lines=(
        builders.line("L1", title="Robe lin", price="40.00", product_id="P1", variant_id="V-M"),))
    find_order(client, shop.slug)
    forged = review(client, shop.slug, **{"resolution-0": "exchange", "variant-0": "V-SECRET"})
    assert forged.status_code == 422
    with services.uow() as uow:
        assert uow.scope(shop).returns.for_order("1001") == []


def _text(answer: TestResponse) -> str:
    body = answer.get_data(as_text=True).split("<body", 1)[-1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def test_a_missing_photo_names_the_item_and_never_says_nothing_can_be_returned(
    client: FlaskClient, shop: Shop
) -> None:
    find_order(client, shop.slug)
    without = review(client, shop.slug, **{"reason-0": "defective"})
    text = _text(without)
    assert without.status_code == 422
    assert "Aucun des articles choisis" not in text
    assert "Robe lin : Pour ce motif, veuillez ajouter une photo de l'article." in text.replace("\u202f", " ")


def test_the_review_is_a_page_of_its_own_and_back_after_confirming_sends_nothing_twice(
    client: FlaskClient, shop: Shop, services: Services
) -> None:
    find_order(client, shop.slug)
    page = client.get(f"/portal/{shop.slug}/order")
    posted = client.post(f"/portal/{shop.slug}/review", content_type="multipart/form-data", data={
        "csrf_token": csrf(page), "line-0": "L1", "qty-0": "1", "reason-0": "size_too_small",
        "resolution-0": "refund"})
    assert posted.status_code == 302
    assert "/review?d=" in posted.location
    reviewed = client.get(posted.location)
    assert client.get(posted.location).status_code == 200  # Back/Forward: a plain GET, the same page
    done = confirm(client, shop.slug, reviewed)
    assert done.status_code == 302
    assert "/confirmation" in done.location
    # Back to the review after confirming, then Confirm again: the items page, no second return.
    assert client.get(posted.location).location.endswith(f"/portal/{shop.slug}/order")
    again = confirm(client, shop.slug, reviewed)
    assert again.location.endswith(f"/portal/{shop.slug}/order")
    with services.uow() as uow:
        assert len(uow.scope(shop).returns.for_order("1001")) == 1
    assert client.get(f"/portal/{shop.slug}/review?d=not-a-draft").location.endswith("/order")


def test_a_comment_over_the_limit_is_refused_with_its_length_not_cut(
    client: FlaskClient, shop: Shop, services: Services
) -> None:
    find_order(client, shop.slug)
    refused = review(client, shop.slug, **{"comment-0": "x" * 2001})
    assert refused.status_code == 422
    assert "2\u202f001" in refused.get_data(as_text=True) or "2 001" in _text(refused)
    with services.uow() as uow:
        assert uow.scope(shop).returns.for_order("1001") == []
    kept = review(client, shop.slug, **{"comment-0": "y" * 2000})
    confirm(client, shop.slug, kept)
    with services.uow() as uow:
        [ret] = uow.scope(shop).returns.for_order("1001")
    assert ret.items[0].comment == "y" * 2000


def test_cancelling_asks_first_and_the_question_cancels_nothing(
    client: FlaskClient, shop: Shop, services: Services
) -> None:
    opened = flow.open_return_request(services, shop.id, "1001", [
        flow.WantedItem("L1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    url = f"/portal/{shop.slug}/track/{opened.ret.tracking_token}"
    tracking = client.get(url).get_data(as_text=True)
    assert f'href="{url}/cancel"' in tracking
    assert f'action="{url}/cancel"' not in tracking  # no one-tap cancel on the tracking page
    question = client.get(f"{url}/cancel")
    assert question.status_code == 200
    assert "Oui, annuler mon retour" in question.get_data(as_text=True)
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert ret is not None
    assert ret.status is ReturnStatus.REQUESTED
    client.post(f"{url}/cancel", data={"csrf_token": csrf(question)})
    with services.uow() as uow:
        ret = uow.scope(shop).returns.get_by_reference(opened.ret.reference)
    assert ret is not None
    assert ret.status is ReturnStatus.CANCELLED
    assert client.get(f"{url}/cancel").location.endswith("problem=late")


def test_wrong_method_and_unknown_shop_get_the_portals_own_error_page_in_french(
    client: FlaskClient, shop: Shop
) -> None:
    wrong = client.get(f"/portal/{shop.slug}/confirm", headers={"Accept-Language": "fr"})
    assert wrong.status_code == 405
    text = _text(wrong)
    assert "Method Not Allowed" not in text
    assert "Cette page ne s'ouvre pas directement" in text
    assert shop.name in text
    unknown = client.get("/portal/nope/", headers={"Accept-Language": "fr-FR"})
    assert unknown.status_code == 404
    assert "Not Found" not in _text(unknown)
    assert "Page introuvable" in _text(unknown)
    assert "Page not found" in _text(client.get("/portal/nope/order?lang=en"))


def test_a_manual_shop_offers_its_catalogue_sizes_with_stock_and_the_choice_follows_the_return(
    client: FlaskClient, services: Services
) -> None:
    from platforms.manual import OPTION_KEY, catalogue_option, parse_catalogue_csv

    catalogue = parse_catalogue_csv("product_id,variant_id,title,variant_title,stock,image_url\n"
                                    "robe,ROBE-S,Robe lin,S,5,https://images.example/robe-s.jpg\n"
                                    "robe,ROBE-M,Robe lin,M,2,\nrobe,ROBE-L,Robe lin,L,0,\n")
    found = builders.shop(services, policy=policy(allowed_resolutions=["refund", "exchange"]))
    with services.uow() as uow:
        found = uow.shops.update(found.id, options={OPTION_KEY: catalogue_option(catalogue)},
                                 contact_email="marchand@example.com")
        uow.commit()
    builders.stored_order(services, found, lines=(
        builders.line("L1", title="Robe lin", price="40.00", product_id="robe", variant_id="ROBE-S", variant_title="S"),))
    find_order(client, found.slug)
    page = client.get(f"/portal/{found.slug}/order").get_data(as_text=True)
    assert '<img class="product" src="https://images.example/robe-s.jpg"' in page  # the bought variant's picture
    items = _text(client.get(f"/portal/{found.slug}/order"))
    assert "M, plus que 2" in items
    assert "S, en stock" in items
    assert "L, épuisé" in items
    sold_out = review(client, found.slug, **{"resolution-0": "exchange", "variant-0": "ROBE-L"})
    assert sold_out.status_code == 422
    assert "L est épuisé" in _text(sold_out)
    reviewed = review(client, found.slug, **{"resolution-0": "exchange", "variant-0": "ROBE-M"})
    assert "Échange contre M" in _text(reviewed)
    done = confirm(client, found.slug, reviewed)
    assert "Échange contre M" in _text(client.get(done.location))
    assert "Échange contre M" in _text(client.get(done.location.rsplit("/", 1)[0]))
    with services.uow() as uow:
        [ret] = uow.scope(found).returns.for_order("1001")
        emails = uow.scope(found).emails.recent(limit=10, return_id=ret.id)
    assert (ret.items[0].exchange_variant_id, ret.items[0].exchange_variant_title) == ("ROBE-M", "M")
    assert any("Échange demandé\u202f: M" in e.body for e in emails if e.to == "claire@example.com")


def test_a_platform_shop_shows_each_lines_picture_from_the_order_and_its_exchange_stock(
    client: FlaskClient, services: Services
) -> None:
    from connector.ports.platforms import ProductVariant
    from tests.fakes import FakePlatform

    fake = FakePlatform()
    services.adapters["fake"] = fake
    fake.state.variants["robe"] = [ProductVariant("V-S", "S", stock=None, image_url="https://images.example/other.jpg"),
                                   ProductVariant("V-M", "M", stock=1), ProductVariant("V-L", "L", stock=12)]
    found = builders.shop(services, platform="fake", domain="fake.example",
                          policy=policy(allowed_resolutions=["refund", "exchange"]))
    picture = "https://cdn.shopify.com/s/files/1/0000/0001/files/robe-lin.jpg"
    builders.stored_order(services, found, lines=(
        builders.line("L1", title="Robe lin", product_id="robe", variant_id="V-S", variant_title="S", image_url=picture),
        builders.line("L2", title="Ceinture", product_id="ceinture")))
    find_order(client, found.slug)
    page = client.get(f"/portal/{found.slug}/order", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert f'<img class="product" src="{picture}"' in page  # the order line's own picture, kept in storage
    assert page.count('<img class="product"') == 1  # no picture known for the belt: none shown
    items = _text(client.get(f"/portal/{found.slug}/order"))
    assert "M, plus que 1" in items
    assert "L, en stock" in items
