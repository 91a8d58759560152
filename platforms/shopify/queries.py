"""Every Admin GraphQL document the Shopify adapter sends, as module constants. Standard library only.

Each one is validated against Shopify's 2026-10 schema by the tests, and the test
stand-in validates every document it receives, so a field that does not exist fails
a test rather than a merchant's refund. Connection sizes are kept small because
Shopify charges cost points per requested node (a single query may not exceed 1000).
"""

from __future__ import annotations

import json

MONEY = "presentmentMoney { amount currencyCode } shopMoney { amount currencyCode }"

# ---- orders, read whole in small queries ----
#
# Shopify refuses any query whose requested cost is above 1,000 points and charges
# nested connections multiplied (a connection: 2 + first x one node). So an order is
# read as a head with a few of each nested thing, and platforms.shopify.orders pages
# on with the follow-up queries below for whatever the head did not hold (an order
# with 250 lines, 30 fulfillments and 40 refunds takes a dozen queries of <= 453
# points). tests/unit/shopify/test_query_cost.py prices every document here.

# One order line as mapping.order_from_graphql reads it (15 points a line: the picture is one more object).
ORDER_LINE_FIELDS = f"""
fragment OrderLineFields on LineItem {{
  id
  title
  quantity
  sku
  variantTitle
  image {{ url }}
  variant {{ id }}
  product {{ id productType tags }}
  originalUnitPriceSet {{ {MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
  taxLines {{ priceSet {{ {MONEY} }} }}
}}
"""

SHIPPING_LINE_FIELDS = f"""
fragment ShippingLineFields on ShippingLine {{
  title
  discountedPriceSet {{ {MONEY} }}
  taxLines {{ priceSet {{ {MONEY} }} }}
}}
"""

_PAGE_INFO = "pageInfo { hasNextPage endCursor }"


def _order_head(name: str, *, lines: int, shipping: int, fulfillments: int, refunds: int, nested_lines: int) -> str:
    """The fragment of an order's head: its fields and the first few of each nested thing."""
    return f"""
fragment {name} on Order {{
  id
  name
  email
  processedAt
  createdAt
  updatedAt
  cancelledAt
  currencyCode
  presentmentCurrencyCode
  taxesIncluded
  tags
  displayFinancialStatus
  customerLocale
  customer {{ id firstName lastName defaultEmailAddress {{ emailAddress }} }}
  shippingAddress {{ zip }}
  billingAddress {{ zip }}
  lineItems(first: {lines}) {{ {_PAGE_INFO} nodes {{ ...OrderLineFields }} }}
  shippingLines(first: {shipping}) {{ {_PAGE_INFO} nodes {{ ...ShippingLineFields }} }}
  fulfillments(first: {fulfillments}) {{
    id
    status
    createdAt
    deliveredAt
    fulfillmentLineItems(first: {nested_lines}) {{ {_PAGE_INFO} nodes {{ quantity lineItem {{ id }} }} }}
  }}
  refunds(first: {refunds}) {{
    id
    note
    createdAt
    totalRefundedSet {{ {MONEY} }}
    refundLineItems(first: {nested_lines}) {{ {_PAGE_INFO} nodes {{ quantity lineItem {{ id }} }} }}
  }}
}}
"""


# Head sizes: how many of each nested thing the first query of an order holds. A
# fulfillment or refund list that comes back full may hold more (Order.fulfillments
# and Order.refunds are plain lists, without pageInfo).
ORDER_HEAD = {"lines": 10, "shipping": 3, "fulfillments": 5, "refunds": 5, "nested_lines": 5}
# Orders in a backfill page carry a lighter head, so that a page of 3 stays under 500.
PAGE_HEAD = {"lines": 5, "shipping": 1, "fulfillments": 3, "refunds": 2, "nested_lines": 5}
# Whole lists once a head's list came back full (Shopify's cap on `first`).
LIST_CAP = 250

