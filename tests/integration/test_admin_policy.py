"""The policy editor checks every setting and names each problem; the block list is honoured by new requests."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.domain.policy import ReturnPolicy
from connector.workflow.returns import ReturnRefused, policy_for
from tests import builders
from tests.integration.test_admin_support import request_return, signed_in

VALID = {
    "currency": "EUR", "window_days": "45", "window_starts_from": "delivery", "final_sale_tag": "soldes",
    "non_returnable_tags": "", "non_returnable_product_types": "Cartes cadeaux", "non_returnable_skus": "",
    "allowed_resolutions": ["refund", "store_credit"], "restocking_fee_percent": "0",
    "store_credit_bonus_percent": "10", "restocking_fee_waived_reasons": ["defective"],
    "return_shipping_fee": "5.90", "return_shipping_paid_by": "shopper",
    "merchant_pays_shipping_reasons": ["defective", "wrong_item"], "free_returns_limit": "2",
    "free_returns_period_days": "365", "free_returns_tags": "", "auto_approve_max_order_value": "",
    "auto_approve_max_previous_returns": "", "auto_approve_reasons": [],
    "reasons": "size_too_small | Trop petit | Too small\ndefective | Défectueux | Defective | photo\n"
               "wrong_item | Mauvais article | Wrong item | photo\nchanged_mind | Changé d'avis | Changed my mind",
    "rejected_items": "send_back", "rejected_item_return_fee": "6.50", "goodwill_coupon_percent": "0",
    "blocked_emails": "", "action": "save",
}


def test_a_valid_policy_is_saved_and_previewed_in_both_languages(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    response = client.post(f"/admin/{shop.slug}/policy", data={**VALID, "csrf_token": token})
    assert response.status_code == 302
    with services.uow() as uow:
        saved = policy_for(uow.shops.get(shop.id))  # type: ignore[arg-type]
    assert saved.window_days == 45
    assert saved.free_returns_limit == 2
    assert saved.reason("defective").needs_photo  # type: ignore[union-attr]
    assert saved.non_returnable_product_types == ("Cartes cadeaux",)
    page = client.get(f"/admin/{shop.slug}/policy").get_data(as_text=True)
    assert "45" in page
    assert 'lang="fr"' in page
    assert 'lang="en"' in page


def test_every_bad_setting_is_named_next_to_its_field_and_nothing_is_saved(client: FlaskClient,
                                                                          services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    bad = {**VALID, "csrf_token": token, "window_days": "0", "restocking_fee_percent": "150",
           "return_shipping_fee": "abc", "allowed_resolutions": [], "blocked_emails": "pas-un-email"}
    response = client.post(f"/admin/{shop.slug}/policy", data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    for name in ("window_days", "restocking_fee_percent", "return_shipping_fee", "allowed_resolutions",
                 "blocked_emails"):
        assert f'id="{name}-error"' in html, name
    assert "Saisissez un nombre de 1 à 3650." in html  # in the merchant's language, not the engine's
    with services.uow() as uow:
        assert uow.shops.get(shop.id).policy == {}  # type: ignore[union-attr]


def test_preview_shows_the_public_page_without_saving(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    response = client.post(f"/admin/{shop.slug}/policy", data={**VALID, "csrf_token": token, "action": "preview"})
    assert response.status_code == 200
    assert "45" in response.get_data(as_text=True)
    with services.uow() as uow:
        assert uow.shops.get(shop.id).policy == {}  # type: ignore[union-attr]


def test_a_blocked_customer_cannot_open_a_new_request_and_unblocking_lets_them(client: FlaskClient,
                                                                               services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, order_id="1001")
    builders.stored_order(services, shop, order_id="1002")
    token = signed_in(client, services, shop)
    client.post(f"/admin/{shop.slug}/customers/block",
                data={"csrf_token": token, "email": "Claire@Example.com", "blocked": "1"})
    page = client.get(f"/admin/{shop.slug}/customers/claire@example.com").get_data(as_text=True)
    assert "Unblock" in page or "Débloquer" in page
    with pytest.raises(ReturnRefused) as refused:
        request_return(services, shop, "1001")
    assert "blocked" in str(refused.value).lower() or refused.value.decision.reasons
    client.post(f"/admin/{shop.slug}/customers/block",
                data={"csrf_token": token, "email": "claire@example.com", "blocked": "0"})
    assert request_return(services, shop, "1002").startswith("R-")


def test_customer_view_counts_returns_orders_and_free_returns(client: FlaskClient, services: Services) -> None:
    shop = builders.shop(services)
    builders.stored_order(services, shop, order_id="1001")
    builders.stored_order(services, shop, order_id="1002")
    request_return(services, shop, "1001")
    from connector.workflow.abuse import customer_signals

    signals = customer_signals(services, shop.id, "claire@example.com")
    assert (signals.orders, signals.returns, signals.returns_per_order) == (2, 1, 0.5)


def test_reasons_are_edited_as_labelled_rows_and_amounts_take_the_french_comma(
    client: FlaskClient, services: Services
) -> None:
    shop = builders.shop(services)
    token = signed_in(client, services, shop)
    page = client.get(f"/admin/{shop.slug}/policy").get_data(as_text=True)
    assert 'name="reason-fr-0" value="Taille trop petite"' in page
    assert "size_too_small |" not in page  # no raw codes, no pipes
    assert '> Taille trop petite</label>' in page  # checkboxes name reasons in the merchant's words
    form = dict(re.findall(r'<input (?:type="hidden" )?name="(reason-[a-z]+-\d+|reason-count)" value="([^"]*)"', page))
    count = int(form["reason-count"])
    form.update({"csrf_token": token, "action": "save", "window_days": "30", "window_starts_from": "delivery",
                 "currency": "EUR", "return_shipping_fee": "5,90", "rejected_item_return_fee": "1 234,50",
                 "restocking_fee_percent": "7,5", "store_credit_bonus_percent": "0", "goodwill_coupon_percent": "0",
                 "free_returns_limit": "0", "free_returns_period_days": "365", "return_shipping_paid_by": "shopper",
                 "rejected_items": "send_back", "allowed_resolutions": "refund",
                 "reason-remove-1": "1",  # "Taille trop grande" taken away
                 f"reason-fr-{count}": "Couleur différente", f"reason-en-{count}": "Different colour",
                 f"reason-photo-{count}": "1"})
    saved = client.post(f"/admin/{shop.slug}/policy", data=form)
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with services.uow() as uow:
        stored = ReturnPolicy.from_dict(uow.shops.get(shop.id).policy)  # type: ignore[union-attr]
    assert str(stored.return_shipping_fee.amount) == "5.90"
    assert str(stored.rejected_item_return_fee.amount) == "1234.50"
    assert str(stored.restocking_fee_percent) == "7.5"
    codes = [r.code for r in stored.reasons]
    assert "size_too_large" not in codes
    added = stored.reason("different_colour")
    assert added is not None
    assert (added.label_fr, added.needs_photo) == ("Couleur différente", True)
    assert 'value="5,90"' in client.get(f"/admin/{shop.slug}/policy").get_data(as_text=True)
