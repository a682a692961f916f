"""Every incident action, crashed at every moment of its durable road, on a real `bcbot serve`.

Actions: a decision by modal, `/activate decision TEXT`, a status update, a step click (Mark done), a
phase change (the advance button), a stand-down, and an exercise's stand-down. Moments:

- (a) `committed`: the change is committed and its Slack call is on its way, but Slack has not done it
  (the fake holds the call before doing anything); the whole bot (server and worker) is SIGKILLed. A
  fresh `bcbot serve` on the same database finishes it.
- (b) `queued`: the listener recorded the intent and acked, the worker has not touched it: the worker
  is SIGSTOPped before the request and SIGKILLed after the ack (the job dies in its pipe). The serving
  process stays up: its supervisor starts a new worker, whose intent sweep runs it.
- (c) `acted`: Slack did the post (or the checklist edit) but its reply never came back (the fake
  withholds it); the whole bot is SIGKILLed. The fresh start finds the post by its metadata key.

After the recovery (BCBOT_LEASE_SECONDS=1, BCBOT_SWEEP_SECONDS=0.5) each test checks that the action is
recorded once (one intent, done; one log entry or row), shown once (every keyed message once, every
unkeyed one once), and that what follows from it is done: header and checklists re-rendered, the
topic and announcement updated, the review DMs and their reports after a stand-down, the plan test
after an exercise's stand-down.

Kept fast: one incident activated per test, at most two `bcbot serve` starts per case. Still, every case
costs about 6 s (two boots of the server and its worker, about 4 s of CPU), so the full matrix — 7
actions x 3 moments on SQLite and on PostgreSQL — takes about 4.5 minutes on 2 cores. By default this
file runs every action at moments (a) and (b) on a SQLite file, a representative subset at (c) (a
decision post found by its key, a checklist edit done again, a stand-down's closing post, report file
and review DMs), and three cases on PostgreSQL where one answers (tests/support/postgres.py; one per
moment): about 2.5 minutes with the tests below. `BCBOT_CRASH_MATRIX=full` runs all 42 cases.

Also here: a decision post whose answer is lost (a 5xx after Slack posted, or an answer after the
client's timeout) is shown once and the person is told it was posted; the same decision form submitted
twice records once; a post-incident review DM cut off by a crash (before Slack posted it, or before
its answer) is sent once after the restart; an activation whose worker dies mid-set-up is finished by
the next worker within 15 s with the shipped lease and sweep settings.
"""
from __future__ import annotations

import json
import os
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

import pytest
from sqlalchemy import create_engine, select

from bot.tools.fakeslack import SlackSender
from storage import models
from storage.intake import INTAKE, intake_url
from tests.support import people
from tests.support.postgres import postgres_schema_url
from tests.support.secrets import SIGNING_SECRET
from tests.support.serve_process import ROOT, BotProcess, wait_for
from tests.support.slack_hold import SlackHolds, key_of, post_keyed
from tests.support.slack_requests import filled_view

FAST = {"BCBOT_LEASE_SECONDS": "1", "BCBOT_SWEEP_SECONDS": "0.5"}
OWNERS = (people.PARKS, people.HUNTON)  # the bundled plan's owners: each asked for a review after a stand-down
IM = "incident_management"


def _database(backend: str, tmp_path):
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path}/crash.db"
    else:
        yield from postgres_schema_url()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """The in-process tests' database (the `running` fixture's): a SQLite file, then PostgreSQL."""
    yield from _database(request.param, tmp_path)


@pytest.fixture
def crash_db(request, tmp_path):
    """The crash matrix's database: its case names the backend."""
    yield from _database(request.param, tmp_path)


@pytest.fixture
def holds(fake_slack):
    h = SlackHolds(fake_slack)
    yield h
    h.close()


