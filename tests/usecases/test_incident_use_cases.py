"""Use cases write their change and owe every Slack effect as outbox tasks, in one unit of work; none calls Slack."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.commands import AdvancePhase, LogDecision, SetStep, StandDown
from bot.domain.errors import BcbotError, NotAllowed
from bot.domain.records import DecisionInput, StepStatus
from bot.usecases.ports import utcnow
from bot.usecases.registry import USE_CASES
from storage import models
from tests.support import people
from tests.usecases.conftest import new_incident, owed


def run(bot, command, *, actor: str, commit: bool = True):
    """The command's use case, found the way the worker finds it, in one unit of work."""
    with bot.uow() as uow:
        result = USE_CASES[type(command)](bot, uow, command, actor=actor)
        if commit:
            uow.commit()
    return result


def rows(bot, model):
    with bot.uow(read_only=True) as uow:
        found = list(uow.session.scalars(select(model)))
        uow.session.expunge_all()  # kept as read, not expired by the unit of work's closing rollback
        return found


def test_activation_owes_the_whole_set_up_and_calls_no_slack(bot):
    incident_id = new_incident(bot)
    tasks = owed(bot, incident_id)
    assert {"create_channel", "set_topic", "invite", "post_header", "pin_header", "post_checklist", "announce",
            "notify_people"} <= set(tasks)
    assert bot.slack.calls == []


def test_a_decision_is_numbered_and_its_post_owed(bot):
    incident_id = new_incident(bot)
    first = run(bot, LogDecision(incident_id, DecisionInput("Close the office")), actor=people.LEAD)
    second = run(bot, LogDecision(incident_id, DecisionInput("Open it again", corrects=1)), actor=people.PARKS)
    assert (first.number, second.number, second.corrects) == (1, 2, 1)
    assert {"post_decision:1", "post_decision:2"} <= set(owed(bot, incident_id))
    assert bot.slack.calls == []


def test_a_refused_decision_changes_nothing(bot):
    incident_id = new_incident(bot)
    before = owed(bot, incident_id)
    with pytest.raises(NotAllowed):
        run(bot, LogDecision(incident_id, DecisionInput("Panic")), actor=people.OUTSIDER)
    assert rows(bot, models.Decision) == [] and owed(bot, incident_id) == before


def test_a_step_click_owes_one_render_of_its_checklist_and_the_header_however_many_clicks(bot):
    incident_id = new_incident(bot)
    steps = [s for s in rows(bot, models.ChecklistStep) if s.phase == "incident_management"]
    for step in steps[:3]:
        assert run(bot, SetStep(step.id, StepStatus.DONE), actor=people.PARKS)
    assert not run(bot, SetStep(steps[0].id, StepStatus.DONE), actor=people.PARKS)  # a double click
    tasks = owed(bot, incident_id)
    # One row per message, re-armed per change: the last render reads the last commit.
    assert tasks["render:checklist:incident_management"] == ("render_checklist", 3)
    assert tasks["render:header"] == ("render_header", 3)
    assert [e.kind for e in rows(bot, models.IncidentLogEntry)].count("step_done") == 3


def test_not_applicable_needs_a_reason(bot):
    incident_id = new_incident(bot)
    step = rows(bot, models.ChecklistStep)[0]
    with pytest.raises(BcbotError, match="Say why"):
        run(bot, SetStep(step.id, StepStatus.NOT_APPLICABLE, reason="  "), actor=people.PARKS)
    assert "render:header" not in owed(bot, incident_id)


def test_a_phase_change_owes_its_notice_then_its_checklist_and_refuses_a_stale_click(bot):
    incident_id = new_incident(bot)
    assert run(bot, AdvancePhase(incident_id, "incident_management"), actor=people.LEAD).value == "business_continuity"
    tasks = owed(bot, incident_id)
    assert tasks["phase:business_continuity:notice"][0] == "phase_notice"
    assert tasks["phase:business_continuity:checklist"][0] == "post_checklist"
    assert "render:topic" in tasks and "render:header" in tasks
    with pytest.raises(BcbotError, match="already moved on"):
        run(bot, AdvancePhase(incident_id, "incident_management"), actor=people.LEAD)


def test_an_exercise_stand_down_and_everything_it_owes_are_one_transaction(bot):
    incident_id = new_incident(bot, exercise=True)
    drill_over = StandDown(incident_id, "Drill over", exercise_report={"objectives_met": "Yes"})
    run(bot, drill_over, actor=people.LEAD, commit=False)  # nothing of it may be left, not even the plan's test record
    assert rows(bot, models.PlanTest) == [] and "stood_down" not in owed(bot, incident_id)

    run(bot, drill_over, actor=people.LEAD)
    [test] = rows(bot, models.PlanTest)
    assert (test.test_type, test.incident_id) == ("exercise", incident_id)
    tasks = owed(bot, incident_id)
    assert {"stood_down", "report_file", "post_incident_reviews", "render:header", "render:topic",
            "render:announcement", "render:checklist:resumption_recovery"} <= set(tasks)
    [gov] = rows(bot, models.PlanGovernance)
    assert gov.review_flagged_after_incident == incident_id
    assert bot.slack.calls == []


def test_an_intent_recorded_twice_is_one_intent(bot):
    first = bot.record_intent(kind="log_decision", actor=people.LEAD, payload={}, dedupe_key="view:V1", tell={}, now=utcnow())
    again = bot.record_intent(kind="log_decision", actor=people.LEAD, payload={}, dedupe_key="view:V1", tell={}, now=utcnow())
    assert first[1] is True and again == (first[0], False)
