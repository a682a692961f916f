"""Slow work in a process of its own, so that acks never wait for it.

A Bolt listener acks on a request thread; everything after the ack (Slack Web API calls, checklist
renders, set-up, reminder sweeps) used to run on threads of the same process and so competed with
the acks for the one GIL. `bcbot serve` now hands that work to a worker process at a lower CPU
priority: the serving process does little but verify, parse, record and ack. Work travels as
(use case, keyword arguments, teller): plain picklable data, never a closure.

The worker is `python -m bot.worker`, talking over two pipes (its settings arrive as the first
message, never in its arguments or environment). It dies with the process that started it (a crash
of the server is a crash of both: the outbox resumes set-up on the next start, as it always did), and
a worker that dies is started again, running the start-up jobs (outbox, reminder sweep) once more.
"""
from __future__ import annotations

import itertools
import logging
import os
import pickle
import queue
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Callable

from bot.runtime import Background, Teller, freeze_startup_objects

log = logging.getLogger("bcbot.worker")
NICENESS = 10  # below the serving process: on a busy machine the acks get the CPU first
RESTART_PAUSE_S = 2
MODAL_WORKERS = 32


class WorkerProcess:
    """The serving process's handle on the worker: submit work, wait until idle, stop.

    Submitting never blocks a request thread: messages go on a queue that a sender thread writes to
    the pipe, and a worker that has died is replaced by the reader thread (after a short pause if it
    died young, so a worker that cannot start does not spin)."""

    def __init__(self, settings, *, identity: tuple[str | None, str | None], version_ids: dict[str, int],
                 scheduler: bool, on_incidents_changed: Callable[[], None] = lambda: None):
        self._args = (os.getpid(), settings, identity, dict(version_ids), scheduler, logging.getLogger().level)
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._replaced = threading.Condition()
        self._answers: dict[int, tuple[threading.Event, list]] = {}
        self._ids = itertools.count(1)
        self._stopping = False
        self._on_incidents_changed = on_incidents_changed
        self.restarts = 0
        self.process = None
        # One long-lived thread starts every worker and reads from it: Linux's parent-death signal
        # follows the thread that started a process, so that thread must outlive the worker.
        threading.Thread(target=self._supervise, name="bcbot-worker-supervisor", daemon=True).start()
        with self._replaced:
            self._replaced.wait_for(lambda: self.process is not None)
        threading.Thread(target=self._send_loop, name="bcbot-worker-sender", daemon=True).start()

    def _start(self) -> None:
        """A fresh interpreter (nothing half-copied from a threaded parent, no re-import of __main__)."""
        jobs_read, jobs_write = os.pipe()
        answers_read, answers_write = os.pipe()
        source = str(Path(__file__).resolve().parent.parent)  # where `bot` is, installed or not
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (source, os.environ.get("PYTHONPATH")) if p))
        process = subprocess.Popen([sys.executable, "-m", "bot.worker", str(jobs_read), str(answers_write)],
                                   pass_fds=(jobs_read, answers_write), env=env, stdin=subprocess.DEVNULL)
        os.close(jobs_read)
        os.close(answers_write)
        jobs, answers = Connection(jobs_write, readable=False), Connection(answers_read, writable=False)
        jobs.send(self._args)
        with self._replaced:
            self._conn, self._answers_conn, self.process, self._started = jobs, answers, process, time.monotonic()
            self._replaced.notify_all()

    # The serving side -----------------------------------------------------------------------
    def submit(self, use_case: Callable, kwargs: dict, *, tell: Teller | None, urgent: bool) -> None:
        # Pickled here, on the request thread: work that cannot travel fails in its listener (and the
        # person is told), not later in the sender, where it would hold up the work behind it.
        self._queue.put(("task", pickle.dumps((use_case, kwargs, tell, urgent), pickle.HIGHEST_PROTOCOL)))

    def wait_idle(self, timeout: float = 10) -> bool:
        """True once the worker has finished everything sent to it so far (and what that started)."""
        if self._stopping:
            return not self.alive()
        return bool(self._ask("idle", timeout, wait=timeout + 5))

    def pending(self) -> int:
        """Jobs queued or running in the worker."""
        return int(self._ask("pending", 0, wait=10) or 0)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 30) -> None:
        self._stopping = True
        self._queue.put(("stop",))
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("the worker process did not stop in %s s; killing it", timeout)
            self.process.kill()
            self.process.wait(5)

    def _ask(self, question: str, argument, *, wait: float):
        number = next(self._ids)
        done, answer = threading.Event(), []
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
                try:
                    conn.send(batch)
                    break
                except (OSError, EOFError, ValueError):  # the worker died: wait for the reader to replace it
                    if self._stopping:
                        return
                    with self._replaced:
                        if self._conn is conn:
                            self._replaced.wait(1)
                except Exception:  # never let one bad batch stop the sender (and all work after it)
                    log.exception("could not send %d job(s) to the worker; they were dropped", len(batch))
                    break
            if batch[-1][0] == "stop":
                return

    def _supervise(self) -> None:
        """Start the worker, read its answers until it exits, and start another unless stopping."""
        self._start()
        while True:
            conn, process = self._answers_conn, self.process
            while True:
                try:
                    kind, number, value = conn.recv()
                except (EOFError, OSError):
                    break
                if kind == "changed":  # the worker committed a change to an incident
                    self._on_incidents_changed()
                elif kind == "answer" and number in self._answers:
                    done, answer = self._answers[number]
                    answer.append(value)
                    done.set()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:  # it closed its pipe but lingers: make sure it is gone
                process.kill()
                process.wait(5)
            conn.close()
            self._conn.close()
            if self._stopping:
                return
            log.error("the worker process exited (code %s): starting a new one; set-up it had not finished "
                      "resumes from the outbox, other work in hand was lost", process.returncode)
            for done, _ in list(self._answers.values()):
                done.set()  # questions to the dead worker get no answer
            if time.monotonic() - self._started < RESTART_PAUSE_S:  # died young: do not spin
                time.sleep(RESTART_PAUSE_S)
            self.restarts += 1
            self._start()


