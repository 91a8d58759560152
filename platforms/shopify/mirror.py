"""Our returns kept in step with Shopify's own returns (ports.MirroringPlatform). Imports ports, mapping, returns.

Every action brings the Shopify return *up to* the state our return is in, reading
Shopify first, so running it twice (a retried job, two outbox rows) changes nothing
the second time:

- the Shopify return is found by its id when we know it, else among the order's
  returns by our reference, which `open` writes in each line's `returnReasonNote`
  (Shopify returns have no note of their own): a job killed between returnCreate
  and our commit adopts the return it made instead of opening a second one;
- open/inspect/close need an open Shopify return: one the shopper requested through
  Shopify is approved, and a missing one is created (returnCreate: approved here);
- inspect disposes only the units not disposed yet; close closes unless closed;
- approve/decline act only on a REQUESTED return; cancel only on a live one.

Inspection lines: `accepted_quantity` units are RESTOCKED (at the location the order
was shipped from, else the shop's primary location) or NOT_RESTOCKED per `restock`;
the other units are NOT_RESTOCKED, or MISSING when the line's reason is
`MISSING_REASON` (the item never arrived).
"""

from __future__ import annotations

from collections.abc import Sequence

from connector.ports import MirroredLine, PlatformError, ReturnMirror
from platforms.shopify.returns import Disposition, ReturnLine, ShopifyReturn, ShopifyReturns

MISSING_REASON = "condition:missing"
ACTIONS = frozenset({"open", "approve", "decline", "inspect", "close", "cancel"})
# Shopify lets a return be cancelled only before any work on it; closed/declined ones stay.
_LIVE = frozenset({"requested", "open"})


def _note(reference: str, line: MirroredLine) -> str:
    # The reference first: returnReasonNote is cut at 255 characters.
    text = f"{reference} {line.reason}" + (f": {line.note}" if line.note else "")
    return text[:255]


class ShopifyMirror:
    """Applies ReturnMirror changes to one shop's Shopify returns."""

    def __init__(self, returns: ShopifyReturns) -> None:
        self.returns = returns

    def apply(self, change: ReturnMirror) -> str | None:
        if change.action not in ACTIONS:
            raise PlatformError(f"unknown return mirror action {change.action!r}", retryable=False)
        current = self._find(change)
        if change.action in ("approve", "decline"):
            if current is not None and current.status == "requested":
                if change.action == "approve":
                    self.returns.approve(current.id)
                else:
                    self.returns.decline(current.id, "OTHER", change.message)
            return current.id if current else None
        if change.action == "cancel":
            if current is not None and current.status in _LIVE and not any(current.disposed) \
                    and not any(current.processed):
                self.returns.cancel(current.id)
            return current.id if current else None

        # open, inspect, close: an open Shopify return first.
        if current is None:
            current = self._create(change)
        elif current.status == "requested":
            current = self.returns.approve(current.id)
        elif current.status in ("declined", "canceled"):
            raise PlatformError(
                f"the Shopify return {current.name or current.id} is {current.status}: it cannot follow this return",
                retryable=False,
            )
        if change.action in ("inspect", "close"):
            self._dispose(change, current)
        if change.action == "close" and current.status != "closed":
            self.returns.close(current.id)
        return current.id

    # ---- finding and creating ----

    def _find(self, change: ReturnMirror) -> ShopifyReturn | None:
        if change.platform_return_id:
            found = self.returns.fetch(change.platform_return_id)
            if found is not None:
                return found
        candidates, _ = self.returns.for_order(change.platform_order_id)
        ours = [r for r in candidates if r.carries(change.reference)]
        # A live one before a cancelled one of an earlier attempt.
        ours.sort(key=lambda r: r.status not in _LIVE)
        # The light listing has no reverse fulfillment orders: read the full return.
        return self.returns.fetch(ours[0].id) if ours else None

    def _create(self, change: ReturnMirror) -> ShopifyReturn:
        if not change.lines:
            raise PlatformError("a Shopify return needs at least one line", retryable=False)
        exchanges = [
            (variant, line.quantity) for line in change.lines
            if (variant := getattr(line, "exchange_variant_id", None))
        ]
        return self.returns.create_return(
            change.platform_order_id,
            [ReturnLine(line.platform_line_id, line.quantity, _note(change.reference, line)) for line in change.lines],
            exchanges=exchanges,
        )

    # ---- dispositions ----

    def _dispose(self, change: ReturnMirror, current: ShopifyReturn) -> None:
        inspected = [line for line in change.lines if line.accepted_quantity is not None]
        if not inspected:
            return
        if not current.reverse_lines:
            current = self.returns.fetch(current.id) or current
        location: str | None = None
        items: list[tuple[str, int, Disposition, str | None]] = []
        for line in inspected:
            wanted = _wanted(line)
            reverse = [
                (item_id, total - done)
                for (item_id, order_line, total), done in zip(current.reverse_lines, _pad(current), strict=True)
                if order_line == line.platform_line_id
            ]
            already = sum(total for (_i, order_line, total) in current.reverse_lines
                          if order_line == line.platform_line_id) - sum(left for _i, left in reverse)
            for disposition, quantity in _skip(wanted, already):
                for index, (item_id, left) in enumerate(reverse):
                    take = min(quantity, left)
                    if take <= 0:
                        continue
                    where = None
                    if disposition == "RESTOCKED":
                        location = location or self._location(change.platform_order_id)
                        where = location
                    items.append((item_id, take, disposition, where))
                    reverse[index] = (item_id, left - take)
                    quantity -= take
                    if quantity == 0:
                        break
        if items:
            self.returns.dispose(items)

    def _location(self, order_id: str) -> str:
        _, shipped_from = self.returns.for_order(order_id)
        location = shipped_from or self.returns.primary_location()
        if not location:
            raise PlatformError("no location to restock at: the shop has no primary location", retryable=False)
        return location


def _pad(current: ShopifyReturn) -> tuple[int, ...]:
    # Returns read before `disposed` existed in the query carry none: count them as 0.
    return current.disposed if len(current.disposed) == len(current.reverse_lines) else (0,) * len(current.reverse_lines)


def _wanted(line: MirroredLine) -> list[tuple[Disposition, int]]:
    accepted = min(line.accepted_quantity or 0, line.quantity)
    refused: Disposition = "MISSING" if line.reason == MISSING_REASON else "NOT_RESTOCKED"
    kept: Disposition = "RESTOCKED" if line.restock else "NOT_RESTOCKED"
    return [(d, q) for d, q in ((kept, accepted), (refused, line.quantity - accepted)) if q > 0]


def _skip(wanted: Sequence[tuple[Disposition, int]], done: int) -> list[tuple[Disposition, int]]:
    """What is left to dispose once `done` units were (by an earlier run), in order."""
    left = []
    for disposition, quantity in wanted:
        consumed = min(done, quantity)
        done -= consumed
        if quantity - consumed > 0:
            left.append((disposition, quantity - consumed))
    return left
