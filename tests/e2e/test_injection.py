"""An injection corpus through every free-text field, end to end: nothing reaches Slack unescaped
(no mention, channel or link a person typed becomes live, no control or bidi character survives)
and nothing goes over a Block Kit limit.

Each corpus entry runs a whole incident: the activation form (summary and "Other" circumstance),
an approval, decisions (modal: text, rationale, options; `/activate decision TEXT`; the message
shortcut), a status update (situation and actions), a step note and a not-applicable reason,
`/activate status`, App Home, and the stand-down with its closing summary (and, for exercises,
the exercise report). Then every message, view and reply bcbot sent is checked.
"""
from __future__ import annotations

import itertools
import json
import logging

import pytest

from bot.domain.text import REASON_MAX, TEXT_MAX
from bot.slack.ids import OTHER_VALUE, Action, Callback
from bot.slack.mrkdwn import escape
from storage import models
from tests.e2e.helpers import open_modal, rows, submit
from tests.support import people, slack_checks
from tests.support.served import served
from tests.support.slack_requests import TEAM_ID

MENTIONS = "<!channel> <!here> <!everyone> <@U123> <#C123> <!subteam^S123|@team> @channel <!date^1700000000^{date}|x>"
LINKS = ("<https://evil.example|click here> <http://evil.example/x> <mailto:a@evil.example|mail> https://plain.example "
         "<tel:+15550100|call me> <slack://open?team=T1|open>")
CORPUS = {
    "mentions": f"Ping {MENTIONS} now",
    "links": f"See {LINKS}",
    "pre-escaped": "Already &lt;!channel&gt;-pre &amp;lt;@U123&amp;gt; &lt;https://pre-escaped.example|x&gt; &#60;!here&#62;",
    "markup": "```rm -rf``` `code` *bold* _it_ ~strike~ > quote\n• bullet\n" + "*_~`" * 200,
    "newlines": "start" + "\n" * 5000 + "end",
    "very long": "Long <!channel> " + "x" * 50_000,
    "control characters": "NUL\x00 bell\x07 esc\x1b[31m del\x7f tab\t vt\x0b ff\x0c end",
    "bidi": "Invoice \u202efdp.exe\u202c \u2066isolate\u2069 \u2067rtl\u2069 \u2068fsi\u2069 \u202aembed\u202c \u200fmark",
    "emoji and ZWJ": "👩‍👩‍👧‍👦 🏳️‍🌈 🧯 e\u0301 𝕏 ‍ zero‍width",
    "emoji only": "🔥🔥🔥 👩‍👩‍👧‍👦 \u202e🏳️‍🌈",
    "everything": f"{MENTIONS} {LINKS} &lt;!here&gt; \x00\u202e *_~` " + "\n" * 50,
}
# Fragments that must never appear as such in mrkdwn: each is live markup when it does.
RAW = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<#C123>", "<!subteam", "<https://evil", "<http://evil",
       "<mailto:", "<!date^1700000000", "<tel:", "<slack://"]
# Text a person typed already escaped must stay as typed: its entities are escaped again, not passed on.
PRE_ESCAPED_RAW = ["&lt;!channel&gt;-pre", "&lt;https://pre-escaped", "&#60;!here&#62;"]
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    with served(tmp_path_factory.mktemp("injection")) as app:
        yield app


def _user(user):
    return {"id": user, "username": user.lower(), "team_id": TEAM_ID}


def submit_view(running, user, callback, meta, values) -> None:
    view = {"id": f"VINJ{next(_numbers)}", "type": "modal", "callback_id": callback, "hash": "h",
            "private_metadata": json.dumps(meta), "state": {"values": {k: {"value": v} for k, v in values.items()}}}
    reply = running.slack.view_submission(user, view)
    assert reply.status == 200, reply.body
    replies.append(reply.body)
    running.settle()


def text_input(value):
    return {"type": "plain_text_input", "value": value}


replies: list[str] = []  # HTTP replies bcbot gave (ephemeral texts, field errors)


