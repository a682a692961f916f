"""Plain text rules: control and bidi characters dropped, cuts with a visible mark, slugs."""
from __future__ import annotations

import re
import unicodedata

TRUNCATION_MARK = "… (truncated)"
# What a person may write in one field: the forms' max_length, checked again where the input is parsed (a
# field error naming the limit) and cut by the use cases as a second line of defence (a quoted message).
TEXT_MAX = 3000  # a decision, its rationale and options, an update, a note, a closing summary, a report part
REASON_MAX = 500  # why a step does not apply
OTHER_MAX = 75  # an "Other" circumstance: it becomes a select option (Slack's 75 characters)
# Control characters other than tab/newline, and bidi overrides/isolates that can disguise text.
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")


def clean(text: str | None) -> str:
    """Drop control characters and bidi overrides a person could not have meant to post."""
    if not isinstance(text, str):  # a forged payload's number or list is no text
        return ""
    return _UNSAFE.sub("", unicodedata.normalize("NFC", text))


def truncate(text: str, limit: int) -> str:
    """Cut text to `limit` characters with a visible marker; never splits an escape entity."""
    if len(text) <= limit:
        return text
    cut = text[: max(0, limit - len(TRUNCATION_MARK))]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + TRUNCATION_MARK


def too_long(limit: int) -> str:
    """The field error for text over `limit`."""
    return f"Keep it under {limit:,} characters."


def capped(text: str | None, limit: int = TEXT_MAX) -> str:
    """Text a person wrote, cleaned and cut to `limit` (with the mark): what the use cases store."""
    return truncate(clean(text).strip(), limit)


def slug(text: str, max_len: int) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return s[:max_len].rstrip("-")
