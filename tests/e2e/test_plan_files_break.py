"""A plan file broken under a running bot: the last valid version is served (after the worker is SIGKILLed
too), the owners are told once, doctor names the file and line, and a fixed file is served without a restart."""
from __future__ import annotations

import os
import signal
from pathlib import Path

from sqlalchemy import create_engine, select

from bot.tools.fakeslack import SlackSender
from storage import models
from tests.conftest import SIGNING_SECRET
from tests.e2e.helpers import button, steps_of
from tests.support import people
from tests.support.plans import write_plan
from tests.support.serve_process import BotProcess, wait_for
from tests.support.slack_requests import filled_view

PLAN_ID = "wunderroot-bcp"
BROKEN = "cannot be used"
FIXED = "is valid again"


def plan_file(folder: Path) -> Path:
    return folder / f"{PLAN_ID}.yaml"


def break_plan(folder: Path) -> int:
    """Make the review interval a word; returns the line it is on."""
    file = plan_file(folder)
    lines = file.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines) if "interval_months:" in line)
    lines[number] = lines[number].replace(lines[number].split(":", 1)[1], " twelve")
    file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return number + 1


def dms_saying(fake, needle: str) -> dict[str, int]:
    """Per owner, how many DMs bcbot posted containing `needle`."""
    return {"U" + channel_id[1:]: sum(needle in m.get("text", "") for m in fake.messages.get(channel_id, []))
            for channel_id, channel in list(fake.channels.items()) if channel.is_im
            and any(needle in m.get("text", "") for m in fake.messages.get(channel_id, []))}


def served(engine) -> tuple[int | None, list[str]]:
    with engine.connect() as conn:
        row = conn.execute(select(models.PlanServed.version_id)).scalar_one_or_none()
        titles = conn.execute(select(models.PlanVersion.title).order_by(models.PlanVersion.id)).scalars().all()
    return row, list(titles)


def activate_and_click(fake, sender, user: str, summary: str) -> models.Incident:
    before = len(fake.views)
    assert sender.command(user, "").status == 200
    wait_for(lambda: len(fake.views) > before, what="the activation modal")
    view = fake.views[max(v for v in fake.views if v.startswith("V"))]
    filled = filled_view(view, circumstance="Loss of critical systems", summary=summary, lead=user, services=[])
    reply = sender.view_submission(user, filled)
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    known = {c for c, info in fake.channels.items() if info.name.startswith("bc-")}
    wait_for(lambda: {c for c, info in fake.channels.items() if info.name.startswith("bc-")} - known,
             what="the incident channel")
    [channel] = {c for c, info in fake.channels.items() if info.name.startswith("bc-")} - known
    wait_for(lambda: len(fake.messages.get(channel, [])) >= 2, what="the checklist")
    checklist = next(m for m in fake.messages[channel]
                     if ":checklist:" in str((m.get("metadata") or {}).get("event_payload", {}).get("key")))
    _, actions = steps_of(checklist)[0]
    assert sender.block_action(people.BAKER, "bcbot.step.done", button(actions, "bcbot.step.done")["value"],
                               channel=channel, message_ts=checklist["ts"]).status == 200
    wait_for(lambda: any(f"done by <@{people.BAKER}>" in str(c.params.get("blocks")) and c.params["channel"] == channel
                         for c in fake.calls_to("chat.update")), what="the click's render")
    return channel


def test_a_broken_plan_file_keeps_its_last_version_through_a_worker_kill_and_a_fix_is_served(fake_slack, tmp_path):
    folder = write_plan(tmp_path / "plans", title="Wunderroot BCP")
    db_url = f"sqlite:///{tmp_path}/bcbot.db"
    engine = create_engine(db_url)
    bot = BotProcess(fake_slack, db_url, tmp_path / "bot.log",
                     env={"BCBOT_PLANS": str(folder), "BCBOT_PLANS_POLL_SECONDS": "0.2"})
    try:
        sender = SlackSender(bot.url, SIGNING_SECRET, fake_slack.response_url)
        wait_for(lambda: served(engine)[0], what="the worker to record the plan it serves")
        first_version, _ = served(engine)
        line = break_plan(folder)
        wait_for(lambda: dms_saying(fake_slack, BROKEN) == {people.PARKS: 1, people.HUNTON: 1},
                 what="one DM to each owner")
        dm = next(m["text"] for m in fake_slack.messages["D" + people.PARKS[1:]] if BROKEN in m["text"])
        assert f"{plan_file(folder)}:{line}: review.interval_months:" in dm

        worker = bot.worker_pid()
        os.kill(worker, signal.SIGKILL)
        wait_for(lambda: bot.worker_replaced(worker), what="a new worker")
        # The new worker cannot load the file: it serves the last valid version, and tells nobody twice.
        activate_and_click(fake_slack, sender, people.PARKS, "Broken plan, still served")
        with engine.connect() as conn:
            [incident] = conn.execute(select(models.Incident)).all()
        assert incident.plan_version_id == first_version
        assert dms_saying(fake_slack, BROKEN) == {people.PARKS: 1, people.HUNTON: 1}

        from bot.tools.doctor import run_checks
        from config.settings import load_settings

        settings = load_settings(_env_file=None, slack_bot_token="xoxb-unused", slack_api_url=fake_slack.url,
                                 database_url=db_url, bcbot_plans=folder)
        lines = [check.line() for check in run_checks(settings) if check.name == "plans"]
        assert any(f"{plan_file(folder)}:{line}: review.interval_months" in text for text in lines), lines
        assert any(f"plan {PLAN_ID} is served at its last valid version" in text for text in lines), lines

        write_plan(folder, title="Wunderroot BCP, fixed")
        wait_for(lambda: served(engine)[1][-1] == "Wunderroot BCP, fixed" and served(engine)[0] != first_version,
                 what="the fixed file recorded as a new version and served")
        wait_for(lambda: dms_saying(fake_slack, FIXED) == {people.PARKS: 1, people.HUNTON: 1},
                 what="the owners told it is valid again")
        activate_and_click(fake_slack, sender, people.PARKS, "Fixed plan")
        with engine.connect() as conn:
            incidents = conn.execute(select(models.Incident).order_by(models.Incident.id)).all()
        assert incidents[-1].plan_version_id == served(engine)[0] != first_version
    finally:
        bot.stop()
        engine.dispose()