# The world of one test ------------------------------------------------------------------------------
@dataclass
class World:
    fake: object
    db_url: str
    tmp_path: object
    holds: SlackHolds
    bot: BotProcess | None = None
    started: list = field(default_factory=list)
    incident: object = None
    sender: SlackSender | None = None

    def __post_init__(self):
        self.engine = create_engine(self.db_url)
        # On SQLite the ack path records into an intake file of its own (storage/intake.py).
        url = intake_url(self.db_url)
        self.intake = create_engine(url) if url else None

    def waiting(self) -> list:
        """Intents in the intake: recorded and acked, not yet run (their key not yet in `intents`)."""
        if self.intake is None:
            return []
        with self.intake.connect() as conn:
            return conn.execute(select(INTAKE)).all()

    def start(self) -> BotProcess:
        self.bot = BotProcess(self.fake, self.db_url, self.tmp_path / "bot.log", env=FAST)
        self.started.append(self.bot)
        return self.bot

    @property
    def slack(self) -> SlackSender:
        """Signed requests to the bot started last (one sender: its trigger IDs never repeat)."""
        assert self.bot is not None
        if self.sender is None:
            self.sender = SlackSender(self.bot.url, SIGNING_SECRET, self.fake.response_url)
        self.sender.base_url = self.bot.url
        return self.sender

    def rows(self, model, *where):
        with self.engine.connect() as conn:
            return conn.execute(select(model).where(*where)).all()

    def refresh(self):
        [self.incident] = self.rows(models.Incident)
        return self.incident

    def unfinished(self) -> list[str]:
        """What is not finished yet: intents still received, outbox tasks not done (with their last error)."""
        with self.engine.connect() as conn:
            intents = conn.execute(select(models.Intent.id, models.Intent.kind)
                                   .where(models.Intent.status == "received")).all()
            tasks = conn.execute(select(models.OutboxTask.subject, models.OutboxTask.name, models.OutboxTask.last_error)
                                 .where(models.OutboxTask.done_at.is_(None))).all()
        return [f"intent {i.id} {i.kind}" for i in intents] + [f"intake {i.id} {i.kind}" for i in self.waiting()] + \
            [f"{t.subject} {t.name}: {t.last_error}" for t in tasks]

    def settled(self, timeout: float = 20) -> None:
        left: list[str] = []

        def done():
            left[:] = self.unfinished()
            return not left

        assert _wait(done, timeout), f"still unfinished after {timeout} s: {left}\n{self.bot.log_tail()}"

    def messages(self, channel: str) -> list[dict]:
        return self.fake.messages.get(channel, [])

    def message(self, channel: str, ts: str) -> dict:
        return next(m for m in self.messages(channel) if m["ts"] == ts)

    def keyed(self, key: str) -> list[tuple[str, dict]]:
        return [(c, m) for c, msgs in self.fake.messages.items() for m in msgs if key_of(m) == key]

    def close(self):
        for bot in self.started:
            bot.stop()
        self.engine.dispose()
        if self.intake is not None:
            self.intake.dispose()


def _wait(condition, timeout):
    from tests.support.processes import wait_until

    return wait_until(condition, timeout, 0.1)


@pytest.fixture
def world(fake_slack, crash_db, tmp_path, holds):
    w = World(fake_slack, crash_db, tmp_path, holds)
    yield w
    w.close()


def activate(world: World, *, exercise: bool = False) -> None:
    """One incident (or exercise), set up completely, by a team member: /activate, the modal, submit."""
    slack = world.slack
    assert slack.command(people.PARKS, "exercise" if exercise else "").status == 200
    wait_for(lambda: world.fake.views, what="the activation modal")
    view = next(iter(world.fake.views.values()))
    filled = filled_view(view, circumstance="Loss of critical systems", summary="Disk failure", lead=people.LEAD,
                         services=[])
    reply = slack.view_submission(people.PARKS, filled)
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    wait_for(lambda: world.rows(models.Incident) and not world.unfinished(), what="the set-up")
    incident = world.refresh()
    assert incident.is_exercise is exercise and incident.header_ts


def checklist_ts(world: World, phase: str = IM) -> str:
    [row] = world.rows(models.ChecklistMessage, models.ChecklistMessage.phase == phase)
    return row.ts


def header(world: World) -> dict:
    return world.message(world.incident.channel_id, world.incident.header_ts)


def header_button(world: World, action_id: str) -> str:
    return next(e["value"] for b in header(world)["blocks"] if b["type"] == "actions" for e in b["elements"]
                if e["action_id"] == action_id)


