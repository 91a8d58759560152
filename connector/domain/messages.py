"""Policy reasons in French and English, money and dates per locale. Standard library only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import Enum

from connector.domain.money import Money, minor_units
from connector.domain.returns import ResolutionKind

LOCALES = ("fr", "en")

_MONTHS = {
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}

# The common currencies of our merchants; any other is written with its ISO code.
_SYMBOLS = {
    "fr": {"EUR": "€", "USD": "$US", "GBP": "£GB", "CAD": "$CA", "CHF": "CHF", "JPY": "JPY"},
    "en": {"EUR": "€", "USD": "$", "GBP": "£", "CAD": "CA$", "CHF": "CHF", "JPY": "¥"},
}

_RESOLUTION_NAMES = {
    "fr": {
        ResolutionKind.REFUND: "remboursement",
        ResolutionKind.STORE_CREDIT: "avoir",
        ResolutionKind.COUPON: "bon de réduction",
        ResolutionKind.EXCHANGE: "échange",
    },
    "en": {
        ResolutionKind.REFUND: "refund",
        ResolutionKind.STORE_CREDIT: "store credit",
        ResolutionKind.COUPON: "coupon",
        ResolutionKind.EXCHANGE: "exchange",
    },
}


def language(locale: str | None) -> str:
    """"fr", "fr_FR" or "fr-CA" -> "fr"; anything we have no texts for -> "en"."""
    base = (locale or "").replace("-", "_").split("_")[0].lower()
    return base if base in LOCALES else "en"


def _group(whole: str, separator: str) -> str:
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    return separator.join(groups)


def format_number(value: Decimal, locale: str, places: int | None = None) -> str:
    """1234.5 -> "1 234,5" (fr) or "1,234.5" (en); `places` fixes the decimals shown."""
    lang = language(locale)
    if places is None:
        # normalize() drops trailing zeros; "f" keeps 10 from turning into 1E+1.
        text = format(abs(value).normalize(), "f")
    else:
        text = format(abs(value), f".{places}f")
    whole, _, fraction = text.partition(".")
    # As Babel (CLDR) writes them: French groups with a narrow no-break space.
    group, point = ("\u202f", ",") if lang == "fr" else (",", ".")
    sign = "-" if value < 0 else ""
    return sign + _group(whole, group) + (point + fraction if fraction else "")


def format_money(money: Money, locale: str) -> str:
    """12.50 EUR -> "12,50 €" (fr) or "€12.50" (en), with the currency's own decimals."""
    lang = language(locale)
    digits = format_number(abs(money.amount), lang, minor_units(money.currency))
    symbol = _SYMBOLS[lang].get(money.currency, money.currency)
    sign = "-" if money.is_negative() else ""
    if lang == "fr":
        return f"{sign}{digits}\u00a0{symbol}"  # never "12,50" at a line's end and "€" on the next
    # A letter code reads badly glued to the digits: "CHF 12.50", but "€12.50".
    if symbol[-1].isalpha():
        return f"{sign}{symbol} {digits}"
    return f"{sign}{symbol}{digits}"


def format_date(day: date, locale: str, *, short: bool = False) -> str:
    """15 March 2026 -> "15 mars 2026" / "15/03/2026" (fr), "March 15, 2026" / "03/15/2026" (en)."""
    lang = language(locale)
    if lang == "fr":
        if short:
            return f"{day.day:02d}/{day.month:02d}/{day.year}"
        # French writes the first of the month as an ordinal: "1er mars".
        number = "1er" if day.day == 1 else str(day.day)
        return f"{number} {_MONTHS['fr'][day.month - 1]} {day.year}"
    if short:
        return f"{day.month:02d}/{day.day:02d}/{day.year}"
    return f"{_MONTHS['en'][day.month - 1]} {day.day}, {day.year}"


def format_percent(rate: Decimal, locale: str) -> str:
    """10 -> "10 %" (fr, with the French space) or "10%" (en); 12.5 -> "12,5 %"."""
    number = format_number(rate, locale)
    return f"{number}\u00a0%" if language(locale) == "fr" else f"{number}%"


