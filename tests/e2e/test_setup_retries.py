"""A set-up task retried after a crash that came after its Slack work but before the outbox recorded it
done: the retry finds what the first attempt did instead of doing it again."""
from __future__ import annotations

import re
import time
from collections import Counter
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import update

from bot.usecases import activation
from storage import models
from tests.e2e.helpers import activate, outbox_tasks, rows, take_over
from tests.support import people
from tests.support.requests import run_recorded

NOW = datetime.now(timezone.utc)


def crash_before_done(running, task: str) -> None:
    """Leave `task` as a process killed between the task's work and marking it done leaves it:
    pending, and no longer held by the dead worker."""
    with running.bot.uow() as uow:
        uow.session.execute(update(models.OutboxTask).where(models.OutboxTask.name == task)
                            .values(done_at=None, claimed_by=None, claimed_until=None))
        uow.commit()


def incident_channels(running) -> list[str]:
    return [c.id for c in running.fake.channels.values() if re.match(r"bc-[0-9]", c.name)]


def log_kinds(running) -> Counter:
    return Counter(e.kind for e in rows(running, models.IncidentLogEntry))


def test_a_retried_channel_creation_keeps_the_channel_already_recorded(running):
    activate(running, people.PARKS)
    [incident] = rows(running, models.Incident)
    crash_before_done(running, activation.CREATE_CHANNEL)

    take_over(running)
    [after] = rows(running, models.Incident)
    assert after.channel_id == incident.channel_id and after.channel_name == incident.channel_name
    assert incident_channels(running) == [incident.channel_id]  # no empty "-2" channel
    assert log_kinds(running)["channel_created"] == 1
    assert all(t.done_at for t in outbox_tasks(running))


def dms(running, user: str) -> list[str]:
    return [m["text"] for m in running.fake.messages.get("D" + user[1:], [])]


def test_a_retried_under_way_dm_is_not_sent_twice(running):
    activate(running, people.OUTSIDER)  # not on the team: approved below, so two people are told
    [request] = rows(running, models.ActivationRequest)
    running.slack.block_action(people.BAKER, "bcbot.request.approve", f'{{"r": {request.id}}}')
    running.settle()
    told = {user: dms(running, user) for user in (people.OUTSIDER, people.BAKER)}
    assert all(any("is under way in" in text for text in texts) for texts in told.values()), told
    crash_before_done(running, "notify_people")

    take_over(running)
    assert {user: dms(running, user) for user in told} == told
    assert all(t.done_at for t in outbox_tasks(running))


def test_an_under_way_dm_whose_reply_was_lost_is_found_not_sent_again(running):
    # Slack posts, then answers 500 (every post of the set-up): each retry looks before posting again.
    running.fake.fail("chat.postMessage", status=500, after_work=True, times=10)
    activate(running, people.PARKS)
    assert all(t.done_at for t in outbox_tasks(running))
    # Each DM once: the "under way" one and the one listing Steve Parks's steps (he holds a role).
    assert len([m for m in dms(running, people.PARKS) if "is under way in" in m]) == 1
    assert len([m for m in dms(running, people.PARKS) if "your steps" in m]) == 1
    assert len(dms(running, people.PARKS)) == 2


class Crash(BaseException):
    """The process dying at this point."""


TEAM = (people.PARKS, people.HUNTON, people.BAKER)


def outsiders_request(start_app):
    """A request from someone outside the team, recorded at submit; the bot runs on a clock the test moves."""
    from tests.support.requests import recorded_activation

    return recorded_activation(start_app, requested_by=people.OUTSIDER, view_id="Vflood", summary="Office flooded")


def crash_on_post(running, monkeypatch, after: int) -> None:
    """The process dies at the Slack post after the first `after` posts."""
    post, count = running.bot.slack.post, [0]

    def dying(*args, **kwargs):
        count[0] += 1
        if count[0] > after:
            raise Crash()
        return post(*args, **kwargs)

    monkeypatch.setattr(running.bot.slack, "post", dying)


def approval_dms(running, user: str) -> list[dict]:
    return [m for m in running.fake.messages.get("D" + user[1:], []) if "bcbot.request.approve" in str(m["blocks"])]


def dies_after_commit(running, monkeypatch) -> None:
    """The process dies right after a commit: what it owes Slack is recorded, nothing of it runs here."""
    monkeypatch.setattr(running.bot.effects, "kick", lambda subject: None)


def test_a_request_cut_off_before_the_team_was_asked_reaches_the_team_at_the_next_sweep(start_app, monkeypatch):
    running, clock, intent_id = outsiders_request(start_app)
    dies_after_commit(running, monkeypatch)  # the request is pending and the team's DMs owed; none went
    request_id = run_recorded(running, intent_id)
    monkeypatch.undo()
    assert all(approval_dms(running, member) == [] for member in TEAM)
    assert [r.status for r in rows(running, models.ActivationRequest)] == ["pending"]

    take_over(running)
    take_over(running)  # and nothing twice
    assert all(len(approval_dms(running, member)) == 1 for member in TEAM)
    assert ["not on the Business Continuity Team" in t for t in dms(running, people.OUTSIDER)] == [True]
    running.slack.block_action(people.BAKER, "bcbot.request.approve", f'{{"r": {request_id}}}')
    running.settle()
    [incident] = rows(running, models.Incident)
    assert incident.approved_by == people.BAKER
    assert all("Approved by" in str(running.fake.messages["D" + member[1:]]) for member in TEAM)  # DMs recorded


def test_a_request_cut_off_part_way_through_asking_the_team_asks_only_those_not_yet_asked(start_app, monkeypatch):
    from bot.worker.outbox import TaskContext
    from bot.worker.tasks import TASKS

    running, clock, intent_id = outsiders_request(start_app)
    dies_after_commit(running, monkeypatch)
    request_id = run_recorded(running, intent_id)
    subject = f"request:{request_id}"
    with running.bot.uow() as uow:  # a worker takes the task, then dies after one team member's DM
        claimed = uow.outbox.claim(subject, "ask_team", "dead-worker", NOW, NOW + timedelta(seconds=1))
        uow.commit()
    assert claimed is not None
    crash_on_post(running, monkeypatch, after=1)
    with pytest.raises(Crash):
        TASKS["ask_team"](TaskContext(running.bot, claimed, retry=False))
    monkeypatch.undo()
    assert sum(len(approval_dms(running, member)) for member in TEAM) == 1

    time.sleep(1.1)  # the dead worker's lease runs out
    take_over(running)
    assert all(len(approval_dms(running, member)) == 1 for member in TEAM)
    assert len(dms(running, people.OUTSIDER)) == 1
    [request] = rows(running, models.ActivationRequest)
    assert request.status == "pending" and len(request.approval_messages) == len(TEAM)
