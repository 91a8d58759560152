"""Flask blueprints: health, portal, admin, API. Thin: they parse, call the workflow, answer."""
