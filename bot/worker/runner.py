"""The worker's threads: slow work after the ack, and what the process does once started."""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from bot.domain.errors import explain

log = logging.getLogger("bcbot")


class Background:
    """Slow work after the ack, on its own threads, so no ack ever waits for Slack.

    Work bound to a trigger ID (opening a modal: Slack allows 3 s) runs on a pool of its own, so it
    never queues behind slow checklist updates or set-up; so do people's intents (`intents=True`): a
    roll call's hundreds of outbox tasks, retried and swept, must not hold up the answers behind them.
    """

    def __init__(self, workers: int = 8, urgent_workers: int = 4, initializer: Callable[[], None] | None = None,
                 intent_workers: int = 2, gates: tuple[Callable[[], None], Callable[[], None]] | None = None):
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="bcbot-work", initializer=initializer)
        self._urgent = ThreadPoolExecutor(max_workers=urgent_workers, thread_name_prefix="bcbot-modal",
                                          initializer=initializer)
        self._intents = ThreadPoolExecutor(max_workers=intent_workers, thread_name_prefix="bcbot-intent",
                                           initializer=initializer)
        self.thread_initializer = initializer  # for other pools doing background work (set-up, scheduler)
        # (other work, modals): wait while the serving process acks a burst (bot/worker/acks_first.py)
        self._gates = gates
        self._inflight = 0
        self._idle = threading.Condition()

    def submit(self, fn: Callable[[], object], *, tell: Callable[[str], None] | None = None, urgent: bool = False,
               intents: bool = False) -> None:
        """Run fn() on a worker thread; if it fails, tell(message) says so to the person."""
        with self._idle:
            self._inflight += 1
        (self._urgent if urgent else self._intents if intents else self._pool).submit(self._run, fn, tell, urgent)

    def _run(self, fn: Callable[[], object], tell: Callable[[str], None] | None, urgent: bool = False) -> None:
        try:
            if self._gates is not None:
                self._gates[urgent]()
            fn()
        except Exception as exc:
            message = explain(exc, log)
            if tell:
                try:
                    tell(message)
                except Exception:
                    log.warning("could not tell the user about a failed action")
        finally:
            with self._idle:
                self._inflight -= 1
                self._idle.notify_all()

    def pending(self) -> int:
        with self._idle:
            return self._inflight

    def wait_idle(self, timeout: float = 10) -> bool:
        with self._idle:
            return self._idle.wait_for(lambda: self._inflight == 0, timeout)

    def shutdown(self) -> None:
        self._urgent.shutdown(wait=True, cancel_futures=False)
        self._intents.shutdown(wait=True, cancel_futures=False)
        self._pool.shutdown(wait=True, cancel_futures=False)


def freeze_startup_objects() -> None:
    """After start-up: the plans, modules and settings live as long as the process, so the cyclic
    garbage collector stops walking them. With thousands of plans loaded, every full collection
    otherwise paused all threads for 100-300 ms (measured: bench/scale.py), App Home and acks included."""
    import gc

    gc.collect()
    gc.freeze()