def run_incident(running, whole: str, *, exercise: bool) -> None:
    """Every free-text field of an incident, from activation to stand-down, filled with the text, cut to the
    field's cap (longer is refused: tests/e2e/test_caps_and_replays.py); a quoted message carries it whole."""
    text, reason = whole[:TEXT_MAX], whole[:REASON_MAX]
    summary = ("What happened: " + text)[:3000]
    other = text[:75] if text[:75].strip() else "x" + text[:74]
    if exercise:  # a team member starts an exercise: activated at once
        view = open_modal(running, people.PARKS, "exercise")
        reply = submit(running, people.PARKS, view, circumstance=OTHER_VALUE, other=other, summary=summary, lead=people.LEAD)
    else:  # an outsider's request, approved by the team
        view = open_modal(running, people.OUTSIDER)
        reply = submit(running, people.OUTSIDER, view, circumstance=OTHER_VALUE, other=other, summary=summary,
                       lead=people.LEAD)
        replies.append(reply.body)
        request = max(rows(running, models.ActivationRequest), key=lambda r: r.id)
        running.slack.block_action(people.PARKS, Action.APPROVE_REQUEST, json.dumps({"r": request.id}))
        running.settle()
    replies.append(reply.body)
    incident = max(rows(running, models.Incident), key=lambda i: i.id)
    assert incident.channel_id, "the incident was not set up"
    value = json.dumps({"i": incident.id})
    channel = incident.channel_id

    # Decisions: the modal, the command, the message shortcut; then the modal again (its "corrects" options).
    running.slack.block_action(people.LEAD, Action.LOG_DECISION, value, channel=channel)
    running.settle()
    submit_view(running, people.LEAD, Callback.DECISION, {"i": incident.id}, {
        "decision": text_input(text), "rationale": text_input(text), "options": text_input(text),
        "decided_by": {"type": "users_select", "selected_user": people.PARKS}})
    replies.append(running.slack.command(people.BAKER, f"decision {text}", channel=channel).body)
    running.settle()
    shortcut = {"type": "message_action", "callback_id": Callback.SHORTCUT_LOG_DECISION, "team": {"id": TEAM_ID},
                "user": _user(people.LEAD), "channel": {"id": channel}, "trigger_id": running.slack.trigger_id(),
                # A message's text arrives encoded as Slack encodes what a person typed (&, <, > as entities).
                "message": {"ts": running.bot.slack.post(channel, text="something"), "text": escape(whole),
                            "user": people.HUNTON},
                "response_url": running.fake.response_url + "inj"}
    replies.append(running.slack.interactive(shortcut).body)
    running.settle()
    running.slack.block_action(people.LEAD, Action.LOG_DECISION, value, channel=channel)
    running.settle()

    # A status update, a step note, a step not applicable; the note modal again (prefilled with the note).
    submit_view(running, people.LEAD, Callback.STATUS_UPDATE, {"i": incident.id}, {
        "situation": text_input(text), "actions": text_input(text),
        "next_update": {"type": "static_select", "selected_option": {"value": "60"}}})
    steps = sorted((s for s in rows(running, models.ChecklistStep) if s.incident_id == incident.id), key=lambda s: s.id)
    submit_view(running, people.LEAD, Callback.STEP_NOTE, {"s": steps[0].id}, {"text": text_input(text)})
    submit_view(running, people.LEAD, Callback.STEP_NA, {"s": steps[1].id}, {"text": text_input(reason)})
    running.slack.block_action(people.LEAD, Action.STEP_MORE, None, channel=channel,
                               selected=json.dumps({"s": steps[0].id, "op": "note"}))
    running.settle()

    # Where people look: /activate status, an unknown subcommand echoed back, App Home.
    replies.append(running.slack.command(people.OUTSIDER, "status").body)
    replies.append(running.slack.command(people.OUTSIDER, whole).body)
    running.slack.event({"type": "app_home_opened", "user": people.PARKS, "tab": "home"}, event_id=f"EvINJ{next(_numbers)}")
    running.settle()

    # Stand-down with a closing summary (and the exercise report), then App Home's stood-down list.
    running.slack.block_action(people.LEAD, Action.STAND_DOWN, value, channel=channel)
    running.settle()
    report = {k: text_input(text) for k in ("objectives_met", "what_worked", "gaps", "follow_ups")} if exercise else {}
    submit_view(running, people.LEAD, Callback.STAND_DOWN, {"i": incident.id}, {"text": text_input(text), **report})
    assert max(rows(running, models.Incident), key=lambda i: i.id).state == "stood_down"
    running.slack.event({"type": "app_home_opened", "user": people.OUTSIDER, "tab": "home"}, event_id=f"EvINJ{next(_numbers)}")
    running.settle()


@pytest.mark.parametrize("name", list(CORPUS))
def test_user_text_reaches_slack_escaped_and_within_limits(running, caplog, name):
    caplog.set_level(logging.WARNING)
    text = CORPUS[name]
    calls, responses = len(running.fake.calls), len(running.fake.responses)
    replies.clear()
    run_incident(running, text, exercise=list(CORPUS).index(name) % 2 == 1)

    sent = slack_checks.outgoing(running.fake, calls, responses)
    for body in replies:  # what bcbot answered over HTTP (an ack's text is mrkdwn too)
        if body.strip().startswith("{"):
            sent.append(slack_checks.Outgoing("response_url", json.loads(body)))
    assert len(sent) > 20, "the flow did not run"
    raw = RAW + (PRE_ESCAPED_RAW if name == "pre-escaped" else [])
    problems = slack_checks.injection_problems(sent, raw)
    assert not problems, "\n".join(problems[:10])
    assert not slack_checks.limit_problems(sent), "\n".join(slack_checks.limit_problems(sent)[:10])
    refused = [f"{c.method}: {c.error}" for c in running.fake.calls[calls:] if c.error]
    assert not refused, f"Slack refused what bcbot sent: {refused}"
    errors = [r.getMessage()[:200] for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, errors
    # The text itself was kept (escaped), not dropped: decisions, the update, the note and the summary.
    decisions = [d for d in rows(running, models.Decision) if d.incident_id == max(i.id for i in rows(running, models.Incident))]
    assert len(decisions) == 3


def test_oversized_other_circumstance_is_refused_with_a_field_error(running):
    view = open_modal(running, people.OUTSIDER)
    before = len(rows(running, models.ActivationRequest))
    reply = submit(running, people.OUTSIDER, view, circumstance=OTHER_VALUE, other="<!channel> " * 50,
                   summary="Something happened")
    assert reply.json()["errors"]["other"].startswith("Keep it under 75")
    assert len(rows(running, models.ActivationRequest)) == before
