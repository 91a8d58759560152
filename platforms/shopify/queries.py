"""Every Admin GraphQL document the Shopify adapter sends, as module constants. Standard library only.

Each one is validated against Shopify's 2026-10 schema by the tests, and the test
stand-in validates every document it receives, so a field that does not exist fails
a test rather than a merchant's refund. Connection sizes are kept small because
Shopify charges cost points per requested node (a single query may not exceed 1000).
"""

from __future__ import annotations

import json

MONEY = "presentmentMoney { amount currencyCode } shopMoney { amount currencyCode }"

# The order as mapping.order_from_graphql reads it.
ORDER_FIELDS = f"""
fragment OrderFields on Order {{
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
  customer {{ id firstName lastName defaultEmailAddress {{ emailAddress }} }}
  shippingAddress {{ zip }}
  billingAddress {{ zip }}
  lineItems(first: 100) {{
    pageInfo {{ hasNextPage }}
    nodes {{
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
  shippingLines(first: 5) {{
    nodes {{
      title
      discountedPriceSet {{ {MONEY} }}
      taxLines {{ priceSet {{ {MONEY} }} }}
    }}
  }}
  fulfillments(first: 20) {{
    status
    createdAt
    deliveredAt
    fulfillmentLineItems(first: 100) {{ nodes {{ quantity lineItem {{ id }} }} }}
  }}
  refunds(first: 20) {{
    id
    note
    createdAt
    totalRefundedSet {{ {MONEY} }}
    refundLineItems(first: 100) {{ nodes {{ quantity lineItem {{ id }} }} }}
  }}
}}
"""

ORDER_BY_ID = (
    """
query OrderById($id: ID!) {
  order(id: $id) { ...OrderFields }
}
"""
    + ORDER_FIELDS
)

# Search syntax: name:"#1001" email:"a@b.c"; the gateway still compares both exactly.
ORDER_SEARCH = (
    """
query OrderSearch($query: String!) {
  orders(first: 5, query: $query) { nodes { ...OrderFields } }
}
"""
    + ORDER_FIELDS
)

# Small pages: each order carries up to 100 lines, 20 fulfillments and 20 refunds.
ORDERS_PAGE = (
    """
query OrdersPage($first: Int!, $after: String, $query: String) {
  orders(first: $first, after: $after, query: $query, sortKey: UPDATED_AT) {
    pageInfo { hasNextPage endCursor }
    nodes { ...OrderFields }
  }
}
"""
    + ORDER_FIELDS
)

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

# The sizes and colours a shopper may exchange for; 100 is Shopify's per-product variant cap.
PRODUCT_VARIANTS = """
query ProductVariants($id: ID!) {
  product(id: $id) {
    variants(first: 100) { nodes { id title availableForSale } }
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

RETURNABLE_FULFILLMENTS = """
query ReturnableFulfillments($orderId: ID!) {
  returnableFulfillments(orderId: $orderId, first: 20) {
    nodes {
      id
      returnableFulfillmentLineItems(first: 100) {
        nodes { quantity fulfillmentLineItem { id lineItem { id } } }
      }
    }
  }
}
"""

RETURN_FIELDS = """
fragment ReturnFields on Return {
  id
  name
  status
  returnLineItems(first: 50) {
    nodes {
      id
      quantity
      ... on ReturnLineItem {
        returnReasonNote
        customerNote
        processedQuantity
        fulfillmentLineItem { id lineItem { id } }
      }
    }
  }
  exchangeLineItems(first: 10) {
    nodes { id quantity processedQuantity variantId }
  }
  reverseFulfillmentOrders(first: 5) {
    nodes {
      id
      lineItems(first: 50) {
        nodes {
          id
          totalQuantity
          dispositions { quantity type }
          fulfillmentLineItem { id lineItem { id } }
        }
      }
    }
  }
}
"""

# The returns of an order, light enough to scan for the one carrying our reference
# (written in each return line's returnReasonNote), and where the order was shipped
# from (where a restocked item goes back).
ORDER_RETURNS = """
query OrderReturns($id: ID!) {
  order(id: $id) {
    id
    fulfillments(first: 10) { status location { id } }
    returns(first: 20) {
      nodes {
        id
        status
        returnLineItems(first: 20) {
          nodes { id quantity ... on ReturnLineItem { returnReasonNote fulfillmentLineItem { lineItem { id } } } }
        }
      }
    }
  }
}
"""

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
  returnLineItems(first: 10) {
    pageInfo { hasNextPage }
    nodes { ...ReconcileReturnLine }
  }
}
"""
    + RECONCILE_RETURN_LINE
)

# Orders updated since the last run with their returns. Sizes keep the requested cost
# under Shopify's 1000 points (5 orders x 5 returns x 10 lines is about 870); an order
# with more returns pages on with ORDER_RETURNS_AFTER, a return with more lines is
# read whole with RETURN_LINES.
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
query ReturnLines($id: ID!) {
  return(id: $id) {
    id
    returnLineItems(first: 100) { nodes { ...ReconcileReturnLine } }
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
ALL_DOCUMENTS: dict[str, str] = {
    name: value
    for name, value in dict(globals()).items()
    if name.isupper() and isinstance(value, str) and value.lstrip().startswith(("query", "mutation"))
}
