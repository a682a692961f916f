"""The outbox runner: the only code that makes Slack do what a committed change needs.

A task is claimed with a lease (renewed every third of it while it runs, so a dead worker's task is
taken over within one lease), run, and marked done with its result. A failure is tried again at once
with a short pause, then left to the sweep with a growing pause, for as long as Slack is away. A refusal
that retrying cannot fix (an archived channel, a deactivated user, blocks Slack rejects) is held at once,
never retried, and the person whose action it served is told (see docs/durable-road.md). A re-armed task
("render from the current state") runs again when it was re-armed during its run, so the last render reads
the last commit.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable, Mapping

from bot.bcbot import Bcbot
from bot.domain.errors import Later, RateLimited, SlackRefused, SlackUnavailable
from bot.domain.outbox import MAX_ATTEMPTS, TELL_HELD, ClaimedTask, refused_for_good, retry_pause
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.usecases.access import plan_of

log = logging.getLogger("bcbot.outbox")
INLINE_PAUSES_S = (0.5, 1.5)  # a passing Slack error is tried again at once before the sweep takes over
SWEEP_LIMIT = 200


def wall_clock() -> datetime:
    """Leases and retry pauses follow real time, whatever the bot's business clock says (tests fake it)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class TaskContext:
    """What a task function is handed."""

    bot: Bcbot
    task: ClaimedTask
    retry: bool  # an earlier attempt may have acted: look for its post before posting again

    @property
    def args(self) -> dict:
        return self.task.args

    @property
    def subject_id(self) -> int | str:
        return self.task.subject_id

    def incident_and_plan(self) -> tuple[Incident, Plan]:
        """The task's incident (its subject) and the plan version it runs, read at once: tasks never wait
        for another's write lock to read."""
        with self.bot.uow(read_only=True) as uow:
            incident = uow.incidents.get(int(self.subject_id))
            return incident, plan_of(self.bot, uow, incident.plan_version_id)

    def result_of(self, name: str) -> dict | None:
        """The stored result of another (done) task of the same subject."""
        with self.bot.uow(read_only=True) as uow:
            return uow.outbox.result_of(self.task.subject, name)


TaskFunction = Callable[[TaskContext], dict | None]


