"""Block Kit rendering: pure functions from domain values to Slack payloads. Every piece of user or plan text
goes through `mrkdwn.safe` (mrkdwn) or `mrkdwn.plain` (plain_text), and every block respects Slack's limits,
so Slack never rejects what bcbot posts."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.domain.incident import STATE_LABELS, IncidentState, is_open
from bot.domain.plan import Plan
from bot.domain.records import ActivationRequest, Incident, Step, StepStatus, progress
from bot.slack.ids import INPUT_ACTION, OTHER_VALUE, Action, Callback, Field
from bot.slack.mrkdwn import channel_link, plain, safe, user_mention
from bot.slack.mrkdwn import link as link_to

SECTION_MAX = 3000
HEADER_MAX = 150
FIELD_MAX = 2000
BUTTON_TEXT_MAX = 75
MESSAGE_BLOCKS_MAX = 50  # a message's blocks, Slack's limit
MODAL_TITLE_MAX = 24


def _plain(text: str, limit: int = 2000) -> dict:
    return {"type": "plain_text", "text": plain(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text[:SECTION_MAX] or " "}


def section(text: str, accessory: dict | None = None) -> dict:
    block = {"type": "section", "text": _mrkdwn(text)}
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> dict:
    return {"type": "context", "elements": [_mrkdwn(t) for t in texts[:10]]}


def button(label: str, action_id: str, value: dict | str | None = None, style: str | None = None,
           url: str | None = None, confirm: dict | None = None) -> dict:
    element = {"type": "button", "text": _plain(label, BUTTON_TEXT_MAX), "action_id": action_id}
    if value is not None:
        element["value"] = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if style:
        element["style"] = style
    if url:
        element["url"] = url
    if confirm:
        element["confirm"] = confirm
    return element


def _option(label: str, value: str) -> dict:
    return {"text": _plain(label, 75), "value": value[:150]}


def slack_date(at: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    return f"<!date^{int(at.timestamp())}^{fmt}|{at.astimezone(ZoneInfo('UTC')):%Y-%m-%d %H:%M} UTC>"


# Activation modal ---------------------------------------------------------------------------
def activation_modal(*, plans: list[Plan], plan: Plan, user_id: str, exercise: bool = False, disrupted: dict | None = None) -> dict:
    blocks: list[dict] = []
    if len(plans) > 1:
        blocks.append({
            "type": "input", "block_id": Field.PLAN, "dispatch_action": True, "label": _plain("Plan"),
            "element": {"type": "static_select", "action_id": Action.PLAN_SELECTED,
                        "options": [_option(p.title, p.id) for p in plans[:100]],
                        "initial_option": _option(plan.title, plan.id)},
        })
    intro = (f"*{safe(plan.title, 200)}*\nOnly the Business Continuity Team activates this plan. "
             "If you are not on it, your request goes to them for approval.")
    if exercise:
        intro = f"🧪 *Exercise* of {intro}"
    blocks.append(section(intro))
    blocks.append({
        "type": "input", "block_id": Field.CIRCUMSTANCE, "label": _plain("Circumstance"),
        "element": {"type": "static_select", "action_id": INPUT_ACTION, "placeholder": _plain("What kind of disruption?"),
                    "options": [_option(c, c) for c in plan.activation.circumstance_names] + [_option("Other", OTHER_VALUE)]},
    })
    blocks.append({
        "type": "input", "block_id": Field.OTHER, "optional": True, "label": _plain("If other: what kind of disruption?"),
        "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "max_length": 75},
    })
    blocks.append({
        "type": "input", "block_id": Field.SUMMARY, "label": _plain("What happened?"),
        "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True, "max_length": 3000,
                    "placeholder": _plain("What happened, when, and who or what is affected")},
    })
    blocks.append({
        "type": "input", "block_id": Field.SERVICES, "optional": True, "label": _plain("Services affected"),
        "element": {"type": "multi_static_select", "action_id": INPUT_ACTION, "placeholder": _plain("From the plan's remit"),
                    "options": [_option(s, s) for s in plan.service_names]},
    })
    blocks += [disrupted] if disrupted else []  # when the disruption started: recovery_blocks.disrupted_input
    blocks.append({
        "type": "input", "block_id": Field.LEAD, "label": _plain("Incident lead"),
        "element": {"type": "users_select", "action_id": INPUT_ACTION, "initial_user": user_id},
    })
    blocks.append(roll_call_input(plan))
    blocks.append(confidential_input(plan))
    return {
        "type": "modal",
        "callback_id": Callback.ACTIVATION,
        "title": _plain("Start exercise" if exercise else "Activate plan", MODAL_TITLE_MAX),
        "submit": _plain("Start exercise" if exercise else "Activate", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": json.dumps({"plan": plan.id, "exercise": exercise}),
        "blocks": blocks,
    }


ROLL_CALL_YES, ROLL_CALL_NO, ROLL_CALL_PLAN = "yes", "no", "plan"


def roll_call_input(plan: Plan) -> dict:
    """Run a roll call: on by default; where the plan skips it for some circumstances, "as the plan says"."""
    options = [_option("Yes: ask everyone in the plan if they are safe", ROLL_CALL_YES),
               _option("No roll call", ROLL_CALL_NO)]
    initial = options[0]
    if plan.roll_call.skip_for:
        skipped = ", ".join(plan.roll_call.skip_for)
        options.insert(0, _option(f"As the plan says (not for: {skipped})", ROLL_CALL_PLAN))
        initial = options[0]
    return {"type": "input", "block_id": Field.ROLL_CALL, "label": _plain("Run a roll call"),
            "element": {"type": "radio_buttons", "action_id": INPUT_ACTION, "options": options,
                        "initial_option": initial}}


CONFIDENTIAL_VALUE = "confidential"


def confidential_input(plan: Plan) -> dict:
    """The Confidential checkbox: ticked when the plan says so; the circumstances that are always
    confidential are named (the form cannot change as a circumstance is chosen)."""
    always = [c for c in plan.activation.circumstance_names if plan.activation.must_be_confidential(c)]
    option = {"text": _plain("Confidential"), "value": CONFIDENTIAL_VALUE,
              "description": _plain("A private channel; elsewhere only the reference is shown", 75)}
    element: dict = {"type": "checkboxes", "action_id": INPUT_ACTION, "options": [option]}
    if plan.activation.confidential:
        element["initial_options"] = [option]
    block = {"type": "input", "block_id": Field.CONFIDENTIAL, "optional": True, "label": _plain("Confidentiality"),
             "element": element}
    if always:
        block["hint"] = _plain("Always confidential: " + "; ".join(always), 2000)
    return block


# Incident header ----------------------------------------------------------------------------
def incident_title(incident: Incident, plan: Plan) -> str:
    prefix = "🧪 EXERCISE · " if incident.is_exercise else ""
    return f"{prefix}{incident.ref} · {plan.title}"


def topic(incident: Incident) -> str:
    prefix = "EXERCISE · " if incident.is_exercise else ""
    return plain(f"{prefix}{incident.ref} · {incident.circumstance} · {STATE_LABELS[incident.state]}", 250)


def credit(incident: Incident) -> str:
    if incident.approved_by:
        return f"requested by {user_mention(incident.activated_by)}, approved by {user_mention(incident.approved_by)}"
    return user_mention(incident.activated_by)


def header_blocks(incident: Incident, plan: Plan, steps: list[Step], roles: str | None = None, services: list | None = None) -> list[dict]:
    status = "Active" if is_open(incident.state) else "Stood down"
    phase_steps = [s for s in steps if s.phase == incident.state]
    fields = [
        f"*Circumstance*\n{safe(incident.circumstance, 300)}",
        f"*Incident lead*\n{user_mention(incident.lead_user_id)}",
        f"*Phase*\n{STATE_LABELS[incident.state]}" + (f" ({progress(phase_steps)})" if phase_steps else ""),
        f"*Status*\n{status}",
        f"*Activated*\n{slack_date(incident.activated_at)}",
        f"*Activated by*\n{credit(incident)}",
    ]
    if incident.next_update_due and is_open(incident.state):
        fields.append(f"*Next update due*\n{slack_date(incident.next_update_due)}")
    if incident.stood_down_at:
        fields.append(f"*Stood down*\n{slack_date(incident.stood_down_at)}")
    blocks: list[dict] = [
        {"type": "header", "text": _plain(incident_title(incident, plan), HEADER_MAX)},
        {"type": "section", "fields": [_mrkdwn(f[:FIELD_MAX]) for f in fields]},
        section(f"*What happened*\n{safe(incident.summary, SECTION_MAX - 20)}"),
    ]
    if services is not None:  # with their recovery clocks: bot.slack.recovery_blocks.service_blocks
        blocks += services
    elif incident.services:
        blocks.append(section("*Services affected*\n" + safe(", ".join(incident.services), SECTION_MAX - 30)))
    if roles:  # who holds each role: bot.slack.role_blocks.roles_field
        blocks.append(section(roles))
    if incident.closing_summary:
        blocks.append(section("*Closing summary*\n" + safe(incident.closing_summary, SECTION_MAX - 30)))
    if is_open(incident.state):
        open_count = sum(s.status is StepStatus.OPEN for s in phase_steps)
        blocks.append(header_actions(incident, open_count))
    footer = [f"Plan: {safe(plan.title, 150)} · version `{plan.content_hash()[:10]}`"]
    if contacts := contacts_mrkdwn(plan):
        footer.append(f"📇 {contacts}")
    blocks.append(context(*footer))
    return blocks


def contacts_mrkdwn(plan: Plan, label: str = "Contact details") -> str | None:
    """The plan's contacts link; a relative one with no handbook_url to join it to is shown as text."""
    if link := plan.contacts_link:
        return link_to(link[:1000], label)
    if plan.activation.contacts_url:
        return f"{label}: {safe(plan.activation.contacts_url, 1000)}"
    return None


