"""The outbox runner: the only code that makes Slack do what a committed change needs.

A task is claimed with a lease (renewed every third of it while it runs, so a dead worker's task is
taken over within one lease), run, and marked done with its result. A failure is tried again at once
with a short pause, then left to the sweep with a growing pause. A re-armed task ("render from the
current state") runs again when it was re-armed during its run, so the last render reads the last commit.
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
from bot.domain.outbox import MAX_ATTEMPTS, ClaimedTask, retry_pause

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
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def start(self) -> None:
        """Renew the leases of running tasks until stopped."""
        self._heartbeat = threading.Thread(target=self._renew_loop, name="bcbot-outbox-lease", daemon=True)
        self._heartbeat.start()

    def stop(self) -> None:
        self._stop.set()

    def kick(self, subject: str) -> None:
        """Start whatever tasks of `subject` are ready (their dependency done, nobody holding them)."""
        with self._bot.uow(read_only=True) as uow:
            names = uow.outbox.ready(subject, wall_clock(), MAX_ATTEMPTS)
        for name in names:
            self._submit(partial(self._run, subject, name))

    def kick_all(self, subjects: set[str]) -> None:
        for subject in sorted(subjects):
            self.kick(subject)

    def sweep(self) -> int:
        """Take over what a dead worker left, and what waited out its retry pause."""
        with self._bot.uow(read_only=True) as uow:
            subjects = uow.outbox.subjects_ready(wall_clock(), MAX_ATTEMPTS, SWEEP_LIMIT)
        for subject in subjects:
            self.kick(subject)
        return len(subjects)

    def _claim(self, subject: str, name: str) -> ClaimedTask | None:
        now = wall_clock()
        with self._bot.uow() as uow:
            claimed = uow.outbox.claim(subject, name, self.worker_id, now, now + self._lease, MAX_ATTEMPTS)
            uow.commit()
        return claimed

    def _run(self, subject: str, name: str) -> None:
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
        self.kick(subject)  # whatever waited on this task

    def _attempt(self, claimed: ClaimedTask) -> bool | None:
        """Run the task (with short inline retries). True: done; False: re-armed meanwhile; None: failed."""
        function = self._tasks.get(claimed.kind)
        error = f"unknown task kind {claimed.kind!r}"
        if function is not None:
            retry = claimed.attempts > 1
            for pause in (*INLINE_PAUSES_S, None):
                try:
                    result = function(TaskContext(self._bot, claimed, retry)) or {}
                except Exception as exc:  # any failure is retried; the task looks before it acts again
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    log.warning("outbox task %s %s failed: %s", claimed.subject, claimed.name, error)
                    if pause is None or self._stop.is_set():
                        break
                    time.sleep(pause)
                    retry = True
                    continue
                with self._bot.uow() as uow:
                    finished = uow.outbox.done(claimed, self.worker_id, wall_clock(), result)
                    uow.commit()
                return finished
        now = wall_clock()
        given_up = function is None or claimed.attempts >= MAX_ATTEMPTS
        with self._bot.uow() as uow:
            uow.outbox.failed(claimed, self.worker_id, error, None if given_up else now + retry_pause(claimed.attempts),
                              give_up=given_up)
            uow.commit()
        if given_up:
            log.error("outbox task %s %s given up after %d attempts: %s", claimed.subject, claimed.name,
                      claimed.attempts, error)
        return None

    def _renew_loop(self) -> None:
        every = max(self._lease.total_seconds() / 3, 0.2)
        while not self._stop.wait(every):
            with self._lock:
                ids = list(self._running)
            if not ids:
                continue
            try:
                with self._bot.uow() as uow:
                    uow.outbox.renew(ids, self.worker_id, wall_clock() + self._lease)
                    uow.commit()
            except Exception as exc:  # a busy database: the next beat tries again, well within the lease
                log.warning("could not renew outbox leases: %s", exc)
