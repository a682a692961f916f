"""Roles and cover, end to end: steps given to their role's holder, each step owner told once per phase, a holder
who cannot act covered by the first able alternate (asked by DM: Accept / Can't; silence moves on), the lead told
when nobody is left, a role handed by the lead, and a step assigned or overdue told to its owner."""
from __future__ import annotations

import json

import pytest

from bot.domain.report import build_report, render_markdown
from bot.domain.rollcall import Answer
from bot.slack.ids import Action
from bot.worker.people import learn_slack_names
from bot.tools.fakeslack.sender import TEAM_ID
from storage import models
from tests.e2e.helpers import activate, rows, steps_of, take_over
from tests.e2e.test_rollcall import click, dms, incident_channel
from tests.support import people
from tests.support.plans import write_plan
from tests.support.processes import wait_until

AMY, BOB = "U0AMYCOLE1", "U0BOBABLE1"
OPS = "Operations Manager (UK)"


def roles_plan(folder, escalate_after="4s"):
    return write_plan(folder, roles=[{
        "name": OPS, "holder": {"name": "Steve Hunton", "email": people.HUNTON_EMAIL},
        "alternates": [{"name": "Amy Cole", "slack": AMY}, {"name": "Bob Able", "slack": BOB}]}],
        roll_call={"remind_after": "2s", "escalate_after": escalate_after})


@pytest.fixture
def started(start_app, fake_slack, tmp_path):
    fake_slack.add_user(AMY, "Amy Cole")
    fake_slack.add_user(BOB, "Bob Able")
    running = start_app(bcbot_plans=roles_plan(tmp_path / "plans"))
    running.settle()
    return running


def swept(running) -> bool:
    """The worker's periodic sweep, now: tasks whose time came (a wait for an answer) run."""
    take_over(running, pauses_over=False)
    return True


def step_dms(running, user: str) -> list[dict]:
    return [m for m in dms(running, user) if "your steps" in m.get("text", "")]


def cover_asks(running, user: str) -> list[dict]:
    return [m for m in dms(running, user) if "can you cover" in m.get("text", "")]


def press(running, user: str, message: dict, action_id: str) -> None:
    found = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == action_id)
    reply = running.slack.block_action(user, action_id, found["value"], channel="D" + user[1:])
    assert reply.status == 200, reply.body
    running.settle()


def header(running) -> str:
    [incident] = rows(running, models.Incident)
    message = next(m for m in running.fake.messages[incident.channel_id] if m.get("ts") == incident.header_ts)
    return json.dumps(message["blocks"], ensure_ascii=False)


def checklist_lines(running, phase_title: str = "Incident management") -> list[str]:
    channel = incident_channel(running)
    message = next(m for m in running.fake.messages[channel] if phase_title in json.dumps(m.get("blocks", []))
                   and any(b["type"] == "actions" and b.get("block_id", "").startswith("step:") for b in m["blocks"]))
    return [text for text, _ in steps_of(message)]


