"""The public return policy page, rendered from the policy the engine applies. Standard library only."""

from __future__ import annotations

from collections.abc import Sequence

from connector.domain.messages import Reason, Words
from connector.domain.policy import CouponType, OriginalShipping, ReturnPolicy, ShippingPayer
from connector.domain.returns import RejectedItemHandling, ResolutionKind


def policy_summary(policy: ReturnPolicy, words: Words) -> list[tuple[str, str]]:
    """The public policy page as (title, text) sections, in the language of `words`, the edge's translator."""
    lang = words.locale

    def say(code: str, **params: object) -> str:
        return words.say(Reason.of(code, **params))

    def labels(codes: Sequence[str]) -> str:
        found = (policy.reason(code) for code in codes)
        return words.join([words.quote(reason.label(lang)) for reason in found if reason], last="or")

    def tags(items: Sequence[str]) -> str:
        return words.join([words.quote(item) for item in items], last="or")

    sections = [(say("title_window"),
                 say(f"policy_window_{policy.window_starts_from.value}", window_days=policy.window_days))]

    refused = [say("policy_final_sale_tag", tag=words.quote(policy.final_sale_tag))
               if policy.final_sale_tag else say("policy_final_sale")]
    if policy.non_returnable_tags:
        refused.append(say("policy_not_returnable_tags", tags=tags(policy.non_returnable_tags)))
    if policy.non_returnable_product_types:
        refused.append(say("policy_not_returnable_types",
                           product_types=words.join(policy.non_returnable_product_types)))
    if policy.non_returnable_skus:
        refused.append(say("policy_not_returnable_skus", skus=words.join(policy.non_returnable_skus)))
    sections.append((say("title_not_returnable"), " ".join(refused)))

    offered = [say("policy_resolutions", resolutions=words.join(
        [words.resolution(kind) for kind in policy.allowed_resolutions], last="or"))]
    if ResolutionKind.STORE_CREDIT in policy.allowed_resolutions and policy.store_credit_bonus_percent:
        offered.append(say("policy_store_credit_bonus", bonus_percent=policy.store_credit_bonus_percent))
    sections.append((say("title_resolutions"), " ".join(offered)))

    if policy.return_shipping_paid_by is ShippingPayer.MERCHANT:
        shipping = [say("policy_shipping_paid_by_shop")]
    else:
        shipping = [say("policy_shipping_fee", fee_amount=policy.return_shipping_fee)
                    if not policy.return_shipping_fee.is_zero() else say("policy_shipping_own_cost")]
        if policy.merchant_pays_shipping_reasons:
            shipping.append(say("policy_shipping_reasons",
                                reasons=labels(policy.merchant_pays_shipping_reasons)))
        if policy.free_returns_limit:
            code = "policy_free_return_one" if policy.free_returns_limit == 1 else "policy_free_returns_many"
            shipping.append(say(code, free_returns_limit=policy.free_returns_limit,
                                period_days=policy.free_returns_period_days))
            if policy.free_returns_tags:
                shipping.append(say("policy_free_returns_tags", tags=tags(policy.free_returns_tags)))
    # The same settings eligibility.refunds_order_shipping decides with.
    if policy.original_shipping_refund is OriginalShipping.LAST_RETURN:
        shipping.append(say("policy_order_shipping_last_return"))
    elif policy.original_shipping_refund is OriginalShipping.SHOP_AT_FAULT and policy.merchant_pays_shipping_reasons:
        shipping.append(say("policy_order_shipping_shop_at_fault",
                            reasons=labels(policy.merchant_pays_shipping_reasons)))
    sections.append((say("title_shipping"), " ".join(shipping)))

    if policy.restocking_fee_percent:
        fees = [say("policy_restocking_fee", fee_percent=policy.restocking_fee_percent)]
        if policy.restocking_fee_waived_reasons:
            fees.append(say("policy_restocking_fee_waived",
                            reasons=labels(policy.restocking_fee_waived_reasons)))
    else:
        fees = [say("policy_no_restocking_fee")]
    sections.append((say("title_fees"), " ".join(fees)))

    photo_reasons = [reason.code for reason in policy.reasons if reason.needs_photo]
    if photo_reasons:
        sections.append((say("title_photos"), say("policy_photos", reasons=labels(photo_reasons))))

    if policy.rejected_items is RejectedItemHandling.KEEP:
        rejected = [say("policy_rejected_keep")]
    elif policy.rejected_item_return_fee.is_zero():
        rejected = [say("policy_rejected_send_back_free")]
    else:
        rejected = [say("policy_rejected_send_back", fee_amount=policy.rejected_item_return_fee)]
    if policy.goodwill_coupon_percent:
        code = ("policy_goodwill_coupon_off_next_order" if policy.goodwill_coupon_type is CouponType.PERCENT
                else "policy_goodwill_coupon")
        rejected.append(say(code, coupon_percent=policy.goodwill_coupon_percent))
    sections.append((say("title_rejected_items"), " ".join(rejected)))
    return sections
