"""Storage: SQLAlchemy tables, repositories scoped to one shop, the unit of work, migrations."""
from connector.persistence import merchant_webhooks as merchant_webhooks  # noqa: F401
from connector.persistence import shipping_tables as shipping_tables  # noqa: F401
