"""Roll call, end to end: the DMs, the buttons, the one tally message, "I need help", the reminder and the
escalation, an answer recorded for someone, and drills (tests/e2e/test_rollcall_processes.py: crashes, replicas)."""
from __future__ import annotations

import json
import re

import pytest

from bot.domain.rollcall import Answer
from storage import models
from tests.e2e.helpers import activate, rows, submit, take_over
from tests.support import people
from tests.support.plans import write_plan
from tests.support.processes import wait_until

STAFF = "U0STAFF009"
EVERYONE = (people.PARKS, people.HUNTON, people.BAKER, people.OUTSIDER, STAFF)


def roll_call_plan(folder, **roll_call):
    return write_plan(folder, roll_call={
        "staff": [{"name": "Olive Outsider", "slack": people.OUTSIDER}, {"name": "Olive Designer", "slack": STAFF},
                  {"name": "Steve Parks again", "slack": people.PARKS}],  # named twice: one DM
        "remind_after": "2s", "escalate_after": "4s", **roll_call})


@pytest.fixture
def started(start_app, fake_slack, tmp_path):
    fake_slack.add_user(STAFF, "Olive Designer")
    running = start_app(bcbot_plans=roll_call_plan(tmp_path / "plans"))
    running.settle()
    return running


def dms(running, user: str) -> list[dict]:
    return running.fake.messages.get("D" + user[1:], [])


def asked(running, user: str) -> dict | None:
    return next((m for m in dms(running, user) if "are you safe?" in m.get("text", "")), None)


def tally_message(running, channel: str) -> dict | None:
    return next((m for m in running.fake.messages.get(channel, []) if m.get("text", "").startswith(
        ("Roll call", "🧪 DRILL · Roll call"))), None)


def click(running, user: str, answer: Answer) -> None:
    message = asked(running, user)
    assert message is not None, f"{user} was not asked"
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].endswith(answer.value))
    reply = running.slack.block_action(user, button["action_id"], button["value"], channel="D" + user[1:])
    assert reply.status == 200, reply.body
    running.settle()


def incident_channel(running) -> str:
    [incident] = rows(running, models.Incident)
    assert incident.channel_id
    return incident.channel_id


def test_an_activation_asks_each_person_once_and_the_tally_follows_every_answer(started):
    running, fake = started, started.fake
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 10), "not everyone was asked"
    # Posted to each user ID: no conversations.open per person, each asked once.
    posts = [c.params["channel"] for c in fake.calls_to("chat.postMessage") if c.params["channel"] in EVERYONE
             and "are you safe?" in c.params.get("text", "")]
    assert sorted(posts) == sorted(EVERYONE)
    assert not [c for c in fake.calls_to("conversations.open") if c.params.get("users") in EVERYONE[1:]]
    channel = incident_channel(running)
    assert wait_until(lambda: tally_message(running, channel) is not None, 10)
    assert "0 safe" in tally_message(running, channel)["text"] and "5 no answer" in tally_message(running, channel)["text"]

    click(running, people.PARKS, Answer.SAFE)
    click(running, people.OUTSIDER, Answer.SAFE)
    click(running, people.OUTSIDER, Answer.CANT_WORK)  # a person may change their answer
    assert wait_until(lambda: "1 safe, 1 can't work, 0 need help, 3 no answer" in tally_message(running, channel)["text"], 10), \
        tally_message(running, channel)["text"]
    shown = json.dumps(tally_message(running, channel)["blocks"])
    assert "No answer yet" in shown and "Joe Baker" in shown and "Steve Parks" not in shown.split("No answer yet")[1]
    # One message, edited in place: one post of the tally to the channel.
    assert len([m for m in fake.messages[channel] if m.get("text", "").startswith("Roll call")]) == 1
    # Their DM shows their answer in place (through the click's response_url).
    assert any("you answered" in json.dumps(r.get("blocks")) and "Safe, but can" in json.dumps(r.get("blocks"))
               for r in fake.responses)


def test_i_need_help_reaches_the_lead_and_the_team_in_the_channel_and_by_dm(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: asked(running, people.BAKER) is not None, 10)
    click(running, people.BAKER, Answer.NEED_HELP)
    channel = incident_channel(running)

    def alerted(messages):
        return [m for m in messages if "answered *I need help*" in m.get("text", "") and "Joe Baker" in m["text"]]

    assert wait_until(lambda: len(alerted(running.fake.messages.get(channel, []))) == 1, 10)
    for user in (people.LEAD, people.PARKS, people.HUNTON):  # the lead and the team, at once
        assert wait_until(lambda: len(alerted(dms(running, user))) == 1, 10), user
    assert not alerted(dms(running, people.BAKER))  # not told about themselves
    assert wait_until(lambda: "1 need help" in tally_message(running, channel)["text"], 10)
    assert "Need help:* Joe Baker" in json.dumps(tally_message(running, channel)["blocks"])


def test_a_non_responder_is_reminded_once_and_escalated_once_to_the_lead(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 10)
    for user in (people.PARKS, people.BAKER, people.OUTSIDER, STAFF):
        click(running, user, Answer.SAFE)
    running.settle()  # the answers are recorded before the sweep looks for who has not answered

    def reminders(user):
        return [m for m in dms(running, user) if m.get("text", "").startswith("Reminder:")]

    def escalations():
        return [m for m in dms(running, people.LEAD) if "have not answered" in m.get("text", "")]

    assert wait_until(lambda: (take_over(running, pauses_over=False) or True) and len(reminders(people.HUNTON)) == 1, 10)
    assert not reminders(people.PARKS)  # who answered is not reminded
    assert wait_until(lambda: (take_over(running, pauses_over=False) or True) and len(escalations()) == 1, 10)
    [escalation] = escalations()
    assert "Steve Hunton" in escalation["text"] and "wr-phone-directory" in escalation["text"]
    take_over(running, pauses_over=False)
    assert len(reminders(people.HUNTON)) == 1 and len(escalations()) == 1


