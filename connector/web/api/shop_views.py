"""Orders, the return policy and webhook endpoints over the API."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.domain.messages import Reason
from connector.i18n import say
from connector.web.api import cursors
from connector.web.api import schemas as s
from connector.web.api.blueprint import operation
from connector.web.api.returns_views import money
from connector.web.api.spec import PREFIX, id_param, string_param
from connector.web.context import services
from connector.workflow import admin_policy
from connector.workflow import merchant_queries as queries
from connector.workflow import merchant_webhooks as hooks

if TYPE_CHECKING:
    from connector.workflow.merchant_webhooks import DeliveryRecord, Endpoint

ORDER_ID = {"platform_order_id": string_param(64, "The platform's order id (Shopify or WooCommerce id).")}
ENDPOINT_ID = {"endpoint_id": id_param("The webhook endpoint's id.")}


def _texts(reasons: tuple[Reason, ...]) -> s.Texts:
    return s.Texts(fr=[say(r, "fr") for r in reasons], en=[say(r, "en") for r in reasons])


# ---- orders ----

@operation("GET", "/orders/{platform_order_id}", summary="An order and what is still returnable per line",
           tag="orders", answer=s.OrderOut, path_params=ORDER_ID)
def get_order(shop_id: int, platform_order_id: str) -> s.OrderOut:
    view = queries.order_view(services(), shop_id, platform_order_id)
    order, by_line = view.order, {e.line_id: e for e in view.lines}
    lines = []
    for line in order.lines:
        verdict = by_line[line.platform_line_id]
        lines.append(s.OrderLineOut(
            line_id=line.platform_line_id, title=line.title, variant_title=line.variant_title, sku=line.sku,
            product_id=line.product_id, variant_id=line.variant_id, quantity=line.quantity,
            fulfilled_quantity=line.fulfilled_quantity, unit_price=money(line.unit_price),
            returnable=verdict.returnable, returnable_quantity=verdict.returnable_quantity,
            already_returned=verdict.already_returned, last_day=verdict.last_day, reasons=_texts(verdict.reasons),
        ))
    return s.OrderOut(
        platform_order_id=order.platform_order_id, name=order.name, currency=order.currency,
        customer_email=order.customer.email, customer_name=order.customer.name, placed_at=order.placed_at,
        fulfilled_at=order.fulfilled_at, delivered_at=order.delivered_at, cancelled_at=order.cancelled_at,
        lines=lines, returns=view.references,
    )


# ---- policy ----

@operation("GET", "/policy", summary="The shop's return policy", tag="policy", answer=s.Policy)
def get_policy(shop_id: int) -> s.Policy:
    return s.Policy.model_validate(queries.current_policy(services(), shop_id).to_dict())


@operation("PUT", "/policy", summary="Replace the shop's return policy", tag="policy", answer=s.Policy,
           body=s.Policy)
def put_policy(shop_id: int, body: s.Policy) -> s.Policy:
    """Validated by the policy engine itself; 422 `invalid_policy` names the setting in `error.field`."""
    policy = admin_policy.replace_policy(services(), shop_id, body.model_dump(mode="json", exclude_unset=True))
    return s.Policy.model_validate(policy.to_dict())


# ---- webhook endpoints ----

def _endpoint(endpoint: Endpoint) -> s.EndpointOut:
    return s.EndpointOut.model_validate(endpoint, from_attributes=True)


def _delivery(record: DeliveryRecord) -> s.DeliveryOut:
    return s.DeliveryOut.model_validate(record, from_attributes=True)


@operation("POST", "/webhook-endpoints", summary="Add an endpoint for our events", tag="webhooks",
           answer=s.EndpointCreated, status=201, body=s.NewEndpoint, errors=(409,))
def create_endpoint(shop_id: int, body: s.NewEndpoint) -> tuple[s.EndpointCreated, dict[str, str]]:
    """Deliveries are POSTed with `X-Returns-Signature: t=<ts>,v1=<hex>`, HMAC-SHA256 over `<ts>.<body>`."""
    endpoint, secret = hooks.create_endpoint(services(), shop_id, body.url, tuple(body.events), body.description)
    answer = s.EndpointCreated(**_endpoint(endpoint).model_dump(), secret=secret)
    return answer, {"Location": f"{PREFIX}/webhook-endpoints/{endpoint.id}"}


@operation("GET", "/webhook-endpoints", summary="The shop's webhook endpoints", tag="webhooks",
           answer=s.EndpointList)
def list_endpoints(shop_id: int) -> s.EndpointList:
    return s.EndpointList(data=[_endpoint(e) for e in hooks.list_endpoints(services(), shop_id)])


@operation("DELETE", "/webhook-endpoints/{endpoint_id}", summary="Remove an endpoint; pending deliveries stop",
           tag="webhooks", answer=None, status=204, path_params=ENDPOINT_ID)
def delete_endpoint(shop_id: int, endpoint_id: int) -> None:
    hooks.delete_endpoint(services(), shop_id, endpoint_id)


@operation("GET", "/webhook-endpoints/{endpoint_id}/deliveries", summary="The endpoint's delivery log, newest first",
           tag="webhooks", answer=s.DeliveryPage, query=s.PageQuery, path_params=ENDPOINT_ID)
def list_deliveries(shop_id: int, endpoint_id: int, query: s.PageQuery) -> s.DeliveryPage:
    before = cursors.read_delivery_cursor(query.cursor) if query.cursor else None
    records = hooks.list_deliveries(services(), shop_id, endpoint_id, before_id=before, limit=query.limit + 1)
    page, more = records[:query.limit], len(records) > query.limit
    return s.DeliveryPage(data=[_delivery(r) for r in page],
                          next_cursor=cursors.delivery_cursor(page[-1].id) if more else None)
