"""A push still on its way says since when and its next try; after 15 minutes it is a failed job and an email."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from sqlalchemy import select

from connector.bootstrap import Services
from connector.jobs import schedule
from connector.persistence.tables import EmailRow, OutboxRow
from connector.workflow import returns as flow
from tests import builders
from tests.conftest import FrozenClock
from tests.fakes import FakePlatform
from tests.integration.test_admin_support import request_return, signed_in, through_inspection


def _pending_push(services: Services) -> tuple[object, str, int]:
    services.adapters["fake"] = FakePlatform()
    shop = builders.shop(services, platform="fake", domain="fake.example")
    with services.uow() as uow:
        shop = uow.shops.update(shop.id, contact_email="owner@boutique.example")
        uow.commit()
    builders.stored_order(services, shop)
    reference = request_return(services, shop)
    through_inspection(services, shop, reference)
    [resolution] = flow.resolve(services, shop.id, reference, "merchant")
    now = services.clock.now()
    with services.uow() as uow:
        outbox_id = uow.session.scalar(select(OutboxRow.id).where(OutboxRow.task == "push_resolution"))
        assert outbox_id is not None
        uow.all_outbox.claim(outbox_id, now, timedelta(seconds=30))
        uow.all_outbox.retry_later(outbox_id, "the shop answered 503", now + timedelta(minutes=10))
        uow.commit()
    return shop, reference, resolution.id


def test_a_pending_push_shows_since_when_and_its_next_try_in_english_and_french(
    client: FlaskClient, services: Services,
) -> None:
    shop, reference, _resolution_id = _pending_push(services)
    signed_in(client, services, shop)
    english = client.get(f"/admin/{shop.slug}/returns/{reference}?lang=en").get_data(as_text=True)
    assert "Sending since 06/15/2026 10:00, next try at 06/15/2026 10:10." in english
    french = client.get(f"/admin/{shop.slug}/returns/{reference}?lang=fr").get_data(as_text=True)
    assert "Envoi en cours depuis le 15/06/2026 10:00, prochain essai le 15/06/2026 10:10." in french


def test_a_push_pending_after_15_minutes_is_a_failed_job_and_the_merchant_is_emailed_once(
    client: FlaskClient, services: Services, clock: FrozenClock,
) -> None:
    shop, reference, resolution_id = _pending_push(services)
    signed_in(client, services, shop)
    jobs = client.get(f"/admin/{shop.slug}/jobs?lang=en").get_data(as_text=True)
    assert "Still not done at the shop" not in jobs

    clock.advance(minutes=16)
    jobs = client.get(f"/admin/{shop.slug}/jobs?lang=en").get_data(as_text=True)
    assert "Still not done at the shop: sending since" in jobs
    assert "the shop answered 503" in jobs
    assert schedule.run_due(services, is_wanted=lambda _p: False) == [f"stuck-push:{resolution_id}"]
    clock.advance(minutes=2)
    assert schedule.run_due(services, is_wanted=lambda _p: False) == []  # told once
    with services.uow() as uow:
        emails = list(uow.session.execute(select(EmailRow.subject, EmailRow.body)
                                          .where(EmailRow.to == "owner@boutique.example")))
    stuck = [(subject, body) for subject, body in emails if "toujours pas fait" in subject]
    assert len(stuck) == 1
    assert stuck[0][0] == f"Remboursement du retour {reference} toujours pas fait dans la boutique"
    assert "Prochain essai : 15/06/2026 10:10 UTC. Dernière erreur : the shop answered 503" in stuck[0][1]
