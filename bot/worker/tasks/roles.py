"""Outbox tasks of roles and step owners (subject `incident:<id>`): a person's steps by DM (per phase, or a role
taken over), a step assigned or fallen overdue, an alternate asked to cover, the wait for their answer, the
lead told nobody is left, the clicked DM replaced in place, and a new holder invited to the channel. DMs go to
the user ID, paced and keyed (a retry looks in the DM channel first: nothing is sent twice)."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from bot.bcbot import Bcbot
from bot.domain.incident import STATE_LABELS, IncidentState, is_open
from bot.domain.records import Incident, Step, StepStatus, phase_starts
from bot.domain.roles import IncidentRole, RoleState, role_key
from bot.slack import role_blocks as rb
from bot.slack.blocks import section
from bot.slack.mrkdwn import safe, user_mention
from bot.usecases import roles as role_cases
from bot.usecases.access import plan_of
from bot.worker.outbox import TaskContext
from bot.worker.tasks.rollcall import known_dm

log = logging.getLogger("bcbot.roles")


@dataclass(frozen=True)
class Seen:
    """An incident as a DM task reads it: the incident, its steps and roles, and when each step is due."""

    incident: Incident
    steps: list[Step]
    roles: list[IncidentRole]
    due: dict[int, datetime | None]
    where: rb.Where


def _read(bot: Bcbot, incident_id: int, *, phase: str | None = None) -> Seen:
    with bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(incident_id)
        plan = plan_of(bot, uow, incident.plan_version_id)
        steps = uow.incidents.steps(incident_id)
        roles = uow.roles.of_incident(incident_id)
        started = phase_starts(incident, uow.log.phase_changes(incident_id))
        pages = uow.incidents.checklist_messages(incident_id, phase or incident.state.value)
    due = {s.id: s.due_at(started[s.phase]) if s.phase in started else None for s in steps}
    url = None
    if 1 in pages:  # a link to the checklist's first page; the channel if Slack will not give one
        url = bot.slack.permalink(*pages[1])
    where = rb.Where(ref=incident.ref, title=plan.title, confidential=incident.confidential,
                     channel_id=incident.channel_id, checklist_url=url)
    return Seen(incident, steps, roles, due, where)


def _dm(ctx: TaskContext, user: str, key: str, *, text: str, blocks: list[dict]) -> dict:
    look_in = known_dm(ctx.bot, user) if ctx.retry else None
    channel, ts = ctx.bot.slack.paced_post(user, key, text=text, blocks=blocks, look_in=look_in)
    return {"channel": channel, "ts": ts}


def send_steps(ctx: TaskContext) -> dict:
    """One DM listing a person's open steps: of a phase (`phase`), or of a role they took over (`role_id`)."""
    user, phase, role_id = ctx.args["user"], ctx.args.get("phase"), ctx.args.get("role_id")
    seen = _read(ctx.bot, int(ctx.subject_id), phase=phase)
    if not is_open(seen.incident.state):
        return {"skipped": "stood down"}
    mine = [s for s in seen.steps if s.assignee == user and s.status is StepStatus.OPEN]
    if role_id is not None:
        role = next((r for r in seen.roles if r.id == int(role_id)), None)
        if role is None or role.holder != user:
            return {"skipped": "no longer theirs"}
        mine = [s for s in mine if role_key(s.owner_role or "") == role_key(role.name)]
        heading = f"you now hold *{safe(role.name, 80)}*; its open steps are yours:"
    else:
        mine = [s for s in mine if s.phase == phase]
        heading = f"your steps in *{STATE_LABELS[IncidentState(str(phase))].lower()}*:"
    if not mine:
        return {"skipped": "no open steps"}
    holds = [r for r in seen.roles if r.holder == user and r.state is RoleState.HELD]
    return _dm(ctx, user, f"{seen.incident.ref}:{ctx.task.name}", text=rb.steps_text(seen.where, "your steps"),
               blocks=rb.steps_blocks(seen.where, heading, mine, seen.due, holds))


