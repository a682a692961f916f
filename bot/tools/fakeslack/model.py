"""What the fake Slack records and keeps: the calls it answered, the faults it was told to answer with, users, channels."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Call:
    method: str
    params: dict
    at: float  # when the fake answered (after any `latency`)
    status: int = 200
    error: str | None = None
    started: float | None = None  # when the request arrived; at - started is how long the call took


@dataclass
class Fault:
    status: int = 200
    error: str | None = None
    retry_after: int | None = None
    after_work: bool = False  # Slack did the work, then answered with the error (a 5xx after posting)


@dataclass
class User:
    id: str
    name: str
    email: str | None = None
    team_id: str = "T0BCBOT"


@dataclass
class Channel:
    id: str
    name: str
    topic: str = ""
    members: set = field(default_factory=set)
    is_im: bool = False
    creator: str = "U0SOMEONE"
    archived: bool = False
    is_private: bool = False


class SlackError(Exception):
    pass