ORDER_FIELDS = _order_head("OrderFields", **ORDER_HEAD) + ORDER_LINE_FIELDS + SHIPPING_LINE_FIELDS
ORDER_PAGE_FIELDS = _order_head("OrderPageFields", **PAGE_HEAD) + ORDER_LINE_FIELDS + SHIPPING_LINE_FIELDS

ORDER_BY_ID = (
    """
query OrderById($id: ID!) {
  order(id: $id) { ...OrderFields }
}
"""
    + ORDER_FIELDS
)

# Search syntax: name:"#1001" email:"a@b.c"; the gateway compares both exactly and
# reads the one that matches with ORDER_BY_ID.
ORDER_SEARCH = """
query OrderSearch($query: String!) {
  orders(first: 5, query: $query) { nodes { id name email customer { defaultEmailAddress { emailAddress } } } }
}
"""

# A backfill page: $first orders (gateway.PAGE_SIZE) with a light head each.
ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderPageFields }
  }
}
"""
    + ORDER_PAGE_FIELDS
)

# ---- the follow-up queries of an order (platforms.shopify.orders) ----

ORDER_LINES = (
    f"""
query OrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    id
    lineItems(first: 30, after: $after) {{ {_PAGE_INFO} nodes {{ ...OrderLineFields }} }}
  }}
}}
"""
    + ORDER_LINE_FIELDS
)

ORDER_SHIPPING_LINES = (
    f"""
