"""Recovery time objectives, end to end: a plan with `rto: 2h` on a service; an incident affecting it shows the
RTO deadline in its header (a Slack date), the lead is nudged at 75% and at the breach (once each), Service
recovered stops the clock, services can be changed during the incident, and the report marks the RTO and MTPD
met or missed."""
from __future__ import annotations

import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.domain.report import build_report, render_markdown
from bot.worker import jobs
from storage import models
from tests.e2e.helpers import activate, channel_messages, rows
from tests.e2e.test_incident_flow import header, run_job, submit_values
from tests.support import people
from tests.support.clock import FakeClock
from tests.support.plans import write_plan

PMD, FINANCE, MAIL = "Project management and delivery", "Finance and payroll", "Mail"
REMIT = [MAIL, {"name": FINANCE, "priority": 2, "rto": "1d", "mtpd": "3d"},
         {"name": PMD, "priority": 1, "rto": "2h", "mtpd": "4h"}]


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def incident(start_app, clock, tmp_path):
    running = start_app(clock=clock, bcbot_plans=write_plan(tmp_path / "plans", remit=REMIT))
    started = clock() - timedelta(minutes=30)  # the disruption began half an hour before the form
    activate(running, people.PARKS, lead=people.LEAD, services=(PMD,), disrupted_at=int(started.timestamp()))
    [row] = rows(running, models.Incident)
    return running, row, started


def header_text(running, row) -> str:
    return json.dumps(header(running, row)["blocks"], ensure_ascii=False)


def accessory(running, row, action_id: str, service: str | None = None) -> dict | None:
    for block in header(running, row)["blocks"]:
        found = block.get("accessory")
        if found and found.get("action_id") == action_id and (service is None or service in block["text"]["text"]):
            return found
    return None


def marks(running, row, needle: str) -> list[dict]:
    return [m for m in channel_messages(running, row.channel_id) if needle in m.get("text", "")]


def test_an_rto_is_shown_nudged_at_75_percent_and_the_breach_once_each_stopped_and_reported(incident, clock):
    running, row, started = incident
    due = started + timedelta(hours=2)
    # The activation form asked when the disruption began; the header gives the deadline as a Slack date.
    assert row.disrupted_at == started
    text = header_text(running, row)
    assert f"RTO 2h: due <!date^{int(due.timestamp())}^" in text and PMD in text
    assert accessory(running, row, "bcbot.service.recovered", PMD) is not None
    assert accessory(running, row, "bcbot.service.change") is not None

    assert run_job(running, jobs.tell_passed_recovery_marks) == 0  # 30 of 120 minutes gone
    clock.advance(minutes=61)  # 91 minutes: past 75%
    assert run_job(running, jobs.tell_passed_recovery_marks) == 1
    assert run_job(running, jobs.tell_passed_recovery_marks) == 0  # once
    [warned] = marks(running, row, "75% of the recovery time objective")
    assert f"<@{people.LEAD}>" in warned["text"] and PMD in warned["text"]
    assert "breached" not in header_text(running, row)

    clock.advance(minutes=30)  # 121 minutes: the RTO is breached
    assert run_job(running, jobs.tell_passed_recovery_marks) == 1
    assert run_job(running, jobs.tell_passed_recovery_marks) == 0  # once
    [breach] = marks(running, row, "is *breached*")
    assert f"<@{people.LEAD}>" in breach["text"] and len(marks(running, row, "75% of the")) == 1
    assert "RTO 2h *breached*" in header_text(running, row)

    # Service recovered stops the clock: no more marks (its MTPD of 4h passes unsaid) and no button.
    recovered = accessory(running, row, "bcbot.service.recovered", PMD)
    assert recovered is not None
    running.slack.block_action(people.LEAD, "bcbot.service.recovered", recovered["value"], channel=row.channel_id)
    running.settle()
    at_recovery = clock()
    assert accessory(running, row, "bcbot.service.recovered", PMD) is None
    assert "RTO 2h missed" in header_text(running, row)
    clock.advance(hours=3)
    assert run_job(running, jobs.tell_passed_recovery_marks) == 0
    assert not marks(running, row, "maximum tolerable period")

    report = build_report(running.bot.uow, row.id, tz=ZoneInfo("UTC"))
    [service] = report["services"]
    assert (service["name"], service["rto"], service["mtpd"]) == (PMD, "missed", "met")
    assert service["recovered_at"]["utc"] == at_recovery.isoformat()
    assert service["disrupted_at"]["utc"] == started.isoformat() == report["incident"]["disrupted_at"]["utc"]
    assert service["downtime_seconds"] == int((at_recovery - started).total_seconds())
    assert "| Project management and delivery | 1 | 2h | 4h |" in render_markdown(report)


