"""`bcbot review-pack` and `bcbot review record`, end to end: a year's incidents, exercises, tests, reviews and
actions from a running bot, counted per plan in md, json and html; the same bytes a day later for the same
period; the html one self-contained page with an inline <svg> per chart."""
from __future__ import annotations

import json
import re
from datetime import date

import pytest

from bot.slack.ids import Action, Callback
from bot.worker.people import learn_slack_names
from storage import models
from tests.e2e.helpers import open_modal, rows, submit
from tests.e2e.test_actions import click, dms, last_view, stand_down_exercise, start, utc
from tests.support import people

__all__ = ["start"]  # the fixture, shared with test_actions
PERIOD = ["--since", "2027-01-01", "--until", "2027-03-01"]


@pytest.fixture
def cli(monkeypatch, tmp_path, capsys, db_url):
    """bcbot's CLI, in this process, on the running bot's database: cli(*args) -> (exit code, stdout)."""
    from bot.tools.cli import main

    monkeypatch.chdir(tmp_path)
    for name, value in (("DATABASE_URL", db_url), ("BCBOT_PLANS", str(tmp_path / "plans")),
                        ("BCBOT_TIMEZONE", "Europe/London")):
        monkeypatch.setenv(name, value)

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().out
    return run


def a_year(running, clock) -> None:
    """An exercise stood down with two actions; a real incident with one action, still open."""
    stand_down_exercise(running, clock, [("Test a restore from backup", people.BAKER, date(2027, 3, 15)),
                                         ("Update the phone list", people.OUTSIDER, date(2027, 2, 1))])
    submit(running, people.PARKS, open_modal(running, people.PARKS))
    incident = max(rows(running, models.Incident), key=lambda i: i.id)
    reply = running.slack.command(people.BAKER, "action Call the insurer", channel=incident.channel_id)
    assert reply.status == 200
    running.settle()


def test_the_pack_counts_a_period_in_every_format_and_a_recorded_review_appears(start, cli):
    running, clock = start(utc(2027, 1, 20, 10))
    a_year(running, clock)
    code, out = cli("review", "record", "--date", "2027-03-01", "--attendee", people.PARKS, "--attendee",
                    people.HUNTON, "--decision", "Fund a second site", "--decision", "Test the call tree quarterly",
                    "--plan", "wunderroot-bcp", "--by", people.PARKS)
    assert code == 0 and "recorded management review MR-1" in out

    learn_slack_names(running.bot)  # the worker's job: an owner no plan names is named as Slack calls them
    code, out = cli("review-pack", *PERIOD, "--format", "json")
    assert code == 0
    [plan] = json.loads(out)["plans"]
    assert plan["counts"] == {"incidents": 1, "exercises": 1}
    assert [i["ref"] for i in plan["incidents"]] == ["BC-1", "BC-2"] and plan["incidents"][1]["stood_down_at"] is None
    assert [t["incident"] for t in plan["tests"]] == ["BC-1"]  # the exercise recorded a test of the plan
    actions = plan["actions"]
    assert (actions["opened"], actions["done"], actions["dropped"], actions["open_at_end"]) == (3, 0, 0, 3)
    # Due on 1 and 3 February (the insurer's: 14 days after 20 January): overdue as the period ended.
    assert actions["overdue_at_end"] == 2 and [i["title"] for i in actions["items"] if i["overdue_at_end"]] == [
        "Update the phone list", "Call the insurer"]
    [review] = plan["management_reviews"]
    assert review["ref"] == "MR-1" and review["decisions"] == ["Fund a second site", "Test the call tree quarterly"]
    assert review["attendees"] == ["Steve Parks", "Steve Hunton"]

    code, md = cli("review-pack", *PERIOD)
    assert code == 0 and "**Incidents:** 1 · **Exercises:** 1" in md and "3 opened, 0 done, 0 dropped" in md
    assert "| A-2 | Update the phone list | Olive Outsider | 2027-02-01 |" in md and "MR-1 on 2027-03-01" in md

    code, page = cli("review-pack", *PERIOD, "--format", "html")
    assert code == 0 and page.startswith("<!DOCTYPE html>")
    # One inline <svg> per chart (incidents by month, actions), and nothing fetched from anywhere.
    assert page.count("<svg") == 2 and page.count("</svg>") == 2
    assert not re.search(r"https?://|<script|<link|<img|src=", page)
    assert "Update the phone list" in page and "Fund a second site" in page