query OrderShippingLines($id: ID!, $after: String) {{
  order(id: $id) {{
    id
    shippingLines(first: 25, after: $after) {{ {_PAGE_INFO} nodes {{ ...ShippingLineFields }} }}
  }}
}}
"""
    + SHIPPING_LINE_FIELDS
)

ORDER_FULFILLMENTS = f"""
query OrderFulfillments($id: ID!) {{
  order(id: $id) {{
    id
    fulfillments(first: {LIST_CAP}) {{ id status createdAt deliveredAt }}
  }}
}}
"""

FULFILLMENT_LINES = f"""
query FulfillmentLines($id: ID!, $after: String) {{
  fulfillment(id: $id) {{
    id
    fulfillmentLineItems(first: 100, after: $after) {{ {_PAGE_INFO} nodes {{ quantity lineItem {{ id }} }} }}
  }}
}}
"""

ORDER_REFUND_IDS = f"""
query OrderRefundIds($id: ID!) {{
  order(id: $id) {{
    id
    refunds(first: {LIST_CAP}) {{ id }}
  }}
}}
"""

REFUND_WITH_LINES = f"""
query RefundWithLines($id: ID!, $after: String) {{
  refund(id: $id) {{
    id
    note
    createdAt
    totalRefundedSet {{ {MONEY} }}
    refundLineItems(first: 100, after: $after) {{ {_PAGE_INFO} nodes {{ quantity lineItem {{ id }} }} }}
  }}
}}
"""

ORDERS_COUNT = """
query OrdersCount($query: String) {
  ordersCount(query: $query, limit: null) { count precision }
}
"""

# What a refund push needs: the refunds already made (to adopt ours) and the payment
# transactions a new refund must point at.
ORDER_REFUNDS = f"""
query OrderRefunds($id: ID!) {{
  order(id: $id) {{
    id
    currencyCode
    presentmentCurrencyCode
    refunds(first: 50) {{
      id
      note
      createdAt
      totalRefundedSet {{ {MONEY} }}
    }}
    transactions(first: 50) {{
      id
      kind
      status
      gateway
      amountSet {{ {MONEY} }}
      parentTransaction {{ id }}
    }}
  }}
}}
"""

REFUND_CREATE = f"""
mutation RefundCreate($input: RefundInput!, $idempotencyKey: String!) {{
  refundCreate(input: $input) @idempotent(key: $idempotencyKey) {{
    refund {{ id note totalRefundedSet {{ {MONEY} }} }}
    userErrors {{ field message }}
  }}
}}
"""

# ---- store credit, gift cards, discount codes ----

STORE_CREDIT_ACCOUNT_CREDIT = """
mutation StoreCreditAccountCredit($id: ID!, $creditInput: StoreCreditAccountCreditInput!) {
  storeCreditAccountCredit(id: $id, creditInput: $creditInput) {
    storeCreditAccountTransaction { id amount { amount currencyCode } account { id } }
    userErrors { field message code }
  }
}
"""

# storeCreditAccountCredit takes no note and no idempotency key: the reference is kept
# in a metafield on the customer instead (see gateway.ShopifyGateway._store_credit).
CUSTOMER_MARKER = """
query CustomerMarker($id: ID!, $namespace: String!, $key: String!) {
  customer(id: $id) { id metafield(namespace: $namespace, key: $key) { value } }
}
"""

METAFIELDS_SET = """
mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) {
    metafields { id key value }
    userErrors { field message code }
  }
}
"""

GIFT_CARD_CREATE = """
mutation GiftCardCreate($input: GiftCardCreateInput!) {
  giftCardCreate(input: $input) {
    giftCard { id note lastCharacters balance { amount currencyCode } }
    giftCardCode
    userErrors { field message code }
  }
}
"""

# The sizes and colours a shopper may exchange for, with their stock; 100 is Shopify's per-product
# variant cap. inventoryItem.tracked costs one point a variant: without it an untracked variant's
# quantity (0 or negative) would read as sold out.
PRODUCT_VARIANTS = """
query ProductVariants($id: ID!) {
  product(id: $id) {
    variants(first: 100) { nodes { id title availableForSale inventoryQuantity inventoryPolicy inventoryItem { tracked } } }
  }
}
"""

# The default search term matches gift card codes.
GIFT_CARD_LOOKUP = """
query GiftCardLookup($query: String!) {
  giftCards(first: 5, query: $query) {
    nodes { id note lastCharacters balance { amount currencyCode } }
  }
}
"""

DISCOUNT_CODE_BASIC_CREATE = """
mutation DiscountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) {
  discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) {
    codeDiscountNode {
      id
      codeDiscount { ... on DiscountCodeBasic { title codes(first: 1) { nodes { code } } } }
    }
    userErrors { field message code }
  }
}
"""

DISCOUNT_CODE_LOOKUP = """
query DiscountCodeLookup($code: String!) {
  codeDiscountNodeByCode(code: $code) {
    id
    codeDiscount { ... on DiscountCodeBasic { title } }
  }
}
"""

# ---- Shopify returns ----

# Five fulfillments of 25 lines a query (392 points); RETURNABLE_FULFILLMENT_LINES
# reads the rest of a fulfillment's lines.
RETURNABLE_FULFILLMENTS = """
query ReturnableFulfillments($orderId: ID!, $after: String) {
  returnableFulfillments(orderId: $orderId, first: 5, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      returnableFulfillmentLineItems(first: 25) {
        pageInfo { hasNextPage endCursor }
        nodes { quantity fulfillmentLineItem { id lineItem { id } } }
      }
    }
  }
}
"""

RETURNABLE_FULFILLMENT_LINES = """
query ReturnableFulfillmentLines($id: ID!, $after: String) {
  returnableFulfillment(id: $id) {
    id
    returnableFulfillmentLineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { quantity fulfillmentLineItem { id lineItem { id } } }
    }
  }
}
"""

# One line of a Shopify return as platforms.shopify.returns reads it (3 points).
RETURN_LINE_FIELDS = """
fragment ReturnLineFields on ReturnLineItemType {
  id
  quantity
  ... on ReturnLineItem {
    returnReasonNote
    customerNote
    processedQuantity
    fulfillmentLineItem { id lineItem { id } }
  }
}
"""

# One line of a reverse fulfillment order: what dispose takes (4 points).
REVERSE_LINE_FIELDS = """
fragment ReverseLineFields on ReverseFulfillmentOrderLineItem {
  id
  totalQuantity
  dispositions { quantity type }
  fulfillmentLineItem { id lineItem { id } }
}
"""

EXCHANGE_LINE_FIELDS = """
fragment ExchangeLineFields on ExchangeLineItem { id quantity processedQuantity variantId }
"""

# A return's head (401 points): the first lines of each kind; platforms.shopify.returns
# pages on with the RETURN_* follow-ups below when a connection says hasNextPage.
RETURN_FIELDS = (
    """
