"""Pydantic models of the API: they validate what comes in, shape what goes out, and are the OpenAPI schemas.

Amounts travel as strings ("40.00"), never as JSON numbers: a float cannot hold 0.10.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    StrictBool,
    StringConstraints,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from connector.domain.policy import CouponType, OriginalShipping, ShippingPayer, WindowStart
from connector.domain.returns import Condition, RejectedItemHandling, ResolutionKind, ReturnStatus
from connector.workflow.merchant_webhooks import EVENTS


def _clean(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate cannot be encoded: refuse both here.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("is out of range") from None


# What _clean accepts, said in the schema (a JSON Schema regex): no NUL. (Lone surrogates, refused
# too, cannot be written in the regex dialects JSON Schema tools read.)
CLEAN_TEXT = r"^[^\u0000]*$"
# Not blank once trimmed (labels), and clean.
FILLED_TEXT = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
# An email for the block list once trimmed; a blank word is dropped, so it passes too.
EMAIL_OR_BLANK = r"^(\s*|[^\u0000@]*@[^\u0000]*)$"
REASON_CODE = r"^\s*[a-z0-9][a-z0-9_-]{0,63}\s*$"
# An absolute http(s) URL without credentials (the endpoint's check, as a pattern both sides use).
HTTP_URL = r"^\s*https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#][^\s\u0000]*)?\s*$"
PERCENT = r"^(100(\.0{1,4})?|[0-9]{1,2}(\.[0-9]{1,4})?)$"
# RFC 3339 date-time, as the document's `format: date-time` means it: no Unix timestamps.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


class SchemaPattern:
    """Adds a `pattern` to a field's JSON schema: what a validator checks in Python, said to clients."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __get_pydantic_json_schema__(self, core_schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


def _rfc3339(value: Any) -> Any:
    if not isinstance(value, str) or not RFC3339.match(value.strip()):
        raise ValueError("must be an RFC 3339 date-time such as 2026-06-01T00:00:00Z")
    return value


def _not_bool(value: Any) -> Any:
    # JSON true is not the number 1, nor "3" the number 3: the document says integer.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a whole number")
    return value


# A JSON integer (3 or 3.0, as JSON Schema counts them), never a boolean.
Whole = Annotated[int, BeforeValidator(_not_bool)]
_Clean = AfterValidator(_clean)
_CleanSchema = SchemaPattern(CLEAN_TEXT)
# Text of bounded length, by use; the bounds are those of the columns the text ends in.
Id64 = Annotated[str, StringConstraints(min_length=1, max_length=64), _Clean, _CleanSchema]
Text3 = Annotated[str, StringConstraints(max_length=3), _Clean, _CleanSchema]
Text64 = Annotated[str, StringConstraints(max_length=64), _Clean, _CleanSchema]
Text100 = Annotated[str, StringConstraints(max_length=100), _Clean, _CleanSchema]
Text200 = Annotated[str, StringConstraints(max_length=200), _Clean, _CleanSchema]
Text255 = Annotated[str, StringConstraints(max_length=255), _Clean, _CleanSchema]
Name255 = Annotated[str, StringConstraints(min_length=1, max_length=255), _Clean, _CleanSchema]
Text2000 = Annotated[str, StringConstraints(max_length=2000), _Clean, _CleanSchema]
Url2000 = Annotated[str, StringConstraints(min_length=1, max_length=2000), _Clean, _CleanSchema]
Text5000 = Annotated[str, StringConstraints(max_length=5000), _Clean, _CleanSchema]
Message5000 = Annotated[str, StringConstraints(min_length=1, max_length=5000), _Clean, _CleanSchema]


UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]
Percent = Annotated[str, StringConstraints(pattern=PERCENT)]
Label255 = Annotated[str, StringConstraints(min_length=1, max_length=255), _Clean, SchemaPattern(FILLED_TEXT)]
ReasonCode = Annotated[str, StringConstraints(min_length=1, max_length=64), _Clean, SchemaPattern(REASON_CODE)]
BlockedEmail = Annotated[str, StringConstraints(max_length=255), _Clean, SchemaPattern(EMAIL_OR_BLANK)]
HttpUrl = Annotated[str, StringConstraints(min_length=1, max_length=2000, pattern=HTTP_URL), _Clean]
Amount = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,12}(\.[0-9]{1,4})?$")]
Event = Literal["return.created", "return.status_changed", "resolution.pushed"]
assert set(Event.__args__) == set(EVENTS)  # type: ignore[attr-defined]


