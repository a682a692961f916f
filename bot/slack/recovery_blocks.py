"""Block Kit of affected services' recovery: the header's services with their RTO deadlines (Slack dates: each
reader sees their own time zone) and **Service recovered** buttons, the **Change services** form, the lead's
nudges at 75% of an RTO and at a breach, and the activation form's "when did the disruption start"."""
from __future__ import annotations

import json
from datetime import datetime

from bot.domain.durations import spoken
from bot.domain.incident import is_open
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.recovery import AffectedService, Mark, Outcome, in_recovery_order
from bot.slack.blocks import MODAL_TITLE_MAX, _option, _plain, button, section, slack_date
from bot.slack.ids import INPUT_ACTION, Action, Callback, Field
from bot.slack.mrkdwn import safe, user_mention

SHOWN_ONE_BY_ONE = 20  # services with a button each; any more are listed in one section (a message has 50 blocks)


def service_line(service: AffectedService, now: datetime) -> str:
    """'*Payroll* · RTO 2h · due <date>', marked breached once passed, or recovered with its outcome."""
    parts = [f"*{safe(service.name, 100)}*"]
    if service.priority is not None:
        parts[0] = f"{service.priority}. " + parts[0]
    rto = service.rto_outcome(now)
    if service.rto_minutes and service.rto_due_at:
        due = slack_date(service.rto_due_at)
        if service.recovered_at is None:
            parts.append(f"🔴 RTO {spoken(service.rto_minutes)} *breached*: was due {due}" if rto is Outcome.MISSED
                         else f"RTO {spoken(service.rto_minutes)}: due {due}")
        else:
            parts.append(f"RTO {spoken(service.rto_minutes)} {'met ✅' if rto is Outcome.MET else 'missed 🔴'}")
    if service.mtpd_minutes and service.mtpd_due_at and service.mtpd_outcome(now) is Outcome.MISSED \
            and service.recovered_at is None:
        parts.append(f"🛑 MTPD {spoken(service.mtpd_minutes)} passed")
    if service.recovered_at is not None:
        parts.append(f"recovered {slack_date(service.recovered_at)}")
    return " · ".join(parts)


def service_blocks(incident: Incident, services: list[AffectedService], now: datetime) -> list[dict] | None:
    """The header's "Services affected", in recovery order: a line each (with **Service recovered** while its
    clock runs), and **Change services** while the incident is open. None for an incident from before services
    had clocks (the header lists its names)."""
    if not services and incident.services:
        return None
    running = is_open(incident.state)
    ordered = in_recovery_order(services)
    change = button("Change services", Action.CHANGE_SERVICES, {"i": incident.id}) if running else None
    title = "*Services affected*" if ordered else "*Services affected*\nNone named."
    if ordered:
        title += f" (disrupted since {slack_date(incident.disruption_start)})"
    found = [section(title, change)]
    for service in ordered[:SHOWN_ONE_BY_ONE]:
        recovered = None
        if running and service.recovered_at is None:
            recovered = button("Service recovered", Action.SERVICE_RECOVERED, {"i": incident.id, "s": service.id})
        found.append(section(service_line(service, now), recovered))
    if rest := ordered[SHOWN_ONE_BY_ONE:]:
        found.append(section("\n".join(service_line(s, now) for s in rest)))
    return found


def services_modal(incident: Incident, plan: Plan, services: list[AffectedService]) -> dict:
    current = {s.name for s in services}
    options = [_option(name, name) for name in plan.service_names]
    element: dict = {"type": "multi_static_select", "action_id": INPUT_ACTION, "options": options,
                     "placeholder": _plain("From the plan's remit")}
    if chosen := [o for o in options if o["value"] in current]:
        element["initial_options"] = chosen
    return {
        "type": "modal", "callback_id": Callback.CHANGE_SERVICES,
        "title": _plain("Services affected", MODAL_TITLE_MAX), "submit": _plain("Save", MODAL_TITLE_MAX),
        "close": _plain("Cancel", MODAL_TITLE_MAX), "private_metadata": json.dumps({"i": incident.id}),
        "blocks": [
            section(f"*{incident.ref}*: the services this incident affects now. A service added starts its clock "
                    "from the disruption's start; one taken off stops counting."),
            {"type": "input", "block_id": Field.SERVICES, "optional": True, "label": _plain("Services affected"),
             "element": element},
        ],
    }


def disrupted_input(now: datetime) -> dict:
    """The activation form's "When did the disruption start?" (default: now)."""
    return {"type": "input", "block_id": Field.DISRUPTED_AT, "optional": True,
            "label": _plain("When did the disruption start?"),
            "hint": _plain("Services' recovery time objectives count from this (default: now)."),
            "element": {"type": "datetimepicker", "action_id": INPUT_ACTION, "initial_date_time": int(now.timestamp())}}


RECOVERED_PREFIX = "recovered:"  # + the service's ID: the stand-down form's "recovered at" of a service
RECOVERED_INPUTS_MAX = 20


def recovered_inputs(services: list[AffectedService], now: datetime) -> list[dict]:
    """The stand-down form's "recovered at" per affected service, in priority order, each pre-filled with when
    it was recovered, or now for one still down (its clock stops at that time)."""
    blocks = []
    for service in in_recovery_order([s for s in services if s.active])[:RECOVERED_INPUTS_MAX]:
        at = service.recovered_at or now
        blocks.append({"type": "input", "block_id": f"{RECOVERED_PREFIX}{service.id}", "optional": True,
                       "label": _plain(f"{service.name}: recovered at"[:2000]),
                       "hint": _plain("Recovered already: as recorded." if service.recovered_at else
                                      "Still down: its recovery time objective's clock stops at this time."),
                       "element": {"type": "datetimepicker", "action_id": INPUT_ACTION,
                                   "initial_date_time": int(at.timestamp())}})
    return blocks


def mark_text(incident: Incident, service: AffectedService, mark: Mark) -> str:
    lead, name = user_mention(incident.lead_user_id), f"*{safe(service.name, 100)}*"
    if mark is Mark.WARN and service.rto_minutes and service.rto_due_at:
        return (f"⏳ {lead}, 75% of the recovery time objective of {name} has passed in *{incident.ref}*: "
                f"RTO {spoken(service.rto_minutes)}, due {slack_date(service.rto_due_at)}.")
    if mark is Mark.RTO and service.rto_minutes and service.rto_due_at:
        return (f"🔴 {lead}, the recovery time objective of {name} is *breached* in *{incident.ref}*: "
                f"RTO {spoken(service.rto_minutes)}, due {slack_date(service.rto_due_at)}.")
    mtpd = spoken(service.mtpd_minutes or 0)
    return (f"🛑 {lead}, {name} has been disrupted longer than its maximum tolerable period of disruption "
            f"(MTPD {mtpd}) in *{incident.ref}*. The plan's owners are told.")


def mark_blocks(incident: Incident, service: AffectedService, mark: Mark) -> list[dict]:
    recovered = button("Service recovered", Action.SERVICE_RECOVERED, {"i": incident.id, "s": service.id})
    return [section(mark_text(incident, service, mark), recovered if service.recovered_at is None else None)]