def view(callback: str, meta: dict, values: dict, view_id: str) -> dict:
    return {"id": view_id, "type": "modal", "callback_id": callback, "hash": "h", "private_metadata": json.dumps(meta),
            "state": {"values": {k: {"value": v} for k, v in values.items()}}}


def text_input(value: str) -> dict:
    return {"type": "plain_text_input", "value": value}


def text_of(message: dict) -> str:
    return message.get("text", "") + json.dumps(message.get("blocks") or [], ensure_ascii=False)


# The actions -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Act:
    """One action: how to do it, which Slack call is its own (held at moments a and c), what must hold after."""

    send: Callable[[World], object]
    target: Callable[[World], tuple[str, Callable[[dict], bool]]]
    check: Callable[[World], None]
    exercise: bool = False


def _decision_check(text: str):
    def check(world: World) -> None:
        [decision] = world.rows(models.Decision)
        assert (decision.number, decision.decision, decision.logged_by) == (1, text, people.LEAD)
        assert [e.data["number"] for e in world.rows(models.IncidentLogEntry, models.IncidentLogEntry.kind == "decision")] == [1]
        [(channel, post)] = world.keyed("BC-1:post_decision:1")
        assert channel == world.incident.channel_id and text in text_of(post)
        told = [e for e in world.fake.ephemerals if e.get("user") == people.LEAD and "D1" in e.get("text", "")]
        assert [e["text"] for e in told] == ["Logged as D1 and posted in the channel."]
    return check


def _send_decision_modal(world: World):
    return world.slack.view_submission(people.LEAD, view(
        "bcbot.decision", {"i": world.incident.id}, {"decision": text_input("Move to the backup office")}, "VDECISION1"))


def _send_decision_command(world: World):
    return world.slack.command(people.LEAD, "decision Pause all deploys", channel=world.incident.channel_id)


def _decision_post(world: World):
    return "chat.postMessage", post_keyed("BC-1:post_decision:1")


def _send_update(world: World):
    return world.slack.view_submission(people.LEAD, view(
        "bcbot.status_update", {"i": world.incident.id},
        {"situation": text_input("Servers restored from backup"),
         "next_update": {"type": "static_select", "selected_option": {"value": "30"}}}, "VUPDATE1"))


def _check_update(world: World) -> None:
    [entry] = world.rows(models.IncidentLogEntry, models.IncidentLogEntry.kind == "status_update")
    [(channel, report)] = world.keyed(f"BC-1:post_update:{entry.id}")
    [(announced_in, copy)] = world.keyed(f"BC-1:announce_update:{entry.id}")
    assert channel == world.incident.channel_id and announced_in == people.ANNOUNCE
    assert "Servers restored from backup" in text_of(report) and "Servers restored from backup" in text_of(copy)
    assert world.incident.next_update_due is not None
    assert "Next update due" in text_of(header(world))  # the header re-rendered from the update's commit


def _first_step(world: World):
    steps = world.rows(models.ChecklistStep, models.ChecklistStep.incident_id == world.incident.id,
                       models.ChecklistStep.phase == IM)
    return min(steps, key=lambda s: s.position)


def _send_step(world: World):
    step = _first_step(world)
    return world.slack.block_action(people.LEAD, "bcbot.step.done", json.dumps({"s": step.id}),
                                    channel=world.incident.channel_id, message_ts=checklist_ts(world))


def _checklist_edit(world: World):
    ts = checklist_ts(world)
    return "chat.update", lambda params: params.get("ts") == ts


def _check_step(world: World) -> None:
    step = _first_step(world)
    assert (step.status, step.changed_by) == ("done", people.LEAD)
    assert len(world.rows(models.IncidentLogEntry, models.IncidentLogEntry.kind == "step_done")) == 1
    page = world.message(world.incident.channel_id, checklist_ts(world))
    assert "1/7 done" in page["blocks"][0]["text"]["text"], page["blocks"][0]
    assert f"done by <@{people.LEAD}>" in page["blocks"][1]["text"]["text"]
    assert "(1/7 done)" in text_of(header(world))


def _send_advance(world: World):
    return world.slack.block_action(people.LEAD, "bcbot.incident.advance", header_button(world, "bcbot.incident.advance"),
                                    channel=world.incident.channel_id)


def _phase_notice(world: World):
    return "chat.postMessage", post_keyed("BC-1:phase:business_continuity")


