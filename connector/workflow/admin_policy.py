"""Editing a shop's return policy: every field checked, every problem named next to its field.

Imports the domain only (and the unit of work through the services).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import TYPE_CHECKING, Any

from connector.domain.policy import InvalidPolicy, ReturnPolicy
from connector.domain.policy_page import policy_summary
from connector.i18n import Translator
from connector.workflow.errors import NotFound

if TYPE_CHECKING:
    from connector.ports.services import Services

POLICY_FIELDS = tuple(f.name for f in fields(ReturnPolicy))


def check_policy(data: Mapping[str, Any], locale: str = "en") -> tuple[ReturnPolicy | None, dict[str, str]]:
    """The policy these settings make, or every setting's problem.

    ReturnPolicy stops at the first bad setting; to name them all, a setting found bad is
    set aside (its default stands in) and the rest checked again.
    """
    values = {k: v for k, v in data.items() if k in POLICY_FIELDS}
    errors: dict[str, str] = {}
    for _attempt in range(len(POLICY_FIELDS) + 1):
        try:
            policy = ReturnPolicy(**values)
        except InvalidPolicy as exc:
            errors.setdefault(exc.field, exc.text(Translator(locale)))
            if exc.field not in values:
                break
            values.pop(exc.field)
        else:
            return (None if errors else policy), errors
    return None, errors


def save_policy(svc: Services, shop_id: int, data: Mapping[str, Any], locale: str = "en"
                ) -> tuple[ReturnPolicy | None, dict[str, str]]:
    """Store the policy when every setting holds; otherwise store nothing and say what is wrong (in `locale`)."""
    policy, errors = check_policy(data, locale)
    if policy is None:
        return None, errors
    with svc.uow() as uow:
        if uow.shops.get(shop_id) is None:
            raise NotFound(f"no shop {shop_id}")
        uow.shops.update(shop_id, policy=policy.to_dict())
        uow.commit()
    return policy, {}


def replace_policy(svc: Services, shop_id: int, settings: dict[str, Any]) -> ReturnPolicy:
    """Replace the whole policy; raises InvalidPolicy naming the setting. Left-out settings take defaults."""
    with svc.uow() as uow:
        shop = uow.shops.get(shop_id)
        if shop is None:
            raise NotFound(f"no shop {shop_id}")
        data = {name: value for name, value in settings.items() if value is not None or name in _NULLABLE}
        data.setdefault("currency", shop.currency)
        policy = ReturnPolicy.from_dict(data)
        uow.shops.update(shop.id, policy=policy.to_dict())
        uow.commit()
    return policy


# Settings where null means something ("no limit"); for the others null means "the default".
_NULLABLE = frozenset({"auto_approve_max_order_value", "auto_approve_max_previous_returns"})


def preview(policy: ReturnPolicy) -> dict[str, list[tuple[str, str]]]:
    """The public policy page in both languages: the same data the engine decides with."""
    return {lang: policy_summary(policy, Translator(lang)) for lang in ("fr", "en")}
