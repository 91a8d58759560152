"""`returns-connector worker`: an RQ worker on every queue, beside the relay thread, that outlives Redis.

The worker model is RQ's SimpleWorker: jobs run in this process, one at a time, no fork
per job. Why not RQ's forking Worker: a work-horse forked per job inherited the parent's
database and Redis connections (the stalls of issue 11), paid a fork and a new
PostgreSQL connection for every job (3 to 5 deliveries a second), and its horse monitor
quit the worker when Redis went away. Our jobs are short, idempotent and carry their
own timeouts (RQ's SIGALRM death penalty works in the main thread without a fork), so
isolation by fork buys nothing here. The only process RQ still forks is its scheduler,
which opens its own Redis pool; `connector.persistence.database` drops any inherited
database pool in every forked child anyway. Redis clients (redis-py) check the pid and
open new connections after a fork by themselves.

RQ's work loop quits on any Redis error; `run_worker` supervises it: it waits for Redis
with a capped backoff, logs once when Redis goes and once when it returns, and starts a
fresh RQ worker. It returns only on a stop request (SIGTERM/SIGINT) or in burst mode, and
raises ConfigurationError for what no retry can fix (a refused password, a bad URL).
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Sequence
from types import FrameType

import redis.exceptions
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from connector.bootstrap import Services
from connector.jobs.queues import QUEUE_NAMES, RedisJobQueue, bind_services
from connector.jobs.relay import run_relay

log = logging.getLogger(__name__)

# Redis that is away: first wait, growth factor, longest wait between two tries.
RETRY_FIRST, RETRY_FACTOR, RETRY_MAX = 0.5, 2.0, 10.0


class ConfigurationError(RuntimeError):
    """What a retry cannot fix: the worker exits with it."""


class _OncePerOutage(logging.Filter):
    """RQ logs every reconnection try ("could not connect to Redis instance ... retrying") and
    a traceback when its scheduler loses Redis. The relay and `run_worker` say once that Redis
    is away and once that it is back; this keeps the first of RQ's lines of an outage only."""

    def __init__(self) -> None:
        super().__init__()
        self.quiet = False

    def filter(self, record: logging.LogRecord) -> bool:
        lost = "could not connect to Redis" in record.getMessage() or (
            record.exc_info is not None and isinstance(record.exc_info[1], redis.exceptions.ConnectionError))
        if not lost:
            self.quiet = False  # RQ is working again: the next outage is told once more
            return True
        if self.quiet:
            return False
        self.quiet = True
        if record.exc_info is not None:
            record.msg, record.args, record.exc_info, record.exc_text = (
                f"{record.getMessage()} (Redis unreachable: {record.exc_info[1]})", None, None, None)
        return True


_ONCE = _OncePerOutage()
for _name in ("rq.worker", "rq.scheduler"):
    logging.getLogger(_name).addFilter(_ONCE)


