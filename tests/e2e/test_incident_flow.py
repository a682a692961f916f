"""Issue 3 end to end: running an incident through every phase in Slack, over signed HTTP."""
from __future__ import annotations

import json
import threading

import pytest

from bot.worker import jobs
from storage import models
from tests.e2e.helpers import activate, button, channel_messages, rows, steps_of
from tests.support import people
from tests.support.clock import FakeClock


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def incident(start_app, clock):
    running = start_app(clock=clock)
    activate(running, people.PARKS, lead=people.LEAD)
    [row] = rows(running, models.Incident)
    return running, row


def header(running, row) -> dict:
    return next(m for m in channel_messages(running, row.channel_id) if m["ts"] == row.header_ts)


def header_button(running, row, action_id) -> dict:
    actions = next(b for b in header(running, row)["blocks"] if b["type"] == "actions")
    return button(actions, action_id)


def checklists(running, row, phase):
    with running.bot.uow() as uow:
        pages = uow.incidents.checklist_messages(row.id, phase)
    by_ts = {m["ts"]: m for m in channel_messages(running, row.channel_id)}
    return [by_ts[ts] for _, (_, ts) in sorted(pages.items())]


def last_view(running, callback_id) -> dict:
    return [v for v in running.fake.views.values() if v.get("callback_id") == callback_id][-1]


def submit_values(running, user, view, values: dict) -> None:
    state = {k: {"value": v} for k, v in values.items()}
    reply = running.slack.view_submission(user, {**view, "state": {"values": state}})
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    running.settle()


def told(running, text) -> bool:
    return any(text in r.get("text", "") for r in running.fake.responses) or \
        any(text in m.get("text", "") for msgs in running.fake.messages.values() for m in msgs)


def log_kinds(running) -> list[str]:
    return [e.kind for e in rows(running, models.IncidentLogEntry)]


# 1. Checklist steps ------------------------------------------------------------------------------
def test_assign_note_not_applicable_and_overdue(incident, clock):
    running, row = incident
    [page] = checklists(running, row, "incident_management")
    (_, first), (_, second) = steps_of(page)[:2]
    step1 = first["block_id"]

    # Assign step 1 through its users select (the step ID rides in the block ID).
    payload_action = {"action_id": "bcbot.step.assign", "block_id": step1, "type": "users_select",
                      "selected_user": people.BAKER, "action_ts": "1"}
    body = {"type": "block_actions", "team": {"id": "T0BCBOT"}, "user": {"id": people.LEAD, "team_id": "T0BCBOT"},
            "trigger_id": "t", "actions": [payload_action], "channel": {"id": row.channel_id},
            "container": {"type": "message", "message_ts": page["ts"]}, "response_url": running.fake.response_url + "x"}
    assert running.slack.interactive(body).status == 200
    running.settle()

    # A note and "not applicable" go through the overflow menu and a small modal.
    note_option = button(first, "bcbot.step.more")["options"][0]["value"]
    running.slack.block_action(people.LEAD, "bcbot.step.more", None, channel=row.channel_id, selected=note_option)
    running.settle()
    submit_values(running, people.LEAD, last_view(running, "bcbot.step.note"), {"text": {"value": "Called <!here> everyone"}})
    na_option = button(second, "bcbot.step.more")["options"][1]["value"]
    running.slack.block_action(people.LEAD, "bcbot.step.more", None, channel=row.channel_id, selected=na_option)
    running.settle()
    na_view = last_view(running, "bcbot.step.na")
    reply = running.slack.view_submission(people.LEAD, {**na_view, "state": {"values": {"text": {"value": {"value": " "}}}}})
    assert reply.json()["errors"] == {"text": "Say why this step does not apply."}  # the modal stays open
    submit_values(running, people.LEAD, na_view, {"text": {"value": "Nothing on site"}})

    [page] = checklists(running, row, "incident_management")
    (text1, _), (text2, actions2) = steps_of(page)[:2]
    assert f"assigned to <@{people.BAKER}>" in text1 and "📝 Called &lt;!here&gt; everyone" in text1
    assert text2.startswith("➖") and "not applicable: Nothing on site" in text2
    assert button(actions2, "bcbot.step.reopen")
    assert "1/7 done" in page["blocks"][0]["text"]["text"] and "(1/7 done)" in str(header(running, row)["blocks"])
    assert {"step_assigned", "step_note", "step_na"} <= set(log_kinds(running))

    # Step 3 is due within 30 minutes of activation: after 31 minutes it is flagged.
    assert "overdue" not in steps_of(page)[2][0]
    assert run_job(running, jobs.show_newly_overdue_steps) == 0  # nothing overdue yet
    clock.advance(minutes=31)  # a late run: it looks back to the last one, not a fixed window
    assert run_job(running, jobs.show_newly_overdue_steps) == 1
    assert run_job(running, jobs.show_newly_overdue_steps) == 0
    [page] = checklists(running, row, "incident_management")
    assert "overdue" in steps_of(page)[2][0] and "overdue" not in steps_of(page)[1][0]