def test_the_same_period_gives_the_same_bytes_a_day_later_whatever_happened_since(start, cli):
    running, clock = start(utc(2027, 1, 20, 10))
    a_year(running, clock)
    before = {fmt: cli("review-pack", *PERIOD, "--format", fmt)[1] for fmt in ("md", "json", "html")}

    # After the period an action is done: the period does not change.
    clock.advance(days=41)  # 2 March
    [dm] = [m for m in dms(running, people.BAKER) if "Call the insurer" in m.get("text", "")]
    click(running, people.BAKER, dm, Action.ACTION_DONE)
    form = last_view(running, Callback.ACTION_DONE)
    reply = running.slack.view_submission(people.BAKER, {**form, "state": {"values": {
        "text": {"value": {"type": "plain_text_input", "value": "Called them"}}}}})
    assert reply.status == 200
    running.settle()
    assert [a.status for a in rows(running, models.CorrectiveAction) if a.title == "Call the insurer"] == ["done"]
    after = {fmt: cli("review-pack", *PERIOD, "--format", fmt)[1] for fmt in ("md", "json", "html")}
    assert after == before
    # A period that takes the day in counts it.
    code, out = cli("review-pack", "--since", "2027-01-01", "--until", "2027-03-02", "--format", "json")
    assert json.loads(out)["plans"][0]["actions"]["done"] == 1


def test_bad_dates_and_an_unknown_plan_are_refused_in_words(start, cli, capsys):
    start(utc(2027, 1, 20, 10))
    assert cli("review-pack", "--since", "March")[0] == 2
    assert cli("review-pack", "--since", "2027-03-01", "--until", "2027-01-01")[0] == 2
    assert cli("review-pack", "--since", "2027-01-01", "--plan", "no-such-plan")[0] == 2
    assert cli("review", "record", "--date", "2027-03-01")[0] == 2  # no decision



def test_recovery_objectives_met_and_missed_are_counted_per_plan(start_app, tmp_path, cli):
    from bot.domain.commands import StandDown
    from tests.e2e.helpers import activate, run_intent
    from tests.support.clock import FakeClock
    from tests.support.plans import write_plan

    remit = [{"name": "Project management and delivery", "priority": 1, "rto": "2h", "mtpd": "1d"},
             "Finance and payroll"]
    clock = FakeClock(utc(2027, 2, 1, 10))
    running = start_app(clock=clock, bcbot_plans=write_plan(tmp_path / "plans", remit=remit))
    activate(running, people.PARKS, lead=people.LEAD)  # affects Project management and delivery
    [incident] = rows(running, models.Incident)
    clock.advance(hours=3)  # past its 2-hour RTO, well within its 1-day MTPD
    run_intent(running, StandDown(incident.id, "All clear"), people.PARKS)  # its clock stops at the stand-down

    code, out = cli("review-pack", "--since", "2027-02-01", "--until", "2027-02-28", "--format", "json")
    [plan] = json.loads(out)["plans"]
    assert plan["objectives"] == {"rto": {"met": 0, "missed": 1, "running": 0},
                                  "mtpd": {"met": 1, "missed": 0, "running": 0}}
    [service] = plan["incidents"][0]["services"]
    assert (service["name"], service["rto"], service["mtpd"], service["rto_minutes"]) == (
        "Project management and delivery", "missed", "met", 120)
    code, md = cli("review-pack", "--since", "2027-02-01", "--until", "2027-02-28")
    assert "RTO 0 met, 1 missed, 0 running at end" in md
    assert "Project management and delivery: RTO missed, MTPD met" in md
    code, page = cli("review-pack", "--since", "2027-02-01", "--until", "2027-02-28", "--format", "html")
    assert page.count("<svg") == 3  # incidents by month, recovery objectives, actions