class OutboxRunner:
    def __init__(self, bot: Bcbot, tasks: Mapping[str, TaskFunction], *, submit: Callable[[Callable[[], object]], None],
                 lease_seconds: float):
        self._bot = bot
        self._tasks = tasks
        self._submit = submit
        self._lease = timedelta(seconds=lease_seconds)
        self.worker_id = f"{uuid.uuid4().hex[:12]}"
        self._running: dict[int, ClaimedTask] = {}
        # (subject, name) handed to a thread and not yet started: a subject with hundreds of ready tasks (a roll
        # call's DMs) is kicked after each of them, and each kick would queue all of them again.
        self._queued: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.clock: Callable[[], datetime] = wall_clock  # leases and retry pauses (a test may move it by hand)
        self.inline_pauses: tuple[float, ...] = INLINE_PAUSES_S

    def start(self) -> None:
        """Renew the leases of running tasks until stopped."""
        self._heartbeat = threading.Thread(target=self._renew_loop, name="bcbot-outbox-lease", daemon=True)
        self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()

    def kick(self, subject: str) -> None:
        """Start whatever tasks of `subject` are ready (their dependency done, nobody holding them)."""
        with self._bot.uow(read_only=True) as uow:
            names = uow.outbox.ready(subject, self.clock())
        for name in names:
            with self._lock:
                if (subject, name) in self._queued:
                    continue
                self._queued.add((subject, name))
            self._submit(partial(self._run, subject, name))

    def kick_all(self, subjects: set[str]) -> None:
        for subject in sorted(subjects):
            self.kick(subject)

    def sweep(self) -> int:
        """Take over what a dead worker left, and what waited out its retry pause: one subject's tasks one
        at a time, oldest first, so that after an outage they go out in the order they were owed."""
        with self._bot.uow(read_only=True) as uow:
            subjects = uow.outbox.subjects_ready(self.clock(), SWEEP_LIMIT)
        for subject in subjects:
            self._submit(partial(self._drain, subject))
        return len(subjects)

    def _drain(self, subject: str) -> None:
        last = None
        while True:  # a task that fails holds back the newer ones (see _ready): the loop ends there
            with self._bot.uow(read_only=True) as uow:
                names = uow.outbox.ready(subject, self.clock())
            if not names or names[0] == last:
                return
            last = names[0]
            self._run(subject, last, kick_after=False)

    def _claim(self, subject: str, name: str) -> ClaimedTask | None:
        now = self.clock()
        with self._bot.uow() as uow:
            claimed = uow.outbox.claim(subject, name, self.worker_id, now, now + self._lease)
            uow.commit()
        return claimed

    def _run(self, subject: str, name: str, *, kick_after: bool = True) -> None:
        """Run the task (again if it was re-armed meanwhile), then start what waited on it."""
        with self._lock:
            self._queued.discard((subject, name))
        claimed = self._claim(subject, name)
        while claimed is not None:
            with self._lock:
                self._running[claimed.id] = claimed
            try:
                finished = self._attempt(claimed)
            finally:
                with self._lock:
                    self._running.pop(claimed.id, None)
            if finished is None:  # failed: the sweep tries again after its pause
                return
            # Re-armed while it ran: render again from what is committed now.
            claimed = None if finished else self._claim(subject, name)
        if kick_after:
            self.kick(subject)  # whatever waited on this task

    def _attempt(self, claimed: ClaimedTask) -> bool | None:
        """Run the task (with short inline retries). True: done; False: re-armed meanwhile; None: failed."""
        function = self._tasks.get(claimed.kind)
        error, slack_away = f"unknown task kind {claimed.kind!r}", False
        if function is not None:
            retry = claimed.attempts > 1
            for pause in (*self.inline_pauses, None):
                try:
                    result = function(TaskContext(self._bot, claimed, retry)) or {}
                except (Later, RateLimited) as exc:  # not a failure: rescheduled, no thread waits for it
                    self._defer(claimed, exc.seconds)
                    return None
                except SlackRefused as exc:
                    if refused_for_good(exc.code):  # retrying cannot fix it: held, and the person told
                        self._hold(claimed, exc)
                        return None
                    error, slack_away = f"{type(exc).__name__}: {exc}"[:2000], True
                except Exception as exc:  # any other failure is retried; the task looks before it acts again
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    slack_away = isinstance(exc, SlackUnavailable)
                else:
                    with self._bot.uow() as uow:
                        finished = uow.outbox.done(claimed, self.worker_id, self.clock(), result)
                        uow.commit()
                    return finished
                log.warning("outbox task %s %s failed: %s", claimed.subject, claimed.name, error)
                if pause is None or self._stop.is_set():
                    break
                time.sleep(pause)
                retry = True
        # Slack being away is waited out, however long; anything else (a bug, bad data) has a limit.
        given_up = function is None or (not slack_away and claimed.attempts >= MAX_ATTEMPTS)
        with self._bot.uow() as uow:
            uow.outbox.failed(claimed, self.worker_id, error,
                              None if given_up else self.clock() + retry_pause(claimed.attempts))
            uow.commit()
        if given_up:
            log.error("outbox task %s %s given up after %d attempts: %s", claimed.subject, claimed.name,
                      claimed.attempts, error)
        return None

    def _defer(self, claimed: ClaimedTask, seconds: float) -> None:
        with self._bot.uow() as uow:
            uow.outbox.defer(claimed, self.worker_id, self.clock() + timedelta(seconds=seconds))
            uow.commit()
        # A timer rings the doorbell when the time comes (the sweep would find it too, a little later).
        timer = threading.Timer(seconds + 0.01, self._kick_later, args=(claimed.subject,))
        timer.daemon = True
        timer.start()

    def _kick_later(self, subject: str) -> None:
        if self._stop.is_set():
            return
        try:
            self.kick(subject)
        except Exception as exc:  # shutting down (the pool is closed) or the database away: the sweep looks
            log.info("outbox: a deferred task of %s is left to the sweep: %s", subject, type(exc).__name__)

    def _hold(self, claimed: ClaimedTask, exc: SlackRefused) -> None:
        now = self.clock()
        with self._bot.uow() as uow:
            mine = uow.outbox.hold(claimed, self.worker_id, f"{type(exc).__name__}: {exc}", code=exc.code,
                                   channel=exc.channel, now=now)
            if mine and claimed.kind != TELL_HELD:  # words that cannot be delivered are not told about
                uow.outbox.owe_held_tells(claimed.subject, exc.code, exc.channel, claimed.intent_id, claimed.actor, now)
            uow.commit()
        log.warning("outbox task %s %s held: Slack answered %s%s", claimed.subject, claimed.name, exc.code,
                    f" for channel {exc.channel}" if exc.channel else "")

    def _renew_loop(self) -> None:
        every = max(self._lease.total_seconds() / 3, 0.2)
        while not self._stop.wait(every):
            with self._lock:
                ids = list(self._running)
            if not ids:
                continue
            try:
                with self._bot.uow() as uow:
                    uow.outbox.renew(ids, self.worker_id, self.clock() + self._lease)
                    uow.commit()
            except Exception as exc:  # a busy database: the next beat tries again, well within the lease
                log.warning("could not renew outbox leases: %s", exc)
