"""Use cases of corrective actions: made from an exercise's stand-down, a post-incident review, a management
review or `/activate action`; edited (owner, date), re-dated, done or dropped.

Each runs in the caller's unit of work: it records the change (and the action's history) and owes Slack its
messages as outbox tasks of the subject `action:<id>` (bot/worker/tasks/actions.py): the owner's DM when an
action is given to them, the action's card in its incident channel, the DM whose button was pressed. The
reminders are the sweep's (bot/worker/action_reminders.py), through the reminder ledger.
"""
from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import date, datetime

from bot.domain.action_commands import ActionInChannel, CloseAction, EditAction, RescheduleAction
from bot.domain.actions import (
    NOTE_MAX,
    TITLE_MAX,
    Action,
    ActionInput,
    ActionStatus,
    Source,
    SourceKind,
    default_due,
    reminder_stage,
)
from bot.domain.errors import BcbotError, InvalidInput, NotAllowed
from bot.domain.outbox import Task
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.reminders import MessageRef, local_today, reminder_day
from bot.domain.text import capped
from bot.slack.mrkdwn import user_mention
from bot.slack.parse import USER_ID
from bot.usecases.access import incident_in_channel, load, require_responder, team_ids
from bot.usecases.ports import Parts, UnitOfWork

log = logging.getLogger("bcbot.actions")
USAGE = "Usage: `/activate action TEXT` in an incident channel, e.g. `/activate action Call the insurer`."


class AlreadyClosed(BcbotError):
    """The action was done or dropped already."""


def action_subject(action_id: int) -> str:
    return f"action:{action_id}"


def today_of(bot: Parts, now: datetime) -> date:
    return local_today(now, bot.settings.timezone)


def source_of(incident: Incident, note: str | None = None) -> Source:
    kind = SourceKind.EXERCISE if incident.is_exercise else SourceKind.INCIDENT
    return Source(kind=kind, plan_key=incident.plan_key, incident_id=incident.id, note=note)


def check_rows(rows: tuple[ActionInput, ...] | list[ActionInput], today: date) -> None:
    """Every row has an owner that looks like a Slack user and a date from today on (the forms check first)."""
    for n, row in enumerate(rows, start=1):
        if not USER_ID.match(row.owner or ""):
            raise InvalidInput(f"Action {n} needs an owner.", {f"action_owner:{n - 1}": "Choose who owns it."})
        if row.due_on < today:
            raise InvalidInput(f"Action {n} is due in the past.", {f"action_due:{n - 1}": "Pick today or later."})


def create(bot: Parts, uow: UnitOfWork, rows: tuple[ActionInput, ...] | list[ActionInput], source: Source, *,
           actor: str, now: datetime) -> list[Action]:
    """Record one open action per row with a title, and owe each owner their DM. The DM stands for any
    reminder stage already fallen due (an action due tomorrow is not also "due in 3 days" a minute later)."""
    today = today_of(bot, now)
    rows = [ActionInput(capped(r.title, TITLE_MAX), r.owner, r.due_on) for r in rows]
    rows = [r for r in rows if r.title]
    check_rows(rows, today)
    made = []
    for row in rows:
        action = uow.actions.add(row, source, by=actor, now=now, reminded_stage=_stage_now(bot, row.due_on, now))
        _give(uow, action, actor=actor, now=now)
        if source.incident_id is not None:
            uow.log.append(incident_id=source.incident_id, at=now, actor=actor, kind="action_created",
                           summary=f"Action {action.ref}: {action.title} (owner {action.owner}, due {row.due_on})",
                           data={"action": action.id, "owner": action.owner, "due_on": row.due_on.isoformat()})
        made.append(action)
    if made:
        log.info("%d actions recorded from %s %s", len(made), source.kind, source.ref or "")
    return made


def _stage_now(bot: Parts, due_on: date, now: datetime) -> int | None:
    return reminder_stage(due_on, reminder_day(now, bot.settings.timezone, bot.settings.bcbot_reminder_hour))


def _give(uow: UnitOfWork, action: Action, *, actor: str, now: datetime) -> None:
    uow.outbox.add(action_subject(action.id), [Task("action_given_dm", name=f"given:{action.owner}:{now.isoformat()}",
                                                    args={"owner": action.owner, "by": actor})], now)


def plan_for(bot: Parts, action: Action) -> Plan | None:
    return bot.plans.plans.get(action.plan_key)


def require_action_steward(bot: Parts, action: Action, actor: str, doing: str) -> None:
    """The owner, whoever made it, and the plan's owners and team may change an action."""
    allowed = {action.owner, action.created_by}
    plan = plan_for(bot, action)
    if plan is not None:
        allowed |= set(team_ids(bot, plan)) | set(bot.directory.user_ids(plan.owners))
    if actor not in allowed:
        raise NotAllowed(f"Only {user_mention(action.owner)} (its owner), whoever recorded it and the plan's owners "
                         f"and Business Continuity Team can {doing} {action.ref}.")


