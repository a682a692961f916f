"""Two `bcbot serve` replicas on one PostgreSQL database, one (fake) Slack: requests spread over both, at
the same moment, still change the record once, and Slack shows the record as it is.

- racing clicks on the steps of one checklist, alternately to the two replicas: within 3 s of the last
  click the checklist message and the header show exactly what the database holds;
- 10 decisions at once over both replicas: numbered 1..10 without gaps, each posted once;
- the same approval, phase change and stand-down delivered to both replicas at once: done once (one
  log entry, one post).

PostgreSQL only (SQLite is one file on one machine: replicas are PostgreSQL's case); skipped with the
reason where none answers (BCBOT_TEST_POSTGRES_URL, tests/support/postgres.py). The replicas run with
the default lease and sweep settings, as they would in production.
"""
from __future__ import annotations

import json
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, select

from bot.domain.incident import reference
from bot.slack.ids import Action
from bot.tools.fakeslack import FakeSlack, SlackSender
from storage import models
from tests.support import people
from tests.support.postgres import postgres_schema_url
from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET
from tests.support.serve_process import BotProcess, wait_for
from tests.support.slack_hold import key_of
from tests.support.slack_requests import TEAM_ID, filled_view

IM = "incident_management"


@pytest.fixture(scope="module")
def pg_url():
    yield from postgres_schema_url()


@pytest.fixture(scope="module")
def fake():
    fake = FakeSlack(token=BOT_TOKEN).start()
    people.populate(fake)
    yield fake
    fake.stop()


class Replicas:
    def __init__(self, fake, url: str, tmp):
        self.fake, self.url = fake, url
        started: dict[int, BotProcess] = {}
        errors: list[BaseException] = []

        def start(n: int) -> None:
            try:
                started[n] = BotProcess(fake, url, tmp / f"replica-{n}.log", env={"BCBOT_LEASE_SECONDS": None})
            except BaseException as err:  # noqa: B036 (reported below, in the test's thread)
                errors.append(err)

        threads = [threading.Thread(target=start, args=(n,)) for n in (0, 1)]  # both at once: migrations race too
        [t.start() for t in threads]
        [t.join() for t in threads]
        self.bots = [started[n] for n in sorted(started)]
        if errors:
            self.stop()
            raise errors[0]
        self.senders = [SlackSender(b.url, SIGNING_SECRET, fake.response_url) for b in self.bots]
        for n, sender in enumerate(self.senders):  # trigger IDs unique across both
            sender._trigger = n * 1_000_000
        self.engine = create_engine(url)

    def rows(self, model, *where):
        with self.engine.connect() as conn:
            return conn.execute(select(model).where(*where)).all()

    def unfinished(self) -> list[str]:
        with self.engine.connect() as conn:
            intents = conn.execute(select(models.Intent.id).where(models.Intent.status == "received")).all()
            tasks = conn.execute(select(models.OutboxTask.subject, models.OutboxTask.name, models.OutboxTask.last_error)
                                 .where(models.OutboxTask.done_at.is_(None))).all()
        return [f"intent {i.id}" for i in intents] + [f"{t.subject} {t.name}: {t.last_error}" for t in tasks]

    def settle(self, timeout: float = 20) -> None:
        left: list[str] = []

        def done():
            left[:] = self.unfinished()
            return not left

        assert _wait(done, timeout), f"still unfinished after {timeout} s: {left}"

    def stop(self):
        for bot in self.bots:
            bot.stop()
        if hasattr(self, "engine"):
            self.engine.dispose()


def _wait(condition, timeout: float, interval: float = 0.05) -> bool:
    from tests.support.processes import wait_until

    return wait_until(condition, timeout, interval)


@pytest.fixture(scope="module")
def replicas(fake, pg_url, tmp_path_factory):
    r = Replicas(fake, pg_url, tmp_path_factory.mktemp("replicas"))
    yield r
    r.stop()


def at_once(calls) -> list:
    """Run each call on its own thread, released together; their results in order."""
    gate = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        gate.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    return results


def newest_view(fake, before: int) -> dict:
    wait_for(lambda: len(fake.calls_to("views.open")) > before, what="a modal")
    return list(fake.views.values())[-1]


def activate(replicas: Replicas, user: str = people.PARKS):
    """A new incident, activated through replica 0 by a team member, set up completely."""
    fake, sender = replicas.fake, replicas.senders[0]
    known = {i.id for i in replicas.rows(models.Incident)}
    before = len(fake.calls_to("views.open"))
    assert sender.command(user, "").status == 200
    form = filled_view(newest_view(fake, before), circumstance="Loss of critical systems", summary="Disk failure",
                       lead=people.LEAD, services=[])
    reply = sender.view_submission(user, form)
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    wait_for(lambda: {i.id for i in replicas.rows(models.Incident)} - known, what="the incident")
    replicas.settle()
    [incident] = [i for i in replicas.rows(models.Incident) if i.id not in known]
    assert incident.header_ts
    return incident


def message(fake, channel: str, ts: str) -> dict:
    return next(m for m in fake.messages[channel] if m["ts"] == ts)


