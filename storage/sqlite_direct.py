"""One prepared SQLite statement run with the GIL held: the ack path's insert into the intake.

Python's sqlite3 module lets go of the GIL around every call into SQLite, so that other threads run
while SQLite waits on the disk. For the ack path's insert (tens of microseconds: it does not checkpoint
and, but for a rare WAL restart, does not sync; see `DirectStatement`) that is a loss: every release is a
wait to get the GIL back behind the other request threads. Measured under bench/ack_latency.py's burst: the insert's wall
time was 1.7 ms on average for 0.1 ms of CPU, and checklist clicks acked at 1.3-1.5x the bare Bolt app's
p95 against 0.9-1.1x with this statement (bench/README.md §1).

ctypes.PyDLL calls a C function without releasing the GIL. It is used on the copy of SQLite that the
sqlite3 module already loaded, and only that one (RTLD_NOLOAD, same version): two copies of SQLite in
one process do not see each other's file locks (https://www.sqlite.org/howtocorrupt.html, 2.2.1).
Where that copy cannot be found (a Python with SQLite built in), `load()` answers None and the
caller uses the sqlite3 module.
"""
from __future__ import annotations

import ctypes
import os
import sqlite3
import sys
import threading
from pathlib import Path

SQLITE_OK, SQLITE_CONSTRAINT, SQLITE_DONE = 0, 19, 101
_OPEN_READWRITE, _OPEN_FULLMUTEX = 0x2, 0x10000
_TRANSIENT = ctypes.c_void_p(-1)  # SQLite copies the bound text


def load() -> ctypes.PyDLL | None:
    """The SQLite library the sqlite3 module uses, with GIL-holding calls; None where it cannot be found."""
    import _sqlite3

    if not sys.platform.startswith("linux") or not hasattr(os, "RTLD_NOLOAD"):
        return None
    assert _sqlite3.sqlite_version  # imported: its SQLite library is mapped now
    for name in _linked_sqlite():
        try:
            lib = ctypes.PyDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_NOW)  # only if already loaded
        except OSError:
            continue
        lib.sqlite3_libversion.restype = ctypes.c_char_p
        if lib.sqlite3_libversion().decode() != sqlite3.sqlite_version:
            return None
        _declare(lib)
        return lib
    return None


def _linked_sqlite() -> list[str]:
    """Paths of the SQLite libraries mapped into this process (the sqlite3 module's own, once imported)."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:
        return []
    found = {line.split()[-1] for line in maps if "libsqlite3" in line.rsplit("/", 1)[-1]}
    return sorted(found)


def _declare(lib: ctypes.PyDLL) -> None:
    p, i = ctypes.c_void_p, ctypes.c_int
    for name, args, result in (
        ("sqlite3_open_v2", [ctypes.c_char_p, ctypes.POINTER(p), i, ctypes.c_char_p], i),
        ("sqlite3_close_v2", [p], i),
        ("sqlite3_exec", [p, ctypes.c_char_p, p, p, p], i),
        ("sqlite3_prepare_v2", [p, ctypes.c_char_p, i, ctypes.POINTER(p), p], i),
        ("sqlite3_bind_text", [p, i, ctypes.c_char_p, i, p], i),
        ("sqlite3_bind_null", [p, i], i),
        ("sqlite3_step", [p], i),
        ("sqlite3_reset", [p], i),
        ("sqlite3_finalize", [p], i),
        ("sqlite3_changes", [p], i),
        ("sqlite3_last_insert_rowid", [p], ctypes.c_int64),
        ("sqlite3_errmsg", [p], ctypes.c_char_p),
    ):
        function = getattr(lib, name)
        function.argtypes, function.restype = args, result


class DirectStatement:
    """A connection of its own with one prepared statement; text or NULL parameters; `pragmas` set when it
    opens. The intake opens it with `wal_autocheckpoint=0`, so that its commits never checkpoint: a
    checkpoint syncs the disk, which must not happen with the GIL held. The worker checkpoints the file and
    then writes first itself, so that it, not an ack, pays for the sync of the log's restart
    (storage/intake.py's flush). Still, with the GIL held a write can wait on
    the disk: an insert that slips in between the worker's checkpoint and its delete restarts the log and
    syncs it, and a write may stall while the kernel flushes dirty pages."""

    def __init__(self, lib: ctypes.PyDLL, path: str, sql: str, pragmas: dict[str, str]):
        self._lib = lib
        self._db = ctypes.c_void_p()
        self._statement = ctypes.c_void_p()
        # Its thread's only, but close() may come from another (shutting down): never free what a run uses.
        self._lock = threading.Lock()
        rc = lib.sqlite3_open_v2(path.encode(), ctypes.byref(self._db), _OPEN_READWRITE | _OPEN_FULLMUTEX, None)
        if rc != SQLITE_OK:
            message = self._error()
            lib.sqlite3_close_v2(self._db)
            raise sqlite3.OperationalError(message)
        try:
            for name, value in pragmas.items():
                self.pragma(name, value)
            self._check(lib.sqlite3_prepare_v2(self._db, sql.encode(), -1, ctypes.byref(self._statement), None))
        except BaseException:
            self.close()
            raise

    def run(self, params: tuple[str | None, ...]) -> tuple[int, int]:
        """Run the statement once in autocommit: (rows changed, last inserted rowid). Raises, as the sqlite3
        module would, sqlite3.IntegrityError for a broken constraint and sqlite3.OperationalError for anything
        else (the write lock taken, "database is locked"; a full disk; a closed connection)."""
        lib = self._lib
        with self._lock:
            statement = self._statement
            if not statement:
                raise sqlite3.OperationalError("the intake's connection is closed (bcbot is stopping)")
            for index, value in enumerate(params, 1):
                if value is None:
                    rc = lib.sqlite3_bind_null(statement, index)
                else:
                    data = value.encode()
                    rc = lib.sqlite3_bind_text(statement, index, data, len(data), _TRANSIENT)
                if rc != SQLITE_OK:  # never run with an earlier row's value still bound
                    message = self._error()
                    lib.sqlite3_reset(statement)
                    raise sqlite3.OperationalError(message)
            rc = lib.sqlite3_step(statement)
            lib.sqlite3_reset(statement)
            if rc == SQLITE_DONE:
                return lib.sqlite3_changes(self._db), lib.sqlite3_last_insert_rowid(self._db)
            error = sqlite3.IntegrityError if rc & 0xFF == SQLITE_CONSTRAINT else sqlite3.OperationalError
            raise error(self._error())

    def pragma(self, name: str, value: str) -> None:
        with self._lock:
            if not self._db:
                raise sqlite3.OperationalError("the intake's connection is closed (bcbot is stopping)")
            self._check(self._lib.sqlite3_exec(self._db, f"PRAGMA {name} = {value}".encode(), None, None, None))

    def close(self) -> None:
        with self._lock:  # waits for a run in progress (that thread holds the GIL only while it runs)
            if self._statement:
                self._lib.sqlite3_finalize(self._statement)
                self._statement = ctypes.c_void_p()
            if self._db:
                self._lib.sqlite3_close_v2(self._db)
                self._db = ctypes.c_void_p()

    def _check(self, rc: int) -> None:
        if rc != SQLITE_OK:
            raise sqlite3.OperationalError(self._error())

    def _error(self) -> str:
        message = self._lib.sqlite3_errmsg(self._db)
        return message.decode(errors="replace") if message else "SQLite failed"
