"""The worker process's own start-up: `python -P -c _BOOT ROOT JOBS_FD ANSWERS_FD` (bot.worker.process)
lands here, builds the bot's parts, starts the jobs, and runs what arrives over the pipe."""
from __future__ import annotations

import logging
import mmap
import os
import pickle
import signal
import sys
import threading
from multiprocessing.connection import Connection

from bot.runtime import logs
from bot.runtime.container import build_bot
from bot.worker.acks_first import MODAL_PAUSE_MAX_S, AckGate, open_signal
from bot.worker.jobs import start_background_jobs
from bot.worker.plan_watch import adopt, watch
from bot.worker.process import MODAL_WORKERS, NICENESS
from bot.worker.runner import freeze_startup_objects
from bot.worker.views import run

log = logging.getLogger("bcbot.worker")


def worker_main(conn, answers, parent_pid: int, settings, identity, version_ids, scheduler: bool,
                log_level: int, *, acks: mmap.mmap | None = None) -> None:
    """The worker process: build the bot's parts, start the background jobs, then run what arrives."""
    _die_with_parent(parent_pid)
    # Stopped by the `stop` message, the closed pipe or its parent's death, never by a signal meant for
    # the server (Ctrl-C, a process-group SIGTERM): it finishes what it has first.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(os, "nice"):  # not on Windows
        try:
            os.nice(NICENESS)
        except OSError:
            pass
    logs.configure(log_level or logging.INFO)
    # Here threads waiting on Slack cost the acks nothing: enough of them to open a burst of modals
    # while their trigger IDs live (3 s), even when Slack takes over a second a call.
    # Work after the ack waits while the serving process answers a burst of requests (acks first).
    gates = (AckGate(acks).wait, AckGate(acks, MODAL_PAUSE_MAX_S).wait) if acks is not None else None
    bot, _ = build_bot(settings, modal_workers=MODAL_WORKERS, gates=gates)
    bot.bot_user_id, bot.team_id = identity
    send_lock = threading.Lock()

    def plans_changed(served: dict[str, int]) -> None:  # the serving process must serve the same versions
        with send_lock:
            answers.send(("plans", 0, served))

    bot.plan_listeners.append(plans_changed)
    if hasattr(signal, "SIGHUP"):  # `kill -HUP`: look at the plan files now, not at the next poll
        signal.signal(signal.SIGHUP, lambda *_: bot.background.submit(lambda: watch(bot, force=True)))
    _serve_plans(bot, version_ids)

    def answer(number: int, question: str, argument) -> None:
        value = bot.background.wait_idle(argument) if question == "idle" else bot.background.pending()
        with send_lock:
            answers.send(("answer", number, value))

    def incidents_changed() -> None:  # the serving process's `/activate status` must not show the old rows
        with send_lock:
            answers.send(("changed", 0, None))

    bot.incident_listeners.append(incidents_changed)
    freeze_startup_objects()  # before the jobs start: their garbage is not start-up state
    jobs = start_background_jobs(bot, scheduler=scheduler)

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
                    request, reply_to, urgent = pickle.loads(message[1])
                except Exception:  # e.g. code changed under a running bot: drop this job, not the batch
                    log.exception("the worker could not read a job; it was dropped")
                    continue
                run(bot, request, reply_to, urgent)
            elif message[0] == "ask":
                threading.Thread(target=answer, args=message[1:], daemon=True).start()
            elif message[0] == "stop":
                if jobs is not None:
                    jobs.shutdown(wait=False)
                bot.background.shutdown()
                sys.exit(0)


def _serve_plans(bot, version_ids: dict[str, int]) -> None:
    """What the plan files say now (a broken one's plan at its last valid version), before any work runs;
    the serving process is told if that differs from what it serves."""
    try:
        watch(bot, force=True)
        return
    except Exception:  # the database is away: serve what the serving process serves; the next poll retries
        log.exception("could not look at the plan files; serving the versions the server serves")
    try:
        adopt(bot, version_ids)
    except Exception:
        log.exception("could not read the served plan versions; serving the valid plan files")
        bot.plans.version_ids.update(version_ids)


def _die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this process when its parent dies, even by SIGKILL (prctl is Linux's:
    elsewhere the closed pipe tells the worker instead)."""
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass
    if os.getppid() != parent_pid:  # it died before the line above took effect
        os._exit(1)


def main(jobs_fd: int, answers_fd: int, acks_fd: int) -> None:
    """Entry point of `python -P -c _BOOT ROOT JOBS_FD ANSWERS_FD ACKS_FD` (see WorkerProcess._start)."""
    jobs, answers = Connection(jobs_fd, writable=False), Connection(answers_fd, readable=False)
    try:
        start_args = jobs.recv()
    except EOFError:
        sys.exit(1)
    worker_main(jobs, answers, *start_args, acks=open_signal(acks_fd))