def keyed(fake, key: str) -> list[dict]:
    return [m for msgs in fake.messages.values() for m in msgs if key_of(m) == key]


def click(fake, user: str, action_id: str, value: str, *, channel: str, message_ts: str, action_ts: str) -> dict:
    """A button click as Slack sends it, with its own action_ts (the same click delivered twice has the same)."""
    return {"type": "block_actions", "team": {"id": TEAM_ID, "domain": "test"},
            "user": {"id": user, "username": user.lower(), "team_id": TEAM_ID}, "api_app_id": "A0BCBOT",
            "trigger_id": f"trigger-{action_ts}", "channel": {"id": channel, "name": "x"},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "message": {"ts": message_ts, "text": ""}, "response_url": f"{fake.response_url}act-{user}",
            "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": value,
                         "action_ts": action_ts}]}


def text_of(m: dict) -> str:
    return m.get("text", "") + json.dumps(m.get("blocks") or [], ensure_ascii=False)


def view(callback: str, meta: dict, values: dict, view_id: str) -> dict:
    return {"id": view_id, "type": "modal", "callback_id": callback, "hash": "h", "private_metadata": json.dumps(meta),
            "state": {"values": {k: {"value": {"type": "plain_text_input", "value": v}} for k, v in values.items()}}}


# (i) Racing clicks ---------------------------------------------------------------------------------------
def test_racing_clicks_over_both_replicas_end_with_slack_showing_the_database(replicas):
    fake = replicas.fake
    incident = activate(replicas)
    [page] = replicas.rows(models.ChecklistMessage, models.ChecklistMessage.incident_id == incident.id,
                           models.ChecklistMessage.phase == IM)
    steps = sorted(replicas.rows(models.ChecklistStep, models.ChecklistStep.incident_id == incident.id,
                                 models.ChecklistStep.phase == IM), key=lambda s: s.position)
    people_ = [people.LEAD, people.BAKER, people.PARKS]
    clicks = [click(fake, people_[i % 3], Action.STEP_DONE, json.dumps({"s": s.id}), channel=incident.channel_id,
                    message_ts=page.ts, action_ts=f"{time.time():.6f}{i}") for i, s in enumerate(steps)]
    replies = at_once([lambda c=c, i=i: replicas.senders[i % 2].interactive(c) for i, c in enumerate(clicks)])
    last_ack = time.monotonic()
    assert [r.status for r in replies] == [200] * len(steps), [r.body for r in replies]

    def shown() -> tuple:
        checklist = message(fake, incident.channel_id, page.ts)
        lines = [b["text"]["text"] for b in checklist["blocks"][1:] if b["type"] == "section"]
        head = text_of(message(fake, incident.channel_id, incident.header_ts))
        return ([line.startswith("✅") for line in lines], checklist["blocks"][0]["text"]["text"], head)

    def recorded() -> tuple:
        rows = sorted(replicas.rows(models.ChecklistStep, models.ChecklistStep.incident_id == incident.id,
                                    models.ChecklistStep.phase == IM), key=lambda s: s.position)
        return [r.status == "done" for r in rows], sum(r.status == "done" for r in rows), len(rows)

    def in_step() -> bool:
        """Every click recorded, and Slack showing exactly that: each step's tick, the progress count."""
        done, n, total = recorded()
        flags, heading, head = shown()
        return n == total and flags == done and f"{n}/{total} done" in heading and f"({n}/{total} done)" in head

    assert _wait(in_step, 3.0), f"3 s after the last click Slack shows {shown()}, the database {recorded()}"
    print(f"checklist and header in step {time.monotonic() - last_ack:.2f} s after the last click's ack")
    done, n, total = recorded()
    assert done == [True] * len(steps) and n == total == len(steps)
    entries = replicas.rows(models.IncidentLogEntry, models.IncidentLogEntry.incident_id == incident.id,
                            models.IncidentLogEntry.kind == "step_done")
    assert sorted(e.data["step_id"] for e in entries) == sorted(s.id for s in steps)  # each once
    replicas.settle()
    assert in_step()


# (ii) Decisions at once ---------------------------------------------------------------------------------
def test_ten_decisions_at_once_over_both_replicas_are_numbered_without_gaps_and_posted_once(replicas):
    fake = replicas.fake
    incident = activate(replicas)
    texts = [f"Decision {k}: move team {k} to the backup office" for k in range(1, 11)]
    forms = [view("bcbot.decision", {"i": incident.id}, {"decision": t}, f"VDEC{incident.id}x{k}")
             for k, t in enumerate(texts)]
    replies = at_once([lambda f=f, k=k: replicas.senders[k % 2].view_submission(people.LEAD, f)
                       for k, f in enumerate(forms)])
    assert [r.status for r in replies] == [200] * 10 and all(r.body in ("", "{}") for r in replies)
    replicas.settle()

    decisions = replicas.rows(models.Decision, models.Decision.incident_id == incident.id)
    assert sorted(d.number for d in decisions) == list(range(1, 11))
    assert sorted(d.decision for d in decisions) == sorted(texts)
    ref = reference(incident.id)
    for d in decisions:
        [post] = keyed(fake, f"{ref}:post_decision:{d.number}")
        assert d.decision in text_of(post) and f"D{d.number}" in text_of(post)
    posts = [m for m in fake.messages[incident.channel_id] if (key_of(m) or "").startswith(f"{ref}:post_decision:")]
    assert len(posts) == 10
    for text in texts:
        assert sum(text in text_of(m) for m in posts) == 1


