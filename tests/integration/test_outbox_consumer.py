"""The one outbox consumer: a kind gives its handler and limits; claim, retry, Retry-After and giving up are shared."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connector.bootstrap import Services
from connector.domain.shops import Shop
from connector.jobs.failures import list_failures
from connector.jobs.relay import OUTBOX_JOBS
from connector.persistence.unit_of_work import UnitOfWork
from connector.workflow import labels, merchant_webhooks, mirror, notifications, push
from connector.workflow.outbox import Failed, Finish, Limits, OutboxKind, consume
from tests import builders
from tests.conftest import FrozenClock


@dataclass
class Scripted:
    """A handler whose calls answer from a script: a value, or a Failed to raise."""

    answers: list[object]
    failures_seen: list[tuple[str, bool, datetime | None]] = field(default_factory=list)
    finish: Finish | None = None

    def prepare(self, svc: Services, uow: UnitOfWork, shop: Shop, subject_id: int) -> int | Finish:
        return self.finish or subject_id

    def call(self, svc: Services, shop: Shop, work: int) -> str:
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return str(answer)

    def record(self, svc: Services, uow: UnitOfWork, shop: Shop, work: int, result: str) -> str:
        return result

    def failed(self, svc: Services, uow: UnitOfWork, shop: Shop, work: int, failure: Failed, final: bool,
               next_try: datetime | None) -> str | None:
        self.failures_seen.append((failure.error, final, next_try))
        return None


def kind_of(handler: Scripted, max_attempts: int = 3, platform_holds: bool = False) -> OutboxKind[int, str]:
    return OutboxKind(task="scripted", queue="push", handler=handler,
                      limits=Limits(max_attempts=max_attempts, first=timedelta(seconds=10),
                                    longest=timedelta(minutes=1), platform_holds=platform_holds))


def a_row(services: Services, shop: Shop) -> int:
    with services.uow() as uow:
        item = uow.scope(shop).outbox.add("scripted", 42, services.clock.now())
        uow.commit()
    return item.id


def row_state(services: Services, outbox_id: int) -> tuple[str, int, str]:
    with services.uow() as uow:
        item = uow.all_outbox.get(outbox_id)
    assert item is not None
    return item.status, item.attempts, item.last_error


def test_a_row_is_retried_after_the_kinds_doubling_backoff_then_given_up_and_listed(
        services: Services, clock: FrozenClock) -> None:
    shop = builders.shop(services)
    outbox_id = a_row(services, shop)
    handler = Scripted([Failed("503"), Failed("503"), Failed("503")])
    kind = kind_of(handler)

    results, tried_at = [], []
    for _ in range(3):
        tried_at.append(clock.now())
        results.append(consume(services, outbox_id, kind))
        clock.advance(minutes=2)

    assert results == ["retry", "retry", "failed"]
    next_tries = [next_try for _e, _f, next_try in handler.failures_seen]
    assert next_tries == [tried_at[0] + timedelta(seconds=10), tried_at[1] + timedelta(seconds=20), None]
    assert [final for _e, final, _n in handler.failures_seen] == [False, False, True]
    assert row_state(services, outbox_id) == ("failed", 3, "503")
    assert [f.what for f in list_failures(services, shop.id)] == ["scripted #42"]


def test_a_refusal_is_given_up_at_once_and_a_success_marks_the_row_done(services: Services) -> None:
    shop = builders.shop(services)
    refused, fine = a_row(services, shop), a_row(services, shop)

    assert consume(services, refused, kind_of(Scripted([Failed("400", retryable=False)]))) == "failed"
    assert consume(services, fine, kind_of(Scripted(["sent"]))) == "sent"

    assert row_state(services, refused)[0] == "failed"
    assert row_state(services, fine)[0] == "done"
    assert consume(services, fine, kind_of(Scripted(["sent"]))) == "skipped"  # a repeat does nothing


def test_the_next_try_is_never_before_the_retry_after_asked(services: Services) -> None:
    shop = builders.shop(services)
    outbox_id = a_row(services, shop)
    handler = Scripted([Failed("429", retry_after=45)])

    assert consume(services, outbox_id, kind_of(handler, platform_holds=True)) == "retry"

    [(_error, _final, next_try)] = handler.failures_seen
    assert next_try == services.clock.now() + timedelta(seconds=45)
    # Every worker keeps quiet for this shop meanwhile: a run before then gives the row back uncounted.
    attempts = row_state(services, outbox_id)[1]
    assert consume(services, outbox_id, kind_of(Scripted(["pushed"]), platform_holds=True)) == "deferred"
    assert row_state(services, outbox_id)[1] == attempts


def test_an_unknown_exception_is_retried_and_nothing_is_called_when_prepare_finishes_the_row(
        services: Services) -> None:
    shop = builders.shop(services)
    crashing, finished = a_row(services, shop), a_row(services, shop)

    assert consume(services, crashing, kind_of(Scripted([RuntimeError("boom")]))) == "retry"
    assert row_state(services, crashing)[2] == "RuntimeError: boom"
    handler = Scripted([], finish=Finish("failed", "nothing can be done"))
    assert consume(services, finished, kind_of(handler)) == "failed"
    assert row_state(services, finished) == ("failed", 1, "nothing can be done")


def test_every_kind_of_outgoing_work_is_relayed_to_the_one_consumer() -> None:
    kinds = (push.KIND, mirror.KIND, merchant_webhooks.KIND, notifications.KIND, labels.KIND)

    assert {kind.task for kind in kinds} == set(OUTBOX_JOBS)
    assert all(OUTBOX_JOBS[kind.task][1] == kind.queue for kind in kinds)