def _check_advance(world: World) -> None:
    assert world.incident.state == "business_continuity"
    [entry] = world.rows(models.IncidentLogEntry, models.IncidentLogEntry.kind == "phase_changed")
    assert entry.data["to"] == "business_continuity"
    [(_, notice)] = world.keyed("BC-1:phase:business_continuity")
    assert "Carried over from incident management" in text_of(notice)
    [(_, checklist)] = world.keyed("BC-1:checklist:business_continuity:1")
    assert "0/6 done" in checklist["blocks"][0]["text"]["text"]
    assert "Business continuity" in world.fake.channels[world.incident.channel_id].topic
    assert "*Phase*\\nBusiness continuity (0/6 done)" in text_of(header(world))


def _send_stand_down(world: World):
    values = {"text": text_input("Power back, all clear")}
    if world.incident.is_exercise:
        values |= {"objectives_met": text_input("Yes"), "what_worked": text_input("The phone tree"),
                   "gaps": text_input("Backups untested"), "follow_ups": text_input("Test a restore")}
    return world.slack.view_submission(people.LEAD, view("bcbot.stand_down", {"i": world.incident.id}, values,
                                                         "VSTANDDOWN1"))


def _stood_down_post(world: World):
    return "chat.postMessage", post_keyed("BC-1:stood_down")


def _check_stand_down(world: World) -> None:
    incident = world.incident
    assert incident.state == "stood_down" and incident.closing_summary == "Power back, all clear"
    assert len(world.rows(models.IncidentLogEntry, models.IncidentLogEntry.kind == "stood_down")) == 1
    [(channel, closing)] = world.keyed("BC-1:stood_down")
    assert channel == incident.channel_id and "Power back, all clear" in text_of(closing)
    reports = [f for f in world.fake.files.values() if f.get("channel") == incident.channel_id]
    assert [f["filename"] for f in reports] == ["BC-1-report.md"]
    head = text_of(header(world))
    assert "Stood down" in head and "bcbot.incident" not in head
    assert "bcbot.step" not in text_of(world.message(incident.channel_id, checklist_ts(world)))
    announcement = world.message(people.ANNOUNCE, incident.announce_ts)
    assert ("Exercise stood down" if incident.is_exercise else "✅ Stood down") in announcement["text"]
    assert "Stood down" in world.fake.channels[incident.channel_id].topic
    kind = "an exercise under" if incident.is_exercise else "an incident under"
    for owner in OWNERS:
        dm = "D" + owner[1:]
        asked = [m for m in world.messages(dm) if kind in text_of(m)]
        assert len(asked) == 1, (owner, [text_of(m)[:120] for m in world.messages(dm)])
        assert [f["filename"] for f in world.fake.files.values() if f.get("channel") == dm] == ["BC-1-report.md"]
    tests = world.rows(models.PlanTest)
    if incident.is_exercise:
        [test] = tests
        assert (test.test_type, test.incident_id) == ("exercise", incident.id)
        assert test.report["what_worked"] == "The phone tree"
    else:
        assert tests == []


ACTIONS = {
    "decision-modal": Act(_send_decision_modal, _decision_post, _decision_check("Move to the backup office")),
    "decision-command": Act(_send_decision_command, _decision_post, _decision_check("Pause all deploys")),
    "status-update": Act(_send_update, lambda w: ("chat.postMessage", post_keyed("BC-1:post_update:")), _check_update),
    "step-done": Act(_send_step, _checklist_edit, _check_step),
    "phase-change": Act(_send_advance, _phase_notice, _check_advance),
    "stand-down": Act(_send_stand_down, _stood_down_post, _check_stand_down),
    "exercise-stand-down": Act(_send_stand_down, _stood_down_post, _check_stand_down, exercise=True),
}
MOMENTS = ("committed", "queued", "acted")
# By default (see the module's docstring): every action at (a) and (b) on SQLite, these at (c), and these
# on PostgreSQL. BCBOT_CRASH_MATRIX=full: every case on both.
ACTED = ("decision-modal", "step-done", "stand-down")
ON_POSTGRES = (("decision-command", "committed"), ("status-update", "queued"), ("exercise-stand-down", "acted"))