# The worker side ----------------------------------------------------------------------------
def worker_main(conn, answers, parent_pid: int, settings, identity, version_ids, scheduler: bool,
                log_level: int) -> None:
    """The worker process: build the bot's parts, start the background jobs, then run what arrives."""
    _die_with_parent(parent_pid)
    try:
        os.nice(NICENESS)
    except OSError:
        pass
    from bot import logs

    logs.configure(log_level or logging.INFO)
    from bot.app import build_bot, start_background_jobs

    bot, _ = build_bot(settings)
    # Here threads waiting on Slack cost the acks nothing: enough of them to open a burst of modals
    # while their trigger IDs live (3 s), even when Slack takes over a second a call.
    bot.background = Background(urgent_workers=MODAL_WORKERS, initializer=bot.background.thread_initializer)
    bot.bot_user_id, bot.team_id = identity
    bot.plans.version_ids.update(version_ids)
    send_lock = threading.Lock()

    def answer(number: int, question: str, argument) -> None:
        value = bot.background.wait_idle(argument) if question == "idle" else bot.background.pending()
        with send_lock:
            answers.send(("answer", number, value))

    def incidents_changed() -> None:  # the serving process's `/activate status` must not show the old rows
        with send_lock:
            answers.send(("changed", 0, None))

    bot.incident_listeners.append(incidents_changed)
    jobs = start_background_jobs(bot, scheduler=scheduler)
    freeze_startup_objects()

    while True:
        try:
            batch = conn.recv()
        except (EOFError, OSError):
            os._exit(1)  # the serving process is gone: stop as a crash would (the outbox resumes set-up)
        except Exception:  # a message that cannot be unpickled (e.g. code changed under a running bot)
            log.exception("the worker could not read a batch of jobs; it was dropped")
            continue
        for message in batch:
            if message[0] == "task":
                try:
                    use_case, kwargs, tell, urgent = pickle.loads(message[1])
                except Exception:  # e.g. code changed under a running bot: drop this job, not the batch
                    log.exception("the worker could not read a job; it was dropped")
                    continue
                bot.defer(use_case, tell=tell, urgent=urgent, **kwargs)
            elif message[0] == "ask":
                threading.Thread(target=answer, args=message[1:], daemon=True).start()
            elif message[0] == "stop":
                if jobs is not None:
                    jobs.shutdown(wait=False)
                bot.background.shutdown()
                sys.exit(0)


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this process when its parent dies, even by SIGKILL."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # elsewhere the closed pipe tells the worker instead
    if os.getppid() != parent_pid:  # it died before the line above took effect
        os._exit(1)


if __name__ == "__main__":  # started by WorkerProcess as `python -m bot.worker JOBS_FD ANSWERS_FD`
    _jobs, _answers = Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False)
    try:
        _start_args = _jobs.recv()
    except EOFError:
        sys.exit(1)
    worker_main(_jobs, _answers, *_start_args)