fragment ReturnFields on Return {
  id
  name
  status
  returnLineItems(first: 25) { pageInfo { hasNextPage endCursor } nodes { ...ReturnLineFields } }
  exchangeLineItems(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...ExchangeLineFields } }
  reverseFulfillmentOrders(first: 3) {
    pageInfo { hasNextPage endCursor }
    nodes { ...ReverseOrderFields }
  }
}

fragment ReverseOrderFields on ReverseFulfillmentOrder {
  id
  lineItems(first: 25) { pageInfo { hasNextPage endCursor } nodes { ...ReverseLineFields } }
}
"""
    + RETURN_LINE_FIELDS
    + REVERSE_LINE_FIELDS
    + EXCHANGE_LINE_FIELDS
)

RETURN_LINE_ITEMS = (
    """
query ReturnLineItems($id: ID!, $after: String) {
  return(id: $id) {
    id
    returnLineItems(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...ReturnLineFields } }
  }
}
"""
    + RETURN_LINE_FIELDS
)

RETURN_EXCHANGE_LINES = (
    """
query ReturnExchangeLines($id: ID!, $after: String) {
  return(id: $id) {
    id
    exchangeLineItems(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...ExchangeLineFields } }
  }
}
"""
    + EXCHANGE_LINE_FIELDS
)

# The new items of a return's exchanges as Shopify priced them (the exchange's own line
# items): what a cheaper exchange is settled against.
RETURN_EXCHANGE_PRICES = """
query ReturnExchangePrices($id: ID!, $after: String) {
  return(id: $id) {
    id
    order { id taxesIncluded }
    exchangeLineItems(first: 25, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id variantId quantity processedQuantity
        lineItems {
          id quantity
          originalUnitPriceSet { presentmentMoney { amount currencyCode } }
          discountAllocations { allocatedAmountSet { presentmentMoney { amount currencyCode } } }
          taxLines { priceSet { presentmentMoney { amount currencyCode } } }
        }
      }
    }
  }
}
"""

RETURN_REVERSE_ORDERS = (
    """
query ReturnReverseOrders($id: ID!, $after: String) {
  return(id: $id) {
    id
    reverseFulfillmentOrders(first: 3, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { id lineItems(first: 25) { pageInfo { hasNextPage endCursor } nodes { ...ReverseLineFields } } }
    }
  }
}
"""
    + REVERSE_LINE_FIELDS
)

REVERSE_ORDER_LINES = (
    """
query ReverseOrderLines($id: ID!, $after: String) {
  reverseFulfillmentOrder(id: $id) {
    id
    lineItems(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { ...ReverseLineFields } }
  }
}
"""
    + REVERSE_LINE_FIELDS
)

# The returns of an order, light enough to scan for the one carrying our reference
# (written in each return line's returnReasonNote), and where the order was shipped
# from (where a restocked item goes back). 343 points; ORDER_RETURNS_PAGE pages on.
_ORDER_RETURN_LIST = """
    returns(first: 10, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes {
        id
        status
        returnLineItems(first: 10) { pageInfo { hasNextPage endCursor } nodes { ...ReturnLineFields } }
      }
    }
"""

ORDER_RETURNS = (
    """
query OrderReturns($id: ID!, $after: String) {
  order(id: $id) {
    id
    fulfillments(first: 5) { status location { id } }
"""
    + _ORDER_RETURN_LIST
    + """
  }
}
"""
    + RETURN_LINE_FIELDS
)

ORDER_RETURNS_PAGE = (
    """
