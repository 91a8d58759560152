"""On the demo shop, the store-credit bonus promised on the items page is the review's, and the review's amount is the one resolved."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from connector.bootstrap import Services
from connector.demo import DEMO_SLUG, load_demo
from connector.domain.returns import Condition, Inspection, ResolutionKind
from connector.workflow import returns as flow
from tests.integration.test_portal import csrf, find_order, hidden


def test_demo_bonus_promised_shown_and_given_is_one_amount(client: FlaskClient, services: Services) -> None:
    load_demo(services)
    # Claire used her free return on order 1001: returning the 59.00 shirt of 1005 costs the 5.90 label.
    assert find_order(client, DEMO_SLUG, number="1005").status_code == 302
    items = client.get(f"/portal/{DEMO_SLUG}/order?lang=fr").get_data(as_text=True)
    assert re.search(r"\+ 5,31\s€", items)
    assert not re.search(r"\+ 5,90\s€", items)  # the old promise, made before the label price was counted

    page = client.get(f"/portal/{DEMO_SLUG}/order?lang=fr")
    posted = client.post(f"/portal/{DEMO_SLUG}/review", content_type="multipart/form-data", data={
        "csrf_token": csrf(page), "line-0": "1005-1", "qty-0": "1", "reason-0": "changed_mind",
        "resolution-0": "store_credit"})
    assert posted.status_code == 302  # post/redirect/get: the review is a page of its own
    reviewed = client.get(posted.location)
    review = reviewed.get_data(as_text=True)
    assert reviewed.status_code == 200
    assert re.search(r"\+ 5,31\s€", review)
    assert re.search(r"58,41\s€", review)  # 59.00 - 5.90 + 5.31

    done = client.post(f"/portal/{DEMO_SLUG}/confirm", data={"csrf_token": csrf(reviewed),
                                                             "draft": hidden(reviewed, "draft")})
    assert done.status_code == 302
    with services.uow() as uow:
        shop = uow.shops.by_slug(DEMO_SLUG)
        assert shop is not None
        [ret] = uow.scope(shop).returns.for_order("1005")
    if ret.can("approve"):
        flow.approve(services, shop.id, ret.reference, "test")
    flow.receive(services, shop.id, ret.reference, "test")
    flow.inspect(services, shop.id, ret.reference, "test", {"1005-1": Inspection(Condition.AS_NEW, 1, 0, restock=True)})
    [credit] = flow.resolve(services, shop.id, ret.reference, "test")
    assert (credit.kind, str(credit.amount.amount), str(credit.bonus.amount)) == (
        ResolutionKind.STORE_CREDIT, "58.41", "5.31")