def format_days(days: int, locale: str) -> str:
    if language(locale) == "fr":
        return f"{days} jour" if days == 1 else f"{days} jours"
    return f"{days} day" if days == 1 else f"{days} days"


def resolution_name(kind: ResolutionKind | str, locale: str) -> str:
    """The word the shopper reads for a resolution: "avoir", "store credit"."""
    try:
        return _RESOLUTION_NAMES[language(locale)][ResolutionKind(kind)]
    except ValueError:
        return str(kind)


def join_words(words: Sequence[str], locale: str, *, last: str = "and") -> str:
    """["a", "b", "c"] -> "a, b and c"; `last` is "and" or "or", translated."""
    conjunction = {"and": {"fr": "et", "en": "and"}, "or": {"fr": "ou", "en": "or"}}[last][language(locale)]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def quote(word: str, locale: str) -> str:
    """A word quoted the way the reader's language does: « final-sale » or “final-sale”."""
    return f"« {word} »" if language(locale) == "fr" else f"“{word}”"


# Every text, by code. Placeholders are Reason params; their name's ending says how
# to render them (see _render): *_date ISO date, *_amount "12.50 EUR", *_percent a
# decimal, *_kind a ResolutionKind value, *_days a whole number of days.
TEXTS: dict[str, dict[str, str]] = {
    # Why an item or a request is refused (shopper-facing).
    "unknown_item": {
        "en": "This item is not part of the order.",
        "fr": "Cet article ne fait pas partie de la commande.",
    },
    "duplicate_item": {
        "en": "This item is already in the request once.",
        "fr": "Cet article figure déjà une fois dans la demande.",
    },
    "invalid_quantity": {
        "en": "Choose at least one unit to return.",
        "fr": "Choisissez au moins un exemplaire à retourner.",
    },
    # Policy settings the merchant typed that the engine cannot apply.
    "policy_whole_number": {"en": "Enter a whole number.", "fr": "Saisissez un nombre entier."},
    "policy_between": {"en": "Enter a number from {low} to {high}.", "fr": "Saisissez un nombre de {low} à {high}."},
    "policy_percent": {"en": "Enter a percentage from 0 to 100.", "fr": "Saisissez un pourcentage de 0 à 100."},
    "policy_amount": {"en": "Enter an amount, such as 5.90.", "fr": "Saisissez un montant, par exemple 5,90."},
    "policy_negative": {"en": "An amount cannot be negative.", "fr": "Un montant ne peut pas être négatif."},
    "policy_choice": {"en": "Choose one of the options offered.", "fr": "Choisissez une des options proposées."},
    "policy_currency": {"en": "Enter a currency code such as EUR.", "fr": "Saisissez un code de devise, par exemple EUR."},
    "policy_no_reason": {"en": "Keep at least one reason for the customer to choose.",
                         "fr": "Gardez au moins un motif que le client peut choisir."},
    "policy_no_resolution": {"en": "Offer at least one resolution.", "fr": "Proposez au moins une solution."},
    # Timeline notes the app writes, in the shop's language.
    "note_resolution": {"en": "{resolution_kind} {resolution_amount}", "fr": "{resolution_kind} {resolution_amount}"},
    "note_nothing_to_pay": {"en": "nothing to pay back", "fr": "rien à rendre"},
    "note_done_by_hand": {
        "en": "{resolution_kind} {resolution_amount} carried out by hand: {note}",
        "fr": "{resolution_kind} de {resolution_amount} effectué à la main\u202f: {note}",
    },
    "order_cancelled": {
        "en": "This order was cancelled: there is nothing to return.",
        "fr": "Cette commande a été annulée : il n'y a rien à retourner.",
    },
    "not_shipped": {
        "en": "This item has not been shipped yet, so it cannot be returned. Contact us to cancel it.",
        "fr": "Cet article n'a pas encore été expédié : il ne peut pas être retourné. "
              "Contactez-nous pour l'annuler.",
    },
    "already_returned": {
        "en": "Every unit of this item has already been returned or is in a return request.",
        "fr": "Tous les exemplaires de cet article ont déjà été retournés ou sont dans une demande de retour.",
    },
    "quantity_too_high": {
        "en": "You can return at most {max_quantity} of this item.",
        "fr": "Vous pouvez retourner au plus {max_quantity} exemplaires de cet article.",
        "fr_one": "Vous pouvez retourner au plus {max_quantity} exemplaire de cet article.",
    },
    "final_sale": {
        "en": "This item was sold as final sale: it cannot be returned.",
        "fr": "Cet article a été vendu en vente finale : il ne peut pas être retourné.",
    },
    "non_returnable_tag": {
        "en": "Products marked “{tag}” cannot be returned.",
        "fr": "Les produits marqués « {tag} » ne peuvent pas être retournés.",
    },
    "non_returnable_type": {
        "en": "Products of type “{product_type}” cannot be returned.",
        "fr": "Les produits de type « {product_type} » ne peuvent pas être retournés.",
    },
    "non_returnable_sku": {
        "en": "This product (ref. {sku}) cannot be returned.",
        "fr": "Ce produit (réf. {sku}) ne peut pas être retourné.",
    },
    "window_passed": {
        "en": "The return period for this item ended on {last_day_date}.",
        "fr": "Le délai de retour de cet article a pris fin le {last_day_date}.",
    },
    "unknown_reason": {
        "en": "Please choose a return reason from the list.",
        "fr": "Veuillez choisir un motif de retour dans la liste.",
    },
    "photo_needed": {
        "en": "For this reason, please add a photo of the item.",
        "fr": "Pour ce motif, veuillez ajouter une photo de l'article.",
    },
    "resolution_not_allowed": {
        "en": "This shop does not offer this option: {resolution_kind}.",
        "fr": "Cette boutique ne propose pas cette solution : {resolution_kind}.",
    },
    "no_items": {
        "en": "Choose at least one item to return.",
        "fr": "Choisissez au moins un article à retourner.",
    },
    "no_eligible_item": {
        "en": "None of the chosen items can be returned.",
        "fr": "Aucun des articles choisis ne peut être retourné.",
    },
    # Deliberately says nothing of why: the merchant handles abuse cases in person.
    "customer_blocked": {
        "en": "We cannot accept a return for this order online. Please contact our customer service.",
        "fr": "Nous ne pouvons pas accepter de retour en ligne pour cette commande. "
              "Veuillez contacter notre service client.",
    },
    # What the shopper is told about fees (not refusals).
    "restocking_fee": {
        "en": "A restocking fee of {fee_amount} ({rate_percent}) is deducted for this item.",
        "fr": "Des frais de remise en stock de {fee_amount} ({rate_percent}) sont déduits pour cet article.",
    },
    "store_credit_bonus": {
        "en": "Store credit: you receive {bonus_percent} more.",
        "fr": "Avoir : vous recevez {bonus_percent} de plus.",
    },
    "return_shipping_fee": {
        "en": "Return shipping costs {fee_amount}, deducted from the amount returned to you.",
        "fr": "Les frais de retour de {fee_amount} sont déduits du montant qui vous est rendu.",
    },
    "return_shipping_own_cost": {
        "en": "You send the parcel back at your own cost.",
        "fr": "Vous renvoyez le colis à vos frais.",
    },
    "return_shipping_paid_by_shop": {
        "en": "Return shipping is free: we pay for it.",
        "fr": "Le retour est gratuit : nous prenons en charge les frais de retour.",
    },
    "merchant_pays_shipping_for_reason": {
        "en": "We pay the return shipping for this reason.",
        "fr": "Pour ce motif, nous prenons en charge les frais de retour.",
    },
    "free_return": {
        "en": "This return is free: we pay the return shipping.",
        "fr": "Ce retour est gratuit : nous prenons en charge les frais de retour.",
    },
    "free_returns_used_up": {
        "en": "You have already used your free returns ({free_returns_limit} every {period_days}): "
              "return shipping costs {fee_amount}, deducted from the amount returned to you.",
        "fr": "Vous avez déjà utilisé vos retours gratuits ({free_returns_limit} par période de "
              "{period_days}) : les frais de retour de {fee_amount} sont déduits du montant qui vous est rendu.",
    },
    # Why a request was or was not approved automatically (merchant-facing).
    "auto_approved": {
        "en": "Approved automatically: every auto-approval rule holds.",
        "fr": "Approuvée automatiquement : toutes les règles d'approbation automatique sont remplies.",
    },
    "auto_not_configured": {
        "en": "No auto-approval rule is set: the request waits for review.",
        "fr": "Aucune règle d'approbation automatique : la demande attend votre examen.",
    },
    "auto_order_value_ok": {
        "en": "The order value, {order_amount}, is at most {max_amount}.",
        "fr": "Le montant de la commande, {order_amount}, ne dépasse pas {max_amount}.",
    },
    "auto_order_value_too_high": {
        "en": "The order value, {order_amount}, is above {max_amount}.",
        "fr": "Le montant de la commande, {order_amount}, dépasse {max_amount}.",
    },
    "auto_currency_differs": {
        "en": "The order is in {order_currency} and the policy's amounts in {policy_currency}: check it by hand.",
        "fr": "La commande est en {order_currency} et les montants de la politique en {policy_currency} : "
              "vérifiez-la vous-même.",
    },
    "auto_reason_ok": {
        "en": "Every return reason is one that is approved automatically.",
        "fr": "Chaque motif de retour fait partie des motifs approuvés automatiquement.",
    },
    "auto_reason_not_listed": {
        "en": "The reason “{reason}” is not approved automatically.",
        "fr": "Le motif « {reason} » n'est pas approuvé automatiquement.",
    },
    "auto_history_ok": {
        "en": "The customer has {previous_returns} previous returns, at most {max_previous_returns}.",
        "en_one": "The customer has {previous_returns} previous return, at most {max_previous_returns}.",
        "fr": "Le client a {previous_returns} retours précédents, au plus {max_previous_returns}.",
        "fr_one": "Le client a {previous_returns} retour précédent, au plus {max_previous_returns}.",
    },
    "auto_too_many_returns": {
        "en": "The customer has {previous_returns} previous returns, more than {max_previous_returns}.",
        "en_one": "The customer has {previous_returns} previous return, more than {max_previous_returns}.",
        "fr": "Le client a {previous_returns} retours précédents, plus que {max_previous_returns}.",
        "fr_one": "Le client a {previous_returns} retour précédent, plus que {max_previous_returns}.",
    },
    "auto_items_not_eligible": {
        "en": "Some items cannot be returned under the policy: the request needs review.",
        "fr": "Certains articles ne peuvent pas être retournés selon la politique : la demande doit être examinée.",
    },
    "auto_customer_blocked": {
        "en": "The customer is on the shop's blocked list.",
        "fr": "Le client figure sur la liste des clients bloqués de la boutique.",
    },
    # The public policy page: section titles, then section texts.
    "title_window": {"en": "Return period", "fr": "Délai de retour"},
    "title_not_returnable": {"en": "Items that cannot be returned", "fr": "Articles non repris"},
    "title_resolutions": {"en": "Refund, credit or exchange", "fr": "Remboursement, avoir ou échange"},
    "title_shipping": {"en": "Return shipping", "fr": "Frais de retour"},
    "title_fees": {"en": "Restocking fee", "fr": "Frais de remise en stock"},
    "title_photos": {"en": "Photos", "fr": "Photos"},
    "title_rejected_items": {"en": "Items refused at inspection", "fr": "Articles refusés à la vérification"},
    "policy_window_delivery": {
        "en": "You have {window_days} from delivery to ask for a return (from shipment, or else from "
              "the order date, when the delivery date is not known).",
        "fr": "Vous disposez de {window_days} à compter de la livraison pour demander un retour "
              "(à compter de l'expédition, ou à défaut de la commande, si la date de livraison n'est pas connue).",
    },
    "policy_window_fulfillment": {
        "en": "You have {window_days} from shipment to ask for a return (from the order date when "
              "the shipment date is not known).",
        "fr": "Vous disposez de {window_days} à compter de l'expédition pour demander un retour "
              "(à compter de la commande si la date d'expédition n'est pas connue).",
    },
    "policy_window_order": {
        "en": "You have {window_days} from the order date to ask for a return.",
        "fr": "Vous disposez de {window_days} à compter de la date de commande pour demander un retour.",
    },
    "policy_final_sale": {
        "en": "Items sold as final sale cannot be returned.",
        "fr": "Les articles vendus en vente finale ne peuvent pas être retournés.",
    },
    "policy_final_sale_tag": {
        "en": "Items sold as final sale, or marked {tag}, cannot be returned.",
        "fr": "Les articles vendus en vente finale, ou marqués {tag}, ne peuvent pas être retournés.",
    },
    "policy_not_returnable_tags": {
        "en": "Products marked {tags} cannot be returned.",
        "fr": "Les produits marqués {tags} ne peuvent pas être retournés.",
    },
    "policy_not_returnable_types": {
        "en": "Products of these types cannot be returned: {product_types}.",
        "fr": "Les produits de ces types ne peuvent pas être retournés : {product_types}.",
    },
    "policy_not_returnable_skus": {
        "en": "These product references cannot be returned: {skus}.",
        "fr": "Ces références de produits ne peuvent pas être retournées : {skus}.",
    },
    "policy_all_returnable": {
        "en": "Every product can be returned.",
        "fr": "Tous les produits peuvent être retournés.",
    },
    "policy_resolutions": {
        "en": "You can choose: {resolutions}.",
        "fr": "Vous pouvez choisir : {resolutions}.",
    },
    "policy_store_credit_bonus": {
        "en": "Choose store credit and receive {bonus_percent} more.",
        "fr": "Choisissez un avoir et recevez {bonus_percent} de plus.",
    },
    "policy_restocking_fee": {
        "en": "A restocking fee of {fee_percent} of the price paid is deducted for each returned item.",
        "fr": "Des frais de remise en stock de {fee_percent} du prix payé sont déduits pour chaque article retourné.",
    },
    "policy_restocking_fee_waived": {
        "en": "No restocking fee when the reason is: {reasons}.",
        "fr": "Aucuns frais de remise en stock lorsque le motif est : {reasons}.",
    },
    "policy_no_restocking_fee": {
        "en": "No restocking fee is deducted.",
        "fr": "Aucuns frais de remise en stock ne sont déduits.",
    },
    "policy_shipping_paid_by_shop": {
        "en": "Return shipping is free: we pay for it.",
        "fr": "Le retour est gratuit : nous prenons en charge les frais de retour.",
    },
    "policy_shipping_own_cost": {
        "en": "You send the parcel back at your own cost.",
        "fr": "Vous renvoyez le colis à vos frais.",
    },
    "policy_shipping_fee": {
        "en": "Return shipping costs {fee_amount}, deducted from the amount returned to you.",
        "fr": "Les frais de retour de {fee_amount} sont déduits du montant qui vous est rendu.",
    },
    "policy_shipping_reasons": {
        "en": "We pay the return shipping when the reason is: {reasons}.",
        "fr": "Nous prenons en charge les frais de retour lorsque le motif est : {reasons}.",
    },
    "policy_free_return_one": {
        "en": "Your first return every {period_days} is free: we pay the return shipping.",
        "fr": "Votre premier retour sur chaque période de {period_days} est gratuit : "
              "nous prenons en charge les frais de retour.",
    },
    "policy_free_returns_many": {
        "en": "Your first {free_returns_limit} returns every {period_days} are free: we pay the return shipping.",
        "fr": "Vos {free_returns_limit} premiers retours sur chaque période de {period_days} sont gratuits : "
              "nous prenons en charge les frais de retour.",
    },
    "policy_free_returns_tags": {
        "en": "Free returns apply to products marked {tags}.",
        "fr": "Les retours gratuits s'appliquent aux produits marqués {tags}.",
    },
    "policy_photos": {
        "en": "Please add a photo of the item when the reason is: {reasons}.",
        "fr": "Merci d'ajouter une photo de l'article lorsque le motif est : {reasons}.",
    },
    "policy_rejected_send_back": {
        "en": "Items refused at inspection are sent back to you for {fee_amount}.",
        "fr": "Les articles refusés à la vérification vous sont renvoyés pour {fee_amount}.",
    },
    "policy_rejected_send_back_free": {
        "en": "Items refused at inspection are sent back to you at no cost.",
        "fr": "Les articles refusés à la vérification vous sont renvoyés sans frais.",
    },
    "policy_rejected_keep": {
        "en": "Items refused at inspection are not sent back and are not refunded.",
        "fr": "Les articles refusés à la vérification ne vous sont pas renvoyés et ne sont pas remboursés.",
    },
    "policy_goodwill_coupon": {
        "en": "For an item refused at inspection, we offer you a coupon worth {coupon_percent} of its price.",
        "fr": "Pour un article refusé à la vérification, nous vous offrons un bon de réduction de "
              "{coupon_percent} de son prix.",
    },
    "policy_goodwill_coupon_off_next_order": {
        "en": "For an item refused at inspection, we offer you a coupon of {coupon_percent} off your next order.",
        "fr": "Pour un article refusé à la vérification, nous vous offrons un bon de réduction de "
              "{coupon_percent} sur votre prochaine commande.",
    },
    "policy_order_shipping_shop_at_fault": {
        "en": "When we are at fault ({reasons}), the shipping you paid on the order is refunded too.",
        "fr": "Quand l'erreur vient de nous ({reasons}), les frais de livraison payés sur la commande "
              "vous sont aussi remboursés.",
    },
    "policy_order_shipping_last_return": {
        "en": "The shipping you paid on the order is refunded when we are at fault, or with the return "
              "of the order's last item.",
        "fr": "Les frais de livraison payés sur la commande vous sont remboursés quand l'erreur vient de "
              "nous, ou avec le retour du dernier article de la commande.",
    },
}