def header_actions(incident: Incident, open_steps: int) -> dict:
    value = {"i": incident.id}
    elements = []
    if incident.state is not IncidentState.RESUMPTION_RECOVERY:
        confirm = None
        if open_steps:
            confirm = {
                "title": _plain("Move to the next phase?", 100),
                "text": _mrkdwn(f"{open_steps} step{'s' if open_steps != 1 else ''} of {STATE_LABELS[incident.state].lower()} "
                                f"{'are' if open_steps != 1 else 'is'} still open. They will be recorded as carried over."),
                "confirm": _plain("Move on", 30), "deny": _plain("Stay", 30),
            }
        # The phase the button moves on from rides along, so a double click moves one phase, not two.
        elements.append(button("Next phase →", Action.ADVANCE_PHASE, value | {"from": incident.state.value},
                               style="primary", confirm=confirm))
    elements += [
        button("📌 Log decision", Action.LOG_DECISION, value),
        button("📣 Post update", Action.POST_UPDATE, value),
        button("🛑 Stand down", Action.STAND_DOWN, value, style="danger"),
    ]
    return {"type": "actions", "block_id": f"incident:{incident.id}", "elements": elements}


def header_text(incident: Incident, plan: Plan) -> str:
    # A message's text is mrkdwn (it is the notification): user text in it is escaped like in blocks.
    return f"{safe(incident_title(incident, plan), 300)}: {safe(incident.circumstance, 300)} ({STATE_LABELS[incident.state]})"


