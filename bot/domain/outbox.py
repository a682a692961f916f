"""The outbox's vocabulary: a Slack effect owed by a committed change (see docs/durable-road.md)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# A task that failed this often for a reason other than Slack (a bug, bad data) is given up (logged, held
# as "error"). Slack being away (429, 5xx, timeouts, no connection) is waited out however long it lasts.
MAX_ATTEMPTS = 20
_MAX_PAUSE = timedelta(minutes=5)

# Slack's answers that retrying cannot fix, because the channel cannot be posted to: the task is held
# (not retried) until the channel is usable again (unarchived, bcbot invited back). Value: what happened.
CHANNEL_UNUSABLE = {"is_archived": "archived", "not_in_channel": "removed", "channel_not_found": "deleted"}
# Other answers that retrying cannot fix: the task is given up (held for good), and the person told.
REFUSED_FOR_GOOD = frozenset({
    "user_disabled", "user_not_found", "users_not_found", "cannot_dm_bot", "invalid_blocks", "invalid_blocks_format",
    "msg_too_long", "no_text", "too_many_attachments", "invalid_attachments", "invalid_arguments",
    "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large", "message_not_found",
    "cant_update_message", "edit_window_closed", "restricted_action_read_only_channel", "channel_is_archived",
    "too_long",
})
# When a deleted incident channel is replaced (Create a new channel): held posts of these kinds go out in the
# new channel; every other held effect (an edit of a message that is gone, a pin, an ephemeral) is dropped, and
# so is unfinished set-up work of these `REDONE` kinds: the new set-up posts the header and checklists as they stand.
REPOSTED = frozenset({"post_decision", "post_update", "phase_notice", "post_nudge", "post_stood_down", "upload_report"})
REDONE = frozenset({"set_topic", "invite", "post_header", "pin_header", "post_checklist", "notify_people",
                    "render_checklist", "render_header", "render_incident"})
GAVE_UP = "error"  # `held` of a task given up after MAX_ATTEMPTS failures that were not Slack's answer
TELL_HELD = "tell_held"  # the task kind that tells people an effect is held


def refused_for_good(code: str | None) -> bool:
    return bool(code) and (code in CHANNEL_UNUSABLE or code in REFUSED_FOR_GOOD)


def held_tells(subject: str, *, code: str, channel: str | None, intent_id: int | None, actor: str | None,
               lead_told: bool) -> list[Task]:
    """Who hears that an effect of `subject` is held: the person whose action it served (once per action),
    and, for an incident, its lead (once per incident, channel and reason)."""
    args = {"code": code, "channel": channel}
    tasks = []
    if actor:
        # The lead's own first action is told by the lead's message (it carries the fix for the lead).
        tasks.append(Task(TELL_HELD, name=f"held:{'intent:%d' % intent_id if intent_id else actor}:{code}",
                          args={**args, "user": actor, "unless_lead": not lead_told}))
    if subject.startswith("incident:") and not lead_told:
        tasks.append(Task(TELL_HELD, name=lead_tell_name(code, channel), args={**args, "lead": True}))
    return tasks


def lead_tell_name(code: str, channel: str | None) -> str:
    return f"held:lead:{code}:{channel or '-'}"


@dataclass(frozen=True)
class Task:
    """One effect: `kind` names the worker's task function; `name` is unique within its subject
    (default: the kind); `depends_on` names a task of the same subject that must be done first."""

    kind: str
    name: str | None = None
    args: dict = field(default_factory=dict)
    depends_on: str | None = None
    not_before: datetime | None = None  # not run before then (a roll call's reminder and escalation)

    @property
    def key(self) -> str:
        return self.name or self.kind


@dataclass(frozen=True)
class ClaimedTask:
    id: int
    subject: str
    name: str
    kind: str
    args: dict
    attempts: int  # including this one
    version: int  # the `armed` count this run serves
    intent_id: int | None = None  # the person's intent this effect serves (last re-arm's), if any
    actor: str | None = None

    @property
    def subject_id(self) -> int | str:
        return subject_id(self.subject)


def incident_subject(incident_id: int) -> str:
    return f"incident:{incident_id}"


def request_subject(request_id: int) -> str:
    return f"request:{request_id}"


def plan_subject(plan_id: str) -> str:
    return f"plan:{plan_id}"


def intent_subject(intent_id: int) -> str:
    return f"intent:{intent_id}"


def subject_id(subject: str) -> int | str:
    _, _, value = subject.partition(":")
    return int(value) if value.isdigit() else value


def retry_pause(attempts: int) -> timedelta:
    """How long a failed task waits before it is tried again: 2, 4, 8 ... seconds, at most 5 minutes."""
    return min(timedelta(seconds=2 ** min(attempts, 12)), _MAX_PAUSE)


@dataclass(frozen=True)
class ClaimedIntent:
    """A recorded intent, taken by a worker to run (see bot.worker.intents)."""

    id: int
    kind: str
    actor: str | None
    payload: dict
    tell: dict
    attempts: int  # including this one
    dedupe_key: str = ""
