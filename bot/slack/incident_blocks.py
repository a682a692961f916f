"""Block Kit for running an incident: step modals, decisions, status updates, nudges, stand-down."""
from __future__ import annotations

import json
from datetime import date, datetime

from bot.domain.incident import STATE_LABELS, IncidentState
from bot.domain.plan import Plan
from bot.domain.records import SNOOZE_MINUTES, Decision, Incident, Step
from bot.domain.text import REASON_MAX, TEXT_MAX
from bot.slack.action_blocks import row_blocks
from bot.slack.blocks import _plain, button, context, section, slack_date
from bot.slack.ids import INPUT_ACTION, Action, Callback, Input
from bot.slack.mrkdwn import channel_link, link, safe, user_mention

UPDATE_INTERVALS = {"30": "In 30 minutes", "60": "In 1 hour", "120": "In 2 hours", "240": "In 4 hours",
                    "480": "In 8 hours", "1440": "Tomorrow, same time", "none": "No further update planned"}



def _modal(callback: str, title: str, submit: str, blocks: list[dict], meta: dict) -> dict:
    return {"type": "modal", "callback_id": callback, "title": _plain(title, 24), "submit": _plain(submit, 24),
            "close": _plain("Cancel", 24), "private_metadata": json.dumps(meta), "blocks": blocks}


def _text_input(block_id: str, label: str, *, multiline=True, optional=False, max_length=TEXT_MAX, initial: str | None = None,
                placeholder: str | None = None) -> dict:
    element = {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": multiline, "max_length": max_length}
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label), "element": element}


# Steps --------------------------------------------------------------------------------------
def step_note_modal(step: Step) -> dict:
    return _modal(Callback.STEP_NOTE, "Note on a step", "Save note", [
        section(f"*{step.position}.* {safe(step.title, 600)}"),
        _text_input(Input.TEXT, "Note", initial=step.note),
    ], {"s": step.id})


def step_na_modal(step: Step) -> dict:
    return _modal(Callback.STEP_NA, "Not applicable", "Mark N/A", [
        section(f"*{step.position}.* {safe(step.title, 600)}"),
        _text_input(Input.TEXT, "Why does this step not apply?", max_length=REASON_MAX),
    ], {"s": step.id})


# Decisions ----------------------------------------------------------------------------------
def decision_modal(incident: Incident, *, user_id: str, decisions: list[Decision], prefill: str | None = None,
                   source_link: str | None = None) -> dict:
    blocks = [
        section(f"Decision for *{incident.ref}*. Decisions are never edited: to correct one, log a new one "
                "that says which it corrects."),
        _text_input(Input.DECISION, "Decision", initial=prefill, placeholder="What was decided"),
        _text_input(Input.RATIONALE, "Rationale", optional=True, placeholder="Why"),
        _text_input(Input.OPTIONS, "Options considered", optional=True),
        {"type": "input", "block_id": Input.DECIDED_BY, "label": _plain("Decided by"),
         "element": {"type": "users_select", "action_id": INPUT_ACTION, "initial_user": user_id}},
    ]
    if decisions:
        blocks.append({"type": "input", "block_id": Input.CORRECTS, "optional": True, "label": _plain("Corrects"),
                       "element": {"type": "static_select", "action_id": INPUT_ACTION,
                                   "placeholder": _plain("Only if this corrects an earlier decision"),
                                   "options": [{"text": _plain(f"{d.label}: {d.decision}", 75), "value": str(d.number)}
                                               for d in decisions[-100:]]}})
    return _modal(Callback.DECISION, "Log decision", "Log decision", blocks,
                  {"i": incident.id, "link": source_link} if source_link else {"i": incident.id})


def decision_blocks(incident: Incident, decision: Decision) -> list[dict]:
    heading = f"📌 *{decision.label}* · {incident.ref}"
    if decision.corrects:
        heading += f" · corrects *D{decision.corrects}*"
    # Budgets add up to under Slack's 3,000 characters a section, so no field is cut off unmarked.
    lines = [heading, safe(decision.decision, 1300)]
    if decision.rationale:
        lines.append(f"*Rationale:* {safe(decision.rationale, 750)}")
    if decision.options:
        lines.append(f"*Options considered:* {safe(decision.options, 750)}")
    blocks = [section("\n".join(lines))]
    footer = [f"Decided by {user_mention(decision.decided_by)} · logged by {user_mention(decision.logged_by)} · "
              f"{slack_date(decision.at)}"]
    if decision.source_link and decision.source_link.startswith("https://"):
        footer.append(link(decision.source_link[:500], "From this message"))
    blocks.append(context(*footer))
    return blocks


def decision_text(incident: Incident, decision: Decision) -> str:
    return f"{decision.label} ({incident.ref}): {safe(decision.decision, 2500)}"  # mrkdwn, like the blocks


