"""What the use cases answer that is not a rule of the domain: the thing asked for is not there.

One module of its own, imported by every use case that looks a thing up, so that the
edges catch one NotFound whichever use case raised it.
"""

from __future__ import annotations


class NotFound(LookupError):
    """No such shop, order, return, resolution or endpoint in this shop (answered 404)."""
