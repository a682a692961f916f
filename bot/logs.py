"""Logging set-up: tokens and secrets never reach a log line."""
from __future__ import annotations

import logging
import re

SECRET = re.compile(r"\b(xox[abposr]-|xapp-)[A-Za-z0-9-]+")


def redact(text: str) -> str:
    return SECRET.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


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