def _cases() -> list:
    full = os.environ.get("BCBOT_CRASH_MATRIX") == "full"
    cases = []
    for backend in ("sqlite", "postgresql"):
        for action in ACTIONS:
            for moment in MOMENTS:
                if full or ((action, moment) in ON_POSTGRES if backend == "postgresql"
                            else moment != "acted" or action in ACTED):
                    cases.append(pytest.param(backend, action, moment, id=f"{backend}-{action}-{moment}"))
    return cases


def shown_once(world: World) -> None:
    """Every message bcbot posted is there once: by its metadata key, or (channel, text) when it has none."""
    keys = Counter(key_of(m) or (channel, m.get("text")) for channel, msgs in world.fake.messages.items() for m in msgs)
    doubled = {k: n for k, n in keys.items() if n > 1}
    assert not doubled, doubled
    assert len(world.fake.calls_to("conversations.create")) == 1
    assert len([f for f in world.fake.files.values()]) == len({(f.get("channel"), f["filename"])
                                                                  for f in world.fake.files.values()})


def stop_between_transactions(world: World, pid: int) -> None:
    """SIGSTOP the worker, but not while it holds SQLite's write lock: a stopped lock holder stops
    every writer (the ack would then refuse the form, rightly, with "try again"), which is a hung
    machine, not the crash this case is about."""
    for _ in range(100):
        os.kill(pid, signal.SIGSTOP)
        if not world.db_url.startswith("sqlite"):
            return
        with world.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA busy_timeout=0")
            try:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                conn.exec_driver_sql("ROLLBACK")
                return
            except Exception:
                conn.rollback()
        os.kill(pid, signal.SIGCONT)
        time.sleep(0.02)
    raise AssertionError("the worker never let go of the database's write lock")


@pytest.mark.parametrize("crash_db, action, moment", _cases(), indirect=["crash_db"])
def test_a_crash_at_any_moment_is_finished_once(world, action, moment):
    act = ACTIONS[action]
    started = time.monotonic()
    first = world.start()
    activate(world, exercise=act.exercise)
    before = {i.id for i in world.rows(models.Intent)}

    if moment == "queued":
        worker = first.worker_pid()
        stop_between_transactions(world, worker)  # the worker takes nothing from its pipe from here on
        try:
            reply = act.send(world)
        finally:
            os.kill(worker, signal.SIGKILL)
        assert reply.status == 200, reply.body
        if world.intake is not None:  # acked, recorded in the intake, not run: the job died with the worker
            assert [i.id for i in world.rows(models.Intent) if i.id not in before] == [] and len(world.waiting()) == 1
        else:
            [intent] = [i for i in world.rows(models.Intent) if i.id not in before]
            assert intent.status == "received"  # acked, recorded, not run: the job died with the worker
        wait_for(lambda: first.worker_replaced(worker), what="the supervisor to start a new worker")
    else:
        method, match = act.target(world)
        held = world.holds.hold(method, match, after_work=moment == "acted")
        reply = act.send(world)
        assert reply.status == 200, reply.body
        held.wait()
        first.kill()  # the whole bot, with Slack's answer (or Slack's work) still outstanding
        held.release()
        assert [i.status for i in world.rows(models.Intent) if i.id not in before] == ["done"]  # committed
        world.start()  # a fresh bcbot serve on the same database

    world.settled()
    world.refresh()
    [intent] = [i for i in world.rows(models.Intent) if i.id not in before]
    assert intent.status == "done", intent.outcome
    act.check(world)
    shown_once(world)
    print(f"{action} at {moment}: {time.monotonic() - started:.1f} s")


@pytest.mark.parametrize("crash_db", ["sqlite"], indirect=True)
def test_a_crash_between_running_an_intent_and_forgetting_its_intake_row_runs_it_once(world):
    """SQLite commits no transaction across two files: the worker commits the run (and the intent's key)
    in the main database, then deletes the intake row. A SIGKILL between the two leaves both; the next
    bot's sweep finds the key known and only forgets the row."""
    world.start()
    activate(world)
    before = {i.id for i in world.rows(models.Intent)}
    assert _send_step(world).status == 200
    world.settled()
    [intent] = [i for i in world.rows(models.Intent) if i.id not in before]
    world.bot.kill()
    with world.intake.begin() as conn:  # the row as the crash left it: the run committed, the delete not made
        conn.execute(INTAKE.insert().values(kind=intent.kind, actor=intent.actor, payload=intent.payload,
                                            dedupe_key=intent.dedupe_key, tell=intent.tell, status="received",
                                            attempts=0, created_at=intent.created_at))
    world.start()
    world.settled()  # the intake is empty again
    world.refresh()
    assert [i.id for i in world.rows(models.Intent) if i.id not in before] == [intent.id]
    _check_step(world)  # done once, logged once
    shown_once(world)


