"""Where the repositories live, for scripts written before they were split by noun.

New code imports from connector.persistence.shops, orders, returns, resolutions and
merchant_users directly.
"""

from connector.persistence.merchant_users import MerchantUser, MerchantUserRepository
from connector.persistence.orders import OrderRepository, normalise_order_name, order_from_row
from connector.persistence.resolutions import ResolutionRepository, StoredResolution, resolution_from_row
from connector.persistence.returns import (
    RETURN_SORTS,
    ReturnListFilter,
    ReturnRepository,
    ReturnSummary,
    return_from_row,
)
from connector.persistence.shops import ShopRepository, shop_from_row, slugify

__all__ = [
    "RETURN_SORTS", "MerchantUser", "MerchantUserRepository", "OrderRepository", "ResolutionRepository",
    "ReturnListFilter", "ReturnRepository", "ReturnSummary", "ShopRepository", "StoredResolution",
    "normalise_order_name", "order_from_row", "resolution_from_row", "return_from_row", "shop_from_row", "slugify",
]