class Request(BaseModel):
    """What a client sends: unknown fields are refused, so a misspelt one never passes silently."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Answer(BaseModel):
    pass


# ---- errors ----

class Texts(Answer):
    """The same sentences in French and in English, as the shopper reads them."""

    fr: list[str]
    en: list[str]


class DecisionItem(Answer):
    line_id: str
    quantity: int
    eligible: bool
    amount: str
    restocking_fee: str
    reasons: Texts


class Decision(Answer):
    """The policy's verdict on a request: per item, the fees, free return, auto-approval."""

    eligible: bool
    auto_approved: bool
    free_return: bool
    return_shipping_fee: str
    currency: str
    reasons: Texts
    auto_approval: Texts
    notes: Texts
    items: list[DecisionItem]


class ErrorDetail(Answer):
    code: str = Field(examples=["not_found"])
    message: str
    field: str | None = Field(None, description="The field or parameter at fault, when there is one.")
    status: str | None = Field(None, description="409: the return's current status.")
    action: str | None = Field(None, description="409: the action refused.")
    decision: Decision | None = Field(None, description="422 return_refused: why, per item.")


class Error(Answer):
    error: ErrorDetail


# ---- returns ----

class MoneyOut(Answer):
    """A domain Money as the API writes it: the amount as a decimal string, and its currency."""

    amount: str = Field(examples=["40.00"])
    currency: str = Field(examples=["EUR"])


class InspectionOut(Answer):
    condition: Condition
    accepted_quantity: int
    rejected_quantity: int
    restock: bool
    rejection_reason: str


class ReturnItemOut(Answer):
    line_id: str
    quantity: int
    reason: str
    resolution: ResolutionKind
    comment: str
    photos: list[str]
    exchange_variant_id: str | None
    inspection: InspectionOut | None


class TimelineEventOut(Answer):
    at: datetime
    kind: str
    actor: str
    message: str
    from_status: ReturnStatus | None
    to_status: ReturnStatus | None
    private: bool


class ResolutionOut(Answer):
    id: int
    kind: ResolutionKind
    amount: MoneyOut
    tax: MoneyOut
    bonus: MoneyOut
    restocking_fee: MoneyOut
    shipping_fee: MoneyOut
    push_status: str = Field(description="pending, awaiting_merchant, pushed, failed or done_by_merchant")
    platform_reference: str | None
    code: str = Field(description="A coupon or gift card code the shopper is given, if any.")
    attempts: int
    last_error: str
    created_at: datetime
    pushed_at: datetime | None


class ReturnListItem(Answer):
    """A return as a list page shows it; ReturnOut adds the rest."""

    reference: str = Field(examples=["R-7KQ2MX"])
    status: ReturnStatus
    channel: str
    order_id: str
    customer_email: str
    created_at: datetime
    updated_at: datetime
    items: list[ReturnItemOut]


class ReturnOut(ReturnListItem):
    order_name: str
    locale: str
    tracking_number: str
    merchant_message: str
    free_return: bool
    return_shipping_fee: MoneyOut
    allowed_actions: list[str]
    decision: Decision | None
    resolutions: list[ResolutionOut]
    timeline: list[TimelineEventOut]


class ReturnPage(Answer):
    data: list[ReturnListItem]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class ReturnListQuery(Query):
    status: ReturnStatus | None = None
    reason: Text64 | None = None
    resolution: ResolutionKind | None = None
    customer: Text255 | None = Field(None, description="The customer's email address.")
    product: Text255 | None = Field(None, description="Product id, SKU or part of the title.")
    q: Text255 | None = Field(None, description="A return reference, an order number or an email.")
    created_from: UtcDatetime | None = None
    created_to: UtcDatetime | None = None
    limit: int = Field(50, ge=1, le=100)
    cursor: Text200 | None = Field(None, description="The `next_cursor` of the previous page.")


class NewReturnItem(Request):
    line_id: Id64
    quantity: Whole = Field(ge=1, le=10_000)
    reason: Id64 = Field(examples=["size_too_small"])
    resolution: ResolutionKind
    comment: Text2000 = ""
    photos: list[Text2000] = Field(default_factory=list, max_length=10)
    exchange_variant_id: Id64 | None = None


class NewReturn(Request):
    order_id: Id64 = Field(description="The platform's order id.")
    items: list[NewReturnItem] = Field(min_length=1, max_length=100)
    locale: Literal["fr", "en"] | None = None


class Approval(Request):
    message: Text5000 = ""


class Rejection(Request):
    message: Message5000 = Field(description="Told to the shopper.")


class InTransit(Request):
    tracking_number: Text100 = ""


class NoBody(Request):
    """An action that takes nothing; an empty body or `{}`."""


class InspectedItem(Request):
    line_id: Id64
    condition: Condition
    accepted_quantity: Whole = Field(ge=0, le=10_000)
    rejected_quantity: Whole = Field(ge=0, le=10_000)
    restock: StrictBool
    rejection_reason: Text2000 = ""


class InspectionIn(Request):
    items: list[InspectedItem] = Field(min_length=1, max_length=100)


# ---- orders ----