def _redis_problem(connection: object) -> str:
    """'' when Redis answers; else why not. ConfigurationError for a refused password."""
    try:
        connection.ping()  # type: ignore[attr-defined]
    except redis.exceptions.AuthenticationError as exc:
        raise ConfigurationError(f"Redis refused the credentials of REDIS_URL: {exc}") from exc
    except redis.exceptions.ResponseError as exc:
        if "NOAUTH" in str(exc) or "WRONGPASS" in str(exc):
            raise ConfigurationError(f"Redis refused the credentials of REDIS_URL: {exc}") from exc
        return f"{type(exc).__name__}: {exc}"
    except (redis.exceptions.RedisError, OSError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return ""


def run_worker(svc: Services, *, burst: bool = False, relay: bool = True, fork: bool = False,
               scheduler: bool = True, queues: Sequence[str] = QUEUE_NAMES,
               stop: threading.Event | None = None) -> bool:
    """Work the queues (webhooks first: intake must never wait behind a slow sync) until stopped.

    `fork=True` runs each job in a forked RQ work-horse (kept for comparison; see above).
    `scheduler=False` leaves delayed retries to another worker (tests on fakeredis, which
    runs no Lua). `stop` ends the worker from another thread (tests); SIGTERM and SIGINT
    end it as RQ's own warm shutdown does.
    """
    queue = svc.queue
    if not isinstance(queue, RedisJobQueue):
        raise ConfigurationError("the RQ worker needs REDIS_URL")
    unknown = [name for name in queues if name not in QUEUE_NAMES]
    if unknown or not queues:
        raise ConfigurationError(f"unknown queue(s) {unknown}; the queues are {', '.join(QUEUE_NAMES)}")
    stop = stop or threading.Event()
    job_class = bind_services(svc)
    relay_stop = threading.Event()
    if relay:
        threading.Thread(target=run_relay, args=(svc, relay_stop), name="relay", daemon=True).start()
    previous = _stop_on_signals(stop) if threading.current_thread() is threading.main_thread() else {}
    worked = False
    wait = RETRY_FIRST
    down_since_logged = False
    try:
        while not stop.is_set():
            problem = _redis_problem(queue.connection)
            if problem:
                if not down_since_logged:
                    log.warning("Redis is unreachable (%s); the worker waits for it and resumes by itself", problem)
                    down_since_logged = True
                stop.wait(wait)
                wait = min(RETRY_MAX, wait * RETRY_FACTOR)
                continue
            if down_since_logged:
                log.warning("Redis is back; the worker resumes")
                down_since_logged = False
            wait = RETRY_FIRST
            worker_class = Worker if fork else SimpleWorker
            # Its jobs are called with this process's services (built once, by the caller).
            worker = worker_class([queue.queue(name) for name in queues], connection=queue.connection,
                                  serializer=JSONSerializer, job_class=job_class)
            watcher = _forward_stop(stop, worker)
            try:
                # The scheduler is what runs RQ's delayed retries (backoff with jitter).
                worked = bool(worker.work(burst=burst, with_scheduler=scheduler)) or worked
            except (redis.exceptions.RedisError, OSError) as exc:
                # Raised outside RQ's loop (registering, tearing down): the same as a quit.
                log.debug("RQ worker ended on %s", exc)
            finally:
                watcher.set()
                if previous:
                    _stop_on_signals(stop)  # RQ's handlers belong to the worker that ended
            # A SIGTERM/SIGINT goes to RQ's handler while it works, which notes when (whether
            # the worker was busy or idle): that is a stop request, not a quit on Redis.
            if burst or stop.is_set() or worker._stop_requested or worker._shutdown_requested_date:
                break
            # RQ quit its loop without a stop request: Redis went away (it logged why).
            # Back to the top, after a pause (never a busy loop): wait for Redis, a fresh RQ worker.
            stop.wait(RETRY_FIRST)
        return worked
    finally:
        relay_stop.set()
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_on_signals(stop: threading.Event) -> dict[int, signal.Handlers | int | None]:
    """While no RQ worker runs (Redis away), SIGTERM/SIGINT still end the worker at once.

    RQ installs its own handlers while it works (a warm shutdown that finishes the job);
    these are the ones in force between two RQ workers.
    """
    previous: dict[int, signal.Handlers | int | None] = {}

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    for signum in (signal.SIGTERM, signal.SIGINT):
        previous[signum] = signal.getsignal(signum)  # type: ignore[assignment]
        signal.signal(signum, handler)
    return previous


def _forward_stop(stop: threading.Event, worker: Worker | SimpleWorker) -> threading.Event:
    """A stop set from another thread asks the RQ worker for a warm shutdown."""
    done = threading.Event()
    in_main = threading.current_thread() is threading.main_thread()  # where RQ's handlers run

    def watch() -> None:
        while not done.wait(0.2):
            if stop.is_set():
                if worker._shutdown_requested_date is None and in_main:
                    # RQ's own warm shutdown: it finishes a running job, or leaves its wait for one at once.
                    os.kill(os.getpid(), signal.SIGTERM)
                worker._stop_requested = True
                return

    threading.Thread(target=watch, name="stop-watch", daemon=True).start()
    return done


# One process per lane, so a slow job of one kind never holds up another kind: a webhook
# burst is not stuck behind an hour-long sync, a push not behind a burst. The relay (and
# the periodic sweep) runs in the first lane's process only.
LANES: tuple[tuple[str, ...], ...] = (("webhooks",), ("push", "notify"), ("sync",))
CONFIGURATION_EXIT = 78  # EX_CONFIG: a lane that cannot start; the worker exits with it
RESTART_AFTER = 2.0


def run_lanes(svc: Services, lanes: Sequence[Sequence[str]] = LANES, *, relay: bool = True) -> int:
    """`returns-connector worker`: one supervised process per lane; returns an exit status.

    Each lane is forked from this process before any thread starts; the child drops the
    database and Redis connections it inherited (connector.persistence.database,
    redis-py's pid check) and opens its own. A lane that dies is started again after
    RESTART_AFTER seconds; one that exits with a configuration error stops the worker.
    A stop (SIGTERM/SIGINT to this process, or this process dying, even by SIGKILL)
    reaches every lane through a pipe they watch, and each finishes its job first (RQ's
    warm shutdown); a signal sent to the whole process group reaches them directly too.
    """
    if not isinstance(svc.queue, RedisJobQueue):
        raise ConfigurationError("the RQ worker needs REDIS_URL")
    children: dict[int, tuple[str, ...]] = {}
    stopping = threading.Event()
    alive_read, alive_write = os.pipe()  # closed by this process when the lanes must stop

    def start(lane: tuple[str, ...], with_relay: bool) -> None:
        pid = os.fork()
        if pid == 0:  # the lane's process
            os.close(alive_write)
            os._exit(_lane(svc, lane, with_relay, alive_read))
        children[pid] = lane
        log.info("worker lane %s started as process %s", ",".join(lane), pid)

    def stop_lanes(_signum: int, _frame: FrameType | None) -> None:
        if not stopping.is_set():
            stopping.set()
            os.close(alive_write)

    previous = {signum: signal.signal(signum, stop_lanes) for signum in (signal.SIGTERM, signal.SIGINT)}
    status = 0
    first = tuple(lanes[0])
    try:
        for lane in lanes:
            start(tuple(lane), relay and tuple(lane) == first)
        while children:
            pid, code = os.wait()
            lane = children.pop(pid, ())
            if not lane or stopping.is_set():
                continue
            exit_code = os.waitstatus_to_exitcode(code)
            if exit_code == CONFIGURATION_EXIT:
                status = CONFIGURATION_EXIT
                stop_lanes(signal.SIGTERM, None)
                continue
            log.warning("worker lane %s (process %s) ended with %s; starting it again", ",".join(lane), pid,
                        exit_code)
            time.sleep(RESTART_AFTER)
            if not stopping.is_set():
                start(lane, relay and lane == first)
        return status
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        stop_lanes(signal.SIGTERM, None)
        os.close(alive_read)


def _lane(svc: Services, lane: tuple[str, ...], relay: bool, alive_read: int) -> int:
    """A lane's process: its RQ worker until the supervisor says stop (or is gone); an exit status."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    stop = threading.Event()

    def watch_supervisor() -> None:
        try:
            os.read(alive_read, 1)  # returns at the pipe's end: a stop, or the supervisor died
        finally:
            stop.set()

    threading.Thread(target=watch_supervisor, name="supervisor-watch", daemon=True).start()
    try:
        run_worker(svc, queues=lane, relay=relay, stop=stop)
    except ConfigurationError as exc:
        log.error("worker lane %s: %s", ",".join(lane), exc)
        return CONFIGURATION_EXIT
    except BaseException:
        log.exception("worker lane %s ended", ",".join(lane))
        return 1
    return 0
