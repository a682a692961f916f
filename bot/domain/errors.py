"""Domain errors: each carries a message a person under stress can act on."""


class BcbotError(Exception):
    """Base for errors whose message is shown to the person as it is."""


class NotAllowed(BcbotError):
    """The person may not do this (e.g. not on the activation team)."""


class NotReady(BcbotError):
    """bcbot does not know its own workspace yet (auth.test has not answered), so it cannot tell who may act."""

    def __init__(self) -> None:
        super().__init__("bcbot is starting up and cannot yet confirm its Slack workspace, so nothing was done. "
                         "Please try again in a minute.")


class NotFound(BcbotError):
    pass


class InvalidTransition(BcbotError):
    pass


class IncidentStoodDown(BcbotError):
    def __init__(self, ref: str):
        super().__init__(f"{ref} is stood down: its buttons no longer change anything.")


class InvalidInput(BcbotError):
    """Bad user input; `fields` maps modal block IDs to messages."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class SlackUnavailable(BcbotError):
    """Slack refused or failed a call we needed."""


class SlackRefused(SlackUnavailable):
    """Slack answered the call with an error (`ok: false`, HTTP 4xx): `code` is Slack's error code, `channel`
    the conversation the call named, if any."""

    def __init__(self, message: str, *, code: str, channel: str | None = None):
        super().__init__(message)
        self.code = code
        self.channel = channel


def explain(exc: BaseException, logger) -> str:
    """The one place an error becomes words for a person. Unexpected errors get an id to quote."""
    if isinstance(exc, BcbotError):
        logger.info("refused: %s", exc)
        return str(exc)
    import uuid

    error_id = uuid.uuid4().hex[:8]
    if is_disk_full(exc):
        logger.error("the database has no space left (error id %s): %s", error_id, str(exc).splitlines()[0][:300])
        return ("Not saved: bcbot's database has no space left, so nothing was recorded. Please try again in a "
                f"few minutes; if it keeps happening, give your admin error id {error_id}.")
    if is_database_busy(exc):
        logger.warning("database unavailable (error id %s): %s", error_id, str(exc).splitlines()[0][:300])
        return ("bcbot's database is busy or unavailable right now: nothing was changed. "
                f"Please try again in a moment (error id {error_id}).")
    logger.exception("unexpected error (error id %s)", error_id)
    return ("Something went wrong and nothing was changed. Please try again; if it keeps happening, "
            f"give your admin error id {error_id}.")


def is_disk_full(exc: BaseException) -> bool:
    """SQLite's SQLITE_FULL, PostgreSQL's disk_full (53100) or the OS's ENOSPC, however the driver words it."""
    text = str(exc).lower()
    return type(exc).__module__.startswith(("sqlalchemy", "sqlite3")) and any(
        words in text for words in ("database or disk is full", "no space left on device", "diskfull", "disk full"))


def is_database_busy(exc: BaseException) -> bool:
    # Duck-typed so the domain need not import sqlalchemy: OperationalError and friends (the intake's
    # writer, storage/intake.py, talks to sqlite3 directly).
    return (type(exc).__name__ in {"OperationalError", "DisconnectionError", "TimeoutError"}
            and type(exc).__module__.startswith(("sqlalchemy", "sqlite3")))


class Later(Exception):
    """An outbox task that cannot act yet and is not failing: run it again in `seconds` (not counted as an
    attempt, no thread waits for it)."""

    def __init__(self, seconds: float, why: str = ""):
        super().__init__(why or f"again in {seconds:.1f} s")
        self.seconds = max(seconds, 0.0)


class RateLimited(SlackUnavailable):
    """Slack answered 429 for a method (or it is paused after one): try again after Retry-After."""

    def __init__(self, method: str, seconds: float):
        super().__init__(f"Slack rate-limited {method}: again in {seconds:.1f} s")
        self.method = method
        self.seconds = max(seconds, 0.0)