def _render(name: str, value: str, lang: str) -> str:
    """One param in the reader's conventions; a value that does not parse is shown as is."""
    try:
        if name.endswith("_date"):
            return format_date(date.fromisoformat(value), lang)
        if name.endswith("_amount"):
            amount, currency = value.split(" ")
            return format_money(Money(Decimal(amount), currency), lang)
        if name.endswith("_percent"):
            return format_percent(Decimal(value), lang)
        if name.endswith("_kind"):
            return resolution_name(value, lang)
        if name.endswith("_days"):
            return format_days(int(value), lang)
    except (ValueError, InvalidOperation, ArithmeticError):
        return value
    return value


# Texts with a singular form ("<lang>_one"), and the param that counts.
PLURAL_BY = {"quantity_too_high": "max_quantity", "auto_history_ok": "previous_returns",
             "auto_too_many_returns": "previous_returns"}


def _is_one(count: int, lang: str) -> bool:
    # French counts 0 and 1 as singular ("0 retour précédent"), English only 1.
    return count <= 1 if lang == "fr" else count == 1


class _KeepMissing(dict[str, str]):
    # A missing param shows its placeholder rather than breaking the shopper's page.
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _as_param(name: str, value: object) -> str:
    # The name's ending is how the text knows to render it: a mismatch is a bug to catch now.
    if isinstance(value, Money):
        if not name.endswith("_amount"):
            raise ValueError(f"a Money param is named *_amount, not {name!r}")
        return f"{value.amount} {value.currency}"
    if isinstance(value, date):
        if not name.endswith("_date"):
            raise ValueError(f"a date param is named *_date, not {name!r}")
        return value.isoformat()
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


@dataclass(frozen=True)
class Reason:
    """Why the engine decided something, as a code and string params; `text()` says it to a person."""

    code: str
    params: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, code: str, **params: object) -> Reason:
        """Build with dates, Money, enums or numbers as params; they are stored as strings."""
        return cls(code, {name: _as_param(name, value) for name, value in params.items()})

    def text(self, locale: str = "en") -> str:
        lang = language(locale)
        texts = TEXTS.get(self.code)
        if texts is None:
            # An unknown code is a bug (tests check every code has texts); show it, do not crash.
            return self.code
        template = texts.get(lang, texts["en"])
        count = self.params.get(PLURAL_BY.get(self.code, ""), "")
        if count.isdigit() and _is_one(int(count), lang):
            template = texts.get(f"{lang}_one", template)
        values = _KeepMissing({name: _render(name, value, lang) for name, value in self.params.items()})
        return template.format_map(values)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> Reason:
        params = data.get("params") or {}
        if not isinstance(params, Mapping):
            raise TypeError("a reason's params must be a mapping")
        return cls(str(data["code"]), {str(k): str(v) for k, v in params.items()})