def _open_action(uow: UnitOfWork, action_id: int) -> Action:
    action = uow.actions.get(action_id)
    if action.status is not ActionStatus.OPEN:
        raise AlreadyClosed(f"{action.ref} is {action.status.value} already; nothing was changed.")
    return action


def _refresh(uow: UnitOfWork, action: Action, now: datetime, *, message: MessageRef | None, actor: str) -> None:
    """The action's card (if it has one) is re-rendered; the DM whose button was pressed says what became of it."""
    subject = action_subject(action.id)
    if action.card_channel:  # one still being posted renders what is recorded when it runs
        uow.outbox.arm(subject, Task("action_card", name="card"), now)
    if message is not None:
        uow.outbox.add(subject, [Task("action_message", name=f"message:{message.ts}:{now.isoformat()}",
                                      args={"message": asdict(message), "by": actor})], now)


# `/activate action TEXT` ------------------------------------------------------------------------------
def action_in_channel(bot: Parts, uow: UnitOfWork, command: ActionInChannel, *, actor: str) -> Action:
    """An action of the channel's incident, owned by its author and due in 14 days; its card (with Edit)
    is posted in the channel."""
    found = incident_in_channel(uow, command.channel_id)
    incident, plan = load(bot, uow, found.id, must_be_open=False)
    require_responder(bot, incident, plan, actor, "record actions")
    title = capped(command.text, TITLE_MAX)
    if not title:
        raise InvalidInput(USAGE)
    now = bot.clock()
    [action] = create(bot, uow, [ActionInput(title, actor, default_due(today_of(bot, now)))], source_of(incident),
                      actor=actor, now=now)
    uow.outbox.arm(action_subject(action.id), Task("action_card", name="card"), now)
    return action


# Edit, New date, Done, Drop --------------------------------------------------------------------------
def edit_action(bot: Parts, uow: UnitOfWork, command: EditAction, *, actor: str) -> Action:
    """A new owner and/or due date. A new owner is given it by DM; a new date starts its reminders afresh."""
    action = _open_action(uow, command.action_id)
    require_action_steward(bot, action, actor, "change")
    now = bot.clock()
    check_rows([ActionInput(action.title, command.owner, command.due_on)], today_of(bot, now))
    if not uow.actions.change(action.id, owner=command.owner, due_on=command.due_on, by=actor, now=now,
                              reminded_stage=_stage_now(bot, command.due_on, now)):
        raise AlreadyClosed(f"{action.ref} was closed meanwhile; nothing was changed.")
    changed = uow.actions.get(action.id)
    if changed.owner != action.owner:
        _give(uow, changed, actor=actor, now=now)
    _refresh(uow, changed, now, message=None, actor=actor)
    return changed


def reschedule_action(bot: Parts, uow: UnitOfWork, command: RescheduleAction, *, actor: str) -> Action:
    action = _open_action(uow, command.action_id)
    require_action_steward(bot, action, actor, "give a new date to")
    now = bot.clock()
    check_rows([ActionInput(action.title, action.owner, command.due_on)], today_of(bot, now))
    if not uow.actions.change(action.id, owner=action.owner, due_on=command.due_on, by=actor, now=now,
                              reminded_stage=_stage_now(bot, command.due_on, now)):
        raise AlreadyClosed(f"{action.ref} was closed meanwhile; nothing was changed.")
    changed = uow.actions.get(action.id)
    _refresh(uow, changed, now, message=command.message, actor=actor)
    return changed


def close_action(bot: Parts, uow: UnitOfWork, command: CloseAction, *, actor: str) -> Action:
    """Done (what was done) or dropped (why): the note is required, and kept with the action."""
    try:
        status = ActionStatus(command.status)
    except ValueError:
        raise InvalidInput("This form's data is not valid; please open it again.") from None
    if status is ActionStatus.OPEN:
        raise InvalidInput("This form's data is not valid; please open it again.")
    action = _open_action(uow, command.action_id)
    require_action_steward(bot, action, actor, "close")
    note = capped(command.note, NOTE_MAX)
    if not note:
        words = "Say what was done." if status is ActionStatus.DONE else "Say why it is dropped."
        raise InvalidInput(words, {"text": words})
    now = bot.clock()
    if not uow.actions.close(action.id, status, note=note, by=actor, now=now):
        raise AlreadyClosed(f"{action.ref} was closed meanwhile; nothing was changed.")
    closed = uow.actions.get(action.id)
    if closed.source.incident_id is not None:
        uow.log.append(incident_id=closed.source.incident_id, at=now, actor=actor, kind=f"action_{status.value}",
                       summary=f"Action {closed.ref} {status.value}: {note}", data={"action": closed.id})
    _refresh(uow, closed, now, message=command.message, actor=actor)
    log.info("action %s %s by %s", closed.ref, status.value, actor)
    return closed