# (iii) The same click to both replicas ----------------------------------------------------------------------
def test_the_same_approval_phase_change_and_stand_down_on_both_replicas_is_done_once(replicas):
    fake = replicas.fake
    a, b = replicas.senders

    # An outsider asks; the team is asked in DMs; one approval click reaches both replicas.
    known = {i.id for i in replicas.rows(models.Incident)}
    requests_before = {r.id for r in replicas.rows(models.ActivationRequest)}
    before = len(fake.calls_to("views.open"))
    assert a.command(people.OUTSIDER, "").status == 200
    form = filled_view(newest_view(fake, before), circumstance="Loss of critical systems", summary="Flood",
                       lead=people.LEAD, services=[])
    assert a.view_submission(people.OUTSIDER, form).status == 200
    wait_for(lambda: {r.id for r in replicas.rows(models.ActivationRequest)} - requests_before, what="the request")
    [request] = [r for r in replicas.rows(models.ActivationRequest) if r.id not in requests_before]
    dm = "D" + people.PARKS[1:]
    wait_for(lambda: keyed(fake, f"request:{request.id}:approval:{people.PARKS}"), what="the team to be asked")
    replicas.settle()
    [asked] = keyed(fake, f"request:{request.id}:approval:{people.PARKS}")
    creates = len(fake.calls_to("conversations.create"))
    approve = click(fake, people.PARKS, Action.APPROVE_REQUEST, json.dumps({"r": request.id}), channel=dm,
                    message_ts=asked["ts"], action_ts=f"{time.time():.6f}")
    assert [r.status for r in at_once([lambda: a.interactive(approve), lambda: b.interactive(approve)])] == [200, 200]
    wait_for(lambda: {i.id for i in replicas.rows(models.Incident)} - known, what="the incident")
    replicas.settle()
    [incident] = [i for i in replicas.rows(models.Incident) if i.id not in known]
    ref = reference(incident.id)
    assert len(fake.calls_to("conversations.create")) == creates + 1
    assert len(replicas.rows(models.IncidentLogEntry, models.IncidentLogEntry.incident_id == incident.id,
                             models.IncidentLogEntry.kind == "activated")) == 1
    assert len(keyed(fake, f"{ref}:header")) == 1 and len(keyed(fake, f"{ref}:checklist:{IM}:1")) == 1

    # One advance click, delivered to both.
    head = message(fake, incident.channel_id, incident.header_ts)
    value = next(e["value"] for blk in head["blocks"] if blk["type"] == "actions" for e in blk["elements"]
                 if e["action_id"] == Action.ADVANCE_PHASE)
    advance = click(fake, people.LEAD, Action.ADVANCE_PHASE, value, channel=incident.channel_id,
                    message_ts=incident.header_ts, action_ts=f"{time.time():.6f}")
    assert [r.status for r in at_once([lambda: a.interactive(advance), lambda: b.interactive(advance)])] == [200, 200]
    replicas.settle()
    assert len(replicas.rows(models.IncidentLogEntry, models.IncidentLogEntry.incident_id == incident.id,
                             models.IncidentLogEntry.kind == "phase_changed")) == 1
    assert len(keyed(fake, f"{ref}:phase:business_continuity")) == 1
    assert len(keyed(fake, f"{ref}:checklist:business_continuity:1")) == 1
    [row] = replicas.rows(models.Incident, models.Incident.id == incident.id)
    assert row.state == "business_continuity"

    # One stand-down form, delivered to both.
    stand_down = view("bcbot.stand_down", {"i": incident.id}, {"text": "All clear"}, f"VSTAND{incident.id}")
    replies = at_once([lambda: a.view_submission(people.LEAD, stand_down),
                       lambda: b.view_submission(people.LEAD, stand_down)])
    assert [r.status for r in replies] == [200, 200]
    replicas.settle()
    [row] = replicas.rows(models.Incident, models.Incident.id == incident.id)
    assert row.state == "stood_down"
    assert len(replicas.rows(models.IncidentLogEntry, models.IncidentLogEntry.incident_id == incident.id,
                             models.IncidentLogEntry.kind == "stood_down")) == 1
    assert len(keyed(fake, f"{ref}:stood_down")) == 1
    assert [f["filename"] for f in fake.files.values() if f.get("channel") == incident.channel_id] == [f"{ref}-report.md"]
    for owner in (people.PARKS, people.HUNTON):
        asked = [m for m in fake.messages["D" + owner[1:]] if ref in text_of(m) and "an incident under" in text_of(m)]
        assert len(asked) == 1, owner
    # Nothing doubled anywhere: every keyed message once.
    doubled = {k: n for k, n in Counter(key_of(m) for msgs in fake.messages.values() for m in msgs).items()
               if k and n > 1}
    assert not doubled, doubled