def test_services_are_changed_during_the_incident_and_an_mtpd_breach_tells_the_owners(incident, clock):
    running, row, started = incident
    change = accessory(running, row, "bcbot.service.change")
    assert change is not None
    running.slack.block_action(people.OUTSIDER, "bcbot.service.change", change["value"], channel=row.channel_id)
    running.settle()
    assert not [v for v in running.fake.views.values() if v.get("callback_id") == "bcbot.service.change_form"]
    running.slack.block_action(people.LEAD, "bcbot.service.change", change["value"], channel=row.channel_id)
    running.settle()
    [form] = [v for v in running.fake.views.values() if v.get("callback_id") == "bcbot.service.change_form"]
    select = form["blocks"][1]["element"]
    assert [o["value"] for o in select["options"]] == [PMD, FINANCE, MAIL]  # in recovery order
    assert [o["value"] for o in select["initial_options"]] == [PMD]
    submit_values(running, people.LEAD, form, {"services": {
        "type": "multi_static_select", "selected_options": [{"value": FINANCE}, {"value": MAIL}]}})
    text = header_text(running, row)
    assert FINANCE in text and MAIL in text and PMD not in text
    assert "RTO 1d: due" in text  # a service added later counts from the disruption's start
    [entry] = [e for e in rows(running, models.IncidentLogEntry) if e.kind == "services_changed"]
    assert entry.data["added"] == [FINANCE, MAIL] and entry.data["removed"] == [PMD]
    assert rows(running, models.Incident)[0].services == [FINANCE, MAIL]

    clock.advance(days=3)  # past Finance's RTO (1d) and its MTPD (3d) at once: the breach and the MTPD, not 75%
    assert run_job(running, jobs.tell_passed_recovery_marks) == 2
    assert run_job(running, jobs.tell_passed_recovery_marks) == 0
    assert not marks(running, row, "75% of the") and marks(running, row, "is *breached*")
    [mtpd] = marks(running, row, "maximum tolerable period")
    assert f"<@{people.LEAD}>" in mtpd["text"] and FINANCE in mtpd["text"]
    owner_dms = [m for channel, messages in running.fake.messages.items() if channel.startswith("D")
                 for m in messages if "maximum tolerable period" in m.get("text", "")]
    assert owner_dms and all(FINANCE in m["text"] for m in owner_dms)

    # Stand-down stops the clocks still running; the report says which objectives were missed.
    stand_down = next(e for b in header(running, row)["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "bcbot.incident.stand_down")
    running.slack.block_action(people.LEAD, "bcbot.incident.stand_down", stand_down["value"], channel=row.channel_id)
    running.settle()
    form = [v for v in running.fake.views.values() if v.get("callback_id") == "bcbot.stand_down"][-1]
    submit_values(running, people.LEAD, form, {"text": {"type": "plain_text_input", "value": "All back"}})
    report = build_report(running.bot.uow, row.id, tz=ZoneInfo("UTC"))
    by_name = {s["name"]: s for s in report["services"]}
    assert (by_name[FINANCE]["rto"], by_name[FINANCE]["mtpd"]) == ("missed", "missed")
    assert by_name[MAIL]["rto"] is None and by_name[MAIL]["recovered_at"] is not None
    assert by_name[PMD]["removed_at"] is not None


def test_the_stand_down_form_is_pre_filled_with_each_service_s_recovery_time_and_records_the_one_given(
        incident, clock):
    running, row, started = incident
    clock.advance(hours=3)  # PMD (RTO 2h) is past its RTO: the time it was back decides the outcome
    stand_down = next(e for b in header(running, row)["blocks"] if b["type"] == "actions" for e in b["elements"]
                      if e["action_id"] == "bcbot.incident.stand_down")
    running.slack.block_action(people.LEAD, "bcbot.incident.stand_down", stand_down["value"], channel=row.channel_id)
    running.settle()
    form = [v for v in running.fake.views.values() if v.get("callback_id") == "bcbot.stand_down"][-1]
    pickers = {b["label"]["text"]: b for b in form["blocks"] if b.get("block_id", "").startswith("recovered:")}
    assert list(pickers) == [f"{PMD}: recovered at"]
    picker = pickers[f"{PMD}: recovered at"]
    assert picker["element"]["initial_date_time"] == int(clock().timestamp())  # still down: now

    # It was back 90 minutes after the disruption began: within its 2-hour RTO.
    back = started + timedelta(minutes=90)
    submit_values(running, people.LEAD, form, {
        "text": {"type": "plain_text_input", "value": "All back"},
        picker["block_id"]: {"type": "datetimepicker", "selected_date_time": int(back.timestamp())}})
    [service] = build_report(running.bot.uow, row.id, tz=ZoneInfo("UTC"))["services"]
    assert service["recovered_at"]["utc"] == back.isoformat() and service["rto"] == "met"
