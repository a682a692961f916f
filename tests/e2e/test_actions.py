"""Issue 22 item 1 end to end: corrective actions from an exercise's stand-down, `/activate action`, the
post-incident review form and a management review; the owner's DM, reminders through the ledger (once,
across a restart), Done / New date / Drop; `bcbot actions`; App Home.

Signed requests go to the running app; the fake Slack Web API records what bcbot sends. Time is an injected
clock (Europe/London, reminders from 09:00); each sweep is run as the scheduler would.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from bot.domain.action_register import build
from bot.domain.reminders import local_today
from bot.slack.ids import Action
from bot.worker import reminders
from storage import models
from tests.e2e.helpers import channel_messages, open_modal, rows, submit
from tests.e2e.test_home import open_home
from tests.support import people
from tests.support.clock import FakeClock
from tests.support.plans import write_plan

REVIEW, TEST = date(2029, 1, 1), date(2029, 1, 1)  # far away: no review or test reminders in the way


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


@pytest.fixture
def start(start_app, tmp_path):
    """start(now) -> (running app, its clock); again with clock= for a restart on the same database."""

    def start_(now: datetime | None = None, *, clock=None):
        plans = write_plan(tmp_path / "plans", review=REVIEW, test=TEST)
        clock = clock or FakeClock(now)
        running = start_app(clock=clock, bcbot_plans=plans, bcbot_timezone="Europe/London", bcbot_reminder_hour=9)
        running.settle()
        return running, clock

    return start_


def dms(running, user: str) -> list[dict]:
    return [m for m in channel_messages(running, "D" + user[1:]) if "files" not in m]


def text_of(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks"), ensure_ascii=False)


def buttons(message: dict) -> dict[str, str]:
    return {e["action_id"]: e.get("value") for b in message.get("blocks", []) if b["type"] == "actions"
            for e in b["elements"]}


def click(running, user: str, message: dict, action_id: str, *, channel: str | None = None) -> None:
    reply = running.slack.block_action(user, action_id, buttons(message)[action_id],
                                       channel=channel or "D" + user[1:], message_ts=message["ts"])
    assert reply.status == 200, reply.body
    running.settle()


def last_view(running, callback_id: str) -> dict:
    return [v for v in running.fake.views.values() if v.get("callback_id") == callback_id][-1]


def submit_state(running, user: str, view: dict, values: dict):
    """Submit `view` with `values` ({block ID: element state}) as Slack sends it back."""
    state = {block: {"value": element} for block, element in values.items()}
    reply = running.slack.view_submission(user, {**view, "state": {"values": state}})
    running.settle()
    return reply


def row_values(*rows_: tuple[str, str | None, date | None]) -> dict:
    values = {}
    for n, (title, owner, due) in enumerate(rows_):
        values[f"action_title:{n}"] = {"type": "plain_text_input", "value": title}
        values[f"action_owner:{n}"] = {"type": "users_select", "selected_user": owner}
        values[f"action_due:{n}"] = {"type": "datepicker", "selected_date": due.isoformat() if due else None}
    return values


def sweep(running):
    result = reminders.sweep(running.bot)
    running.settle()
    return result


def action_keys(result) -> list[tuple[str, int, str]]:
    return [(k.plan_key, k.stage, k.recipient) for k in result.sent_keys if k.kind in ("action", "act_late")]


def register(running, **kw) -> dict:
    today = local_today(running.bot.clock(), running.bot.settings.timezone)
    return build(running.bot.uow, today=today, **kw)


def told(running, text: str) -> bool:
    return any(text in r.get("text", "") for r in running.fake.responses) or \
        any(text in m.get("text", "") for msgs in running.fake.messages.values() for m in msgs)


def home_of(running, user: str) -> str:
    return json.dumps(open_home(running, user, f"Ev{len(running.fake.calls)}"), ensure_ascii=False)


def stand_down_exercise(running, clock, rows_) -> models.Incident:
    view = open_modal(running, people.PARKS, "exercise")
    submit(running, people.PARKS, view)
    [incident] = rows(running, models.Incident)
    header = next(m for m in channel_messages(running, incident.channel_id) if m["ts"] == incident.header_ts)
    clock.advance(hours=2)
    click(running, people.PARKS, header, Action.STAND_DOWN, channel=incident.channel_id)
    form = last_view(running, "bcbot.stand_down")
    reply = submit_state(running, people.PARKS, form, {"text": {"type": "plain_text_input", "value": "Exercise over"},
                                                       "gaps": {"type": "plain_text_input", "value": "No restore test"},
                                                       **row_values(*rows_)})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    return incident


# Done when, line 1 -------------------------------------------------------------------------------------
def test_an_exercise_stand_down_with_two_actions_through_done_and_a_reminder_once_across_a_restart(start, start_app):
    running, clock = start(utc(2027, 3, 1, 10))
    stand_down_exercise(running, clock, [("Test a restore from backup", people.BAKER, date(2027, 3, 15)),
                                         ("Update the phone tree", people.HUNTON, date(2027, 3, 20))])

    [a1, a2] = register(running)["actions"]
    assert (a1["ref"], a1["owner"]["id"], a1["due_on"], a1["status"]) == ("A-1", people.BAKER, "2027-03-15", "open")
    assert (a2["ref"], a2["owner"]["id"], a2["due_on"], a2["status"]) == ("A-2", people.HUNTON, "2027-03-20", "open")
    assert a1["source"]["kind"] == "exercise" and a1["source"]["ref"] == "BC-1"
    given = [m for m in dms(running, people.BAKER) if "A-1" in text_of(m)]
    assert len(given) == 1 and set(buttons(given[0])) == {Action.ACTION_DONE, Action.ACTION_NEW_DATE,
                                                          Action.ACTION_DROP}
    assert len([m for m in dms(running, people.HUNTON) if "A-2" in m["text"]]) == 1
    # The post-exercise report names them by reference.
    [test] = rows(running, models.PlanTest)
    assert "A-1 Test a restore from backup (owner Joe Baker, due 2027-03-15)" in test.report["actions"]  # named

    # Done asks what was done; the register and App Home show it closed.
    click(running, people.BAKER, given[0], Action.ACTION_DONE)
    done_form = last_view(running, "bcbot.action.done_form")
    assert submit_state(running, people.BAKER, done_form, {"text": {"type": "plain_text_input", "value": ""}}
                        ).json()["response_action"] == "errors"  # a note is required: the form stays open
    submit_state(running, people.BAKER, done_form, {"text": {"type": "plain_text_input",
                                                             "value": "Restored the file server to a spare disk"}})
    a1 = register(running)["actions"][0]
    assert (a1["status"], a1["closed_by"]["id"], a1["closing_note"]) == (
        "done", people.BAKER, "Restored the file server to a spare disk")
    assert [h["kind"] for h in a1["history"]] == ["created", "done"]
    updated = [c for c in running.fake.calls_to("chat.update") if c.params.get("ts") == given[0]["ts"]]
    assert updated and "Marked done" in json.dumps(updated[-1].params.get("blocks"))
    home = home_of(running, people.BAKER)
    assert "A-1" in home and "done" in home
    assert "A-2" in home_of(running, people.HUNTON)

    # The other's reminder goes out once on its due day, and again not at all after a restart.
    clock.advance(days=19, hours=-3)  # 20 Mar 2027, 09:00 GMT
    assert action_keys(sweep(running)) == [("A-2", 0, people.HUNTON)]
    [reminder] = [m for m in dms(running, people.HUNTON) if "due today" in m["text"]]
    assert "A-2" in reminder["text"] and set(buttons(reminder)) >= {Action.ACTION_DONE}
    again, _ = start(clock=clock)
    assert again.bot is not running.bot
    assert action_keys(sweep(again)) == []
    assert len([m for m in dms(running, people.HUNTON) if "due today" in m["text"]]) == 1
    assert not [m for m in dms(running, people.BAKER) if "due today" in m["text"]]  # A-1 is done
    claims = [(c.plan_key, c.kind, c.stage, c.recipient, c.status) for c in rows(running, models.ReminderClaim)
              if c.kind == "action"]
    assert claims == [("A-2", "action", 0, people.HUNTON, "sent")]


def test_a_titled_row_without_an_owner_keeps_the_stand_down_form_open(start):
    running, clock = start(utc(2027, 3, 1, 10))
    view = open_modal(running, people.PARKS, "exercise")
    submit(running, people.PARKS, view)
    [incident] = rows(running, models.Incident)
    header = next(m for m in channel_messages(running, incident.channel_id) if m["ts"] == incident.header_ts)
    click(running, people.PARKS, header, Action.STAND_DOWN, channel=incident.channel_id)
    form = last_view(running, "bcbot.stand_down")
    reply = submit_state(running, people.PARKS, form, {"text": {"type": "plain_text_input", "value": "Done"},
                                                       **row_values(("Fix the VPN", None, date(2027, 3, 5)))})
    assert reply.json() == {"response_action": "errors", "errors": {"action_owner:0": "Choose who owns this action."}}
    assert rows(running, models.Incident)[0].state != "stood_down" and rows(running, models.CorrectiveAction) == []

    # Add action: the same form with a third row, by views.update (the rows keep their block IDs).
    value = buttons(form)[Action.ADD_ACTION_ROW]
    assert running.slack.block_action(people.PARKS, Action.ADD_ACTION_ROW, value, view=form).status == 200
    running.settle()
    [update] = running.fake.calls_to("views.update")
    blocks = [b.get("block_id") for b in update.params["view"]["blocks"]]
    assert [b for b in blocks if b and b.startswith("action_title:")] == ["action_title:0", "action_title:1",
                                                                           "action_title:2"]
    assert update.params["view_id"] == form["id"]


# Done when, line 2 -------------------------------------------------------------------------------------
def real_incident(running) -> models.Incident:
    view = open_modal(running, people.PARKS)
    submit(running, people.PARKS, view)
    [incident] = rows(running, models.Incident)
    return incident


def test_activate_action_in_an_incident_channel_is_owned_by_its_author_due_in_14_days_and_edit_changes_it(start):
    running, clock = start(utc(2027, 3, 1, 10))
    incident = real_incident(running)
    reply = running.slack.command(people.BAKER, "action Call the insurer <!channel>", channel=incident.channel_id)
    assert reply.status == 200 and "Recording the action" in reply.body
    running.settle()
    [a] = register(running)["actions"]
    assert (a["ref"], a["title"], a["owner"]["id"], a["due_on"], a["status"]) == (
        "A-1", "Call the insurer <!channel>", people.BAKER, "2027-03-15", "open")
    assert a["source"] == {"kind": "incident", "ref": "BC-1", "note": None}
    [card] = [m for m in channel_messages(running, incident.channel_id) if "A-1" in m["text"]]
    assert "&lt;!channel&gt;" in text_of(card) and "<!channel>" not in text_of(card)  # escaped
    assert set(buttons(card)) == {Action.ACTION_EDIT, Action.ACTION_DONE}
    assert len([m for m in dms(running, people.BAKER) if "A-1" in m["text"]]) == 1

    # Someone outside the plan may not change it; Edit gives it to Hunton for the 20th.
    click(running, people.OUTSIDER, card, Action.ACTION_EDIT, channel=incident.channel_id)
    assert told(running, "Only <@U0JBAKER01> (its owner)")
    click(running, people.BAKER, card, Action.ACTION_EDIT, channel=incident.channel_id)
    form = last_view(running, "bcbot.action.edit_form")
    past = submit_state(running, people.BAKER, form, {"owner": {"type": "users_select", "selected_user": people.HUNTON},
                                                      "due": {"type": "datepicker", "selected_date": "2027-02-01"}})
    assert past.json()["errors"] == {"due": "Choose today or a later day."}
    submit_state(running, people.BAKER, form, {"owner": {"type": "users_select", "selected_user": people.HUNTON},
                                               "due": {"type": "datepicker", "selected_date": "2027-03-20"}})
    [a] = register(running)["actions"]
    assert (a["owner"]["id"], a["due_on"]) == (people.HUNTON, "2027-03-20")
    assert [h["kind"] for h in a["history"]] == ["created", "changed"]
    assert len([m for m in dms(running, people.HUNTON) if "A-1" in m["text"]]) == 1  # the new owner is told
    edited = [c for c in running.fake.calls_to("chat.update") if c.params.get("ts") == card["ts"]]
    assert edited and "Sat 20 Mar 2027" in json.dumps(edited[-1].params["blocks"]) and "U0HUNTON01" in json.dumps(
        edited[-1].params["blocks"])


def test_activate_action_outside_an_incident_channel_says_where_to_use_it(start):
    running, _ = start(utc(2027, 3, 1, 10))
    running.slack.command(people.BAKER, "action Call the insurer")
    running.settle()
    assert told(running, "This is not an incident channel")
    assert rows(running, models.CorrectiveAction) == []
    reply = running.slack.command(people.BAKER, "action")
    assert "Usage: `/activate action TEXT`" in reply.body


def test_the_post_incident_review_form_records_actions_sourced_to_the_incident_and_new_date_and_drop_work(
        start):
    from bot.domain.commands import StandDown
    from tests.e2e.helpers import run_intent

    running, clock = start(utc(2027, 3, 1, 10))
    incident = real_incident(running)
    clock.advance(hours=5)
    run_intent(running, StandDown(incident.id, "All clear"), people.PARKS)
    [pir] = [m for m in dms(running, people.HUNTON) if "stood down" in text_of(m)]
    click(running, people.HUNTON, pir, Action.OPEN_POST_INCIDENT_REVIEW)
    form = last_view(running, "bcbot.review.post_incident_form")
    reply = submit_state(running, people.HUNTON, form, {
        "what_worked": {"type": "plain_text_input", "value": "The phone tree"},
        "gaps": {"type": "plain_text_input", "value": "Backups untested"},
        **row_values(("Test a restore", people.BAKER, date(2027, 3, 4)), ("Buy a generator", people.PARKS,
                                                                          date(2027, 4, 1)))})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    a1, a2 = register(running)["actions"]
    assert a1["source"] == {"kind": "incident", "ref": "BC-1", "note": "Post-incident review: Backups untested"}
    assert (a2["ref"], a2["owner"]["id"]) == ("A-2", people.PARKS)
    assert [e.kind for e in rows(running, models.IncidentLogEntry)].count("post_incident_review") == 1

    # The report lists them.
    from bot.domain.report import build_report, render_markdown

    report = build_report(running.bot.uow, "BC-1", tz=running.bot.settings.timezone)
    assert [a["ref"] for a in report["actions"]] == ["A-1", "A-2"]
    assert "## Actions" in render_markdown(report) and "| A-1 | Test a restore |" in render_markdown(report)

    # A-1's reminder 3 days before (1 Mar is 3 days before the 4th): New date moves it; its reminders start again.
    clock.advance(hours=-5 + 24)  # 2 Mar, 10:00
    assert action_keys(sweep(running)) == []  # the given DM stood for the 3-days-before stage
    clock.advance(days=2)  # 4 Mar: due today
    assert action_keys(sweep(running)) == [("A-1", 0, people.BAKER)]
    [reminder] = [m for m in dms(running, people.BAKER) if "due today" in m["text"]]
    click(running, people.BAKER, reminder, Action.ACTION_NEW_DATE)
    submit_state(running, people.BAKER, last_view(running, "bcbot.action.new_date_form"),
                 {"due": {"type": "datepicker", "selected_date": "2027-03-11"}})
    assert register(running)["actions"][0]["due_on"] == "2027-03-11"
    assert action_keys(sweep(running)) == []
    clock.advance(days=7)  # 11 Mar
    assert action_keys(sweep(running)) == [("A-1", 0, people.BAKER)]

    # Drop asks why, and the reminder's DM says so without buttons.
    [reminder] = [m for m in dms(running, people.BAKER) if "due today" in m["text"]][-1:]
    click(running, people.BAKER, reminder, Action.ACTION_DROP)
    drop = last_view(running, "bcbot.action.drop_form")
    assert submit_state(running, people.BAKER, drop, {"text": {"type": "plain_text_input", "value": " "}}
                        ).json()["errors"] == {"text": "Say why it is dropped."}
    submit_state(running, people.BAKER, drop, {"text": {"type": "plain_text_input", "value": "The NAS is retired"}})
    a1 = register(running)["actions"][0]
    assert (a1["status"], a1["closing_note"]) == ("dropped", "The NAS is retired")
    assert [a["ref"] for a in register(running, status="dropped")["actions"]] == ["A-1"]
    assert [a["ref"] for a in register(running, status="open")["actions"]] == ["A-2"]
    clock.advance(days=3)
    assert action_keys(sweep(running)) == []  # a dropped action is not reminded


def test_overdue_reminders_every_few_days_and_the_plan_owners_told_once_a_week_late(start):
    running, clock = start(utc(2027, 3, 1, 10))
    incident = real_incident(running)
    running.slack.command(people.BAKER, "action Renew the lease", channel=incident.channel_id)
    running.settle()
    clock.advance(days=14)  # 15 Mar: due today
    assert action_keys(sweep(running)) == [("A-1", 0, people.BAKER)]
    clock.advance(days=2)
    assert action_keys(sweep(running)) == []
    clock.advance(days=1)  # 3 days overdue
    assert action_keys(sweep(running)) == [("A-1", 3, people.BAKER)]
    assert register(running, status="overdue")["actions"][0]["ref"] == "A-1"
    clock.advance(days=4)  # a week late: the plan's owners hear once
    assert sorted(action_keys(sweep(running))) == [("A-1", 6, people.BAKER), ("A-1", 7, people.HUNTON),
                                                   ("A-1", 7, people.PARKS)]
    assert "overdue by 7 days" in dms(running, people.PARKS)[-1]["text"]
    clock.advance(days=7)
    assert action_keys(sweep(running)) == [("A-1", 12, people.BAKER)]


def test_a_management_review_from_app_home_is_recorded_and_its_actions_land_in_the_register(start):
    running, clock = start(utc(2027, 3, 1, 10))
    home = open_home(running, people.PARKS, "Ev1")
    button = next(e for b in home["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == Action.OPEN_MANAGEMENT_REVIEW)
    assert running.slack.block_action(people.PARKS, Action.OPEN_MANAGEMENT_REVIEW, button["value"]).status == 200
    running.settle()
    form = last_view(running, "bcbot.review.management_form")
    reply = submit_state(running, people.PARKS, form, {
        "held_on": {"type": "datepicker", "selected_date": "2027-02-26"},
        "attendees": {"type": "multi_users_select", "selected_users": [people.PARKS, people.HUNTON]},
        "decisions": {"type": "plain_text_input", "value": "- Fund a second site\n- Test the call tree quarterly"},
        **row_values(("Cost a second site", people.HUNTON, date(2027, 4, 30)))})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    [review] = rows(running, models.ManagementReview)
    assert (review.held_on, review.attendees, review.decisions) == (
        date(2027, 2, 26), [people.PARKS, people.HUNTON], ["Fund a second site", "Test the call tree quarterly"])
    [a] = register(running)["actions"]
    assert a["source"]["kind"] == "review" and a["source"]["ref"] == "MR-1" and a["owner"]["id"] == people.HUNTON
    assert len([m for m in dms(running, people.HUNTON) if "A-1" in m["text"]]) == 1

    # Someone outside the plans is not offered the form, and may not record one.
    assert Action.OPEN_MANAGEMENT_REVIEW not in json.dumps(open_home(running, people.OUTSIDER, "Ev2"))
    reply = submit_state(running, people.OUTSIDER, {**form, "id": "V0OTHER"}, {
        "held_on": {"type": "datepicker", "selected_date": "2027-02-26"},
        "attendees": {"type": "multi_users_select", "selected_users": [people.OUTSIDER]},
        "decisions": {"type": "plain_text_input", "value": "Nothing"}})
    assert told(running, "Only the plans' owners and the Business Continuity Team") and \
        len(rows(running, models.ManagementReview)) == 1


def test_bcbot_actions_lists_the_register_as_text_and_json_filtered_by_plan_and_status(start, monkeypatch, tmp_path,
                                                                                        capsys, db_url):
    from bot.tools.cli import main

    running, _ = start(utc(2027, 3, 1, 10))
    incident = real_incident(running)
    for text in ("Call the insurer", "Book the backup office"):
        running.slack.command(people.BAKER, f"action {text}", channel=incident.channel_id)
        running.settle()
    monkeypatch.chdir(tmp_path)
    for name, value in (("DATABASE_URL", db_url), ("BCBOT_PLANS", str(tmp_path / "plans")),
                        ("BCBOT_TIMEZONE", "Europe/London")):
        monkeypatch.setenv(name, value)
    assert main(["actions", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed["format_version"] == 1 and [a["ref"] for a in listed["actions"]] == ["A-1", "A-2"]
    first = listed["actions"][0]
    assert first["owner"] == {"id": people.BAKER, "name": "Joe Baker"} and first["status"] == "open"
    assert first["source"] == {"kind": "incident", "ref": "BC-1", "note": None} and first["plan"] == "wunderroot-bcp"
    assert first["history"][0]["kind"] == "created" and first["history"][0]["by"]["id"] == people.BAKER

    assert main(["actions", "--status", "done", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["actions"] == []
    assert main(["actions", "--plan", "no-such-plan"]) == 0
    assert "No actions in plan no-such-plan." in capsys.readouterr().out
    assert main(["actions", "--status", "open"]) == 0
    text = capsys.readouterr().out
    assert "2 actions: 2 open" in text and "A-1  [OPEN]  Call the insurer" in text and "Joe Baker" in text
