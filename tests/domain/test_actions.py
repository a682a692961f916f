"""Corrective actions' pure rules: the reminder schedule, references, the register's filters and text."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.domain.action_register import entry, render_text
from bot.domain.actions import (
    Action,
    ActionStatus,
    Source,
    SourceKind,
    late_notice_due,
    matches,
    parse_action_ref,
    reminder_stage,
)
from bot.domain.people import Names

DUE = date(2027, 3, 20)


@pytest.mark.parametrize(("day", "stage"), [
    (date(2027, 3, 16), None),  # 4 days before: nothing yet
    (date(2027, 3, 17), -3), (date(2027, 3, 19), -3),  # 3 days before, until the day
    (date(2027, 3, 20), 0), (date(2027, 3, 22), 0),  # on the day
    (date(2027, 3, 23), 3), (date(2027, 3, 26), 6), (date(2027, 3, 28), 6), (date(2027, 4, 19), 30),  # every 3 days
])
def test_the_latest_stage_fallen_due(day, stage):
    assert reminder_stage(DUE, day) == stage


def test_the_plan_owners_are_owed_their_notice_from_a_week_late():
    assert not late_notice_due(DUE, date(2027, 3, 26)) and late_notice_due(DUE, date(2027, 3, 27))


def test_references():
    assert [parse_action_ref(t) for t in ("A-7", "a7", " A-12 ", "BC-7", "A-", "")] == [7, 7, 12, None, None, None]


def action(**kw) -> Action:
    values = dict(id=3, title="Call the insurer | now", owner="U0OWNER01", due_on=DUE, status=ActionStatus.OPEN,
                  source=Source(SourceKind.INCIDENT, "plan-a", incident_id=4),
                  created_at=datetime(2027, 3, 1, tzinfo=timezone.utc), created_by="U0OWNER01")
    return Action(**(values | kw))


def test_overdue_is_open_and_past_due_only():
    today = date(2027, 3, 21)
    assert matches(action(), "overdue", today) and not matches(action(), "overdue", DUE)
    closed = action(status=ActionStatus.DONE, closed_at=datetime(2027, 3, 21, tzinfo=timezone.utc))
    assert not matches(closed, "overdue", today) and matches(closed, "done", today) and not matches(closed, "open", today)


def test_the_register_text_names_people_and_says_what_is_overdue():
    names = Names({"U0OWNER01": ((datetime(2027, 1, 1, tzinfo=timezone.utc), "Olive Owner"),)})
    register = {"plan": None, "status": None, "actions": [entry(action(), names, date(2027, 3, 25))]}
    text = render_text(register)
    assert "1 actions: 1 open (1 overdue)" in text and "A-3  [OVERDUE]  Call the insurer | now" in text
    assert "owner Olive Owner (U0OWNER01) · due 2027-03-20" in text and "from incident BC-4" in text
