"""`bcbot serve`'s default: work after the ack runs in a worker process of its own, so acks never
compete with it for the GIL. The same flows as elsewhere, through that process."""
from __future__ import annotations

import json
import os
import signal
import time
import urllib.error
import urllib.request

import pytest

from storage import models
from tests.e2e.helpers import activate, button, channel_messages, rows, steps_of
from tests.support import people
from tests.support.processes import wait_until


@pytest.fixture
def in_worker(start_app):
    running = start_app(bcbot_worker="process")
    running.settle()
    return running


def checklist_of(running, incident):
    _header, page = channel_messages(running, incident.channel_id)
    return page


def click_first_step(running, incident, action="bcbot.step.done"):
    page = checklist_of(running, incident)
    _, actions = steps_of(page)[0]
    reply = running.slack.block_action(people.BAKER, action, button(actions, action)["value"],
                                       channel=incident.channel_id, message_ts=page["ts"])
    assert reply.status == 200
    running.settle()


def healthz(running) -> dict:
    """/healthz's verdicts (what waits in the outbox aside)."""
    try:
        with urllib.request.urlopen(running.url + "/healthz", timeout=5) as r:
            found = json.loads(r.read())
    except urllib.error.HTTPError as err:
        found = json.loads(err.read())
    return {k: v for k, v in found.items() if k != "outbox"}




def test_activation_and_a_click_run_in_the_worker_process(in_worker):
    worker = in_worker.bot.worker
    assert worker is not None and worker.alive() and worker.process.pid != os.getpid()

    activate(in_worker, people.PARKS)
    [incident] = rows(in_worker, models.Incident)
    assert incident.channel_id in in_worker.fake.channels
    click_first_step(in_worker, incident)

    assert f"done by <@{people.BAKER}>" in steps_of(checklist_of(in_worker, incident))[0][0]
    assert [e.actor for e in rows(in_worker, models.IncidentLogEntry) if e.kind == "step_done"] == [people.BAKER]


def test_a_failure_in_the_worker_is_explained_to_the_person(in_worker):
    value = json.dumps({"s": 999_999})  # a step that does not exist
    reply = in_worker.slack.block_action(people.BAKER, "bcbot.step.done", value, channel="C0GENERAL",
                                         message_ts="1.1")
    assert reply.status == 200
    in_worker.settle()
    assert wait_until(lambda: any("no longer exists" in r.get("text", "") for r in in_worker.fake.responses))


def test_a_worker_that_dies_is_replaced_and_the_bot_goes_on(in_worker):
    activate(in_worker, people.PARKS)
    [incident] = rows(in_worker, models.Incident)
    first = in_worker.bot.worker.process.pid

    os.kill(first, signal.SIGKILL)
    assert wait_until(lambda: in_worker.bot.worker.process.pid != first and in_worker.bot.worker.alive())
    assert wait_until(lambda: healthz(in_worker) == {"status": "ok", "database": "ok", "slack": "ok", "worker": "ok"})

    click_first_step(in_worker, incident)
    assert [e.kind for e in rows(in_worker, models.IncidentLogEntry)].count("step_done") == 1
    time.sleep(1)  # the new worker stays: nothing that started it has gone away
    assert in_worker.bot.worker.restarts == 1 and in_worker.bot.worker.alive()


def test_stopping_the_bot_stops_its_worker(start_app):
    running = start_app(bcbot_worker="process")
    process = running.bot.worker.process
    running.settle()
    running.server.close()
    running.app.stop()
    assert process.poll() is not None


def test_work_that_cannot_travel_fails_where_it_is_handed_over_and_holds_nothing_up(in_worker):
    from bot.domain.commands import OpenPlan

    with pytest.raises(Exception, match="pickle"):
        in_worker.bot.send(OpenPlan(trigger_id=lambda: None, plan_id="p", user_id="U1"), None, False)  # type: ignore[arg-type]
    activate(in_worker, people.PARKS)
    assert len(rows(in_worker, models.Incident)) == 1


def _our_workers() -> list[int]:
    """Live `bot.worker` processes started by this test process."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        if int(ppid) == os.getpid() and state != "Z" and b"bot.worker.process" in cmdline:
            found.append(int(entry))
    return found


def test_files_in_the_working_directory_do_not_shadow_the_workers_code(start_app, tmp_path, monkeypatch):
    for name in ("bot.py", "config.py", "storage.py", "handlers.py"):
        (tmp_path / name).write_text("raise SystemExit('the wrong module was imported')\n")
    monkeypatch.chdir(tmp_path)
    running = start_app(bcbot_worker="process")
    activate(running, people.PARKS)
    assert len(rows(running, models.Incident)) == 1 and running.bot.worker.restarts == 0


def test_ctrl_c_meant_for_the_server_does_not_kill_the_worker(in_worker):
    worker = in_worker.bot.worker.process
    os.kill(worker.pid, signal.SIGINT)
    os.kill(worker.pid, signal.SIGTERM)
    time.sleep(0.5)
    assert worker.poll() is None
    activate(in_worker, people.PARKS)  # and it still works
    assert len(rows(in_worker, models.Incident)) == 1


def test_stopping_while_a_dead_worker_is_being_replaced_leaves_no_worker_behind(start_app):
    running = start_app(bcbot_worker="process")
    running.settle()
    os.kill(running.bot.worker.process.pid, signal.SIGKILL)
    time.sleep(0.2)  # the supervisor has seen it die and waits before starting another
    running.server.close()
    running.app.stop()
    time.sleep(2.5)  # past the pause after which a replacement would have started
    assert _our_workers() == []


def steps_done(running) -> int:
    return [e.kind for e in rows(running, models.IncidentLogEntry)].count("step_done")


def test_work_after_the_ack_waits_while_the_server_answers_other_requests(in_worker):
    activate(in_worker, people.PARKS)
    [incident] = rows(in_worker, models.Incident)
    page = checklist_of(in_worker, incident)
    _, actions = steps_of(page)[0]
    acks = in_worker.bot.worker.acks
    acks.enter()  # another request is being answered (a burst: bot/worker/acks_first.py)
    try:
        reply = in_worker.slack.block_action(people.BAKER, "bcbot.step.done", button(actions, "bcbot.step.done")["value"],
                                             channel=incident.channel_id, message_ts=page["ts"])
        assert reply.status == 200
        time.sleep(0.2)
        assert steps_done(in_worker) == 0  # recorded and acked, not run yet
    finally:
        acks.leave()
    assert wait_until(lambda: steps_done(in_worker) == 1, 10)


def test_a_burst_that_never_ends_holds_the_worker_back_only_for_a_moment(in_worker):
    activate(in_worker, people.PARKS)
    [incident] = rows(in_worker, models.Incident)
    acks = in_worker.bot.worker.acks
    acks.enter()  # a request in flight for the whole test
    try:
        click_first_step(in_worker, incident)
        assert steps_done(in_worker) == 1
        opened = len([c for c in in_worker.fake.calls if c.method == "views.open"])
        reply = in_worker.slack.command(people.PARKS, "")  # a modal opens while its trigger ID lives
        assert reply.status == 200
        assert wait_until(lambda: len([c for c in in_worker.fake.calls if c.method == "views.open"]) > opened, 3)
    finally:
        acks.leave()
