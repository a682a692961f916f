"""Logging set-up: tokens and secrets never reach a log line."""
from __future__ import annotations

import logging
import re

SECRET = re.compile(r"\b(xox[abposre]-|xapp-)[A-Za-z0-9-]+")  # bot, user, app, refresh (xoxe-) tokens


def redact(text: str) -> str:
    return SECRET.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    """Redacts the message, its arguments, and the traceback and stack a formatter would append."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            # What Formatter.format would render (it reuses exc_text once set): an exception's own
            # text, e.g. an error echoing a request, can carry a token.
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()


def configure(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # slack_sdk logs request bodies at DEBUG; keep it above that whatever the bot's level.
    logging.getLogger("slack_sdk").setLevel(max(level, logging.INFO))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