# Checklist ----------------------------------------------------------------------------------
STATUS_ICONS = {StepStatus.OPEN: "⬜", StepStatus.DONE: "✅", StepStatus.NOT_APPLICABLE: "➖"}


def _step_line(step: Step, *, phase_started_at: datetime | None, now: datetime, carried_from: str | None = None) -> str:
    title = safe(step.title, 600)
    if step.status is StepStatus.DONE:
        title = f"~{title}~"
    line = f"{STATUS_ICONS[step.status]} *{step.position}.* {title}"
    details = []
    if carried_from:
        details.append(f"from {safe(carried_from, 80).lower()}")
    if step.owner_role:
        details.append(safe(step.owner_role, 80))
    due = step.due_at(phase_started_at) if phase_started_at else None
    if due and step.status is StepStatus.OPEN:
        details.append(("⚠️ *overdue* since " if now > due else "due ") + slack_date(due, "{time}"))
    if step.status is StepStatus.DONE and step.changed_by and step.changed_at:
        details.append(f"done by {user_mention(step.changed_by)} {slack_date(step.changed_at, '{time}')}")
    if step.status is StepStatus.NOT_APPLICABLE:
        details.append("not applicable" + (f": {safe(step.na_reason, 300)}" if step.na_reason else ""))
    if step.assignee:
        details.append(f"assigned to {user_mention(step.assignee)}")
    if details:
        line += "\n_" + " · ".join(details) + "_"
    if step.note:
        line += f"\n📝 {safe(step.note, 800)}"
    return line