# A decision post whose answer is lost (in process) --------------------------------------------------------
def _decision_view(incident_id: int, view_id: str, text: str = "Move to the backup office") -> dict:
    return view("bcbot.decision", {"i": incident_id}, {"decision": text_input(text)}, view_id)


def _told_lead(running) -> list[str]:
    """Everything bcbot said to the lead after the ack: ephemerals, response_url posts, DMs."""
    fake = running.fake
    said = [e.get("text", "") for e in fake.ephemerals if e.get("user") == people.LEAD]
    said += [r.get("text", "") for r in fake.responses if people.LEAD in r.get("_path", "")]
    said += [text_of(m) for m in fake.messages.get("D" + people.LEAD[1:], [])]
    return said


@pytest.mark.parametrize("lost", ["500 after posting", "answered after the client's timeout"])
def test_a_decision_post_whose_answer_is_lost_is_shown_once_and_the_person_told_it_was_posted(running, lost):
    from tests.e2e.helpers import activate as activate_in_process
    from tests.e2e.helpers import rows

    activate_in_process(running, people.PARKS, lead=people.LEAD)
    [incident] = rows(running, models.Incident)
    if lost.startswith("500"):
        running.fake.fail("chat.postMessage", status=500, after_work=True)
    else:
        running.bot.slack.once_client.timeout = 1  # posts are not retried blindly: they time out like this
        running.fake.answer_late("chat.postMessage", 2)
    reply = running.slack.view_submission(people.LEAD, _decision_view(incident.id, "VLOST1"))
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    running.settle(30)
    running.fake.answer_late("chat.postMessage", 0)

    posted = [m for m in running.fake.messages[incident.channel_id] if key_of(m) == "BC-1:post_decision:1"]
    assert len(posted) == 1 and "Move to the backup office" in text_of(posted[0])
    assert len(rows(running, models.Decision)) == 1
    said = _told_lead(running)
    assert any("D1" in s and "posted" in s for s in said), said
    assert not any(w in s.lower() for s in said for w in ("fail", "wrong", "could not", "try again")), said


