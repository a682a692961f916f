"""Block Kit of roles and step owners: the header's list of who holds each role, the DM listing a person's
steps (with Decline for each role they hold), the DM asking an alternate to cover (Accept / Can't), the lead's
"nobody left to cover", and the DMs of a step assigned or fallen overdue."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.domain.records import Step
from bot.domain.roles import IncidentRole, RoleState
from bot.slack.blocks import button, context, section, slack_date
from bot.slack.ids import Action
from bot.slack.mrkdwn import channel_link, link, safe, user_mention

SECTION_MAX = 2900
STEPS_SHOWN = 20  # a DM lists this many steps, then "and N more" (a plan may give one role 500)
DECLINE_BUTTONS = 5


@dataclass(frozen=True)
class Where:
    """The incident a DM is about: its reference and title (only the reference when confidential), and a link
    to its checklist (None: the channel)."""

    ref: str
    title: str
    confidential: bool
    channel_id: str | None
    checklist_url: str | None = None

    @property
    def named(self) -> str:
        return f"*{safe(self.ref, 40)}*" if self.confidential else f"*{safe(self.ref, 40)}* ({safe(self.title, 150)})"

    @property
    def checklist(self) -> str:
        if self.checklist_url:
            return link(self.checklist_url, "Open the checklist")
        return f"The checklist is in {channel_link(self.channel_id)}" if self.channel_id else "See the incident channel"


def roles_field(roles: list[IncidentRole]) -> str | None:
    """The header's "Roles": who holds each, who covers for whom, and where cover is still sought."""
    lines = []
    for role in roles:
        name = safe(role.name, 80)
        holder = user_mention(role.holder) if role.holder else "_nobody in this workspace_"
        if role.covered and role.plan_holder:
            holder += f" (covering for {user_mention(role.plan_holder)})"
        if role.state is RoleState.ASKING and role.asking:
            holder += f" · asking {user_mention(role.asking)} to cover"
        elif role.state is RoleState.UNCOVERED:
            holder += " · ⚠️ *no cover*"
        lines.append(f"• {name}: {holder}")
    if not lines:
        return None
    text, shown = "*Roles*", 0
    for line in lines:
        if len(text) + len(line) + 40 > SECTION_MAX:
            break
        text += "\n" + line
        shown += 1
    return text + (f"\n_and {len(lines) - shown} more_" if shown < len(lines) else "")


def _step_lines(steps: list[Step], due: dict[int, datetime | None]) -> str:
    lines = []
    for step in steps[:STEPS_SHOWN]:
        when = f" — due {slack_date(at, '{date_short_pretty} {time}')}" if (at := due.get(step.id)) else ""
        lines.append(f"• *{step.position}.* {safe(step.title, 200)}{when}")
    if len(steps) > STEPS_SHOWN:
        lines.append(f"_and {len(steps) - STEPS_SHOWN} more in the checklist_")
    return "\n".join(lines)


def steps_text(where: Where, heading: str) -> str:
    return f"{safe(where.ref, 40)}: {heading}"


def steps_blocks(where: Where, heading: str, steps: list[Step], due: dict[int, datetime | None],
                 holds: list[IncidentRole]) -> list[dict]:
    """A person's steps: `heading` says which (a phase's, a role's), then the steps with their due times."""
    blocks = [section(f"{where.named}: {heading}\n{_step_lines(steps, due)}"[:SECTION_MAX]),
              context(f"{where.checklist} to mark them done.")]
    decline = [button(f"I can't take on {role.name}"[:75], Action.ROLE_DECLINE, {"r": role.id})
               for role in holds[:DECLINE_BUTTONS]]
    if decline:
        blocks.append({"type": "actions", "elements": decline})
    return blocks


def cover_text(where: Where, role: IncidentRole) -> str:
    return f"{safe(where.ref, 40)}: can you cover {safe(role.name, 80)}?"


def cover_blocks(where: Where, role: IncidentRole, *, why: str, steps: list[Step],
                 due: dict[int, datetime | None]) -> list[dict]:
    who = user_mention(role.holder) if role.holder else "Its holder"
    text = (f"{where.named}: can you cover *{safe(role.name, 80)}*? {who} {safe(why, 80)}. You are next in the "
            "plan's order of alternates.")
    if steps:
        text += f"\nIts open steps:\n{_step_lines(steps, due)}"
    return [section(text[:SECTION_MAX]), {"type": "actions", "elements": [
        button("Accept", Action.COVER_ACCEPT, {"r": role.id}, style="primary"),
        button("Can't", Action.COVER_DECLINE, {"r": role.id})]}]


def uncovered_text(where: Where, role: IncidentRole) -> str:
    asked = ", ".join(user_mention(u) for u in role.asked) or "nobody (the plan names no alternate)"
    return (f"⚠️ {where.named}: nobody is covering *{safe(role.name, 80)}*. Asked: {asked}. Hand it to someone "
            f"with `/activate role @person {safe(role.name, 80)}` in the incident channel.")


def step_text(where: Where, step: Step, heading: str, due: datetime | None) -> str:
    when = f" (due {slack_date(due, '{date_short_pretty} {time}')})" if due else ""
    return (f"{where.named}: {heading}\n*{step.position}.* {safe(step.title, 500)}{when}\n{where.checklist}")[:SECTION_MAX]
