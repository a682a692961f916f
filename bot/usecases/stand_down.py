"""Use cases of standing an incident down. (To be moved onto the durable road.)"""
from __future__ import annotations

import logging

from bot.slack import blocks
from bot.slack import incident_blocks as render_incident
from bot.usecases.checklist import refresh_checklist
from bot.domain.errors import IncidentStoodDown, InvalidInput, SlackUnavailable
from bot.domain.incident import IncidentState
from bot.domain.plan import PHASE_ORDER, Plan
from bot.domain.records import Incident, StepStatus
from bot.usecases.ports import Bcbot
from bot.domain.text import clean

log = logging.getLogger("bcbot.incident")


from bot.usecases.access import load, require_lead_or_team


def _load(bot: Bcbot, incident_id: int, *, must_be_open: bool = True):
    with bot.uow(read_only=True) as uow:
        return load(bot, uow, incident_id, must_be_open=must_be_open)


# Stand-down ----------------------------------------------------------------------------------
def check_can_stand_down(bot: Bcbot, *, incident_id: int, user_id: str) -> tuple[Incident, int]:
    incident, plan = _load(bot, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "stand down")
    with bot.uow() as uow:
        open_steps = sum(s.status is StepStatus.OPEN for s in uow.incidents.steps(incident_id, incident.state.value))
    return incident, open_steps


def stand_down(bot: Bcbot, *, incident_id: int, user_id: str, closing_summary: str,
               exercise_report: dict | None = None) -> None:
    incident, plan = _load(bot, incident_id)
    require_lead_or_team(bot, incident, plan, user_id, "stand down")
    summary = clean(closing_summary).strip()
    if not summary:
        raise InvalidInput("Add a short closing summary.", {"text": "Say how the incident ended."})
    now = bot.clock()
    with bot.uow() as uow:
        if not uow.incidents.transition(incident_id, from_=incident.state, to=IncidentState.STOOD_DOWN, now=now,
                                        closing_summary=summary):
            raise IncidentStoodDown(incident.ref)
        uow.log.append(incident_id=incident_id, at=now, actor=user_id, kind="stood_down",
                       summary=f"Stood down: {summary}", data={"closing_summary": summary,
                                                               "exercise_report": exercise_report})
        uow.commit()
    incident, _ = _load(bot, incident_id, must_be_open=False)
    from bot.usecases import plans as governance

    try:
        _announce_stand_down(bot, incident, plan, user_id)
    finally:  # the stand-down is committed: the plan's test record and review request follow whatever Slack did
        try:
            governance.on_incident_stood_down(bot, incident_id=incident_id, exercise_report=exercise_report)
        except Exception:
            log.exception("incident %s: the post-incident review request failed", incident_id)


def _announce_stand_down(bot: Bcbot, incident: Incident, plan: Plan, user_id: str) -> None:
    from bot.domain.report import build_report, render_markdown

    report = build_report(bot.uow, incident.ref, tz=bot.settings.timezone)
    bot.slack.post(incident.channel_id, text=f"{incident.ref} stood down",
                   blocks=render_incident.stood_down_blocks(incident, plan, by=user_id, report=report))
    upload = getattr(bot.slack, "upload_file", None)
    if upload:
        try:
            upload(channel=incident.channel_id, filename=f"{incident.ref}-report.md", content=render_markdown(report),
                   title=f"{incident.ref} incident report")
        except SlackUnavailable:
            log.warning("could not attach the report of incident %s", incident.id)
    for phase in PHASE_ORDER:  # every checklist loses its buttons
        refresh_checklist(bot, incident_id=incident.id, phase=phase.value, header=phase is PHASE_ORDER[-1])
    try:
        bot.slack.set_topic(incident.channel_id, blocks.topic(incident))
    except SlackUnavailable:
        pass
    if incident.announce_ts and bot.settings.bcbot_announce_channel:
        text = blocks.announcement_text(incident, plan)
        bot.slack.update(bot.settings.bcbot_announce_channel, incident.announce_ts, text=text,
                         blocks=[blocks.section(text)])




def render_announcement(bot: Bcbot, incident_id: int) -> dict:
    """The announcement channel's message follows the incident's state."""
    incident, plan = _load(bot, incident_id, must_be_open=False)
    if incident.announce_ts and bot.settings.bcbot_announce_channel:
        text = blocks.announcement_text(incident, plan)
        bot.slack.update(bot.settings.bcbot_announce_channel, incident.announce_ts, text=text,
                         blocks=[blocks.section(text)])
    return {}