query OrderReturnsPage($id: ID!, $after: String) {
  order(id: $id) {
    id
"""
    + _ORDER_RETURN_LIST
    + """
  }
}
"""
    + RETURN_LINE_FIELDS
)

# No id: Shopify answers with the shop's primary location.
PRIMARY_LOCATION = """
query PrimaryLocation {
  location { id }
}
"""

RETURN_BY_ID = (
    """
query ReturnById($id: ID!) {
  return(id: $id) { ...ReturnFields }
}
"""
    + RETURN_FIELDS
)

RETURN_CREATE = (
    """
mutation ReturnCreate($returnInput: ReturnInput!) {
  returnCreate(returnInput: $returnInput) {
    return { ...ReturnFields }
    userErrors { field message code }
  }
}
"""
    + RETURN_FIELDS
)

RETURN_APPROVE_REQUEST = (
    """
mutation ReturnApproveRequest($input: ReturnApproveRequestInput!) {
  returnApproveRequest(input: $input) {
    return { ...ReturnFields }
    userErrors { field message code }
  }
}
"""
    + RETURN_FIELDS
)

RETURN_DECLINE_REQUEST = """
mutation ReturnDeclineRequest($input: ReturnDeclineRequestInput!) {
  returnDeclineRequest(input: $input) {
    return { id status }
    userErrors { field message code }
  }
}
"""

REVERSE_FULFILLMENT_ORDER_DISPOSE = """
mutation ReverseFulfillmentOrderDispose($dispositionInputs: [ReverseFulfillmentOrderDisposeInput!]!) {
  reverseFulfillmentOrderDispose(dispositionInputs: $dispositionInputs) {
    reverseFulfillmentOrderLineItems { id }
    userErrors { field message code }
  }
}
"""

RETURN_PROCESS = """
mutation ReturnProcess($input: ReturnProcessInput!) {
  returnProcess(input: $input) {
    return { id status refunds(first: 10) { nodes { id note } } }
    userErrors { field message code }
  }
}
"""

# A Shopify return's refunds: returnProcess takes no idempotency key, so a retry looks
# here for the refund carrying our marker before processing again.
RETURN_REFUNDS = """
query ReturnRefunds($id: ID!) {
  return(id: $id) {
    id
    status
    refunds(first: 20) { nodes { id note totalRefundedSet { presentmentMoney { amount currencyCode } } } }
  }
}
"""

RETURN_CLOSE = """
mutation ReturnClose($id: ID!) {
  returnClose(id: $id) {
    return { id status }
    userErrors { field message code }
  }
}
"""

RETURN_CANCEL = """
mutation ReturnCancel($id: ID!, $notifyCustomer: Boolean) {
  returnCancel(id: $id, notifyCustomer: $notifyCustomer) {
    return { id status }
    userErrors { field message code }
  }
}
"""

# ---- reconciliation: returns whose webhooks may never have come ----

# What mapping.return_events_from_graphql reads of a return line. Lines are
# ReturnLineItemType: an UnverifiedReturnLineItem has no fulfillment line and is skipped.
RECONCILE_RETURN_LINE = """
fragment ReconcileReturnLine on ReturnLineItemType {
  id
  quantity
  returnReasonNote
  customerNote
  returnReasonDefinition { handle }
  ... on ReturnLineItem { fulfillmentLineItem { lineItem { id } } }
}
"""

RECONCILE_RETURN_FIELDS = (
    """
fragment ReconcileReturnFields on Return {
  id
  name
  status
  requestApprovedAt
  decline { reason }
  returnLineItems(first: 5) {
    pageInfo { hasNextPage }
    nodes { ...ReconcileReturnLine }
  }
}
"""
    + RECONCILE_RETURN_LINE
)

# Orders updated since the last run with their returns: $first (gateway.RETURNS_PAGE_SIZE,
# 4) orders x 5 returns x 5 lines is 494 points; an order with more returns pages on
# with ORDER_RETURNS_AFTER, a return with more lines is read whole with RETURN_LINES.
RETURNS_SINCE = (
    """