def test_an_answer_recorded_for_someone_says_who_recorded_it(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    channel = incident_channel(running)
    reply = running.slack.command(people.LEAD, f"answer <@{people.HUNTON}> safe", channel=channel)
    assert reply.status == 200
    running.settle()
    assert wait_until(lambda: "1 safe" in (tally_message(running, channel) or {}).get("text", ""), 10)
    shown = json.dumps(tally_message(running, channel)["blocks"])
    assert f"Steve Hunton: safe (recorded by <@{people.LEAD}>)" in shown
    [person] = [p for p in rows(running, models.RollCallPerson) if p.user_id == people.HUNTON]
    assert person.answer == "safe" and person.recorded_by == people.LEAD
    # The report says it by name (Slack's name for the lead, the plan's for Hunton), IDs only in the JSON.
    from bot.domain.report import build_report, render_markdown
    from bot.worker.people import learn_slack_names

    learn_slack_names(running.bot)
    built = build_report(running.bot.uow, "BC-1", tz=running.bot.settings.timezone)
    md = render_markdown(built).split("## Roll call")[1].split("## Timeline")[0]
    assert "| Steve Hunton | safe |" in md and "| Lee Lead | answered |" in md, md
    assert "recorded by Lee Lead" in md and not re.search(r"\b[UW][A-Z0-9]{6,}\b", md), md
    [answer] = built["roll_call"]["answers"]
    assert (answer["user"], answer["recorded_by"], answer["recorded_by_name"]) == (people.HUNTON, people.LEAD, "Lee Lead")
    # Someone outside the lead and the team cannot.
    running.slack.command(people.OUTSIDER, f"answer {people.BAKER} safe", channel=channel)
    running.settle()
    assert [p.answer for p in rows(running, models.RollCallPerson) if p.user_id == people.BAKER] == [None]


def test_a_dm_slack_refuses_for_good_counts_as_not_reached(started):
    running = started
    running.fake.users.pop(STAFF)  # deactivated since the plan was written: Slack refuses the DM
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    channel = incident_channel(running)
    assert wait_until(lambda: "(1 not reached)" in (tally_message(running, channel) or {}).get("text", ""), 10)
    assert "Olive Designer _(not reached)_" in json.dumps(tally_message(running, channel)["blocks"])
    [person] = [p for p in rows(running, models.RollCallPerson) if p.user_id == STAFF]
    assert person.delivery == "failed" and person.delivery_code


def test_no_roll_call_when_the_form_says_no(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="no")
    assert not rows(running, models.RollCall)


def test_the_plan_can_skip_the_roll_call_for_a_circumstance(start_app, fake_slack, tmp_path):
    running = start_app(bcbot_plans=roll_call_plan(tmp_path / "plans", skip_for=["Loss of a key supplier"]))
    activate(running, people.PARKS, circumstance="Loss of a key supplier", roll_call="plan")
    activate(running, people.PARKS, circumstance="Loss of critical systems", roll_call="plan")
    assert len(rows(running, models.RollCall)) == 1


def test_an_exercise_roll_call_says_drill_and_is_a_call_tree_test(started):
    running = started
    view_reply = running.slack.command(people.PARKS, "exercise")
    assert view_reply.status == 200
    running.settle()
    view = running.fake.views[max(v for v in running.fake.views if v.startswith("V"))]
    submit(running, people.PARKS, view, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 10)
    assert all(asked(running, u)["text"].startswith("🧪 DRILL") for u in EVERYONE)
    channel = incident_channel(running)
    assert wait_until(lambda: tally_message(running, channel) is not None, 10)
    assert tally_message(running, channel)["text"].startswith("🧪 DRILL")
    assert [t.test_type for t in rows(running, models.PlanTest)] == ["call_tree"]


def test_activate_drill_runs_a_roll_call_on_its_own(started):
    running = started
    reply = running.slack.command(people.BAKER, "drill")
    assert reply.status == 200 and "roll-call drill" in reply.body
    running.settle()
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 10)
    assert not rows(running, models.Incident)
    # The tally is in the runner's DM, and it is recorded as a call-tree test of the plan.
    assert wait_until(lambda: tally_message(running, "D" + people.BAKER[1:]) is not None, 10)
    [test] = rows(running, models.PlanTest)
    assert test.test_type == "call_tree" and test.recorded_by == people.BAKER
    # Someone not on the team or an owner cannot start one.
    running.slack.command(people.OUTSIDER, "drill")
    running.settle()
    assert len(rows(running, models.RollCall)) == 1


def test_app_home_shows_an_open_incident_s_roll_call_and_how_fast_people_answered(started):
    from tests.e2e.test_home import open_home, texts

    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: all(asked(running, u) for u in EVERYONE), 10)
    click(running, people.PARKS, Answer.SAFE)
    click(running, people.BAKER, Answer.NEED_HELP)
    click(running, STAFF, Answer.CANT_WORK)
    shown = texts(open_home(running, people.OUTSIDER, "Ev-home-rc"))
    assert "Roll call: *3 of 5* answered (1 safe, 1 can't work, 1 need help)" in shown, shown
    # Three of five is past half: the time to 50% is shown; 90% and 100% not reached yet.
    assert re.search(r"50% in \d+m, 90% —, 100% —", shown), shown