def _step_blocks(step: Step, *, incident: Incident, phase_started_at: datetime | None, now: datetime,
                 carried_from: str | None = None) -> list[dict]:
    text = section(_step_line(step, phase_started_at=phase_started_at, now=now, carried_from=carried_from))
    if not is_open(incident.state):
        return [text]
    value = {"s": step.id}
    if step.status is StepStatus.OPEN:
        toggle = button("Mark done", Action.STEP_DONE, value, style="primary")
    else:
        toggle = button("Reopen", Action.STEP_REOPEN, value)
    assign = {"type": "users_select", "action_id": Action.STEP_ASSIGN, "placeholder": _plain("Assign")}
    if step.assignee:
        assign["initial_user"] = step.assignee
    more_options = [_option("📝 Add a note", json.dumps(value | {"op": "note"}))]
    if step.status is StepStatus.OPEN:
        more_options.append(_option("➖ Not applicable", json.dumps(value | {"op": "na"})))
    more = {"type": "overflow", "action_id": Action.STEP_MORE, "options": more_options}
    # The step's ID rides in the block ID: a users_select has no value of its own.
    return [text, {"type": "actions", "block_id": f"step:{step.id}", "elements": [toggle, assign, more]}]


def checklist_pages(incident: Incident, plan: Plan, phase: str, steps: list[Step], *, now: datetime,
                    started: Mapping[str, datetime] | None = None, carried: Sequence[Step] = ()) -> list[list[dict]]:
    """The phase's checklist as one or more messages, each within Slack's 50-block limit. `started`: when
    each phase began (a step is due that long after its own phase began, carried over or not); `carried`:
    earlier phases' steps shown below this phase's, still open (or finished since), with their buttons."""
    phase_def = plan.phase(phase)
    started = started or {incident.state.value: incident.phase_started_at}
    items: list[Step | None] = [*steps, *([None, *carried] if carried else [])]  # None: the carried-over heading
    chunks: list[list[Step | None]] = [[]]
    used = 1  # the page heading
    for item in items:
        size = 1 if item is None else 2
        if used + size > MESSAGE_BLOCKS_MAX and chunks[-1]:
            chunks.append([])
            used = 1
        chunks[-1].append(item)
        used += size
    pages = []
    for number, chunk in enumerate(chunks, start=1):
        heading = f"*{safe(phase_def.title, 150)} checklist* · {incident.ref} · {progress(steps)}"
        if len(chunks) > 1:
            heading += f" · part {number} of {len(chunks)}"
        if number == 1 and phase_def.purpose:
            heading += f"\n_{safe(phase_def.purpose, 2000)}_"
        blocks = [section(heading)]
        for item in chunk:
            if item is None:
                blocks.append(section("*Carried over* from earlier phases: still to do here"))
                continue
            carried_from = plan.phase(item.phase).title if item.phase != phase else None
            blocks += _step_blocks(item, incident=incident, phase_started_at=started.get(item.phase), now=now,
                                   carried_from=carried_from)
        pages.append(blocks)
    return pages