def test_steps_go_to_their_role_s_holder_who_hears_once_and_cover_follows_can_t_work(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: step_dms(running, people.HUNTON), 10)
    # The checklist shows each step's holder; the lead holds "Incident lead".
    lines = checklist_lines(running)
    assert f"assigned to <@{people.HUNTON}>" in lines[0] and OPS in lines[0]
    assert f"assigned to <@{people.LEAD}>" in lines[1]
    # One DM per person with steps in the first phase, listing them.
    assert wait_until(lambda: step_dms(running, people.PARKS) and step_dms(running, people.BAKER)
                      and step_dms(running, people.LEAD), 10)
    [hunton_dm] = step_dms(running, people.HUNTON)
    assert "Confirm everyone is safe" in json.dumps(hunton_dm["blocks"])
    assert f"Operations Manager (UK): <@{people.HUNTON}>" in header(running)

    click(running, people.HUNTON, Answer.CANT_WORK)
    assert wait_until(lambda: cover_asks(running, AMY), 10), "the first alternate was not asked"
    assert not cover_asks(running, BOB)
    [ask] = cover_asks(running, AMY)
    assert "answered safe, can't work" in json.dumps(ask["blocks"])
    press(running, AMY, ask, Action.COVER_ACCEPT)

    # Her Accept: the role's open steps are hers, in the checklist and the header; one DM lists them.
    assert wait_until(lambda: f"assigned to <@{AMY}>" in checklist_lines(running)[0], 10), checklist_lines(running)[0]
    assert wait_until(lambda: f"<@{AMY}> (covering for <@{people.HUNTON}>)" in header(running), 10)
    assert wait_until(lambda: len(step_dms(running, AMY)) == 1, 10)
    shown = json.dumps(step_dms(running, AMY)[0]["blocks"])
    assert "you now hold *Operations Manager (UK)*" in shown and "Confirm everyone is safe" in shown
    assert "List the projects and deadlines" in shown  # later phases' steps of the role too
    take_over(running)
    assert len(step_dms(running, AMY)) == 1 and len(step_dms(running, people.HUNTON)) == 1
    kinds = [e.kind for e in rows(running, models.IncidentLogEntry)]
    assert "role_cover_asked" in kinds and "role_handed_over" in kinds
    # Amy is in the incident channel now.
    assert AMY in running.fake.channels[incident_channel(running)].members
    # The report lists each hand-over, people named (as Slack calls them, learned before a report is made).
    learn_slack_names(running.bot)
    built = build_report(running.bot.uow, "BC-1", tz=running.bot.settings.timezone)
    [ops] = [r for r in built["roles"] if r["name"] == OPS]
    assert (ops["holder"], ops["plan_holder"], ops["state"]) == (AMY, people.HUNTON, "held")
    assert [h["kind"] for h in ops["handovers"]] == ["role_cover_asked", "role_handed_over"]
    md = render_markdown(built)
    assert "## Roles and cover" in md
    assert "Operations Manager (UK): handed from Steve Hunton to Amy Cole (accepted to cover)" in md, md


