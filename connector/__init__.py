"""returns-connector: returns management for Shopify, WooCommerce and manual shops."""
