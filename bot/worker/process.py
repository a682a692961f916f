"""Slow work in a process of its own, so that acks never wait for it.

A Bolt listener acks on a request thread; everything after the ack (Slack Web API calls, checklist
renders, set-up, reminder sweeps) used to run on threads of the same process and so competed with
the acks for the one GIL. `bcbot serve` now hands that work to a worker process at a lower CPU
priority: the serving process does little but verify, parse, record and ack. Work travels as a
typed view request (bot.domain.commands) and whom to tell: plain data, never a function.

The worker is a fresh interpreter running `bot.worker.main`, talking over two pipes (its settings
arrive as the first message, never in its arguments or environment). It dies with the process that started it (a crash
of the server is a crash of both: the outbox resumes set-up on the next start, as it always did), and
a worker that dies is started again, running the start-up jobs (outbox, reminder sweep) once more.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable

from bot.domain.commands import ReplyTo, ViewRequest
from bot.worker.acks_first import AckSignal

log = logging.getLogger("bcbot.worker")
NICENESS = 10  # below the serving process: on a busy machine the acks get the CPU first
RESTART_PAUSE_S = 1  # before replacing a dead worker; doubles while workers keep dying young
MAX_RESTART_PAUSE_S = 60
START_TIMEOUT_S = 60
SOURCE_ROOT = str(Path(__file__).resolve().parents[2])  # where `bot` was imported from, installed or not
# The worker's first lines: the same `bot` as the server's, without putting the source root ahead of
# the standard library when it is already on the path (an installed bcbot: site-packages).
_BOOT = ("import sys; root = sys.argv[1]; root in sys.path or sys.path.insert(0, root); "
         "from bot.runtime.main import main; main(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]))")
MODAL_WORKERS = 128  # views.open calls in flight: a burst of /activate at 1.5 s a call (bench/README.md)


class WorkerProcess:
    """The serving process's handle on the worker: submit work, wait until idle, stop.

    Submitting never blocks a request thread: messages go on a queue that a sender thread writes to
    the pipe. One supervisor thread starts the worker, reads its answers and replaces it when it dies
    (after a pause that grows while it keeps dying young, so a worker that cannot start does not spin)."""

    def __init__(self, settings, *, identity: tuple[str | None, str | None], version_ids: dict[str, int],
                 scheduler: bool, on_incidents_changed: Callable[[], None] = lambda: None,
                 on_plans_changed: Callable[[dict[str, int]], None] = lambda version_ids: None):
        self._args = (os.getpid(), settings, identity, dict(version_ids), scheduler, logging.getLogger().level)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._replaced = threading.Condition()  # guards _conn, process, _stopping
        self._answers: dict[int, tuple[threading.Event, list]] = {}
        self._ids = itertools.count(1)
        self._stopping = False
        self._on_incidents_changed = on_incidents_changed
        self._on_plans_changed = on_plans_changed
        self.acks = AckSignal()  # the requests being answered: the worker's work waits for a burst to pass
        self.restarts = 0
        self.process: subprocess.Popen[bytes] | None = None  # set (with _conn) before __init__ returns
        self._conn: Connection | None = None
        # One long-lived thread starts every worker and reads from it: Linux's parent-death signal
        # follows the thread that started a process, so that thread must outlive the worker.
        self._supervisor = threading.Thread(target=self._supervise, name="bcbot-worker-supervisor", daemon=True)
        self._supervisor.start()
        with self._replaced:
            if not self._replaced.wait_for(lambda: self.process is not None, START_TIMEOUT_S):
                raise RuntimeError(f"the worker process did not start in {START_TIMEOUT_S} s (see the log)")
        threading.Thread(target=self._send_loop, name="bcbot-worker-sender", daemon=True).start()

    def _start(self) -> tuple[Connection, subprocess.Popen[bytes]]:
        """A fresh interpreter running the same code as this one, whatever its working directory holds
        (-P: no cwd on sys.path). It stays in the server's session: a session of its own would be a
        scheduler autogroup of its own on Linux, and its nice value would no longer yield to the server."""
        jobs_read, jobs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        try:
            process = subprocess.Popen(
                [sys.executable, "-P", "-c", _BOOT, SOURCE_ROOT, str(jobs_read), str(answers_write),
                 str(self.acks.fileno)],
                pass_fds=(jobs_read, answers_write, self.acks.fileno), stdin=subprocess.DEVNULL)
        except BaseException:
            for fd in (jobs_write, answers_read):
                os.close(fd)
            raise
        finally:
            os.close(jobs_read)
            os.close(answers_write)
        jobs, answers = Connection(jobs_write, readable=False), Connection(answers_read, writable=False)
        try:
            jobs.send(self._args)  # may wait for the worker to read it (thousands of plans' version IDs)
        except BaseException:
            jobs.close()
            answers.close()
            process.kill()
            process.wait(5)
            raise
        with self._replaced:
            if self._stopping:  # stop() came while this one started: it never serves
                jobs.close()
                process.kill()
            self._conn, self.process, self._started = jobs, process, time.monotonic()
            self._replaced.notify_all()
        return answers, process

    # The serving side -----------------------------------------------------------------------
    def submit(self, request: ViewRequest, reply_to: ReplyTo | None, *, urgent: bool) -> None:
        # Pickled here, on the request thread: work that cannot travel fails in its listener (and the
        # person is told), not later in the sender, where it would hold up the work behind it.
        self._queue.put(("task", pickle.dumps((request, reply_to, urgent), pickle.HIGHEST_PROTOCOL)))

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once the worker has finished everything sent to it so far (and what that started)."""
        if self._stopping:
            return not self.alive()
        return bool(self._ask("idle", timeout, wait=timeout + 5))

    def pending(self) -> int:
        """Jobs queued or running in the worker."""
        return int(self._ask("pending", 0, wait=10) or 0)

    def _current(self) -> subprocess.Popen[bytes]:
        process = self.process
        assert process is not None  # __init__ waits for the first worker
        return process

    def alive(self) -> bool:
        return self._current().poll() is None

    def stop(self, timeout: float = 30) -> None:
        """Let the worker finish what it has (it is sent `stop` after everything queued), then end it."""
        with self._replaced:
            self._stopping = True
            self._replaced.notify_all()
        self._queue.put(("stop",))
        try:
            self._current().wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop in %s s; killing it", timeout)
        self._supervisor.join(10)
        with self._replaced:
            process = self._current()
        if process.poll() is None:  # whichever process is current now, replacement included
            process.kill()
            process.wait(5)
        self.acks.close()

    def _ask(self, question: str, argument, *, wait: float):
        number = next(self._ids)
        done = threading.Event()
        answer: list[object] = []
        self._answers[number] = (done, answer)
        try:
            self._queue.put(("ask", number, question, argument))
            done.wait(wait)
            return answer[0] if answer else None
        finally:
            self._answers.pop(number, None)

    def _send_loop(self) -> None:
        while True:
            batch = [self._queue.get()]  # and whatever queued up meanwhile: one write for a burst
            while batch[-1][0] != "stop":
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            while True:
                with self._replaced:
                    conn = self._conn
                assert conn is not None  # set before this thread starts, and only ever replaced
                try:
                    conn.send(batch)
                    break
                except (OSError, EOFError, ValueError, TypeError):  # the worker died: wait for its replacement
                    with self._replaced:
                        if self._stopping:
                            return
                        if self._conn is conn:
                            self._replaced.wait(1)
                except Exception:  # never let one bad batch stop the sender (and all work after it)
                    log.exception("could not send %d job(s) to the worker; they were dropped", len(batch))
                    break
            if batch[-1][0] == "stop":
                return

    def _supervise(self) -> None:
        """Start the worker, read its answers until it exits, and start another unless stopping.
        Nothing may end this thread early: its end would also kill the worker (parent-death signal)."""
        pause = RESTART_PAUSE_S
        while True:
            with self._replaced:
                if self._stopping:
                    return
            try:
                answers, process = self._start()
            except Exception:
                log.exception("could not start the worker process; trying again in %s s", pause)
                time.sleep(pause)
                pause = min(pause * 2, MAX_RESTART_PAUSE_S)
                continue
            self._read_answers(answers)
            answers.close()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:  # it closed its pipe but lingers: make sure it is gone
                process.kill()
                process.wait(5)
            with self._replaced:
                if self._stopping:
                    return
            lived = time.monotonic() - self._started
            pause = RESTART_PAUSE_S if lived > MAX_RESTART_PAUSE_S else pause
            log.error("the worker process exited (code %s) after %.0f s: starting a new one in %s s; set-up it had "
                      "not finished resumes from the outbox, other work in hand was lost",
                      process.returncode, lived, pause)
            for done, _ in list(self._answers.values()):
                done.set()  # questions to the dead worker get no answer
            time.sleep(pause)
            pause = min(pause * 2, MAX_RESTART_PAUSE_S)
            self.restarts += 1

    def _read_answers(self, answers: Connection) -> None:
        while True:
            try:
                kind, number, value = answers.recv()
            except (EOFError, OSError):
                return
            if kind == "changed":  # the worker committed a change to an incident
                self._on_incidents_changed()
            elif kind == "plans":  # the worker serves other plan versions now (the plan files changed)
                self._on_plans_changed(value)
            elif kind == "answer" and number in self._answers:
                done, answer = self._answers[number]
                answer.append(value)
                done.set()