def _step_dm(ctx: TaskContext, heading: str, *, overdue: bool) -> dict:
    user, step_id = ctx.args["user"], int(ctx.args["step_id"])
    seen = _read(ctx.bot, int(ctx.subject_id))
    step = next((s for s in seen.steps if s.id == step_id), None)
    if step is None or not is_open(seen.incident.state) or step.status is not StepStatus.OPEN:
        return {"skipped": "done or gone"}
    if step.assignee != user:
        return {"skipped": "assigned to someone else since"}
    text = rb.step_text(seen.where, step, heading, None if overdue else seen.due.get(step.id))
    return _dm(ctx, user, f"{seen.incident.ref}:{ctx.task.name}", text=text[:300], blocks=[section(text)])


def send_assigned(ctx: TaskContext) -> dict:
    by = user_mention(ctx.args.get("by"))
    return _step_dm(ctx, f"{by} assigned you a step:", overdue=False)


def send_overdue(ctx: TaskContext) -> dict:
    return _step_dm(ctx, "⚠️ a step of yours is *overdue*:", overdue=True)


def ask_cover(ctx: TaskContext) -> dict:
    user, role_id = ctx.args["user"], int(ctx.args["role_id"])
    seen = _read(ctx.bot, int(ctx.subject_id))
    role = next((r for r in seen.roles if r.id == role_id), None)
    if role is None or role.state is not RoleState.ASKING or role.asking != user or not is_open(seen.incident.state):
        return {"skipped": "no longer asked"}
    with ctx.bot.uow(read_only=True) as uow:
        asked = uow.log.entries(seen.incident.id)
    why = next((e.data.get("why") for e in reversed(asked) if e.kind == "role_cover_asked"
                and e.data.get("asked") == user and e.data.get("role") == role.name), None) or "cannot act"
    steps = [s for s in seen.steps if s.status is StepStatus.OPEN and role_key(s.owner_role or "") == role_key(role.name)]
    return _dm(ctx, user, f"{seen.incident.ref}:{ctx.task.name}", text=rb.cover_text(seen.where, role),
               blocks=rb.cover_blocks(seen.where, role, why=why, steps=steps, due=seen.due))


def cover_wait(ctx: TaskContext) -> dict:
    """`escalate_after` passed since an alternate was asked: if they still have not answered, the next is asked."""
    with ctx.bot.uow() as uow:
        moved = role_cases.cover_timed_out(ctx.bot, uow, int(ctx.args["role_id"]), ctx.args["user"])
        uow.commit()
    return {"moved_on": moved}


def tell_uncovered(ctx: TaskContext) -> dict:
    seen = _read(ctx.bot, int(ctx.subject_id))
    role = next((r for r in seen.roles if r.id == int(ctx.args["role_id"])), None)
    if role is None or role.state is not RoleState.UNCOVERED or not is_open(seen.incident.state):
        return {"skipped": "covered meanwhile"}
    text = rb.uncovered_text(seen.where, role)
    return _dm(ctx, seen.incident.lead_user_id, f"{seen.incident.ref}:{ctx.task.name}", text=text[:300],
               blocks=[section(text)])


def reply(ctx: TaskContext) -> dict:
    """The DM the person clicked in, replaced through the click's response_url with what happened."""
    url = ctx.args.get("url")
    if not isinstance(url, str) or not ctx.bot.slack.is_response_url(url):
        return {"skipped": "no response_url"}
    from slack_sdk.webhook import WebhookClient

    text = str(ctx.args.get("text", ""))[:2900]
    response = WebhookClient(url).send(text=text, replace_original=True, blocks=[section(text)])
    return {"status": response.status_code}


def invite_holder(ctx: TaskContext) -> dict:
    with ctx.bot.uow(read_only=True) as uow:
        incident = uow.incidents.get(int(ctx.subject_id))
    if not incident.channel_id or not is_open(incident.state):
        return {"skipped": "no channel"}
    failed = ctx.bot.slack.invite(incident.channel_id, [ctx.args["user"]])
    return {"failed": failed}


TASKS = {
    "steps_dm": send_steps, "step_assigned_dm": send_assigned, "step_overdue_dm": send_overdue,
    "cover_ask": ask_cover, "cover_wait": cover_wait, "role_uncovered": tell_uncovered, "role_reply": reply,
    "invite_holder": invite_holder,
}
