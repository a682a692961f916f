"""Hostile text from every source bcbot shows: a plan file, Slack profiles and people's input, each carrying
`<!channel>`, `<@U…>`, `<#C…>` and `<https://evil|click>`, never reaches Slack as a live mention or link.

The fake Slack is told which tokens were injected (`forbid_live`) and records every place one arrives where
Slack would make it live: message texts (notification fallbacks too), blocks, views, DMs, file comments,
response_url posts; bcbot's own HTTP replies are shown to it as well. One run drives reminders (snooze,
record a test, mark reviewed, escalation to the team), the plan view, the slash commands, an outsider's
activation request and its approval, decisions (form, command, message shortcut), an update, step notes,
a phase change, App Home, the stand-down and the post-incident review DMs.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from bot.slack.ids import OTHER_VALUE, Action, Callback
from bot.slack.mrkdwn import escape
from bot.worker import reminders as governance
from storage import models
from tests.e2e.helpers import open_modal, rows, submit
from tests.support import people
from tests.support.clock import FakeClock
from tests.support.plans import write_plan
from tests.support.slack_requests import TEAM_ID

TOKENS = ("<!channel>", "<!here>", "<!everyone>", "<@U0EVIL99>", "<#C0EVIL99>", "<https://evil.example|click>")
HOSTILE = "<!channel> <@U0EVIL99> <https://evil.example|click>"  # 51 characters: fits every plan field
MORE = "<!here> <#C0EVIL99> <!everyone>"


def hostile_plan(folder):
    """The bundled plan with hostile text in every field bcbot shows (IDs and dates stay valid)."""
    circumstances = [f"Fire {HOSTILE}", f"Flood {MORE}", "Loss of critical systems"]
    remit = [f"Web {HOSTILE}", f"Mail {MORE}"]
    owners = [{"name": f"Parks {HOSTILE}", "role": f"MD {MORE}", "slack": people.PARKS},
              {"name": f"Hunton {MORE}", "role": f"Ops {HOSTILE}", "email": people.HUNTON_EMAIL}]
    team = [*owners, {"name": f"Baker {HOSTILE}", "role": f"Dev {MORE}", "slack": people.BAKER}]
    phases = [{"key": key, "title": f"{key} {HOSTILE}", "purpose": [f"Protect {HOSTILE}", f"Tell {MORE}"],
               "steps": [{"title": f"Step one {HOSTILE}", "owner_role": f"Comms {MORE}", "due_within": "30m"},
                         {"title": f"Step two {MORE}", "owner_role": f"Ops {HOSTILE}"}]}
              for key in ("incident_management", "business_continuity", "resumption_recovery")]
    return write_plan(folder, title=f"Plan {HOSTILE} {MORE}", review=date(2027, 11, 15), test=date(2027, 11, 17),
                      owners=owners, organisation=f"Org {HOSTILE}", remit=remit, phases=phases,
                      roles=[{"name": f"Comms {MORE}", "holder": {"name": f"Baker {HOSTILE}", "slack": people.BAKER},
                              "alternates": [{"name": f"Parks {HOSTILE}", "slack": people.PARKS}]}],
                      handbook_url="https://handbook.example/<!here>",
                      activation={"circumstances": circumstances, "team": team,
                                  "contacts_url": "/who/<!channel>|<@U0EVIL99>"})


def dms(running, user: str) -> list[dict]:
    return [m for m in running.fake.messages.get("D" + user[1:], []) if "files" not in m]


def button_value(message: dict, action_id: str) -> str:
    return next(e["value"] for b in message["blocks"] if b["type"] in ("actions", "section")
                for e in [*b.get("elements", []), b.get("accessory") or {}] if e.get("action_id") == action_id)


def click(running, user: str, message: dict, action_id: str, *, owner: str | None = None) -> None:
    reply = running.slack.block_action(user, action_id, button_value(message, action_id),
                                       channel="D" + (owner or user)[1:], message_ts=message["ts"])
    replied(running, reply)


def replied(running, reply) -> None:
    """bcbot's HTTP answer is what Slack shows too (an ack's text, a view it answers with)."""
    assert reply.status == 200, reply.body
    body = json.loads(reply.body) if reply.body.strip().startswith("{") else {}
    running.fake.look("views.update" if "view" in body else "response_url", body)
    running.settle()


def text_input(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


def submit_view(running, user: str, view: dict, values: dict) -> None:
    state = {"values": {k: {"value": v} for k, v in values.items()}}
    replied(running, running.slack.view_submission(user, {**view, "state": state}))


def opened(running, callback: str) -> dict:
    return max((v for v in running.fake.views.values() if v.get("callback_id") == callback), key=lambda v: v["id"])


def test_hostile_plan_profile_and_input_text_never_reach_slack_live(start_app, fake_slack, tmp_path):
    fake = fake_slack
    fake.forbid_live(*TOKENS)
    for user in fake.users.values():  # Slack profiles: whatever bcbot reads of them
        user.name = f"{user.name} {HOSTILE}"
    clock = FakeClock(datetime(2027, 11, 10, 10, tzinfo=timezone.utc))  # both reminders' 7-day stage
    running = start_app(clock=clock, bcbot_plans=hostile_plan(tmp_path / "plans"), bcbot_timezone="Europe/London",
                        bcbot_reminder_hour=9)
    running.settle()  # the start-up sweep sends the reminders

    # Reminders: snooze the review, record a test (its modal and DM), view the plan from a reminder.
    review = next(m for m in dms(running, people.HUNTON) if "review" in json.dumps(m["blocks"]))
    click(running, people.HUNTON, review, Action.SNOOZE_REMINDER)
    test = next(m for m in dms(running, people.PARKS) if "Record test" in json.dumps(m["blocks"]))
    click(running, people.PARKS, test, Action.RECORD_TEST)
    submit_view(running, people.PARKS, opened(running, Callback.RECORD_TEST), {
        "test_type": {"type": "static_select", "selected_option": {"value": "tabletop"}},
        "test_date": {"type": "datepicker", "selected_date": "2027-11-09"}, "test_notes": text_input(HOSTILE)})
    click(running, people.HUNTON, review, Action.VIEW_PLAN)
    click(running, people.OUTSIDER, review, Action.MARK_REVIEWED, owner=people.HUNTON)  # refused: not an owner

    # The slash command's replies: the plan, status, help, an unknown subcommand.
    for text in ("plan", "status", "help", HOSTILE, f"plan {HOSTILE}"):
        replied(running, running.slack.command(people.OUTSIDER, text))

    # An outsider's request (Other circumstance), the team's approval DMs, an approval.
    view = open_modal(running, people.OUTSIDER)
    replied(running, submit(running, people.OUTSIDER, view, circumstance=OTHER_VALUE, other=f"Other {HOSTILE}",
                            summary=f"What happened {HOSTILE} {MORE}", lead=people.LEAD,
                            services=[f"Web {HOSTILE}"]))
    [request] = rows(running, models.ActivationRequest)
    running.slack.block_action(people.PARKS, Action.APPROVE_REQUEST, json.dumps({"r": request.id}))
    running.settle()
    [incident] = rows(running, models.Incident)
    assert incident.channel_id, "the incident was not set up"
    channel, value = incident.channel_id, json.dumps({"i": incident.id})

    # Decisions: the form, the command, the message shortcut.
    running.slack.block_action(people.LEAD, Action.LOG_DECISION, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.DECISION), {
        "decision": text_input(HOSTILE), "rationale": text_input(MORE), "options": text_input(HOSTILE),
        "decided_by": {"type": "users_select", "selected_user": people.PARKS}})
    replied(running, running.slack.command(people.BAKER, f"decision {HOSTILE}", channel=channel))
    shortcut = {"type": "message_action", "callback_id": Callback.SHORTCUT_LOG_DECISION, "team": {"id": TEAM_ID},
                "user": {"id": people.LEAD, "username": "lead", "team_id": TEAM_ID}, "channel": {"id": channel},
                "trigger_id": running.slack.trigger_id(),
                "message": {"ts": running.bot.slack.post(channel, text="something"), "text": escape(HOSTILE),
                            "user": people.HUNTON},
                "response_url": fake.response_url + "shortcut"}
    replied(running, running.slack.interactive(shortcut))
    running.slack.block_action(people.LEAD, Action.LOG_DECISION, value, channel=channel)  # "corrects" options
    running.settle()

    # An update, a step note and a not-applicable reason, the note form again, a phase change, App Home.
    running.slack.block_action(people.LEAD, Action.POST_UPDATE, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.STATUS_UPDATE), {
        "situation": text_input(HOSTILE), "actions": text_input(MORE),
        "next_update": {"type": "static_select", "selected_option": {"value": "60"}}})
    steps = sorted((s for s in rows(running, models.ChecklistStep) if s.incident_id == incident.id), key=lambda s: s.id)
    for op, step in (("note", steps[0]), ("na", steps[1]), ("note", steps[0])):
        running.slack.block_action(people.LEAD, Action.STEP_MORE, None, channel=channel,
                                   selected=json.dumps({"s": step.id, "op": op}))
        running.settle()
        submit_view(running, people.LEAD, opened(running, Callback.STEP_NOTE if op == "note" else Callback.STEP_NA),
                    {"text": text_input(f"{op} {HOSTILE}")})
    running.slack.block_action(people.LEAD, Action.ADVANCE_PHASE, json.dumps({"i": incident.id, "from": incident.state}),
                               channel=channel)
    running.settle()
    for user in (people.PARKS, people.OUTSIDER):
        running.slack.event({"type": "app_home_opened", "user": user, "tab": "home"}, event_id=f"EvHOSTILE{user}")
        running.settle()

    # Stand-down: the channel, the announcement, the owners' post-incident review DMs with the report.
    running.slack.block_action(people.LEAD, Action.STAND_DOWN, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.STAND_DOWN), {"text": text_input(HOSTILE)})
    assert rows(running, models.Incident)[0].state == "stood_down"
    running.slack.event({"type": "app_home_opened", "user": people.OUTSIDER, "tab": "home"}, event_id="EvHOSTILEend")
    running.settle()

    # Two weeks on, the review (brought forward by the stand-down) is overdue: the team is told too.
    clock.advance(days=14)
    assert governance.sweep(running.bot).sent >= 3
    running.settle()
    [escalated] = [m for m in dms(running, people.BAKER) if "Business Continuity Team" in json.dumps(m["blocks"])]
    click(running, people.HUNTON, dms(running, people.HUNTON)[-1], Action.MARK_REVIEWED)

    # The flow ran in full: what each part would have shown was sent.
    assert len(rows(running, models.Decision)) == 3 and rows(running, models.PlanTest)
    assert [r for r in rows(running, models.PlanReview)]
    assert any(f.get("channel") == "D" + people.PARKS[1:] for f in fake.files.values())  # the report, to an owner
    refused = [f"{c.method}: {c.error}" for c in fake.calls if c.error]
    assert not refused, f"Slack refused what bcbot sent: {refused}"
    fake.assert_nothing_live()


def test_the_fake_slack_finds_an_injected_token_live_and_only_that(fake_slack):
    """The check itself: a live token (whole or cut before its `>`) is found in a message's text, a block, a
    view and a response_url post; escaped, in plain text, or a mention bcbot writes of a real person, it is not."""
    from slack_sdk import WebClient

    fake_slack.forbid_live(*TOKENS)
    client = WebClient(token=fake_slack.token, base_url=fake_slack.url)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "Cut short: <https://evil.example|cl"}}
    client.chat_postMessage(channel=people.ANNOUNCE, text="Hi <!channel>", blocks=[section])
    client.views_publish(user_id=people.PARKS, view={"type": "home", "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "<@U0EVIL99> and <#C0EVIL99>"}}]})
    assert len(fake_slack.live) == 3
    assert "<!channel>" in fake_slack.live[0] and "<https://evil.example|click>" in fake_slack.live[1]
    fake_slack.look("response_url", {"text": "&lt;!channel&gt; told by <@U0SPARKS01> in <#C0GENERAL>"})
    client.chat_postMessage(channel=people.ANNOUNCE, text=escape(HOSTILE), blocks=[
        {"type": "header", "text": {"type": "plain_text", "text": HOSTILE}}])
    assert len(fake_slack.live) == 3


def test_a_link_address_cannot_write_its_own_label():
    from bot.slack.mrkdwn import link

    assert link("https://contacts.example/who|<!channel>", "Contacts") == (
        "<https://contacts.example/who%7C&lt;!channel&gt;|Contacts>")


def test_hostile_text_through_an_exercise_a_declined_request_a_nudge_and_a_held_effect(start_app, fake_slack, tmp_path):
    """The rest of the ways plan text and input reach people: an exercise (its announcement, report and the
    owners' post-exercise DMs), a request declined, a status-update nudge, and the DMs telling people that
    Slack holds an effect (the incident channel archived)."""
    from bot.worker import jobs

    fake = fake_slack
    fake.forbid_live(*TOKENS)
    clock = FakeClock(datetime(2027, 3, 1, 10, tzinfo=timezone.utc))
    running = start_app(clock=clock, bcbot_plans=hostile_plan(tmp_path / "plans"), bcbot_timezone="Europe/London")
    running.settle()

    view = open_modal(running, people.OUTSIDER)  # a request the team declines
    submit(running, people.OUTSIDER, view, circumstance=f"Fire {HOSTILE}", summary=f"Smoke {HOSTILE}",
           lead=people.LEAD, services=[f"Mail {MORE}"])
    [request] = rows(running, models.ActivationRequest)
    running.slack.block_action(people.BAKER, Action.DECLINE_REQUEST, json.dumps({"r": request.id}))
    running.settle()
    assert len(dms(running, people.OUTSIDER)) == 2  # where it went, then that it was declined

    view = open_modal(running, people.PARKS, "exercise")
    replied(running, submit(running, people.PARKS, view, circumstance=f"Flood {MORE}", summary=f"Drill {HOSTILE}",
                            lead=people.LEAD, services=[f"Web {HOSTILE}"]))
    [incident] = rows(running, models.Incident)
    channel, value = incident.channel_id, json.dumps({"i": incident.id})
    running.slack.block_action(people.LEAD, Action.POST_UPDATE, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.STATUS_UPDATE), {
        "situation": text_input(HOSTILE), "next_update": {"type": "static_select", "selected_option": {"value": "30"}}})
    clock.advance(minutes=31)
    assert jobs.nudge_due_updates(running.bot) == 1
    running.settle()

    fake.archive(channel)  # someone archives the channel: the decision is held and the person told
    running.slack.block_action(people.LEAD, Action.LOG_DECISION, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.DECISION), {
        "decision": text_input(HOSTILE), "decided_by": {"type": "users_select", "selected_user": people.LEAD}})
    assert any("archived" in m["text"] for m in dms(running, people.LEAD))
    fake.archive(channel, False)

    running.slack.block_action(people.LEAD, Action.STAND_DOWN, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, opened(running, Callback.STAND_DOWN), {
        "text": text_input(HOSTILE), **{k: text_input(f"{k} {HOSTILE}")
                                        for k in ("objectives_met", "what_worked", "gaps", "follow_ups")}})
    assert rows(running, models.Incident)[0].state == "stood_down" and rows(running, models.PlanTest)
    assert any("Post-exercise report" in json.dumps(m["blocks"]) for m in dms(running, people.HUNTON))
    fake.assert_nothing_live()
