"""`bcbot demo [--keep DIR]`: a complete scripted incident with no Slack workspace and no tokens.

The real app runs over real HTTP against the in-process stand-in for Slack (bot.fakeslack) and a
SQLite database (temporary, or kept in DIR with its plan and a `.env`, so `bcbot report BC-1` works there);
the script plays the people, and the demo prints what each would see (bot.tools.demo_render).
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TextIO

from bot.slack.ids import Action
from bot.tools.demo_render import Screen, terminal
from bot.tools.fakeslack import FakeSlack, SlackSender, readable

TOKEN, SECRET = "xoxb-demo-token", "demo-signing-secret"
PARKS, HUNTON, BAKER, OLIVE, AMY = "U0SPARKS01", "U0HUNTON01", "U0JBAKER01", "U0OLIVE001", "U0AMYCOLE1"
# The people part of the demo: Olive is checked on in a roll call too, and Amy covers the Lead Developer.
PEOPLE = f"""
roll_call:
  staff:
    - {{name: Olive Designer, slack: {OLIVE}}}
roles:
  - name: Lead Developer
    holder: {{name: Joe Baker, slack: {BAKER}}}
    alternates:
      - {{name: Amy Cole, slack: {AMY}}}
"""
ANNOUNCE = "C0ANNOUNCE"


class DemoClock:
    def __init__(self):
        self.now = datetime.now(timezone.utc).replace(second=0, microsecond=0)

    def __call__(self) -> datetime:
        return self.now


# What `--keep DIR` leaves beside the database: the demo's settings, relative to DIR (see config.settings).
KEPT_ENV = """\
# Written by `bcbot demo --keep`: the demo's database and plan, for `bcbot report BC-1` and `bcbot plan status`
# run from this folder. No tokens: this folder is not a bot to serve.
DATABASE_URL=sqlite:///bcbot.db
BCBOT_PLANS=plans
"""


class Demo:
    def __init__(self, out: TextIO, workdir: Path, *, color: bool = False):
        from bot.runtime.app import create_app
        from bot.runtime.http import make_server
        from bot.tools.setup_files import EXAMPLE_FILE
        from config.settings import load_settings

        self.out = out
        self.screen = Screen(color=color)
        plans = workdir / "plans"
        plans.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_FILE, plans / "plan.yaml")
        with open(plans / "plan.yaml", "a", encoding="utf-8") as plan:
            plan.write(PEOPLE)
        self.fake = FakeSlack(token=TOKEN).start()
        for uid, name, email in [(PARKS, "Steve Parks", None), (HUNTON, "Steve Hunton", "steve.hunton@wunderroot.example"),
                                 (BAKER, "Joe Baker", None), (OLIVE, "Olive Designer", None), (AMY, "Amy Cole", None)]:
            self.fake.add_user(uid, name, email)
        self.fake.add_channel(ANNOUNCE, "bc-announcements")
        self.fake.channels[ANNOUNCE].members.add(self.fake.bot_user_id)
        self.clock = DemoClock()
        settings = load_settings(_env_file=None, slack_bot_token=TOKEN, slack_signing_secret=SECRET,
                                 slack_api_url=self.fake.url, database_url=f"sqlite:///{workdir.as_posix()}/bcbot.db",
                                 bcbot_plans=plans, bcbot_reminder_hour=0,  # reminders whatever the hour
                                 bcbot_announce_channel=ANNOUNCE, bcbot_worker="threads")  # its clock is in-process
        self.app = create_app(settings, clock=self.clock)
        self.app.start(scheduler=False)
        self.server = make_server(self.app, host="127.0.0.1", port=0, threads=4)
        threading.Thread(target=self._serve, daemon=True).start()
        self.slack = SlackSender(f"http://127.0.0.1:{self.server.effective_port}", SECRET, self.fake.response_url)
        self.responses_seen = 0

    def _serve(self):
        try:
            self.server.run()
        except OSError:
            pass

    def close(self):
        self.app.bot.background.wait_idle(30)
        self.server.close()
        self.app.stop()
        self.fake.stop()

    # Narration --------------------------------------------------------------------------------
    def say(self, text: str) -> None:
        print(f"\n### {text}", file=self.out)

    def settle(self) -> None:
        self.app.bot.background.wait_idle(30)

    def show_new(self) -> None:
        """Print every message posted or changed since last time, as the person would see it: a new
        message whole, an edit as the lines it changed, the same message to several people once."""
        self.settle()
        batch = []
        for channel_id, messages in self.fake.messages.items():
            channel = self.fake.channels[channel_id]
            where = f"DM with {self.fake.users[channel.name].name}" if channel.is_im else f"#{channel.name}"
            batch += [(f"{channel_id}:{m['ts']}", where, readable(self.fake, m)) for m in messages]
        self.print(*self.screen.changes(batch))
        for response in self.fake.responses[self.responses_seen:]:
            self.print("", "--- only you can see this ---", self.text(readable(self.fake, response)))
        self.responses_seen = len(self.fake.responses)

    def text(self, text: str) -> str:
        return terminal(text, color=self.screen.color)

    def print(self, *lines: str) -> None:
        for line in lines:
            print(line, file=self.out)

    def view(self, callback_id: str) -> dict:
        return [v for v in self.fake.views.values() if v.get("callback_id") == callback_id][-1]

    def submit(self, user: str, view: dict, values: dict) -> None:
        state = {k: {"value": v} for k, v in values.items()}
        self.slack.view_submission(user, {**view, "state": {"values": state}})
        self.settle()

    def incident(self):
        with self.app.bot.uow() as uow:
            return uow.incidents.open_incidents(1)[0]

    def header_value(self, action_id: str) -> str:
        incident = self.incident()
        header = next(m for m in self.fake.messages[incident.channel_id] if m["ts"] == incident.header_ts)
        actions = next(b for b in header["blocks"] if b["type"] == "actions")
        return next(e["value"] for e in actions["elements"] if e["action_id"] == action_id)

    def step_value(self, phase: str, position: int) -> tuple[str, str]:
        incident = self.incident()
        with self.app.bot.uow() as uow:
            step = next(s for s in uow.incidents.steps(incident.id, phase) if s.position == position)
        return json.dumps({"s": step.id}), f"step:{step.id}"


def run_demo(out: TextIO, keep: Path | None = None) -> int:
    """The scripted incident; with `keep`, its database, plan and a `.env` stay in that folder."""
    logging.getLogger().setLevel(logging.WARNING)
    color = out.isatty() and "NO_COLOR" not in os.environ
    if keep is not None:
        keep = keep.resolve()
        if (keep / "bcbot.db").exists():
            print(f"bcbot: {keep} already holds a demo database: remove it or choose another folder", file=sys.stderr)
            return 1
        keep.mkdir(parents=True, exist_ok=True)
        _run(out, keep, color)
        (keep / ".env").write_text(KEPT_ENV, encoding="utf-8")
        print(f"\nKept in {keep}: the database (bcbot.db), the plan (plans/plan.yaml) and a .env naming them.\n"
              f"Try: cd {keep} && bcbot report BC-1 && bcbot plan status", file=out)
        return 0
    with tempfile.TemporaryDirectory(prefix="bcbot-demo-") as workdir:
        _run(out, Path(workdir), color)
    return 0


def _run(out: TextIO, workdir: Path, color: bool) -> None:
    demo = Demo(out, workdir, color=color)
    try:
        _script(demo)
        _governance(demo)
    finally:
        demo.close()


def _script(d: Demo) -> None:
    print("bcbot demo: a scripted incident at Wunderroot, against a stand-in for Slack (no workspace needed).",
          file=d.out)
    d.say("Olive (a designer, not on the Business Continuity Team) types /activate")
    d.slack.command(OLIVE, "")
    d.settle()
    modal = d.view("bcbot.activation")
    d.print("", "--- the activation form opens ---", d.text(readable(d.fake, modal)))
    values = {
        "circumstance": {"selected_option": {"value": "Loss of critical systems"}},
        "other": {"value": None},
        "summary": {"value": "The file server is unreachable since 08:50; nobody can open project files."},
        "services": {"selected_options": [{"value": "Project management and delivery"}]},
        "lead": {"selected_user": HUNTON},
        "roll_call": {"selected_option": {"value": "yes"}},
    }
    d.submit(OLIVE, modal, values)
    d.say("She submits it: the team is asked to approve, and she is told so")
    d.show_new()

    d.say("Joe Baker (team) clicks Approve: the plan is activated")
    request_value = json.dumps({"r": 1})
    d.slack.block_action(BAKER, "bcbot.request.approve", request_value, channel="D" + BAKER[1:])
    d.show_new()

    _roll_call(d)

    d.say("Steve Hunton (the lead) works the checklist: two steps done, one assigned, one not applicable")
    incident = d.incident()
    for position in (1, 2):
        value, _ = d.step_value("incident_management", position)
        d.slack.block_action(HUNTON, "bcbot.step.done", value, channel=incident.channel_id)
    _, block_id = d.step_value("incident_management", 3)
    d.slack.interactive({"type": "block_actions", "team": {"id": "T0BCBOT"}, "user": {"id": HUNTON, "team_id": "T0BCBOT"},
                         "actions": [{"action_id": "bcbot.step.assign", "block_id": block_id, "type": "users_select",
                                      "selected_user": BAKER}], "channel": {"id": incident.channel_id},
                         "response_url": d.fake.response_url + "demo", "trigger_id": "t"})
    value, _ = d.step_value("incident_management", 4)
    d.slack.block_action(HUNTON, "bcbot.step.more", None, channel=incident.channel_id,
                         selected=json.dumps(json.loads(value) | {"op": "na"}))
    d.settle()
    d.submit(HUNTON, d.view("bcbot.step.na"), {"text": {"value": "Everyone works from home on Fridays"}})
    d.show_new()

    d.say("A decision is logged, and a status update posted with the next one due in 30 minutes")
    d.slack.block_action(HUNTON, "bcbot.incident.decision", d.header_value("bcbot.incident.decision"), channel=incident.channel_id)
    d.settle()
    d.submit(HUNTON, d.view("bcbot.decision"), {"decision": {"value": "Work from the hosted fallback environment today"},
                                               "rationale": {"value": "The file server needs a new disk; delivery is tomorrow"},
                                               "decided_by": {"selected_user": PARKS}})
    d.slack.block_action(HUNTON, "bcbot.incident.update", d.header_value("bcbot.incident.update"), channel=incident.channel_id)
    d.settle()
    d.submit(HUNTON, d.view("bcbot.status_update"), {"situation": {"value": "Fallback environment up; files from last night's backup"},
                                                    "actions": {"value": "Ordering a replacement disk"},
                                                    "next_update": {"selected_option": {"value": "30"}}})
    d.show_new()

    d.say("31 minutes later nobody has posted an update: the lead is nudged")
    from bot.worker.jobs import nudge_due_updates

    d.clock.now += timedelta(minutes=31)
    nudge_due_updates(d.app.bot)
    d.show_new()

    d.say("The lead moves to business continuity, then to resumption and recovery")
    d.slack.block_action(HUNTON, "bcbot.incident.advance", d.header_value("bcbot.incident.advance"), channel=incident.channel_id)
    d.show_new()
    d.clock.now += timedelta(hours=5)
    d.slack.block_action(HUNTON, "bcbot.incident.advance", d.header_value("bcbot.incident.advance"), channel=incident.channel_id)
    d.show_new()

    d.say("Next day: the disk is replaced and the lead stands the incident down")
    d.clock.now += timedelta(hours=20)
    d.slack.block_action(HUNTON, "bcbot.incident.stand_down", d.header_value("bcbot.incident.stand_down"), channel=incident.channel_id)
    d.settle()
    d.submit(HUNTON, d.view("bcbot.stand_down"), {"text": {"value": "File server restored from backup; no data lost."}})
    d.show_new()

    d.say("The incident report (bcbot report BC-1)")
    from bot.domain.report import build_report, render_markdown

    print(render_markdown(build_report(d.app.bot.uow, "BC-1", tz=d.app.bot.settings.timezone)), file=d.out)


def _roll_call(d: Demo) -> None:
    """The people: everyone answers the roll call; the Lead Developer cannot work, and his alternate covers."""
    d.say("Everyone the plan names is asked by DM if they are safe. Olive and Steve Parks answer I'm safe; Joe Baker "
          "answers Safe, but can't work, so his role goes to his alternate, Amy Cole, who is asked to cover")
    for user, answer in ((OLIVE, ".safe"), (PARKS, ".safe"), (BAKER, ".cant_work")):
        _answer(d, user, answer, "are you safe?")
    # The roll-call message is edited at most once every 2 s (Slack's pace for chat.update): wait for its edit.
    channel = d.incident().channel_id
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any("3 of 5 answered" in json.dumps(m, ensure_ascii=False)
                                                  for m in d.fake.messages.get(channel, [])):
        time.sleep(0.1)
    d.show_new()
    d.say("Amy accepts: the Lead Developer's open steps are hers, and she is invited to the channel")
    _answer(d, AMY, "cover.accept", "can you cover")
    d.show_new()


def _answer(d: Demo, user: str, action_suffix: str, asked: str) -> None:
    """Click the button ending in `action_suffix` on the user's latest DM containing `asked`."""
    dm = "D" + user[1:]
    message = next(m for m in reversed(d.fake.messages.get(dm, [])) if asked in json.dumps(m, ensure_ascii=False))
    button = next(e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"].endswith(action_suffix))
    d.slack.block_action(user, button["action_id"], button["value"], channel=dm, message_ts=message["ts"])
    d.settle()


def _governance(d: Demo) -> None:
    """The BC manager's own work: the review reminder, Mark reviewed, an exercise, App Home."""
    from bot.worker import reminders

    d.say("A week later nobody has marked the plan reviewed: the owners get a review reminder by DM")
    d.clock.now += timedelta(days=7)
    reminders.sweep(d.app.bot)
    d.show_new()

    d.say("Steve Parks (a plan owner) reviews the plan and clicks Mark reviewed")
    dm = "D" + PARKS[1:]
    reminder = next(m for m in reversed(d.fake.messages[dm]) if _button(m, Action.MARK_REVIEWED))
    d.slack.block_action(PARKS, Action.MARK_REVIEWED, _button(reminder, Action.MARK_REVIEWED), channel=dm,
                         message_ts=reminder["ts"])
    d.show_new()

    d.say("A month later he tests the plan with an exercise: /activate exercise")
    d.clock.now += timedelta(days=30)
    d.slack.command(PARKS, "exercise")
    d.settle()
    d.submit(PARKS, d.view("bcbot.activation"), {
        "circumstance": {"selected_option": {"value": "Loss of key staff or skills (e.g. illness)"}},
        "other": {"value": None},
        "summary": {"value": "Tabletop: the lead developer is off sick for two weeks."},
        "services": {"selected_options": [{"value": "Project management and delivery"}]},
        "lead": {"selected_user": PARKS},
    })
    d.show_new()

    d.say("Two hours later he stands the exercise down with its report: that records a test of the plan")
    d.clock.now += timedelta(hours=2)
    exercise = d.incident()
    d.slack.block_action(PARKS, "bcbot.incident.stand_down", d.header_value("bcbot.incident.stand_down"),
                         channel=exercise.channel_id)
    d.settle()
    d.submit(PARKS, d.view("bcbot.stand_down"), {
        "text": {"value": "Exercise complete."}, "objectives_met": {"value": "Yes: cover found in 40 minutes"},
        "what_worked": {"value": "The skills matrix"}, "gaps": {"value": "No second person can deploy"},
        "action_title:0": {"value": "Pair on deployments"}, "action_owner:0": {"selected_user": BAKER},
        "action_due:0": {"selected_date": (d.clock.now + timedelta(days=28)).date().isoformat()}})
    d.show_new()

    d.say("Steve Parks opens bcbot's App Home")
    d.slack.event({"type": "app_home_opened", "user": PARKS, "channel": dm, "tab": "home"}, event_id="EvDemoHome")
    d.settle()
    d.print("", "--- App Home (Steve Parks) ---", d.text(readable(d.fake, d.fake.views[f"home-{PARKS}"])))


def _button(message: dict, action_id: str) -> str | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            if element.get("action_id") == action_id:
                return element.get("value")
    return None