class OrderLineOut(Answer):
    line_id: str
    title: str
    variant_title: str
    sku: str
    product_id: str | None
    variant_id: str | None
    quantity: int
    fulfilled_quantity: int
    unit_price: MoneyOut
    returnable: bool
    returnable_quantity: int
    already_returned: int
    last_day: date = Field(description="The last day a return may be asked for, included.")
    reasons: Texts = Field(description="Why the line cannot be returned, when it cannot.")


class OrderOut(Answer):
    platform_order_id: str
    name: str
    currency: str
    customer_email: str
    customer_name: str
    placed_at: datetime
    fulfilled_at: datetime | None
    delivered_at: datetime | None
    cancelled_at: datetime | None
    lines: list[OrderLineOut]
    returns: list[str] = Field(description="References of the returns of this order.")


# ---- policy ----

class ReasonModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: ReasonCode
    label_fr: Label255
    label_en: Label255
    needs_photo: StrictBool = False


Words = list[Text255]


class Policy(BaseModel):
    """Every rule of the shop's returns. PUT replaces the whole policy: a setting left out takes its default."""

    model_config = ConfigDict(extra="forbid")

    version: Annotated[Literal[1], BeforeValidator(_not_bool)] = 1
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{3}$")] = Field(
        "EUR", description="ISO 4217; PUT without it keeps the shop's currency.")
    window_days: Whole = Field(30, ge=1, le=3650)
    window_starts_from: WindowStart = WindowStart.DELIVERY
    non_returnable_tags: Words = Field(default_factory=list)
    non_returnable_product_types: Words = Field(default_factory=list)
    non_returnable_skus: Words = Field(default_factory=list)
    final_sale_tag: Text255 = "final-sale"
    allowed_resolutions: list[ResolutionKind] = Field(
        default_factory=lambda: [ResolutionKind.REFUND, ResolutionKind.STORE_CREDIT, ResolutionKind.EXCHANGE],
        min_length=1)
    restocking_fee_percent: Percent = "0"
    restocking_fee_waived_reasons: Words = Field(default_factory=lambda: ["defective", "wrong_item"])
    return_shipping_fee: Amount = "0.00"
    return_shipping_paid_by: ShippingPayer = ShippingPayer.SHOPPER
    merchant_pays_shipping_reasons: Words = Field(default_factory=lambda: ["defective", "wrong_item"])
    original_shipping_refund: OriginalShipping = Field(
        OriginalShipping.NEVER,
        description="When the order's own shipping is refunded: never, shop_at_fault (a reason the shop pays "
                    "return shipping for), last_return (also with the return of the order's last unit).")
    free_returns_limit: Whole = Field(0, ge=0, le=1000)
    free_returns_period_days: Whole = Field(365, ge=1, le=3650)
    free_returns_tags: Words = Field(default_factory=list)
    store_credit_bonus_percent: Percent = "0"
    auto_approve_max_order_value: Amount | None = None
    auto_approve_reasons: Words = Field(default_factory=list)
    auto_approve_max_previous_returns: Whole | None = Field(None, ge=0, le=100_000)
    reasons: list[ReasonModel] | None = Field(None, min_length=1, description="Left out or null: the default reasons.")
    rejected_items: RejectedItemHandling = RejectedItemHandling.SEND_BACK_AT_SHOPPER_COST
    rejected_item_return_fee: Amount = "0.00"
    goodwill_coupon_percent: Percent = "0"
    goodwill_coupon_type: CouponType = Field(
        CouponType.FIXED, description="fixed: that share of the refused items' value as an amount; "
                                      "percent: that percentage off the shopper's next order.")
    blocked_emails: list[BlockedEmail] = Field(default_factory=list)


# ---- webhook endpoints ----

class NewEndpoint(Request):
    url: HttpUrl = Field(examples=["https://erp.example.com/hooks/returns"])
    events: list[Event] = Field(default_factory=list, description="Empty or left out: every event.")
    description: Text255 = ""


class EndpointOut(Answer):
    id: int
    url: str
    events: list[Event]
    description: str
    created_at: datetime


class EndpointCreated(EndpointOut):
    secret: str = Field(description="Signs every delivery (X-Returns-Signature). Shown only here, once.")


class EndpointList(Answer):
    data: list[EndpointOut]


class DeliveryOut(Answer):
    id: int
    endpoint_id: int
    event_id: str
    event: Event
    status: Literal["pending", "delivered", "failed", "cancelled"]
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_response: str = Field(description="The start of the endpoint's last answer.")
    last_error: str
    created_at: datetime
    delivered_at: datetime | None


class DeliveryPage(Answer):
    data: list[DeliveryOut]
    next_cursor: str | None


class PageQuery(Query):
    limit: int = Field(50, ge=1, le=100)
    cursor: Text200 | None = None
