"""Review and test reminders: the schedule maths, the Block Kit and the record-test form. No Slack, no database."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.errors import InvalidInput
from bot.domain.people import Names
from bot.domain.plan import load_plans
from bot.domain.reminders import (
    Governance,
    Kind,
    PlanTestType,
    Schedule,
    add_months,
    describe_due,
    due_reminder,
    latest_stage,
    next_review_after,
    next_test_after,
    reminder_day,
    reminder_instant,
    snooze_until,
    stages_through,
)
from bot.slack import plan_blocks as render
from bot.slack.governance_parse import record_test_form, reminder_ref

ROOT = Path(__file__).resolve().parents[2]
LONDON = ZoneInfo("Europe/London")
UTC = timezone.utc
DEFAULT = Schedule()


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def plan():
    [plan] = load_plans(ROOT / "config" / "plans" / "wunderroot.yaml")
    return plan


# Stages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("days_from_due, stage", [
    (-31, None), (-30, -30), (-29, -30), (-8, -30), (-7, -7), (-1, -7), (0, 0), (6, 0), (7, 7), (13, 7),
    (14, 14), (20, 14), (21, 21), (400, 399),
])
def test_the_latest_stage_on_a_day(days_from_due, stage):
    due = date(2027, 5, 14)
    assert latest_stage(due, due + timedelta(days=days_from_due), DEFAULT) == stage


def test_escalation_day_is_a_stage_of_its_own_when_not_on_the_weekly_cadence():
    schedule = Schedule(before_days=(30, 7), overdue_every_days=7, escalate_after_days=10)
    due = date(2027, 1, 1)
    assert [latest_stage(due, due + timedelta(days=d), schedule) for d in (9, 10, 13, 14)] == [7, 10, 10, 14]


def test_stages_are_configurable_per_plan(plan):
    custom = plan.model_copy(update={"reminders": plan.reminders.model_copy(
        update={"before_days": [60, 14, 1], "overdue_every_days": 3, "escalate_after_days": 9})})
    schedule = Schedule.of(custom.reminders)
    assert schedule.before_days == (60, 14, 1) and schedule.horizon_days == 60
    due = date(2027, 1, 31)
    assert [latest_stage(due, due + timedelta(days=d), schedule) for d in (-60, -2, -1, 2, 3, 9)] == [-60, -14, -1, 0, 3, 9]


@given(due=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), offset=st.integers(-400, 4000),
       before=st.lists(st.integers(1, 365), max_size=4), every=st.integers(1, 90), escalate=st.integers(1, 365))
def test_the_stage_is_never_in_the_future_and_only_moves_forward(due, offset, before, every, escalate):
    schedule = Schedule(before_days=tuple(sorted(set(before), reverse=True)), overdue_every_days=every,
                        escalate_after_days=escalate)
    day = due + timedelta(days=offset)
    stage = latest_stage(due, day, schedule)
    tomorrow = latest_stage(due, day + timedelta(days=1), schedule)
    if stage is None:
        assert offset < 0 and all(-b > offset for b in before)
    else:
        assert stage <= offset
        assert stage in {-b for b in before} | {0, escalate} or (stage > 0 and stage % every == 0)
        assert tomorrow is not None and tomorrow >= stage


# Time: the reminder hour in the bot's zone, across daylight-saving changes -----------------------
def test_a_stage_is_due_from_the_reminder_hour_on_its_day():
    due = date(2027, 5, 14)  # a summer date: 09:00 London is 08:00 UTC
    seven_before = due - timedelta(days=7)
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    assert due_reminder(Kind.TEST, due, now=utc(2027, 5, 7, 7, 59), **kw).stage == -30
    reminder = due_reminder(Kind.TEST, due, now=utc(2027, 5, 7, 8, 0), **kw)
    assert (reminder.stage, reminder.due_on, reminder.escalated) == (-7, due, False)
    assert reminder_instant(seven_before, LONDON, 9) == utc(2027, 5, 7, 8, 0)


def test_only_the_latest_stage_is_due_after_downtime():
    due = date(2027, 5, 14)
    # Down from 40 days before to 3 days before: the 30-day and 7-day stages both fell due meanwhile.
    reminder = due_reminder(Kind.REVIEW, due, now=utc(2027, 5, 11, 12), tz=LONDON, hour=9, schedule=DEFAULT)
    assert reminder.stage == -7
    assert due_reminder(Kind.REVIEW, due, now=utc(2027, 4, 1, 12), tz=LONDON, hour=9, schedule=DEFAULT) is None


def test_clocks_going_back_in_october():
    # Sunday 25 October 2026: BST ends at 02:00, so 09:00 London is 08:00 UTC the day before and 09:00 UTC on the day.
    due = date(2026, 10, 25)
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    assert due_reminder(Kind.REVIEW, due, now=utc(2026, 10, 24, 8, 0), **kw).stage == -7  # the day before, 09:00 BST
    assert due_reminder(Kind.REVIEW, due, now=utc(2026, 10, 25, 8, 30), **kw).stage == -7  # 08:30 GMT: not yet
    assert due_reminder(Kind.REVIEW, due, now=utc(2026, 10, 25, 9, 0), **kw).stage == 0  # 09:00 GMT
    assert reminder_day(utc(2026, 10, 25, 8, 59), LONDON, 9) == date(2026, 10, 24)


def test_clocks_going_forward_in_march():
    # Sunday 28 March 2027: BST starts at 01:00 GMT, so 09:00 London is 09:00 UTC before and 08:00 UTC on the day.
    due = date(2027, 3, 28)
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    assert due_reminder(Kind.TEST, due, now=utc(2027, 3, 27, 8, 59), **kw).stage == -7  # 08:59 GMT on Saturday
    assert due_reminder(Kind.TEST, due, now=utc(2027, 3, 28, 7, 59), **kw).stage == -7  # 08:59 BST
    assert due_reminder(Kind.TEST, due, now=utc(2027, 3, 28, 8, 0), **kw).stage == 0  # 09:00 BST


def test_a_reminder_hour_that_does_not_exist_or_happens_twice():
    # 01:00 does not exist in London on 28 March 2027 (01:00 GMT -> 02:00 BST): the pre-change offset counts.
    assert reminder_instant(date(2027, 3, 28), LONDON, 1) == utc(2027, 3, 28, 1, 0)
    # 01:00 happens twice on 25 October 2026: the first one (BST) counts.
    assert reminder_instant(date(2026, 10, 25), LONDON, 1) == utc(2026, 10, 25, 0, 0)


def test_overdue_cadence_counts_local_days_across_a_clock_change():
    due = date(2026, 10, 20)  # overdue across the October change
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    assert due_reminder(Kind.REVIEW, due, now=utc(2026, 10, 27, 8, 59), **kw).stage == 0
    seven = due_reminder(Kind.REVIEW, due, now=utc(2026, 10, 27, 9, 0), **kw)
    assert seven.stage == 7 and not seven.escalated
    fourteen = due_reminder(Kind.REVIEW, due, now=utc(2026, 11, 3, 9, 0), **kw)
    assert fourteen.stage == 14 and fourteen.escalated


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        reminder_day(datetime(2027, 1, 1, 9), LONDON, 9)


# Snooze --------------------------------------------------------------------------------------
def test_snooze_silences_for_a_week_then_reminds_once():
    due = date(2027, 5, 14)
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    clicked = utc(2027, 4, 15, 10)  # the day after the 30-day reminder
    until = snooze_until(clicked, LONDON, 9)
    assert until == utc(2027, 4, 22, 8, 0)  # 09:00 BST a week later
    assert due_reminder(Kind.REVIEW, due, now=utc(2027, 4, 22, 7, 59), snoozed_until=until, **kw) is None
    back = due_reminder(Kind.REVIEW, due, now=until, snoozed_until=until, **kw)
    assert (back.stage, back.after_snooze) == (-22, True)  # a stage of its own: sent once
    later = due_reminder(Kind.REVIEW, due, now=utc(2027, 5, 7, 9), snoozed_until=until, **kw)
    assert (later.stage, later.after_snooze) == (-7, False)  # the cadence carries on


def test_a_stage_falling_due_during_a_snooze_waits_for_its_end():
    due = date(2027, 5, 14)
    until = snooze_until(utc(2027, 5, 10, 10), LONDON, 9)  # snoozed on the 7-day reminder, over the due day
    kw = dict(tz=LONDON, hour=9, schedule=DEFAULT)
    assert due_reminder(Kind.TEST, due, now=utc(2027, 5, 15, 12), snoozed_until=until, **kw) is None
    back = due_reminder(Kind.TEST, due, now=utc(2027, 5, 17, 8), snoozed_until=until, **kw)
    assert (back.stage, back.after_snooze) == (3, True)


def test_covered_stages_are_those_up_to_the_day():
    due = date(2027, 5, 14)
    assert stages_through(due, due, DEFAULT) == [-30, -7, 0]
    assert stages_through(due, due - timedelta(days=1), DEFAULT) == [-30, -7]
    assert stages_through(due, due + timedelta(days=15), DEFAULT) == [-30, -7, 0, 14]


# Dates after a review or a test --------------------------------------------------------------
def test_months_are_added_on_the_calendar():
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 2, 29), 12) == date(2029, 2, 28)
    assert add_months(date(2027, 11, 15), 12) == date(2028, 11, 15)
    assert add_months(date(2027, 12, 1), 1) == date(2028, 1, 1)


def test_next_review_keeps_the_anniversary_unless_late():
    due = date(2027, 11, 15)
    assert next_review_after(due, date(2027, 10, 20), 12) == date(2028, 11, 15)  # early
    assert next_review_after(due, date(2028, 2, 1), 12) == date(2029, 2, 1)  # late: a year from today
    assert next_test_after(date(2027, 5, 3), 12) == date(2028, 5, 3)


def test_due_descriptions():
    today = date(2027, 5, 14)
    assert [describe_due(today + timedelta(days=d), today) for d in (7, 1, 0, -1, -15)] == [
        "due in 7 days", "due tomorrow", "due today", "overdue by 1 day", "overdue by 15 days"]


# Block Kit -----------------------------------------------------------------------------------
def _texts(blocks) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_reminder_dm_says_what_when_and_has_the_buttons(plan):
    reminder = due_reminder(Kind.REVIEW, date(2027, 11, 15), now=utc(2027, 11, 8, 10), tz=LONDON, hour=9,
                            schedule=DEFAULT)
    blocks = render.reminder_blocks(plan, reminder, today=date(2027, 11, 8), as_team=False, tz=LONDON,
                                    gov=Governance(plan.id, date(2027, 11, 15), date(2027, 5, 14)))
    text = _texts(blocks)
    assert "Wunderroot Business Continuity Plan" in text and "due in 7 days" in text and "Mon 15 Nov 2027" in text
    [actions] = [b for b in blocks if b["type"] == "actions"]
    assert [e["text"]["text"] for e in actions["elements"]] == ["Mark reviewed", "Snooze 1 week", "📖 View plan"]
    assert reminder_ref(json.loads(actions["elements"][0]["value"])) == reminder_ref(
        {"p": plan.id, "k": "review", "d": "2027-11-15"})
    test = due_reminder(Kind.TEST, date(2027, 5, 14), now=utc(2027, 5, 30, 10), tz=LONDON, hour=9, schedule=DEFAULT)
    team_blocks = render.reminder_blocks(plan, test, today=date(2027, 5, 30), as_team=True, gov=None, tz=LONDON)
    assert "overdue by 16 days" in _texts(team_blocks) and "Business Continuity Team" in _texts(team_blocks)
    assert [e["text"]["text"] for e in team_blocks[-1]["elements"]] == ["Record test", "Snooze 1 week", "📖 View plan"]


def test_plan_and_user_text_is_escaped_and_within_limits(plan):
    hostile = plan.model_copy(update={"title": "<!channel> & <https://evil.example|x> " + "t" * 140})
    reminder = due_reminder(Kind.REVIEW, date(2027, 11, 15), now=utc(2027, 11, 16, 10), tz=LONDON, hour=9,
                            schedule=DEFAULT)
    blocks = render.reminder_blocks(hostile, reminder, today=date(2027, 11, 16), as_team=False, gov=None, tz=LONDON)
    text = _texts(blocks)
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp; &lt;https://evil" in text
    report = {"objectives_met": "<!here> yes", "what_worked": "x" * 5000, "gaps": None, "actions": "A & B"}
    pir = render.post_incident_blocks(hostile, ref="BC-3", exercise=True, review_due=date(2027, 11, 16),
                                      today=date(2027, 11, 16), report=report)
    assert "<!here>" not in _texts(pir) and all(len(b.get("text", {}).get("text", "")) <= 3000 for b in pir)
    modal = render.record_test_modal(hostile, today=date(2027, 5, 1), next_test=date(2027, 5, 14))
    assert len(modal["title"]["text"]) <= 24 and "<!channel>" not in _texts(modal)
    assert [b.get("block_id") for b in modal["blocks"] if b["type"] == "input"] == ["test_type", "test_date", "test_notes"]


def test_status_text_lists_everything_a_plan_owner_needs(plan):
    gov = Governance(plan.id, next_review=date(2026, 11, 1), next_test=date(2027, 5, 14),
                     last_review_at=utc(2025, 11, 3, 10), last_review_by="U0SPARKS01", last_test_on=date(2026, 5, 1),
                     last_test_type="tabletop", last_test_by="U0HUNTON01", review_flagged_after_incident=7,
                     unresolved_owners=("steve.hunton@wunderroot.example",))
    names = Names({"U0SPARKS01": ((utc(2025, 1, 1, 0), "Steve Parks"),)})  # U0HUNTON01: never named
    status = render.PlanStatus(plan=plan, gov=gov, recorded=True, today=date(2026, 11, 22), names=names)
    text = render.status_text([status], tz=LONDON)
    for expected in ("wunderroot-bcp", "owners:       Steve Parks; Steve Hunton (steve.hunton@wunderroot.example) [NOT FOUND IN SLACK]",
                     "last review:  2025-11-03 by Steve Parks", "next review:  2026-11-01 (overdue by 21 days)",
                     "after BC-7", "last test:    2026-05-01 tabletop by U0HUNTON01", "next test:    2027-05-14",
                     "overdue:      review", "1 plan(s), 1 with something overdue"):
        assert expected in text, expected
    [row] = render.status_json([status])
    assert row["overdue"] == ["review"] and row["owners"][1]["resolved"] is False
    assert row["last_review"] == {"at": "2025-11-03T10:00:00+00:00", "by": "U0SPARKS01", "by_name": "Steve Parks"}


# The record-test form ------------------------------------------------------------------------
def _form(plan_id="wunderroot-bcp", test_type="tabletop", held="2027-05-01", notes="Ran the fire scenario"):
    values = {"test_type": {"value": {"type": "static_select", "selected_option": {"value": test_type} if test_type else None}},
              "test_date": {"value": {"type": "datepicker", "selected_date": held}},
              "test_notes": {"value": {"type": "plain_text_input", "value": notes}}}
    return {"private_metadata": json.dumps({"plan": plan_id}), "state": {"values": values}}


def test_record_test_form_is_parsed_and_checked():
    form = record_test_form(_form(), today=date(2027, 5, 2))
    assert (form.plan_id, form.test_type, form.held_on, form.notes) == (
        "wunderroot-bcp", PlanTestType.TABLETOP, date(2027, 5, 1), "Ran the fire scenario")
    with pytest.raises(InvalidInput) as err:
        record_test_form(_form(test_type=None, held="2027-05-09"), today=date(2027, 5, 2))
    assert set(err.value.fields) == {"test_type", "test_date"}
    with pytest.raises(InvalidInput):
        record_test_form(_form(test_type="exercise"), today=date(2027, 5, 2))  # exercises are run in Slack


def test_bad_button_values_are_refused():
    for value in ({}, {"p": "x", "k": "nope", "d": "2027-01-01"}, {"p": "x", "k": "review", "d": "soon"}):
        with pytest.raises(InvalidInput):
            reminder_ref(value)


def test_reminder_and_rendering_modules_import_neither_slack_nor_sqlalchemy():
    code = ("import sys; import bot.domain.reminders, bot.slack.plan_blocks; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('slack_sdk', 'slack_bolt', 'sqlalchemy')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