def test_a_silent_holder_is_covered_after_escalate_after_and_when_every_alternate_says_can_t_the_lead_is_told(
        started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    for user in (people.PARKS, people.BAKER, people.LEAD, AMY, BOB):
        if user != people.LEAD:
            assert wait_until(lambda u=user: any("are you safe?" in m.get("text", "") for m in dms(running, u)), 10)
            click(running, user, Answer.SAFE)
    # Steve Hunton never answers: after escalate_after (4 s) Amy is asked.
    assert wait_until(lambda: swept(running) and cover_asks(running, AMY), 15), "a silent holder was not covered"
    press(running, AMY, cover_asks(running, AMY)[0], Action.COVER_DECLINE)
    assert wait_until(lambda: cover_asks(running, BOB), 10)
    press(running, BOB, cover_asks(running, BOB)[0], Action.COVER_DECLINE)

    def lead_told():
        return [m for m in dms(running, people.LEAD) if "nobody is covering" in m.get("text", "")]
    assert wait_until(lead_told, 10), "the lead was not told"
    assert wait_until(lambda: "⚠️ *no cover*" in header(running), 10)
    take_over(running)
    assert len(lead_told()) == 1 and len(cover_asks(running, AMY)) == 1
    # Amy can no longer accept a role she was not asked about any more: told in words.
    reply = running.slack.block_action(AMY, Action.COVER_ACCEPT, json.dumps({"r": rows(running, models.IncidentRole)[0].id}),
                                       channel="D" + AMY[1:])
    assert reply.status == 200
    running.settle()


def test_an_alternate_who_does_not_answer_is_passed_over_for_the_next(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="yes")
    assert wait_until(lambda: any("are you safe?" in m.get("text", "") for m in dms(running, people.HUNTON)), 10)
    click(running, people.HUNTON, Answer.NEED_HELP)
    assert wait_until(lambda: cover_asks(running, AMY), 10)
    assert not cover_asks(running, BOB)
    ok = wait_until(lambda: swept(running) and cover_asks(running, BOB), 15)
    assert ok, [(t.name, t.last_error, t.result, str(t.not_before), str(t.done_at)) for t in rows(running, models.OutboxTask) if "cover-wait" in t.name]
    press(running, BOB, cover_asks(running, BOB)[0], Action.COVER_ACCEPT)
    assert wait_until(lambda: f"<@{BOB}> (covering for <@{people.HUNTON}>)" in header(running), 10)


def test_the_lead_hands_a_role_to_anyone_and_a_holder_may_decline_from_their_dm(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="no")
    channel = incident_channel(running)
    reply = running.slack.command(people.LEAD, f"role <@{people.OUTSIDER}> lead developer", channel=channel)
    assert reply.status == 200 and "Handing the role over" in reply.body
    running.settle()
    assert wait_until(lambda: f"<@{people.OUTSIDER}> (covering for <@{people.BAKER}>)" in header(running), 10)
    assert wait_until(lambda: step_dms(running, people.OUTSIDER), 10)
    assert f"assigned to <@{people.OUTSIDER}>" in checklist_lines(running)[2]
    # Someone else may not.
    reply = running.slack.command(people.OUTSIDER, f"role <@{people.OUTSIDER}> {OPS}", channel=channel)
    running.settle()
    assert not cover_asks(running, AMY)

    # Steve Hunton declines his role from his steps DM: Amy is asked.
    assert wait_until(lambda: step_dms(running, people.HUNTON), 10)
    press(running, people.HUNTON, step_dms(running, people.HUNTON)[0], Action.ROLE_DECLINE)
    assert wait_until(lambda: cover_asks(running, AMY), 10)
    assert any("You declined Operations Manager (UK)" in json.dumps(r) for r in running.fake.responses)


def test_a_step_assigned_later_and_a_step_fallen_overdue_are_told_to_its_owner(started):
    running = started
    activate(running, people.PARKS, lead=people.LEAD, roll_call="no")
    channel = incident_channel(running)
    [step] = [s for s in rows(running, models.ChecklistStep) if s.phase == "incident_management" and s.position == 3]
    payload = {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "test"},
               "user": {"id": people.LEAD, "username": "lead", "team_id": TEAM_ID}, "api_app_id": "A0BCBOT",
               "trigger_id": "t-1", "channel": {"id": channel, "name": "x"},
               "container": {"type": "message", "message_ts": "1.1", "channel_id": channel},
               "message": {"ts": "1.1", "text": ""},
               "actions": [{"action_id": Action.STEP_ASSIGN, "block_id": f"step:{step.id}", "type": "users_select",
                            "selected_user": people.OUTSIDER, "action_ts": "1"}]}
    assert running.slack.interactive(payload).status == 200
    running.settle()

    def assigned():
        return [m for m in dms(running, people.OUTSIDER) if "assigned you a step" in json.dumps(m.get("blocks"))]
    assert wait_until(assigned, 10)
    assert "Protect data" in json.dumps(assigned()[0]["blocks"])

    # The clock passes the step's due time: its owner hears once.
    from datetime import timedelta

    from bot.usecases.phases import arm_overdue_renders
    from bot.usecases.ports import utcnow
    with running.bot.uow() as uow:
        arm_overdue_renders(running.bot, uow, since=utcnow(), now=utcnow() + timedelta(minutes=31))
        arm_overdue_renders(running.bot, uow, since=utcnow(), now=utcnow() + timedelta(minutes=31))
        uow.commit()
    running.bot.kick_outbox() if hasattr(running.bot, "kick_outbox") else None
    take_over(running)

    def overdue():
        return [m for m in dms(running, people.OUTSIDER) if "overdue" in json.dumps(m.get("blocks"))]
    assert wait_until(overdue, 10)
    assert len(overdue()) == 1