def test_the_same_decision_form_submitted_twice_records_one_decision(running):
    import threading

    from tests.e2e.helpers import activate as activate_in_process
    from tests.e2e.helpers import rows

    activate_in_process(running, people.PARKS, lead=people.LEAD)
    [incident] = rows(running, models.Incident)
    form = _decision_view(incident.id, "VTWICE1")
    replies = []
    threads = [threading.Thread(target=lambda: replies.append(running.slack.view_submission(people.LEAD, form)))
               for _ in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    replies.append(running.slack.view_submission(people.LEAD, form))  # and once more, later (Slack's retry)
    running.settle()
    assert [r.status for r in replies] == [200, 200, 200]
    assert [d.number for d in rows(running, models.Decision)] == [1]
    assert len([m for m in running.fake.messages[incident.channel_id] if key_of(m) == "BC-1:post_decision:1"]) == 1
    assert len([i for i in rows(running, models.Intent) if i.kind == "log_decision"]) == 1


# A worker that dies mid-set-up, with the default lease and sweep ---------------------------------------------
def test_an_activation_whose_worker_dies_mid_setup_is_finished_by_a_new_worker_within_15_s(fake_slack, tmp_path, holds):
    db_url = f"sqlite:///{tmp_path}/setup.db"
    # BCBOT_LEASE_SECONDS and BCBOT_SWEEP_SECONDS as shipped (6 s and 2 s): a lease runs out on its own.
    world = World(fake_slack, db_url, tmp_path, holds)
    try:
        world.bot = BotProcess(fake_slack, db_url, tmp_path / "bot.log", env={"BCBOT_LEASE_SECONDS": None})
        world.started.append(world.bot)
        # The worker runs this checkout's code, not whatever bcbot the environment has installed.
        assert world.bot.worker_source_root() == ROOT
        held = holds.hold("chat.postMessage", post_keyed("BC-1:header"))  # the channel is made; the header is on its way
        slack = world.slack
        assert slack.command(people.PARKS, "").status == 200
        wait_for(lambda: fake_slack.views, what="the activation modal")
        form = filled_view(next(iter(fake_slack.views.values())), circumstance="Loss of critical systems",
                           summary="Disk failure", lead=people.LEAD, services=[])
        assert slack.view_submission(people.PARKS, form).status == 200
        held.wait()
        worker = world.bot.worker_pid()
        os.kill(worker, signal.SIGKILL)
        killed = time.monotonic()
        held.release()

        def finished():
            return world.rows(models.Incident) and not world.unfinished()

        assert _wait(finished, 30), world.unfinished()
        took = time.monotonic() - killed
        print(f"set-up finished by the new worker {took:.1f} s after the old one was killed")
        assert world.bot.worker_replaced(worker) and world.bot.proc.poll() is None
        assert took < 15, f"the set-up took {took:.1f} s to finish after its worker died"
        incident = world.refresh()
        assert len(world.keyed("BC-1:header")) == 1 and len(world.keyed(f"BC-1:checklist:{IM}:1")) == 1
        assert (incident.channel_id, incident.header_ts) in fake_slack.pins
        shown_once(world)
    finally:
        world.close()


# A review request cut off by a crash -------------------------------------------------------------------------
@pytest.mark.parametrize("crash_db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("moment", ["committed", "acted"])
def test_a_post_incident_review_request_cut_off_by_a_crash_is_sent_once_after_the_restart(world, moment):
    """The review DMs are claimed before they are sent: a crash between the claim and the send (or
    before Slack's answer) must not lose the request, nor send it twice."""
    first = world.start()
    activate(world)
    dm = "D" + people.PARKS[1:]
    held = world.holds.hold("chat.postMessage", lambda p: p.get("channel") == dm and "reminder:" in (key_of(p) or ""),
                            after_work=moment == "acted")
    assert _send_stand_down(world).status == 200
    held.wait()
    first.kill()
    held.release()
    [claim] = world.rows(models.ReminderClaim, models.ReminderClaim.kind == "pir",
                         models.ReminderClaim.recipient == people.PARKS)
    assert claim.status == "sending"  # claimed, and cut off
    world.start()
    world.settled()
    world.refresh()
    _check_stand_down(world)  # each owner asked once, with the report once
    shown_once(world)
    [claim] = world.rows(models.ReminderClaim, models.ReminderClaim.kind == "pir",
                         models.ReminderClaim.recipient == people.PARKS)
    assert claim.status == "sent"


# A confidential activation cut off around its private channel -----------------------------------------------
@pytest.mark.parametrize("crash_db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("moment", ["committed", "acted"])
def test_a_confidential_activation_killed_around_its_channel_ends_with_one_private_channel(world, moment):
    """SIGKILLed with conversations.create on its way (committed) or after Slack made the channel but
    before bcbot recorded it (acted): the restarted bot finds its own private channel, by name, and makes
    no second one."""
    first = world.start()
    assert world.slack.command(people.PARKS, "").status == 200
    wait_for(lambda: world.fake.views, what="the activation modal")
    form = filled_view(next(iter(world.fake.views.values())), circumstance="Loss of critical systems",
                       summary="Disk failure", lead=people.LEAD, services=[], confidential=True)
    held = world.holds.hold("conversations.create", after_work=moment == "acted")
    assert world.slack.view_submission(people.PARKS, form).status == 200
    held.wait()
    first.kill()
    held.release()
    world.start()
    world.settled()
    incident = world.refresh()
    assert incident.confidential
    made = [c for c in world.fake.channels.values() if c.name.startswith("bc-1")]
    assert [(c.id, c.name, c.is_private) for c in made] == [(incident.channel_id, "bc-1", True)]
    assert {people.PARKS, people.LEAD} <= made[0].members
    assert len(world.keyed("BC-1:header")) == 1
    shown_once(world)