query ReturnsSince($first: Int!, $after: String, $query: String!) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id
      returns(first: 5) {
        pageInfo { hasNextPage endCursor }
        nodes { ...ReconcileReturnFields }
      }
    }
  }
}
"""
    + RECONCILE_RETURN_FIELDS
)

ORDER_RETURNS_AFTER = (
    """
query OrderReturnsAfter($id: ID!, $after: String) {
  order(id: $id) {
    id
    returns(first: 5, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...ReconcileReturnFields }
    }
  }
}
"""
    + RECONCILE_RETURN_FIELDS
)

RETURN_LINES = (
    """
query ReturnLines($id: ID!, $after: String) {
  return(id: $id) {
    id
    returnLineItems(first: 100, after: $after) {
      pageInfo { hasNextPage endCursor }
      nodes { ...ReconcileReturnLine }
    }
  }
}
"""
    + RECONCILE_RETURN_LINE
)

# ---- connecting a shop ----

# Who the shop is, its main language, and what the token may do (to name a missing scope).
SHOP_FOR_CONNECT = """
query ShopForConnect {
  shop { name currencyCode myshopifyDomain contactEmail }
  shopLocales(published: true) { locale primary }
  currentAppInstallation { accessScopes { handle } }
}
"""

# ---- webhooks and bulk ----

WEBHOOK_SUBSCRIPTION_CREATE = """
mutation WebhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""

# Grouped: each order's children follow it in the file, so the download is read one
# order at a time instead of holding a whole shop's orders in memory (Shopify says
# grouping is slower; a backfill is not in a hurry).
BULK_OPERATION_RUN_QUERY = """
mutation BulkOperationRunQuery($query: String!) {
  bulkOperationRunQuery(query: $query, groupObjects: true) {
    bulkOperation { id status }
    userErrors { field message code }
  }
}
"""

BULK_OPERATION_STATUS = """
query BulkOperationStatus($id: ID!) {
  bulkOperation(id: $id) { id status errorCode objectCount rootObjectCount url partialDataUrl }
}
"""

# The inner query of a bulk export: no variables allowed, at most five connections and
# two levels of them. Children (line items, shipping lines, fulfilled and refunded
# lines) arrive as separate JSONL lines with __parentId; platforms.shopify.bulk puts
# them back into the shape of ORDER_FIELDS.
_BULK_ORDERS_TEMPLATE = f"""
{{
  orders(query: __SEARCH__, sortKey: UPDATED_AT) {{
    edges {{
      node {{
        id
        name
        email
        processedAt
        updatedAt
        cancelledAt
        currencyCode
        presentmentCurrencyCode
        taxesIncluded
        tags
        displayFinancialStatus
        customer {{ id firstName lastName defaultEmailAddress {{ emailAddress }} }}
        shippingAddress {{ zip }}
        billingAddress {{ zip }}
        shippingLines {{ edges {{ node {{ id title discountedPriceSet {{ {MONEY} }} taxLines {{ priceSet {{ {MONEY} }} }} }} }} }}
        fulfillments {{
          id status createdAt deliveredAt
          fulfillmentLineItems {{ edges {{ node {{ id quantity lineItem {{ id }} }} }} }}
        }}
        refunds {{
          id note createdAt totalRefundedSet {{ {MONEY} }}
          refundLineItems {{ edges {{ node {{ id quantity lineItem {{ id }} }} }} }}
        }}
        lineItems {{
          edges {{
            node {{
              id
              title
              quantity
              sku
              variantTitle
              variant {{ id }}
              product {{ id productType tags }}
              originalUnitPriceSet {{ {MONEY} }}
              discountAllocations {{ allocatedAmountSet {{ {MONEY} }} }}
              taxLines {{ priceSet {{ {MONEY} }} }}
            }}
          }}
        }}
      }}
    }}
  }}
}}
"""


