"""Acks first: while the serving process is acking a burst of requests, the worker's work after the ack waits.

On a small machine the worker's use cases, outbox renders and sweeps compete with the acks for the same
cores. A lower CPU priority (`NICENESS`) is not enough: the scheduler lets a running worker thread finish
its time slice before a woken request thread gets the core, and each request wakes its threads many
times. Measured (bench/ack_latency.py): the worker used half a core during a burst of 300 requests,
and with the worker held still the acks' p95 fell from 1.5-1.8x the bare Bolt app's to 1.1-1.2x.

So the serving process says how many requests it is answering, in a few bytes of memory shared with
the worker (`AckSignal`). Before each job, the worker waits while requests are in flight (`AckGate`),
for about `PAUSE_MAX_S` at a time (a modal's opening: `MODAL_PAUSE_MAX_S`, its trigger ID lives 3 s)
and then runs unpaused for `OPEN_MIN_S`: under load that never ends, the worker still gets its turn. (About:
a waiting job that gets its turn only after the open window has passed starts a pause of its own. Jobs that
waited together may start in another order, as the pools' threads could always start them.)
With Slack's traffic at a few requests a second the gate is almost always open; in threads mode (one
process) there is no gate.
"""
from __future__ import annotations

import mmap
import os
import struct
import tempfile
import threading
import time

PAUSE_MAX_S = 0.5  # a burst holds the worker back this long at most...
MODAL_PAUSE_MAX_S = 0.25  # ...and a modal's opening this long (well inside its trigger ID's 3 s)...
OPEN_MIN_S = 0.1  # ...then lets it run at least this long
QUIET_S = 0.005  # no request for this long: the burst is over (a gap between two requests is shorter)
POLL_S = 0.003
_LAYOUT = struct.Struct("<qq")  # requests in flight; when the last one ended (time.monotonic_ns)


class AckSignal:
    """The serving side: count the requests being answered, in memory the worker maps too."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile(prefix="bcbot-acks-")
        self._file.truncate(_LAYOUT.size)
        self._map = mmap.mmap(self._file.fileno(), _LAYOUT.size)
        self._lock = threading.Lock()
        self._in_flight = 0

    @property
    def fileno(self) -> int:
        """The shared file, for the worker process (passed to it as an open descriptor)."""
        return self._file.fileno()

    def enter(self) -> None:
        self._count(+1)

    def leave(self) -> None:
        self._count(-1)

    def _count(self, change: int) -> None:
        with self._lock:
            self._in_flight += change
            if not self._map.closed:  # requests still answered while the bot stops
                _LAYOUT.pack_into(self._map, 0, self._in_flight, time.monotonic_ns())

    def close(self) -> None:
        with self._lock:
            self._map.close()
            self._file.close()


def open_signal(fileno: int) -> mmap.mmap:
    """The worker side of an AckSignal's memory."""
    shared = mmap.mmap(fileno, _LAYOUT.size)
    os.close(fileno)  # the mapping keeps the memory
    return shared


class AckGate:
    """The worker side: `wait()` before a job returns once the server is quiet, or the pause is over.
    One gate per lane of work, each with its own longest pause."""

    def __init__(self, shared: mmap.mmap, pause_max: float = PAUSE_MAX_S):
        self._map = shared
        self._pause_max = pause_max
        self._lock = threading.Lock()
        self._paused_since: float | None = None
        self._open_until = 0.0

    def busy(self) -> bool:
        in_flight, last_ns = _LAYOUT.unpack_from(self._map, 0)
        return in_flight > 0 or time.monotonic_ns() - last_ns < QUIET_S * 1e9

    def wait(self) -> None:
        with self._lock:  # one waiter looks at the server; the others wait here without waking
            while True:
                now = time.monotonic()
                if now < self._open_until:
                    return
                if not self.busy():
                    self._paused_since = None
                    return
                if self._paused_since is None:
                    self._paused_since = now
                elif now - self._paused_since >= self._pause_max:
                    self._paused_since, self._open_until = None, now + OPEN_MIN_S
                    return
                time.sleep(POLL_S)
