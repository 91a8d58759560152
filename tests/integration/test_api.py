"""The merchant API: bearer tokens per shop, one error shape, returns through their workflow, policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.workflow.api_tokens import create_token, revoke_token
from tests import builders


@dataclass
class Caller:
    client: FlaskClient
    token: str
    shop: Shop

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self._headers(), query_string=params)

    def post(self, path: str, body: Any = None) -> TestResponse:
        return self.client.post(f"/api/v1{path}", headers=self._headers(), json=body)

    def put(self, path: str, body: Any) -> TestResponse:
        return self.client.put(f"/api/v1{path}", headers=self._headers(), json=body)

    def delete(self, path: str) -> TestResponse:
        return self.client.delete(f"/api/v1{path}", headers=self._headers())


def caller_for(services: Services, client: FlaskClient, domain: str, platform: str = "manual") -> Caller:
    shop = builders.shop(services, domain=domain, name=domain.split(".")[0], platform=platform)
    builders.stored_order(services, shop)
    return Caller(client, create_token(services, shop.id, "test"), shop)


@pytest.fixture
def api(services: Services, client: FlaskClient) -> Caller:
    return caller_for(services, client, "boutique.example")


@pytest.fixture
def other(services: Services, client: FlaskClient) -> Caller:
    return caller_for(services, client, "autre.example")


def new_return(api: Caller, quantity: int = 1, line_id: str = "L1", order_id: str = "1001") -> TestResponse:
    return api.post("/returns", {"order_id": order_id, "items": [
        {"line_id": line_id, "quantity": quantity, "reason": "size_too_small", "resolution": "refund",
         "comment": "Trop petit"}]})


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error: dict[str, Any] = response.get_json()["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str)
    assert error["message"]
    return error


# ---- authentication ----

def test_a_request_without_a_token_is_401_with_the_bearer_challenge(client: FlaskClient) -> None:
    response = client.get("/api/v1/returns")
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_unknown_token_is_401(client: FlaskClient, api: Caller) -> None:
    response = client.get("/api/v1/policy", headers={"Authorization": "Bearer rc_not-a-real-token"})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(services: Services, client: FlaskClient, api: Caller) -> None:
    assert api.get("/policy").status_code == 200
    with services.uow() as uow:
        [(token_id, *_)] = uow.api_tokens.list(api.shop.id)
    assert revoke_token(services, api.shop.id, token_id)
    assert_error(api.get("/policy"), 401, "unauthorized")


def test_the_openapi_document_is_public_and_declares_bearer_security(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearer"]["description"]}
    assert doc["security"] == [{"bearer": []}]
    assert {"/api/v1/returns", "/api/v1/returns/{reference}/resolve", "/api/v1/orders/{platform_order_id}",
            "/api/v1/policy", "/api/v1/webhook-endpoints/{endpoint_id}/deliveries"} <= set(doc["paths"])
    assert set(doc["paths"]["/api/v1/policy"]) == {"get", "put"}


def test_too_many_requests_for_one_token_are_429_with_retry_after(app: Any, api: Caller) -> None:
    from connector.web.api.auth import RateLimiter

    app.extensions["returns_api_limiter"] = RateLimiter(3)
    statuses = [api.get("/policy").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/policy")
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) >= 1


# ---- tenants ----

def test_a_token_of_one_shop_finds_nothing_of_another_shop(services: Services, api: Caller, other: Caller) -> None:
    reference = new_return(other).get_json()["reference"]
    endpoint = other.post("/webhook-endpoints", {"url": "https://erp.autre.example/hooks"}).get_json()["id"]
    assert other.get(f"/returns/{reference}").status_code == 200
    assert other.get(f"/webhook-endpoints/{endpoint}/deliveries").status_code == 200
    builders.stored_order(services, other.shop, order_id="2002")

    assert_error(api.get(f"/returns/{reference}"), 404, "not_found")
    for action in ("approve", "receive", "in-transit", "resolve"):
        assert_error(api.post(f"/returns/{reference}/{action}", {}), 404, "not_found")
    assert_error(api.post(f"/returns/{reference}/reject", {"message": "non"}), 404, "not_found")
    assert_error(api.get("/orders/2002"), 404, "not_found")
    assert_error(new_return(api, order_id="2002"), 404, "not_found")
    assert_error(api.get(f"/webhook-endpoints/{endpoint}/deliveries"), 404, "not_found")
    assert_error(api.delete(f"/webhook-endpoints/{endpoint}"), 404, "not_found")
    assert api.get("/returns").get_json()["data"] == []
    assert api.get("/webhook-endpoints").get_json()["data"] == []
    # and nothing of the other shop changed
    assert other.get(f"/returns/{reference}").get_json()["status"] == "requested"
    assert len(other.get("/webhook-endpoints").get_json()["data"]) == 1


# ---- returns ----

def test_a_return_opened_over_the_api_carries_the_policy_decision(api: Caller) -> None:
    response = new_return(api)
    assert response.status_code == 201
    body = response.get_json()
    assert response.headers["Location"] == f"/api/v1/returns/{body['reference']}"
    assert body["status"] == "requested"
    assert body["channel"] == "api"
    assert body["decision"]["eligible"] is True
    assert body["decision"]["items"][0]["amount"] == "40.00"
    assert body["items"][0]["line_id"] == "L1"
    assert [e["kind"] for e in body["timeline"]] == ["requested"]
    assert body["timeline"][0]["actor"] == "api"
    assert api.get(f"/returns/{body['reference'].lower()}").get_json()["reference"] == body["reference"]


def test_a_refused_request_is_422_with_the_reasons_per_item(api: Caller) -> None:
    error = assert_error(new_return(api, quantity=5), 422, "return_refused")
    [item] = error["decision"]["items"]
    assert item["line_id"] == "L1"
    assert item["eligible"] is False
    assert item["reasons"]["en"]
    assert item["reasons"]["fr"]


def test_an_action_the_state_machine_refuses_is_409_and_says_why(api: Caller) -> None:
    reference = new_return(api).get_json()["reference"]
    error = assert_error(api.post(f"/returns/{reference}/receive"), 409, "illegal_transition")
    assert error["message"] == "cannot receive a return that is requested"
    assert error["status"] == "requested"
    assert api.get(f"/returns/{reference}").get_json()["status"] == "requested"


def test_a_return_goes_from_request_to_resolution_over_the_api(api: Caller) -> None:
    reference = new_return(api).get_json()["reference"]
    approved = api.post(f"/returns/{reference}/approve", {"message": "OK"}).get_json()
    assert approved["status"] == "approved"
    assert "mark_in_transit" in approved["allowed_actions"]
    assert api.post(f"/returns/{reference}/in-transit", {"tracking_number": "6A123"}).get_json()["tracking_number"] == "6A123"
    assert api.post(f"/returns/{reference}/receive").get_json()["status"] == "received"
    inspected = api.post(f"/returns/{reference}/inspect", {"items": [
        {"line_id": "L1", "condition": "as_new", "accepted_quantity": 1, "rejected_quantity": 0, "restock": True}]})
    assert inspected.get_json()["items"][0]["inspection"]["condition"] == "as_new"
    resolved = api.post(f"/returns/{reference}/resolve").get_json()
    assert resolved["status"] == "resolved"
    [resolution] = resolved["resolutions"]
    assert resolution["kind"] == "refund"
    assert resolution["amount"] == {"amount": "40.00", "currency": "EUR"}
    assert [e["kind"] for e in resolved["timeline"]] == [
        "requested", "approve", "mark_in_transit", "receive", "inspect", "resolve"]


def test_a_rejection_needs_a_message(api: Caller) -> None:
    reference = new_return(api).get_json()["reference"]
    error = assert_error(api.post(f"/returns/{reference}/reject", {}), 422, "validation_error")
    assert error["field"] == "message"
    assert api.post(f"/returns/{reference}/reject", {"message": "Hors délai"}).get_json()["status"] == "rejected"


def test_an_inspection_that_does_not_add_up_is_422(api: Caller) -> None:
    reference = new_return(api).get_json()["reference"]
    api.post(f"/returns/{reference}/approve")
    api.post(f"/returns/{reference}/receive")
    response = api.post(f"/returns/{reference}/inspect", {"items": [
        {"line_id": "L1", "condition": "as_new", "accepted_quantity": 2, "rejected_quantity": 0, "restock": True}]})
    assert_error(response, 422, "invalid_return")


def test_malformed_json_and_bad_parameters_are_400(api: Caller) -> None:
    response = api.client.post("/api/v1/returns", data=b"{not json", content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 400, "malformed_json")
    response = api.client.post("/api/v1/returns", data=b"[1, 2]", content_type="application/json",
                               headers={"Authorization": f"Bearer {api.token}"})
    assert_error(response, 400, "malformed_json")
    assert assert_error(api.get("/returns", limit=0), 400, "invalid_parameter")["field"] == "limit"
    assert assert_error(api.get("/returns", status="lost"), 400, "invalid_parameter")["field"] == "status"
    assert_error(api.get("/returns", created_from="2026-01-01T00:00:00"), 400, "invalid_parameter")
    assert_error(api.get("/returns", cursor="garbage!"), 404, "unknown_cursor")


def test_unknown_fields_in_a_body_are_named(api: Caller) -> None:
    error = assert_error(api.post("/returns", {"order_id": "1001", "items": [], "colour": "red"}), 422,
                         "validation_error")
    assert error["field"] in ("items", "colour")


def test_pages_follow_the_cursor_without_repeats_or_gaps(services: Services, api: Caller) -> None:
    clock: Any = services.clock
    lines = tuple(builders.line(f"L{n}", quantity=1) for n in range(1, 4))
    for order_number in range(2001, 2004):
        builders.stored_order(services, api.shop, order_id=str(order_number), lines=lines)
    made = []
    for order_number in range(2001, 2004):
        for line_number in range(1, 4):
            made.append(new_return(api, line_id=f"L{line_number}", order_id=str(order_number)).get_json()["reference"])
        clock.advance(seconds=1)  # some returns share a creation time, some do not: the keyset needs both
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = api.get("/returns", **params).get_json()
        seen += [r["reference"] for r in page["data"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 9
    assert set(seen) == set(made)
    assert seen[:3] == list(reversed(made[-3:]))  # newest first, ties broken by the later id


def test_the_list_takes_the_admin_filters(api: Caller) -> None:
    first = new_return(api, line_id="L1").get_json()["reference"]
    second = new_return(api, line_id="L2").get_json()["reference"]
    api.post(f"/returns/{second}/approve")

    def refs(**params: Any) -> list[str]:
        return [r["reference"] for r in api.get("/returns", **params).get_json()["data"]]

    assert refs(status="approved") == [second]
    assert refs(status="requested") == [first]
    assert refs(q=first) == [first]
    assert set(refs(q="#1001")) == {first, second}
    assert set(refs(customer="Claire@example.com")) == {first, second}
    assert refs(resolution="exchange") == []
    assert set(refs(created_from="2026-06-15T00:00:00Z")) == {first, second}
    assert refs(created_to="2026-06-15T00:00:00+02:00") == []


# ---- orders ----

def test_an_order_says_what_is_still_returnable_per_line(api: Caller) -> None:
    new_return(api, line_id="L1")
    order = api.get("/orders/1001").get_json()
    by_line = {line["line_id"]: line for line in order["lines"]}
    assert by_line["L1"]["returnable"] is False
    assert by_line["L1"]["already_returned"] == 1
    assert by_line["L1"]["reasons"]["en"]
    assert by_line["L2"]["returnable"] is True
    assert by_line["L2"]["returnable_quantity"] == 1
    assert by_line["L2"]["unit_price"] == {"amount": "25.00", "currency": "EUR"}
    assert len(order["returns"]) == 1


# ---- policy ----

def test_the_policy_is_read_and_replaced(api: Caller) -> None:
    assert api.get("/policy").get_json()["window_days"] == 30
    response = api.put("/policy", {"window_days": 14, "restocking_fee_percent": "10", "return_shipping_fee": "5.9"})
    assert response.status_code == 200
    policy = api.get("/policy").get_json()
    assert policy["window_days"] == 14
    assert policy["restocking_fee_percent"] == "10"
    assert policy["return_shipping_fee"] == "5.90"
    assert policy["currency"] == "EUR"
    assert len(policy["reasons"]) == 7
    # a replace: what is left out goes back to its default
    assert api.put("/policy", {"window_days": 20}).get_json()["restocking_fee_percent"] == "0"


def test_an_invalid_policy_is_422_naming_the_setting_and_changes_nothing(api: Caller) -> None:
    # A range the OpenAPI document states is checked with it; a rule across settings by the engine.
    error = assert_error(api.put("/policy", {"window_days": 0}), 422, "validation_error")
    assert error["field"] == "window_days"
    error = assert_error(api.put("/policy", {"auto_approve_reasons": ["bored"]}), 422, "invalid_policy")
    assert error["field"] == "auto_approve_reasons"
    error = assert_error(api.put("/policy", {"window_dayz": 3}), 422, "validation_error")
    assert error["field"] == "window_dayz"
    assert api.get("/policy").get_json()["window_days"] == 30


def test_the_policy_schema_names_every_setting_of_the_engine() -> None:
    from dataclasses import fields

    from connector.domain.policy import ReturnPolicy
    from connector.web.api.schemas import Policy

    assert set(Policy.model_fields) == {f.name for f in fields(ReturnPolicy)} | {"version"}
