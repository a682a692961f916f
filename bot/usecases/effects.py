"""What a change to an incident owes Slack, as outbox tasks: the vocabulary the use cases share."""
from __future__ import annotations

from datetime import datetime

from bot.domain.outbox import Task, incident_subject
from bot.usecases.ports import UnitOfWork


def rerender(uow: UnitOfWork, incident_id: int, now: datetime, *, phases: tuple[str, ...] = (),
             header: bool = True, topic: bool = False, announcement: bool = False) -> None:
    """Owe renders of these messages from the state committed with them (coalesced: a burst re-arms
    each once, and the last render reads the last commit)."""
    subject = incident_subject(incident_id)
    for phase in phases:
        uow.outbox.arm(subject, Task("render_checklist", name=f"render:checklist:{phase}", args={"phase": phase}), now)
    if header:
        uow.outbox.arm(subject, Task("render_header", name="render:header", depends_on="post_header"), now)
    if topic:
        uow.outbox.arm(subject, Task("set_topic", name="render:topic", depends_on="create_channel"), now)
    if announcement:
        uow.outbox.arm(subject, Task("render_announcement", name="render:announcement", depends_on="announce"), now)


def post(uow: UnitOfWork, incident_id: int, now: datetime, kind: str, name: str, **args: object) -> None:
    """Owe one post in the incident channel (kind: the task that renders it; name: its unique key)."""
    uow.outbox.add(incident_subject(incident_id), [Task(kind, name=name, args=dict(args))], now)
