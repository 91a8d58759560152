"""Job functions whose arguments differ from their use case's: plain values in, one workflow call.

Every other job is the workflow function itself (`svc.queue.enqueue(push.push_resolution, id, ...)`).
"""

from __future__ import annotations

from connector.bootstrap import Services
from connector.workflow import webhooks


def process_deliveries(svc: Services, delivery_ids: str) -> dict[str, int]:
    """A batch of deliveries, as comma-separated ids (a plain JSON string)."""
    return webhooks.process_deliveries(svc, [int(i) for i in str(delivery_ids).split(",") if i])