# Status updates and nudges ------------------------------------------------------------------
def update_modal(incident: Incident) -> dict:
    return _modal(Callback.STATUS_UPDATE, "Post update", "Post update", [
        _text_input(Input.SITUATION, "Situation", placeholder="Where things stand now"),
        _text_input(Input.ACTIONS, "Actions in progress", optional=True),
        {"type": "input", "block_id": Input.NEXT_UPDATE, "label": _plain("Next update due"),
         "element": {"type": "static_select", "action_id": INPUT_ACTION,
                     "initial_option": {"text": _plain(UPDATE_INTERVALS["60"]), "value": "60"},
                     "options": [{"text": _plain(label), "value": value} for value, label in UPDATE_INTERVALS.items()]}},
    ], {"i": incident.id})


def update_blocks(incident: Incident, plan: Plan, *, situation: str, actions: str | None, next_due: datetime | None,
                  by: str, at: datetime) -> list[dict]:
    kind = "🧪 Exercise update" if incident.is_exercise else "📣 Situation report"
    lines = [f"{kind} · *{incident.ref}* · {safe(plan.title, 150)} · {STATE_LABELS[incident.state]}",
             f"*Situation:* {safe(situation, 1500)}"]
    if actions:
        lines.append(f"*Actions in progress:* {safe(actions, 1000)}")
    lines.append("*Next update:* " + (slack_date(next_due) if next_due else "none planned"))
    return [section("\n".join(lines)[:3000]),
            context(f"Posted by {user_mention(by)} · {slack_date(at)} · {channel_link(incident.channel_id)}")]


def nudge_blocks(incident: Incident) -> list[dict]:
    value = {"i": incident.id}
    return [
        section(f"⏰ {user_mention(incident.lead_user_id)}, a status update for *{incident.ref}* is due now."),
        {"type": "actions", "block_id": f"nudge:{incident.id}", "elements": [
            button("📣 Post update", Action.POST_UPDATE, value, style="primary"),
            *[button(f"Snooze {m} min", Action.SNOOZE_NUDGE, value | {"m": m}) for m in SNOOZE_MINUTES],
        ]},
    ]


# Phases and stand-down ----------------------------------------------------------------------
def phase_changed_text(incident: Incident, *, previous: str, phase: str, by: str | None, carried_over: list[Step]) -> str:
    before, after = STATE_LABELS[IncidentState(previous)], STATE_LABELS[IncidentState(phase)]
    text = f"➡️ {user_mention(by)} moved *{incident.ref}* from {before} to *{after}*."
    if carried_over:
        steps = ", ".join(str(s.position) for s in carried_over[:50])
        text += f"\nCarried over from {before.lower()}: step{'s' if len(carried_over) > 1 else ''} {steps}."
    return text


def stand_down_modal(incident: Incident, *, open_steps: int, today: date | None = None, rows: int = 2,
                     recovered: list[dict] | None = None) -> dict:
    """`recovered`: each affected service's "recovered at" (bot.slack.recovery_blocks.recovered_inputs)."""
    blocks = [section(f"Stand down *{incident.ref}*? This closes the incident: its buttons stop working, "
                      "nudges stop, and the report is posted." + (f"\n⚠️ {open_steps} checklist steps are still open."
                                                                 if open_steps else "")),
              _text_input(Input.TEXT, "Closing summary", max_length=TEXT_MAX, placeholder="How it ended and what comes next"),
              *(recovered or [])]
    if incident.is_exercise:
        blocks += [
            _text_input(Input.OBJECTIVES_MET, "Objectives met?", optional=True),
            _text_input(Input.WHAT_WORKED, "What worked", optional=True),
            _text_input(Input.GAPS, "Gaps found", optional=True),
            *row_blocks(rows, today=today or incident.activated_at.date(), form="stand_down", about=incident.id),
        ]
    return _modal(Callback.STAND_DOWN, "Stand down", "Stand down", blocks, {"i": incident.id, "rows": rows})


def stood_down_blocks(incident: Incident, plan: Plan, *, by: str, report: dict) -> list[dict]:
    durations = report["durations_seconds"]
    total = durations.get("to_stand_down") or 0
    steps = [s for phase in report["phases"] for s in phase["steps"]]
    done = sum(s["status"] != "open" for s in steps)
    kind = "Exercise" if incident.is_exercise else "Incident"
    lines = [f"✅ *{kind} {incident.ref} stood down* by {user_mention(by)}.",
             f"*Closing summary:* {safe(incident.closing_summary, 2000)}",
             f"Duration {total // 3600}h {total % 3600 // 60:02d}m · {len(report['decisions'])} decisions · "
             f"{len(report['status_updates'])} status updates · {done}/{len(steps)} steps done or not applicable"]
    return [section("\n".join(lines)[:3000]),
            context(f"Plan {safe(plan.title, 150)} · version `{report['plan']['version'][:10]}` · "
                    f"full report: `bcbot report {incident.ref}`")]