# 2. Phases -----------------------------------------------------------------------------------------
def test_phases_move_on_with_carried_over_steps_and_permissions(incident):
    running, row = incident
    advance = header_button(running, row, "bcbot.incident.advance")
    assert "7 steps of incident management are still open" in advance["confirm"]["text"]["text"]

    running.slack.block_action(people.OUTSIDER, "bcbot.incident.advance", advance["value"], channel=row.channel_id)
    running.settle()
    assert told(running, "Only the incident lead") and rows(running, models.Incident)[0].state == "incident_management"

    # A double click by the lead moves one phase, not two.
    threads = [threading.Thread(target=running.slack.block_action, args=(people.LEAD, "bcbot.incident.advance",
                                                                         advance["value"]), kwargs={"channel": row.channel_id})
               for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    running.settle()
    [moved] = rows(running, models.Incident)
    assert moved.state == "business_continuity"
    [entry] = [e for e in rows(running, models.IncidentLogEntry) if e.kind == "phase_changed"]
    assert entry.data == {"from": "incident_management", "to": "business_continuity", "carried_over": [1, 2, 3, 4, 5, 6, 7]}
    assert "Business continuity" in running.fake.channels[row.channel_id].topic
    [bc_page] = checklists(running, row, "business_continuity")
    texts = [text for text, _ in steps_of(bc_page)]
    assert len(texts) == 6 + 1 + 7 and texts[6].startswith("*Carried over*")  # this phase's, then the carried
    assert all("from incident management" in t for t in texts[7:])
    assert told(running, "Carried over from incident management: steps 1, 2, 3, 4, 5, 6, 7")

    # A team member (not the lead) moves on again; in the last phase there is no next phase.
    advance = header_button(running, row, "bcbot.incident.advance")
    running.slack.block_action(people.BAKER, "bcbot.incident.advance", advance["value"], channel=row.channel_id)
    running.settle()
    assert rows(running, models.Incident)[0].state == "resumption_recovery"
    assert all(e["action_id"] != "bcbot.incident.advance"
               for b in header(running, row)["blocks"] if b["type"] == "actions" for e in b["elements"])


def test_carried_over_steps_keep_their_due_times_and_can_be_done_from_the_new_checklist(incident, clock):
    running, row = incident
    advance = header_button(running, row, "bcbot.incident.advance")
    clock.advance(minutes=5)
    running.slack.block_action(people.LEAD, "bcbot.incident.advance", advance["value"], channel=row.channel_id)
    running.settle()
    [im_page] = checklists(running, row, "incident_management")
    [bc_page] = checklists(running, row, "business_continuity")
    first_im = steps_of(im_page)[0]
    carried = [(text, actions) for text, actions in steps_of(bc_page) if "from incident management" in text]
    assert len(carried) == 7
    # Step 1 is due 15 minutes after the incident began, wherever it is shown (not lost with the phase change).
    assert "due <!date^" in first_im[0] and "due <!date^" in carried[0][0], (first_im[0], carried[0][0])

    value = button(carried[0][1], "bcbot.step.done")["value"]
    running.slack.block_action(people.LEAD, "bcbot.step.done", value, channel=row.channel_id, message_ts=bc_page["ts"])
    running.settle()
    [im_page] = checklists(running, row, "incident_management")
    [bc_page] = checklists(running, row, "business_continuity")
    carried = [text for text, _ in steps_of(bc_page) if "from incident management" in text]
    assert carried[0].startswith("✅") and f"done by <@{people.LEAD}>" in carried[0]  # shown done where it was clicked
    assert steps_of(im_page)[0][0].startswith("✅")  # and in its own phase's checklist
    assert "0/6 done" in bc_page["blocks"][0]["text"]["text"]  # the phase's own progress is its own steps'


# 3. Decisions --------------------------------------------------------------------------------------
def test_decisions_from_modal_command_and_message_shortcut(incident):
    running, row = incident
    value = header_button(running, row, "bcbot.incident.decision")["value"]
    running.slack.block_action(people.LEAD, "bcbot.incident.decision", value, channel=row.channel_id)
    running.settle()
    modal = last_view(running, "bcbot.decision")
    submit_values(running, people.LEAD, modal, {"decision": {"value": "Move to the backup office"},
                                                "rationale": {"value": "Main office has no power"},
                                                "options": {"value": "Home working; backup office"},
                                                "decided_by": {"selected_user": people.PARKS}})
    running.slack.command(people.BAKER, "decision Pause all deploys <!channel>", channel=row.channel_id)
    running.settle()
    # A message in the channel becomes a decision, quoted with its permalink.
    said = running.bot.slack.post(row.channel_id, text="We will tell clients at noon")
    shortcut = {"type": "message_action", "callback_id": "bcbot.shortcut.log_decision", "team": {"id": "T0BCBOT"},
                "user": {"id": people.LEAD, "team_id": "T0BCBOT"}, "channel": {"id": row.channel_id},
                "message": {"ts": said, "text": "We will tell clients at noon", "user": people.HUNTON},
                "trigger_id": "t", "response_url": running.fake.response_url + "s"}
    assert running.slack.interactive(shortcut).status == 200
    running.settle()
    # A correction is a new decision pointing at the old one.
    running.slack.block_action(people.LEAD, "bcbot.incident.decision", value, channel=row.channel_id)
    running.settle()
    modal = last_view(running, "bcbot.decision")
    assert [o["value"] for o in next(b for b in modal["blocks"] if b.get("block_id") == "corrects")["element"]["options"]] == ["1", "2", "3"]
    submit_values(running, people.LEAD, modal, {"decision": {"value": "Use the Leeds office instead"},
                                                "decided_by": {"selected_user": people.LEAD}, "corrects": {"selected_option": {"value": "1"}}})

    decisions = sorted(rows(running, models.Decision), key=lambda d: d.number)
    assert [(d.number, d.decided_by, d.corrects) for d in decisions] == [
        (1, people.PARKS, None), (2, people.BAKER, None), (3, people.HUNTON, None), (4, people.LEAD, 1)]
    assert decisions[0].rationale == "Main office has no power" and decisions[0].decision == "Move to the backup office"
    assert decisions[2].source_link and decisions[2].source_link.startswith("https://")
    posted = [m for m in channel_messages(running, row.channel_id) if m["text"].startswith("D")]
    assert len(posted) == 4 and "*D4* · BC-1 · corrects *D1*" in str(posted[-1]["blocks"])
    assert "&lt;!channel&gt;" in str(posted[1]["blocks"]) and "<!channel>" not in str(posted[1]["blocks"])
    assert [e.data["number"] for e in rows(running, models.IncidentLogEntry) if e.kind == "decision"] == [1, 2, 3, 4]


def test_decision_command_outside_an_incident_channel_says_so(incident):
    running, _ = incident
    running.slack.command(people.LEAD, "decision Do a thing", channel="C0GENERAL")
    running.settle()
    assert told(running, "not an incident channel") and rows(running, models.Decision) == []


def test_outsiders_cannot_log_decisions(incident):
    running, row = incident
    running.slack.command(people.OUTSIDER, "decision We do nothing", channel=row.channel_id)
    running.settle()
    assert told(running, "Only the incident lead, the Business Continuity Team or the plan owners") and not rows(running, models.Decision)


# 4. Status updates and nudges ------------------------------------------------------------------------
def test_status_update_posts_and_nudges_once_per_due_time(incident, clock):
    running, row = incident
    value = header_button(running, row, "bcbot.incident.update")["value"]
    running.slack.block_action(people.LEAD, "bcbot.incident.update", value, channel=row.channel_id)
    running.settle()
    submit_values(running, people.LEAD, last_view(running, "bcbot.status_update"), {
        "situation": {"value": "Servers restored from backup"}, "actions": {"value": "Testing"},
        "next_update": {"selected_option": {"value": "30"}}})
    report = [m for m in channel_messages(running, row.channel_id) if "Situation report" in str(m.get("blocks"))]
    announced = [m for m in channel_messages(running, people.ANNOUNCE) if "Situation report" in str(m.get("blocks"))]
    assert len(report) == len(announced) == 1 and "Servers restored from backup" in str(report[0]["blocks"])
    assert "Next update due" in str(header(running, row)["blocks"])

    assert run_job(running, jobs.nudge_due_updates) == 0  # not due yet
    clock.advance(minutes=31)
    assert run_job(running, jobs.nudge_due_updates) == 1
    assert run_job(running, jobs.nudge_due_updates) == 0  # once per due time
    nudge = [m for m in channel_messages(running, row.channel_id) if "⏰" in str(m.get("blocks"))]
    assert len(nudge) == 1 and f"<@{people.LEAD}>" in str(nudge[0]["blocks"])
    snooze = button(nudge[0]["blocks"][1], "bcbot.incident.snooze")["value"]
    running.slack.block_action(people.LEAD, "bcbot.incident.snooze", snooze, channel=row.channel_id)
    running.settle()
    clock.advance(minutes=29)
    assert run_job(running, jobs.nudge_due_updates) == 0
    clock.advance(minutes=2)
    assert run_job(running, jobs.nudge_due_updates) == 1
    assert log_kinds(running).count("update_nudged") == 2 and "update_snoozed" in log_kinds(running)


def run_job(running, job) -> int:
    """A periodic job's run, and the Slack work it owes."""
    done = job(running.bot)
    running.settle()
    return done


# 5. Stand-down -------------------------------------------------------------------------------------------
def test_stand_down_closes_everything_and_buttons_say_so(incident, clock):
    running, row = incident
    value = header_button(running, row, "bcbot.incident.stand_down")["value"]
    running.slack.block_action(people.OUTSIDER, "bcbot.incident.stand_down", value, channel=row.channel_id)
    running.settle()
    assert told(running, "Only the incident lead") and not [v for v in running.fake.views.values() if v.get("callback_id") == "bcbot.stand_down"]

    running.slack.block_action(people.LEAD, "bcbot.incident.stand_down", value, channel=row.channel_id)
    running.settle()
    clock.advance(hours=3)
    submit_values(running, people.LEAD, last_view(running, "bcbot.stand_down"), {"text": {"value": "Power back, all clear"}})

    [closed] = rows(running, models.Incident)
    assert closed.state == "stood_down" and closed.closing_summary == "Power back, all clear"
    head = str(header(running, row)["blocks"])
    assert "Stood down" in head and "Power back, all clear" in head and "bcbot.incident" not in head
    assert "stood down" in str([m.get("blocks") for m in channel_messages(running, row.channel_id)]).lower()
    assert "Stood down" in channel_messages(running, people.ANNOUNCE)[0]["text"]
    [page] = checklists(running, row, "incident_management")
    assert all(actions is None for _, actions in steps_of(page))  # no buttons left

    # An old button from before the stand-down answers with an explanation and changes nothing.
    running.slack.block_action(people.LEAD, "bcbot.step.done", json.dumps({"s": 1}), channel=row.channel_id)
    running.settle()
    assert told(running, "BC-1 is stood down")
    assert "step_done" not in log_kinds(running)


# Restarts ------------------------------------------------------------------------------------------------
def test_buttons_keep_working_after_a_restart(incident, start_app, clock):
    running, row = incident
    [page] = checklists(running, row, "incident_management")
    first = button(steps_of(page)[0][1], "bcbot.step.done")["value"]
    second = button(steps_of(page)[1][1], "bcbot.step.done")["value"]
    running.slack.block_action(people.BAKER, "bcbot.step.done", first, channel=row.channel_id)
    running.settle()
    restarted = start_app(clock=clock)  # a new process on the same database
    restarted.settle()
    restarted.slack.block_action(people.BAKER, "bcbot.step.done", second, channel=row.channel_id)
    restarted.settle()
    [page] = checklists(restarted, row, "incident_management")
    assert "2/7 done" in page["blocks"][0]["text"]["text"]
    assert len(running.fake.calls_to("conversations.create")) == 1  # the restart re-did no set-up
