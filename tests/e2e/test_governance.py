"""Issue 4 end to end: review and test reminders, their buttons, exercises and post-incident reviews.

Signed requests go to the running app; the fake Slack Web API records what bcbot sends. Time is an
injected clock (Europe/London, reminders from 09:00); each sweep is run as the scheduler would.
"""
from __future__ import annotations

import json
import logging
from datetime import date, datetime, timezone

import pytest

from bot.domain.commands import StandDown
from bot.slack.ids import Action, Callback
from bot.worker import reminders as governance
from storage import models
from tests.e2e.helpers import channel_messages, open_modal, rows, run_intent, submit
from tests.support import people
from tests.support.clock import FakeClock
from tests.support.plans import write_plan

REVIEW = date(2027, 11, 15)  # a Monday, in GMT
TEST = date(2027, 5, 14)  # a Friday, in BST
FAR = date(2029, 1, 1)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def start(start_app, tmp_path):
    """start(now, review=..., test=..., owners=...) -> (running app, its clock)."""

    def start_(now: datetime, *, review: date = REVIEW, test: date = FAR, owners=None, clock=None):
        plans = write_plan(tmp_path / "plans", review=review, test=test, owners=owners)
        clock = clock or FakeClock(now)
        running = start_app(clock=clock, bcbot_plans=plans, bcbot_timezone="Europe/London", bcbot_reminder_hour=9)
        running.settle()  # the start-up sweep
        return running, clock

    return start_


def dms(running, user: str) -> list[dict]:
    """What bcbot posted in its DM with this user (file shares left out)."""
    return [m for m in channel_messages(running, "D" + user[1:]) if "files" not in m]


def files_in_dm(running, user: str) -> list[dict]:
    channel = "D" + user[1:]
    return [f for f in running.fake.files.values() if f.get("channel") == channel]


def text_of(message: dict) -> str:
    return message["text"] + json.dumps(message["blocks"], ensure_ascii=False)


