"""Every outbox task kind the worker can run (`outbox.kind`), in one table."""
from __future__ import annotations

from bot.worker.outbox import TaskFunction
from bot.worker.tasks import (
    actions,
    checklist,
    governance,
    held,
    incident,
    parts,
    plans,
    recovery,
    requests,
    roles,
    rollcall,
    setup,
    tell,
)

TASKS: dict[str, TaskFunction] = {
    **setup.TASKS,
    "set_topic": incident.set_topic,
    "ask_team": requests.ask_team,
    "request_decided": requests.request_decided,
    "link_approvals": requests.link_approvals,
    "post_checklist": checklist.post_checklist,
    "render_checklist": checklist.render_checklist,
    "render_header": checklist.render_header,
    "phase_notice": incident.phase_notice,
    # A phase change's refresh owed before the outbox was keyed by subject (migration 0006 carries it over).
    "render_incident": lambda ctx: {**incident.set_topic(ctx), **checklist.render_header(ctx)},
    "post_stood_down": incident.post_stood_down,
    "upload_report": incident.upload_report,
    "render_announcement": incident.render_announcement,
    "post_decision": incident.post_decision,
    "post_update": incident.post_update,
    "post_nudge": incident.post_nudge,
    "ephemeral": incident.ephemeral,
    "tell": tell.tell,
    "tell_held": held.tell_held,
    "tell_new_channel": held.tell_new_channel,
    "reminders_done": governance.reminders_done,
    "reminder_snoozed": governance.reminder_snoozed,
    "test_recorded_dm": governance.test_recorded_dm,
    "post_incident_reviews": governance.post_incident_reviews,
    "tell_plan_owners": plans.tell_plan_owners,
    **rollcall.TASKS,
    **roles.TASKS,
    **recovery.TASKS,
    **actions.TASKS,
    **parts.TASKS,
}
