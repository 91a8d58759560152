"""Every page and every email, in French, speaks French: the demo shop walked through a return's whole life.

Each page the shopper or the merchant can reach is rendered with content, then its visible text is
checked: no English word from a list, French typography (a narrow no-break space before : ; ! ?),
no "(s)" standing in for a plural, no number written with a decimal point.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from connector.bootstrap import Services
from connector.demo import DEMO_SLUG, load_demo
from connector.workflow import email_templates
from tests.conftest import FrozenClock
from tests.integration.test_admin_support import signed_in

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 200

# Words that only English would put on a page; matched as whole words, case-sensitively where
# French shares the spelling in another case.
ENGLISH = ("shopper", "merchant", "pending", "written", "refund", "refunds", "nothing to pay", "must be", "got",
           "Not Found", "Method Not Allowed", "store credit", "Approved", "Requested", "Rejected", "Received",
           "sent", "failed", "portal", "the", "and", "of", "to", "with", "days", "Order", "Return", "Returns",
           "items", "Items", "Email", "Save", "Cancel", "Yes", "None", "True", "False")
_ENGLISH = re.compile(r"(?<![\w-])(" + "|".join(re.escape(w) for w in ENGLISH) + r")(?![\w-])")
_URL = re.compile(r"(?:https?://|mailto:)\S+|\S+@\S+\.\w+")
# ":" ";" "!" "?" closing a phrase must follow a narrow no-break space (or a no-break space).
_TIGHT = re.compile(r"[^\s\u202f\u00a0]([:;!?])(?=\s|$)")
_LOOSE = re.compile(r"[ \t]([:;!?])(?=\s|$)")
_DOT_DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?![\w.])")
_CODE_AMOUNT = re.compile(r"\d\s?(EUR|USD|GBP)\b")  # "5.90 EUR": money the way a program writes it


class _Text(HTMLParser):
    """The text of a page as read, leaving out scripts, styles and whatever is marked as another language."""

    VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._stack: list[bool] = []  # per open element: is its text skipped

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        lang = dict(attrs).get("lang")
        # Code and the merchant's own editable text (snippets, template sources) are not page prose.
        skipped = (tag in ("script", "style", "head", "code", "pre", "textarea") or (lang is not None and not lang.startswith("fr"))
                   or bool(self._stack and self._stack[-1]))
        self._stack.append(skipped)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self._stack:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if not (self._stack and self._stack[-1]):
            self.parts.append(data)


def visible(markup: str) -> str:
    """The text a reader sees: no tags, scripts, styles or attribute values; entities decoded."""
    parser = _Text()
    parser.feed(markup)
    return "".join(parser.parts)


def problems(text: str) -> list[str]:
    text = _URL.sub(" ", text)
    found = [f"English {m.group(1)!r} in …{text[max(0, m.start() - 30):m.end() + 30]!r}…" for m in _ENGLISH.finditer(text)]
    found += [f"no narrow space before {m.group(1)!r} in …{text[max(0, m.start() - 30):m.end() + 10]!r}…"
              for m in _TIGHT.finditer(text)]
    found += [f"a breaking space before {m.group(1)!r} in …{text[max(0, m.start() - 30):m.end() + 10]!r}…"
              for m in _LOOSE.finditer(text)]
    found += [f"'(s)' in …{text[max(0, i - 30):i + 10]!r}…" for i in [m.start() for m in re.finditer(r"\(s\)", text)]]
    found += [f"an amount with its code in …{text[max(0, m.start() - 30):m.end() + 10]!r}…"
              for m in _CODE_AMOUNT.finditer(text)]
    found += [f"a decimal point in {m.group(0)!r} (…{text[max(0, m.start() - 30):m.end() + 10]!r}…)"
              for m in _DOT_DECIMAL.finditer(text)]
    return found


@dataclass
class Walk:
    client: FlaskClient
    seen: dict[str, list[str]] = field(default_factory=dict)

    def page(self, name: str, answer: TestResponse, status: int = 200) -> TestResponse:
        assert answer.status_code == status, (name, answer.status_code, answer.location)
        self.seen[name] = problems(visible(answer.get_data(as_text=True)))
        return answer

    def get(self, name: str, url: str, status: int = 200) -> TestResponse:
        return self.page(name, self.client.get(url, headers={"Accept-Language": "fr-FR,fr"}), status)


def _field(answer: TestResponse, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', answer.get_data(as_text=True))
    assert found, f"no {name} field"
    return found.group(1)


@pytest.fixture
def walk(client: FlaskClient, services: Services, clock: FrozenClock) -> Walk:
    load_demo(services)
    return Walk(client)


def test_every_page_and_email_of_a_returns_life_is_in_french(walk: Walk, services: Services,
                                                             clock: FrozenClock) -> None:
    client = walk.client
    portal, admin = f"/portal/{DEMO_SLUG}", f"/admin/{DEMO_SLUG}"
    lookup = walk.get("portal lookup", f"{portal}/")
    walk.get("portal policy", f"{portal}/policy")
    walk.get("portal unknown shop", "/portal/nope/", 404)
    walk.get("portal wrong method", f"{portal}/confirm", 405)
    found = client.post(f"{portal}/", data={"csrf_token": _field(lookup, "csrf_token"), "order": "1001",
                                            "contact": "claire@example.com"})
    items = walk.get("portal items", found.location)
    form = {"csrf_token": _field(items, "csrf_token"), "line-0": _field(items, "line-0"), "qty-0": "1",
            "reason-0": "defective", "resolution-0": "store_credit", "comment-0": "La couture a lâché"}
    walk.page("portal items with errors", client.post(f"{portal}/review", data=form,
                                                        content_type="multipart/form-data"), 422)
    posted = client.post(f"{portal}/review", content_type="multipart/form-data",
                         data={**form, "photos-0": (io.BytesIO(JPEG), "couture.jpg")})
    reviewed = walk.get("portal review", posted.location)
    done = client.post(f"{portal}/confirm", data={"csrf_token": _field(reviewed, "csrf_token"),
                                                  "draft": _field(reviewed, "draft")})
    walk.get("portal confirmation", done.location)
    track = done.location.rsplit("/", 1)[0]
    walk.get("portal slip", f"{track}/slip")
    walk.get("portal tracking, requested", track)
    walk.get("portal cancel question", f"{track}/cancel")
    reference = re.search(r"R-[A-Z0-9]{6}", reviewed.get_data(as_text=True) + client.get(track).get_data(as_text=True))
    assert reference

    token = signed_in(client, services, _demo_shop(services))
    ref = reference.group(0)
    page = f"{admin}/returns/{ref}"
    walk.get("admin returns", f"{admin}/")
    walk.get("admin return, requested", page)
    steps = [("approve", {"message": "Bien reçu, merci."}), ("in-transit", {"tracking_number": "6A123"}),
             ("receive", {}),
             ("inspect", {"line": _line_of(client, page), "condition-" + _line_of(client, page): "as_new",
                          "accepted-" + _line_of(client, page): "1", "rejected-" + _line_of(client, page): "0",
                          "restock-" + _line_of(client, page): "1"}),
             ("resolve", {}), ("note", {"message": "Cliente rappelée"}), ("close", {})]
    for action, data in steps:
        client.post(f"{page}/{action}", data={"csrf_token": token, **data})
        walk.get(f"admin return after {action}", page)
        walk.get(f"portal tracking after {action}", track)
    walk.get("admin returns, filtered", f"{admin}/?status=closed&q=claire")
    bulk = client.post(f"{admin}/returns/bulk", data={"csrf_token": token, "action": "reject",
                                                      "message": "Hors délai", "reference": [ref]})
    walk.get("admin bulk reject question", bulk.location)
    walk.get("admin dashboard", f"{admin}/dashboard")
    walk.get("admin policy", f"{admin}/policy")
    walk.page("admin policy with errors", client.post(f"{admin}/policy", data={
        "csrf_token": token, "window_days": "-5", "action": "save"}, headers={"Accept-Language": "fr"}), 422)
    walk.get("admin customers", f"{admin}/customers")
    walk.get("admin customer", f"{admin}/customers/claire@example.com")
    walk.get("admin emails", f"{admin}/emails")
    for kind in email_templates.KINDS:
        walk.get(f"admin email template {kind}", f"{admin}/emails/templates/fr/{kind}")
    walk.get("admin jobs", f"{admin}/jobs")
    walk.get("admin settings", f"{admin}/settings")
    walk.get("admin return labels", f"{admin}/carrier")

    with services.uow() as uow:
        emails = uow.scope(_demo_shop(services)).emails.recent(limit=200)
    assert len({e.subject for e in emails}) >= 6, "the walk sends the emails of every step"
    for email in emails:
        if "@example.com" in email.to and email.to != "sam@example.com":
            walk.seen[f"email {email.subject}"] = problems(email.subject + "\n" + email.body)

    failing = {name: found for name, found in walk.seen.items() if found}
    assert not failing, "\n".join(f"{name}: {found[:6]}" for name, found in failing.items())


def _demo_shop(services: Services):  # type: ignore[no-untyped-def]
    with services.uow() as uow:
        shop = uow.shops.by_slug(DEMO_SLUG)
    assert shop is not None
    return shop


def _line_of(client: FlaskClient, page: str) -> str:
    found = re.search(r'name="line" value="([^"]+)"', client.get(page).get_data(as_text=True))
    return found.group(1) if found else "1001-1"


@pytest.mark.parametrize("text", [
    "Quantité: 1", "Remboursement : 73,10\u00a0€", "1 article(s)", "refund 73.10 EUR", "shopper", "0.0 jours",
    "Vous avez changé d'avis ?", "5.90 EUR",
])
def test_the_check_catches_what_the_issue_saw(text: str) -> None:
    assert problems(text)


@pytest.mark.parametrize("text", ["Quantité\u202f: 1", "Remboursement\u202f: 73,10\u00a0€", "2 articles",
                                  "le 15/06/2026 à 10:00", "https://example.test/a?b=c"])
def test_the_check_lets_french_through(text: str) -> None:
    assert problems(text) == []


def test_the_merchants_new_request_email_links_to_the_return(walk: Walk, services: Services) -> None:
    from connector.domain.returns import Channel, ResolutionKind
    from connector.workflow import returns as flow

    opened = flow.open_return_request(services, _demo_shop(services).id, "1001", [
        flow.WantedItem("1001-1", 1, "size_too_small", ResolutionKind.REFUND)], channel=Channel.PORTAL)
    with services.uow() as uow:
        emails = uow.scope(_demo_shop(services)).emails.recent(limit=50, return_id=opened.ret.id)
    [merchant] = [e for e in emails if e.to == "marchand@example.com"]
    assert f"/admin/{DEMO_SLUG}/returns/{opened.ret.reference}" in merchant.body
    assert "1 article)" in merchant.body
