"""Storage: SQLAlchemy tables, repositories scoped to one shop, the unit of work, migrations."""