def button_value(message: dict, action_id: str) -> str:
    return next(e["value"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


def click(running, user: str, message: dict, action_id: str, *, owner: str | None = None):
    """`user` clicks a button of `message`, which bcbot sent to `owner` (default: to `user`)."""
    reply = running.slack.block_action(user, action_id, button_value(message, action_id),
                                       channel="D" + (owner or user)[1:], message_ts=message["ts"])
    assert reply.status == 200, reply.body
    running.settle()


def sweep(running):
    result = governance.sweep(running.bot)
    running.settle()
    return result


def told(running, user: str) -> list[str]:
    return [r.get("text", "") for r in running.fake.responses if r["_path"].endswith(f"act-{user}")]


def intents(running, kind: str) -> list:
    return [i for i in rows(running, models.Intent) if i.kind == kind]


def rerun_post_incident_reviews(running, incident_id: int) -> dict:
    """The outbox running the post-incident review requests again, as a retry after a crash would."""
    from bot.domain.outbox import ClaimedTask, incident_subject
    from bot.worker.outbox import TaskContext
    from bot.worker.tasks import TASKS

    [row] = [t for t in rows(running, models.OutboxTask)
             if t.subject == incident_subject(incident_id) and t.name == "post_incident_reviews"]
    task = ClaimedTask(id=row.id, subject=row.subject, name=row.name, kind=row.kind, args=row.args, attempts=2,
                       version=row.armed)
    return TASKS[row.kind](TaskContext(running.bot, task, retry=True))


def governance_row(running):
    with running.bot.uow() as uow:
        return uow.governance.get("wunderroot-bcp")


# Reminders -----------------------------------------------------------------------------------
def test_owners_get_only_the_latest_due_stage_once_and_a_restart_sends_nothing_again(start):
    running, clock = start(utc(2027, 11, 10, 10))  # the 30- and 7-day stages both fell due "while down"
    for owner in (people.PARKS, people.HUNTON):  # Hunton is found by email
        [dm] = dms(running, owner)
        text = text_of(dm)
        assert "Wunderroot Business Continuity Plan" in text and "due in 5 days" in text and "Mon 15 Nov 2027" in text
        assert [e["text"]["text"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
            "Mark reviewed", "Snooze 1 week", "📖 View plan"]
    assert dms(running, people.BAKER) == []  # the team is not told before escalation
    assert sweep(running).sent == 0

    again, _ = start(utc(2027, 11, 10, 10), clock=clock)  # a new bot process on the same database
    assert again.bot is not running.bot
    assert sweep(again).sent == 0
    assert len(dms(running, people.PARKS)) == len(dms(running, people.HUNTON)) == 1
    claims = rows(running, models.ReminderClaim)
    assert sorted((c.kind, c.stage, c.recipient, c.status) for c in claims) == [
        ("review", -7, people.HUNTON, "sent"), ("review", -7, people.PARKS, "sent")]


def test_a_stage_goes_out_from_the_reminder_hour_in_the_bot_time_zone(start):
    running, clock = start(utc(2027, 11, 8, 8, 59))  # 08:59 GMT on the 7-days-before day
    assert [c.stage for c in rows(running, models.ReminderClaim)] == [-30, -30]  # fell due 16 Oct
    assert sweep(running).sent == 0
    clock.advance(minutes=1)  # 09:00 London
    result = sweep(running)
    assert sorted((k.stage, k.recipient) for k in result.sent_keys) == [(-7, people.HUNTON), (-7, people.PARKS)]
    assert "due in 7 days" in text_of(dms(running, people.PARKS)[-1])


def test_overdue_every_week_and_the_team_is_told_after_two_weeks(start):
    running, clock = start(utc(2027, 11, 15, 10))
    assert "due today" in text_of(dms(running, people.PARKS)[-1])
    clock.advance(days=6)
    assert sweep(running).sent == 0
    clock.advance(days=1)
    assert sweep(running).sent == 2
    assert "overdue by 7 days" in text_of(dms(running, people.HUNTON)[-1])
    clock.advance(days=7)
    result = sweep(running)
    # Owners (Parks is on the team too: one DM) and Joe Baker of the team.
    assert sorted(k.recipient for k in result.sent_keys) == sorted([people.PARKS, people.HUNTON, people.BAKER])
    [escalated] = dms(running, people.BAKER)
    assert "overdue by 14 days" in text_of(escalated) and "Business Continuity Team" in text_of(escalated)
    assert len(dms(running, people.PARKS)) == 3


def test_a_changed_review_date_in_the_plan_file_resets_the_reminders(start):
    running, clock = start(utc(2027, 11, 10, 10))
    assert len(dms(running, people.PARKS)) == 1
    again, _ = start(utc(2027, 11, 10, 10), review=date(2027, 11, 12), clock=clock)  # edited, bot restarted
    assert governance_row(again).next_review == date(2027, 11, 12)
    assert "due in 2 days" in text_of(dms(again, people.PARKS)[-1]) and len(dms(again, people.PARKS)) == 2


# The buttons ---------------------------------------------------------------------------------
def test_mark_reviewed_records_who_and_when_and_moves_the_review_date(start):
    running, clock = start(utc(2027, 11, 15, 10))
    [parks_dm] = dms(running, people.PARKS)
    value = button_value(parks_dm, Action.MARK_REVIEWED)
    click(running, people.PARKS, parks_dm, Action.MARK_REVIEWED)

    [intent] = intents(running, "mark_reviewed")  # the durable road: recorded before the ack, run by the worker
    assert (intent.actor, intent.status) == (people.PARKS, "done")
    gov = governance_row(running)
    assert (gov.next_review, gov.last_review_by, gov.last_review_at) == (date(2028, 11, 15), people.PARKS, clock())
    [review] = rows(running, models.PlanReview)
    assert (review.reviewed_by, review.was_due_on, review.next_review) == (people.PARKS, REVIEW, date(2028, 11, 15))
    # Both owners' reminders now say so, without buttons.
    for owner in (people.PARKS, people.HUNTON):
        [dm] = dms(running, owner)
        assert "Marked reviewed by <@U0SPARKS01>" in text_of(dm) and "Wed 15 Nov 2028" in text_of(dm)
        assert not [b for b in dm["blocks"] if b["type"] == "actions"]

    # Hunton presses his copy (as it was before the update): nothing changes, he is told why.
    stale = {"ts": "x", "blocks": [{"type": "actions", "elements": [{"action_id": Action.MARK_REVIEWED, "value": value}]}]}
    click(running, people.HUNTON, stale, Action.MARK_REVIEWED)
    assert any("out of date: the next review of Wunderroot Business Continuity Plan is due Wed 15 Nov 2028. "
               "It was last marked reviewed by <@U0SPARKS01> on Mon 15 Nov 2027" in t for t in told(running, people.HUNTON))
    assert len(rows(running, models.PlanReview)) == 1
    assert [i.status for i in intents(running, "mark_reviewed")] == ["done", "failed"]
    clock.advance(days=7)
    assert sweep(running).sent == 0  # nothing is due any more


def test_a_double_submitted_mark_reviewed_records_one_review(start):
    """Slack delivering the same click twice (a retry, a double tap: the same action_ts) records one
    intent, so one review, and the reminders are updated once."""
    from bot.tools.fakeslack.sender import TEAM_ID

    running, _ = start(utc(2027, 11, 15, 10))
    [dm] = dms(running, people.PARKS)
    channel = "D" + people.PARKS[1:]
    click_ = {"action_id": Action.MARK_REVIEWED, "block_id": "b", "type": "button", "action_ts": "1794741000.000100",
              "value": button_value(dm, Action.MARK_REVIEWED)}
    payload = {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "test"},
               "user": {"id": people.PARKS, "username": "parks", "team_id": TEAM_ID}, "api_app_id": "A0BCBOT",
               "trigger_id": "trigger-1", "actions": [click_], "channel": {"id": channel, "name": "x"},
               "container": {"type": "message", "message_ts": dm["ts"], "channel_id": channel},
               "message": {"ts": dm["ts"], "text": ""}, "response_url": running.slack.response_url + f"act-{people.PARKS}"}
    for _ in range(2):
        reply = running.slack.interactive(payload)
        assert reply.status == 200, reply.body
    running.settle()
    assert len(intents(running, "mark_reviewed")) == 1
    assert len(rows(running, models.PlanReview)) == 1
    assert told(running, people.PARKS) == []  # the second click is not refused as "out of date": it is the same click
    updates = [c for c in running.fake.calls_to("chat.update") if c.params.get("ts") == dm["ts"]]
    assert len(updates) == 1


def test_only_owners_and_the_team_can_act_on_reminders(start):
    running, _ = start(utc(2027, 11, 15, 10))
    [dm] = dms(running, people.PARKS)
    click(running, people.OUTSIDER, dm, Action.MARK_REVIEWED, owner=people.PARKS)
    click(running, people.OUTSIDER, dm, Action.SNOOZE_REMINDER, owner=people.PARKS)
    assert len(told(running, people.OUTSIDER)) == 2
    assert all("Only the owners of Wunderroot Business Continuity Plan" in t for t in told(running, people.OUTSIDER))
    assert governance_row(running).next_review == REVIEW and governance_row(running).review_snoozed_until is None
    click(running, people.BAKER, dm, Action.SNOOZE_REMINDER, owner=people.PARKS)  # the team may
    assert governance_row(running).review_snoozed_until is not None
    assert [i.status for i in intents(running, "mark_reviewed") + intents(running, "snooze_reminder")] == [
        "failed", "failed", "done"]


def test_snooze_silences_a_reminder_for_a_week_then_it_comes_back(start):
    running, clock = start(utc(2027, 11, 10, 10))  # the 7-day stage
    [dm] = dms(running, people.HUNTON)
    click(running, people.HUNTON, dm, Action.SNOOZE_REMINDER)
    assert governance_row(running).review_snoozed_until == utc(2027, 11, 17, 9)  # 09:00 GMT a week later
    [dm] = dms(running, people.HUNTON)
    assert "Snoozed by <@U0HUNTON01> until Wed 17 Nov 2027" in text_of(dm)
    assert [e["action_id"] for b in dm["blocks"] if b["type"] == "actions" for e in b["elements"]] == [
        Action.MARK_REVIEWED, Action.VIEW_PLAN]

    clock.advance(days=5)  # the due day passes during the snooze
    assert sweep(running).sent == 0
    clock.advance(days=2, hours=-1)  # 17 Nov 09:00
    assert sweep(running).sent == 2
    back = dms(running, people.PARKS)[-1]
    assert "overdue by 2 days" in text_of(back) and "You snoozed this a week ago" in text_of(back)
    assert sweep(running).sent == 0
    clock.advance(days=5)  # 22 Nov: the weekly cadence carries on
    assert sweep(running).sent == 2


def test_record_a_test_held_outside_slack(start, fake_slack):
    running, clock = start(utc(2027, 5, 7, 10), test=TEST)  # 7 days before the test date
    [dm] = [m for m in dms(running, people.PARKS) if "test" in m["text"]]
    assert "due in 7 days" in text_of(dm)
    click(running, people.PARKS, dm, Action.RECORD_TEST)
    [view] = [v for v in fake_slack.views.values() if v.get("callback_id") == Callback.RECORD_TEST]
    assert view["title"]["text"] == "Record a test"

    def submit_test(test_type, held, notes):
        values = {"test_type": {"value": {"type": "static_select", "selected_option": {"value": test_type}}},
                  "test_date": {"value": {"type": "datepicker", "selected_date": held}},
                  "test_notes": {"value": {"type": "plain_text_input", "value": notes}}}
        reply = running.slack.view_submission(people.PARKS, {**view, "state": {"values": values}})
        running.settle()
        return reply

    refused = submit_test("tabletop", "2027-05-09", "")
    assert refused.json()["response_action"] == "errors" and "test_date" in refused.json()["errors"]
    assert rows(running, models.PlanTest) == []

    assert submit_test("tabletop", "2027-05-06", "Loss of office <!channel> & home working").body in ("", "{}")
    assert [i.status for i in intents(running, "record_test")] == ["done"]
    [test] = rows(running, models.PlanTest)
    assert (test.test_type, test.held_on, test.recorded_by, test.incident_id) == ("tabletop", date(2027, 5, 6), people.PARKS, None)
    gov = governance_row(running)
    assert (gov.next_test, gov.last_test_on, gov.last_test_type) == (date(2028, 5, 6), date(2027, 5, 6), "tabletop")
    for owner in (people.PARKS, people.HUNTON):  # the test reminders say so
        assert "Tabletop exercise on Thu 06 May 2027 recorded by <@U0SPARKS01>" in text_of(
            [m for m in dms(running, owner) if "test" in m["text"]][0])
    assert "<!channel>" not in json.dumps(fake_slack.messages)
    # Parks' reminder, updated, and the confirmation sent to him (once).
    recorded = [m for m in dms(running, people.PARKS) if m["text"].endswith("test recorded")]
    assert len(recorded) == 2 and all("Next test due Sat 06 May 2028" in text_of(m) for m in recorded)
    clock.advance(days=7)
    assert not [k for k in sweep(running).sent_keys if k.kind == "test"]


def test_record_test_offers_to_start_an_exercise(start, fake_slack):
    running, _ = start(utc(2027, 5, 7, 10), test=TEST)
    [dm] = [m for m in dms(running, people.HUNTON) if "test" in m["text"]]
    click(running, people.HUNTON, dm, Action.RECORD_TEST)
    [view] = [v for v in fake_slack.views.values() if v.get("callback_id") == Callback.RECORD_TEST]
    start_button = next(b["accessory"] for b in view["blocks"] if b.get("accessory", {}).get("action_id") == Action.START_EXERCISE)
    reply = running.slack.block_action(people.HUNTON, Action.START_EXERCISE, start_button["value"], view=view)
    assert reply.status == 200
    running.settle()
    form = fake_slack.views[view["id"]]  # the same modal, now the activation form in exercise mode
    assert form["callback_id"] == Callback.ACTIVATION and json.loads(form["private_metadata"])["exercise"] is True
    assert form["title"]["text"] == "Start exercise"
    submit(running, people.HUNTON, form)
    [incident] = rows(running, models.Incident)
    assert incident.is_exercise and incident.channel_name.startswith(f"bc-{incident.id}-exercise-critical")


# Exercises and post-incident reviews ---------------------------------------------------------
REPORT = {"objectives_met": "Yes: everyone reached in 20 minutes", "what_worked": "The phone tree",
          "gaps": "Backups untested <!here>", "actions": "Joe: test a restore by Friday"}


def test_an_exercise_is_marked_everywhere_and_standing_it_down_records_a_test(start, fake_slack):
    running, clock = start(utc(2027, 3, 1, 10), test=TEST)
    view = open_modal(running, people.PARKS, "exercise")
    assert view["title"]["text"] == "Start exercise"
    submit(running, people.PARKS, view)
    [incident] = rows(running, models.Incident)
    assert incident.is_exercise and incident.channel_name.startswith(f"bc-{incident.id}-exercise-critical")
    channel = fake_slack.channels[incident.channel_id]
    assert channel.topic.startswith("EXERCISE · BC-1")
    header = next(m for m in channel_messages(running, incident.channel_id) if m["ts"] == incident.header_ts)
    assert "🧪 EXERCISE · BC-1" in text_of(header)
    [announcement] = channel_messages(running, people.ANNOUNCE)
    assert "Exercise started" in announcement["text"]

    clock.advance(hours=3)
    run_intent(running, StandDown(incident.id, "Exercise complete", exercise_report=REPORT), people.PARKS)
    running.settle()

    [test] = rows(running, models.PlanTest)
    assert (test.test_type, test.held_on, test.incident_id) == ("exercise", date(2027, 3, 1), incident.id)
    assert test.report == REPORT
    gov = governance_row(running)
    assert (gov.next_test, gov.last_test_type, gov.last_test_incident_id) == (date(2028, 3, 1), "exercise", incident.id)
    assert (gov.next_review, gov.review_flagged_after_incident) == (date(2027, 3, 1), incident.id)

    for owner in (people.PARKS, people.HUNTON):
        [pir] = dms(running, owner)[-1:]
        text = text_of(pir)
        assert "BC-1" in text and "an exercise under" in text and "Post-exercise report" in text
        assert "Backups untested &lt;!here&gt;" in text and "<!here>" not in text
        assert "review is now due today" in text
        [report] = files_in_dm(running, owner)
        assert report["filename"] == "BC-1-report.md" and b"Post-exercise report" in report["content"]
        assert b"Joe: test a restore by Friday" in report["content"]

    # The outbox running the review requests again (a retry) sends nothing twice; the sweep does not
    # repeat "review due today".
    before = len(fake_slack.calls_to("chat.postMessage"))
    assert rerun_post_incident_reviews(running, incident.id) == {"sent": 0, "failed": 0}
    assert sweep(running).sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == before and len(rows(running, models.PlanTest)) == 1


def test_after_a_real_incident_owners_are_asked_for_a_review_with_the_report(start, fake_slack):
    running, clock = start(utc(2027, 3, 1, 10), test=TEST)
    view = open_modal(running, people.PARKS)
    submit(running, people.PARKS, view)
    [incident] = rows(running, models.Incident)
    clock.advance(days=1)
    run_intent(running, StandDown(incident.id, "All clear"), people.PARKS)
    running.settle()

    assert rows(running, models.PlanTest) == []  # a real incident is not a test
    assert governance_row(running).next_review == date(2027, 3, 2)
    [pir] = [m for m in dms(running, people.HUNTON) if "your steps" not in m.get("text", "")]  # not the steps DM
    assert "an incident under" in text_of(pir) and "Post-exercise report" not in text_of(pir)
    [report] = files_in_dm(running, people.HUNTON)
    assert report["title"] == "BC-1 incident report" and b"Incident report" in report["content"]

    click(running, people.HUNTON, pir, Action.MARK_REVIEWED)  # the request's own button
    gov = governance_row(running)
    assert (gov.next_review, gov.last_review_by, gov.review_flagged_after_incident) == (date(2028, 3, 2), people.HUNTON, None)
    [review] = rows(running, models.PlanReview)
    assert review.after_incident == incident.id


# Failures, unknown owners, plan status ----------------------------------------------------------
def test_a_send_slack_refused_is_retried_on_the_next_sweep_a_few_times_only(start, fake_slack):
    fake_slack.fail("chat.postMessage", error="restricted_action", times=1)  # Parks' DM, at start
    running, clock = start(utc(2027, 11, 10, 10))
    assert dms(running, people.PARKS) == [] and len(dms(running, people.HUNTON)) == 1
    assert sweep(running).sent == 1
    assert len(dms(running, people.PARKS)) == 1 and len(dms(running, people.HUNTON)) == 1
    assert sweep(running).sent == 0

    clock.advance(days=5)  # the due day: every DM fails, every time
    fake_slack.fail("chat.postMessage", error="restricted_action", times=100)
    for _ in range(5):
        sweep(running)
    claims = [c for c in rows(running, models.ReminderClaim) if c.stage == 0]
    assert sorted((c.recipient, c.status, c.attempts) for c in claims) == [
        (people.HUNTON, "failed", governance.MAX_SEND_ATTEMPTS), (people.PARKS, "failed", governance.MAX_SEND_ATTEMPTS)]
    attempts = [c for c in fake_slack.calls if c.method == "chat.postMessage" and c.error == "restricted_action"]
    assert len(attempts) == 1 + 2 * governance.MAX_SEND_ATTEMPTS  # then no more tries


def test_a_send_that_may_have_gone_through_is_never_retried(start, fake_slack, monkeypatch):
    running, clock = start(utc(2027, 11, 10, 10), owners=[{"name": "Steve Parks", "slack": people.PARKS}])
    clock.advance(days=5)
    monkeypatch.setattr(running.bot.slack.client, "retry_handlers", [])  # as if slack_sdk's retries ran out
    fake_slack.fail("chat.postMessage", status=500, times=1)
    assert sweep(running).failed == 1
    [claim] = [c for c in rows(running, models.ReminderClaim) if c.stage == 0]
    assert claim.status == "unknown"
    assert sweep(running).sent == 0 and len(dms(running, people.PARKS)) == 1


def test_an_owner_slack_cannot_find_is_reported_once_and_the_others_still_get_reminders(start, caplog, monkeypatch,
                                                                                       tmp_path, capsys, db_url):
    owners = [{"name": "Steve Parks", "slack": people.PARKS}, {"name": "Gus Ghost", "email": "gus@wunderroot.example"}]
    with caplog.at_level(logging.INFO):
        running, clock = start(utc(2027, 11, 10, 10), owners=owners)
        clock.advance(days=5)
        sweep(running)
        governance.check_owners(running.bot)
    assert len(dms(running, people.PARKS)) == 2
    assert governance_row(running).unresolved_owners == ("gus@wunderroot.example",)
    warnings = [r.getMessage() for r in caplog.records
                if "gus@wunderroot.example" in r.getMessage() and r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and "not in this Slack workspace" in warnings[0]

    from bot.tools.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("BCBOT_PLANS", str(tmp_path / "plans"))
    monkeypatch.setenv("BCBOT_TIMEZONE", "Europe/London")
    assert main(["plan", "status"]) == 0
    out = capsys.readouterr().out
    assert "Gus Ghost (gus@wunderroot.example) [NOT FOUND IN SLACK]" in out
    assert "unresolved:   Slack cannot find gus@wunderroot.example" in out
    assert main(["plan", "status", "--format", "json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["unresolved_owners"] == ["gus@wunderroot.example"] and status["next_review"] == "2027-11-15"


def test_plan_status_shows_reviews_tests_and_what_is_overdue(start, monkeypatch, tmp_path, capsys, db_url):
    running, _ = start(utc(2027, 5, 20, 10), test=TEST, review=date(2027, 11, 15))
    [dm] = [m for m in dms(running, people.PARKS) if "test" in m["text"]]
    assert "overdue by 6 days" in text_of(dm)
    from bot.tools.cli import main

    monkeypatch.chdir(tmp_path)
    for name, value in (("DATABASE_URL", db_url), ("BCBOT_PLANS", str(tmp_path / "plans")),
                        ("BCBOT_TIMEZONE", "Europe/London")):
        monkeypatch.setenv(name, value)
    assert main(["plan", "status", "--format", "json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["plan"] == "wunderroot-bcp" and status["next_test"] == "2027-05-14" and status["recorded"] is True
    assert [o["name"] for o in status["owners"]] == ["Steve Parks", "Steve Hunton"]
    # The CLI's clock is the real one (November 2026): nothing is overdue yet.
    assert status["overdue"] == []

    # Who reviewed is named as the plan names them, in the text and beside the ID in the JSON.
    with running.bot.uow() as uow:
        gov = uow.governance.get("wunderroot-bcp")
        assert uow.governance.mark_reviewed("wunderroot-bcp", was_due=gov.next_review, next_review=date(2028, 11, 15),
                                            by=people.PARKS, at=utc(2027, 5, 20, 11))
        uow.commit()
    assert main(["plan", "status"]) == 0
    text = capsys.readouterr().out
    assert "last review:  2027-05-20 by Steve Parks" in text and people.PARKS not in text, text
    assert main(["plan", "status", "--format", "json"]) == 0
    [status] = json.loads(capsys.readouterr().out)
    assert status["last_review"]["by"] == people.PARKS and status["last_review"]["by_name"] == "Steve Parks"


def test_the_scheduler_runs_one_reminder_sweep_job(running):
    from bot.worker.jobs import start_background_jobs

    scheduler = start_background_jobs(running.bot, scheduler=True)
    try:
        job = scheduler.get_job("reminders")
        assert job.trigger.interval.total_seconds() == governance.SWEEP_EVERY_SECONDS
        assert [j.id for j in scheduler.get_jobs()].count("reminders") == 1
    finally:
        scheduler.shutdown(wait=False)
        running.settle()


def test_reminders_still_go_out_once_through_bursts_of_429_and_500(start, fake_slack):
    running, clock = start(utc(2027, 11, 10, 10))
    before = {u: len(dms(running, u)) for u in (people.PARKS, people.HUNTON)}
    clock.advance(days=5)  # the due day
    # Rate limited (Retry-After) and failing: every call is tried again after the wait, and a post Slack
    # made before answering 500 is found, not sent twice.
    fake_slack.fail("conversations.open", status=429, retry_after=1, times=2)
    fake_slack.fail("conversations.open", status=500, times=1)
    fake_slack.fail("chat.postMessage", status=429, retry_after=1, times=2)
    fake_slack.fail("chat.postMessage", status=500, after_work=True, times=1)
    sweep(running)
    sweep(running)  # and a later sweep sends nothing again
    for user in (people.PARKS, people.HUNTON):
        assert len(dms(running, user)) == before[user] + 1, user  # the due day's reminder, once
    claims = [c for c in rows(running, models.ReminderClaim) if c.due_on == REVIEW and c.stage == 0]
    # "unknown": Slack answered 500 having posted; it is never sent again (docs/reminders.md).
    assert sorted(c.status for c in claims) in (["sent", "sent"], ["sent", "unknown"]), claims
    assert sum(1 for c in fake_slack.calls if c.status == 429) == 4