def bulk_orders_query(search: str) -> str:
    """The bulk export of orders matching a search (e.g. "updated_at:>='2025-01-01'")."""
    # json.dumps gives a valid GraphQL string literal for any text (same escapes).
    return _BULK_ORDERS_TEMPLATE.replace("__SEARCH__", json.dumps(search))


# Every document, by name, for the schema validation test and the stand-in.
# The shop's own identity (name, currency, primary language, address), read at connect and
# at every reconciliation.
SHOP_IDENTITY = """
query ShopIdentity {
  shop {
    name
    currencyCode
    contactEmail
    shopAddress { address1 address2 zip city provinceCode countryCodeV2 }
  }
  shopLocales(published: true) { locale primary }
}
"""

ALL_DOCUMENTS: dict[str, str] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
}

# What Shopify will compute as each document's requested cost, with the sizes the code
# sends (tests/unit/shopify/test_every_document_cost.py checks every figure against the
# real schema). The client reserves this much of the shop's bucket before the first
# call of a document, so even that call waits instead of being answered THROTTLED.
REQUESTED_COSTS: dict[str, int] = {
    "BULK_OPERATION_RUN_QUERY": 12,
    "BULK_OPERATION_STATUS": 1,
    "CUSTOMER_MARKER": 2,
    "DISCOUNT_CODE_BASIC_CREATE": 16,
    "DISCOUNT_CODE_LOOKUP": 2,
    "FULFILLMENT_LINES": 203,
    "GIFT_CARD_CREATE": 13,
    "GIFT_CARD_LOOKUP": 12,
    "METAFIELDS_SET": 12,
    "ORDERS_COUNT": 1,
    "ORDERS_PAGE": 491,
    "ORDER_BY_ID": 328,
    "ORDER_FULFILLMENTS": 251,
    "ORDER_LINES": 453,
    "ORDER_REFUNDS": 451,
    "ORDER_REFUND_IDS": 251,
    "ORDER_RETURNS": 343,
    "ORDER_RETURNS_AFTER": 123,
    "ORDER_RETURNS_PAGE": 333,
    "ORDER_SEARCH": 17,
    "ORDER_SHIPPING_LINES": 203,
    "PRIMARY_LOCATION": 1,
    "PRODUCT_VARIANTS": 203,
    "REFUND_CREATE": 15,
    "REFUND_WITH_LINES": 206,
    "RETURNABLE_FULFILLMENTS": 392,
    "RETURNABLE_FULFILLMENT_LINES": 303,
    "RETURNS_SINCE": 494,
    "RETURN_APPROVE_REQUEST": 412,
    "RETURN_BY_ID": 401,
    "RETURN_CANCEL": 12,
    "RETURN_CLOSE": 12,
    "RETURN_CREATE": 412,
    "RETURN_DECLINE_REQUEST": 12,
    "RETURN_EXCHANGE_LINES": 103,
    "RETURN_EXCHANGE_PRICES": 254,
    "RETURN_LINES": 403,
    "RETURN_LINE_ITEMS": 303,
    "RETURN_PROCESS": 24,
    "RETURN_REFUNDS": 63,
    "RETURN_REVERSE_ORDERS": 312,
    "REVERSE_FULFILLMENT_ORDER_DISPOSE": 12,
    "REVERSE_ORDER_LINES": 403,
    "SHOP_FOR_CONNECT": 4,
    "SHOP_IDENTITY": 3,
    "STORE_CREDIT_ACCOUNT_CREDIT": 14,
    "WEBHOOK_SUBSCRIPTION_CREATE": 12,
}
_COST_BY_TEXT = {ALL_DOCUMENTS[name]: cost for name, cost in REQUESTED_COSTS.items() if name in ALL_DOCUMENTS}


def requested_cost_of(document: str) -> int | None:
    """The requested cost of one of these documents (None for a document not listed here)."""
    return _COST_BY_TEXT.get(document)