def checklist_text(incident: Incident, plan: Plan, phase: str, steps: list[Step]) -> str:
    # A message's text is mrkdwn (it is the notification): the plan's phase title is escaped like in blocks.
    return f"{safe(plan.phase(phase).title, 300)} checklist for {safe(incident.ref, 20)}: {progress(steps)}"


# Announcement, approvals, notices ------------------------------------------------------------
def confidential_line(incident: Incident) -> str:
    """All that is shown of a confidential incident outside its people: that it was activated, and its reference."""
    return f"🔒 *{incident.ref}* {'stood down' if not is_open(incident.state) else 'activated'}"


def announcement_text(incident: Incident, plan: Plan) -> str:
    if incident.confidential:  # the fact and the reference: no plan, circumstance, lead or channel
        return confidential_line(incident)
    if not is_open(incident.state):
        kind = "✅ Exercise stood down" if incident.is_exercise else "✅ Stood down"
    else:
        kind = "🧪 Exercise started" if incident.is_exercise else "🚨 Business continuity plan activated"
    return (f"{kind}: *{incident.ref}* · {safe(plan.title, 150)}\n"
            f"*Circumstance:* {safe(incident.circumstance, 300)} · *Lead:* {user_mention(incident.lead_user_id)} · "
            f"*Phase:* {STATE_LABELS[incident.state]}\nFollow it in {channel_link(incident.channel_id)}")


def approval_request_blocks(request: ActivationRequest, plan: Plan) -> list[dict]:
    form = request.form
    kind = "an *exercise* of" if form.is_exercise else "activation of"
    lines = [
        f"{user_mention(request.requested_by)} asks for {kind} *{safe(plan.title, 150)}*.",
        f"*Circumstance:* {safe(form.circumstance, 300)}",
        f"*What happened:* {safe(form.summary, 2000)}",
    ]
    if form.services:
        lines.append("*Services affected:* " + safe(", ".join(form.services), 500))
    lines.append(f"*Proposed lead:* {user_mention(form.lead_user_id)}")
    value = {"r": request.id}
    return [
        section("\n".join(lines)),
        {"type": "actions", "block_id": f"request-{request.id}", "elements": [
            button("Approve and activate", Action.APPROVE_REQUEST, value, style="primary"),
            button("Decline", Action.DECLINE_REQUEST, value, style="danger"),
        ]},
    ]


def approval_request_text(request: ActivationRequest, plan: Plan) -> str:
    return f"Activation request for {safe(plan.title, 150)}: {safe(request.form.circumstance, 300)}"


def request_decided_blocks(request: ActivationRequest, plan: Plan, *, approved: bool, by: str,
                           incident: Incident | None = None) -> list[dict]:
    where = (f" in {channel_link(incident.channel_id)}" if incident.channel_id else " (its channel is being opened)") \
        if incident else ""
    outcome = (f"✅ Approved by {user_mention(by)}" + (f": {incident.ref}{where}" if incident else "")
               if approved else f"❌ Declined by {user_mention(by)}")
    return [section(f"{user_mention(request.requested_by)} asked to activate *{safe(plan.title, 150)}* "
                    f"({safe(request.form.circumstance, 300)}).\n{outcome}")]


def incident_line(incident: Incident, plan_title: str, steps: list[Step] | None = None) -> str:
    line = (f"*{incident.ref}* {'🧪 ' if incident.is_exercise else ''}{safe(plan_title, 150)} · "
            f"{safe(incident.circumstance, 200)} · {STATE_LABELS[incident.state]}")
    if steps is not None:
        line += f" ({progress([s for s in steps if s.phase == incident.state])})"
    return line + f" · lead {user_mention(incident.lead_user_id)} · {channel_link(incident.channel_id)}"

