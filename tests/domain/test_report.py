"""The incident report from an in-memory unit of work: every field, and Markdown that reads on its own."""
from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain import report
from bot.domain.errors import NotFound
from bot.domain.incident import IncidentState
from bot.domain.plan import load_plans
from bot.domain.records import Decision, Incident, LogEntry, Step, StepStatus
from config import BUNDLED_PLANS

PLAN = load_plans(BUNDLED_PLANS)[0]
T0 = datetime(2026, 11, 22, 9, 30, tzinfo=timezone.utc)
PARIS = ZoneInfo("Europe/Paris")
VERSION = "ab" * 32


def at(**delta) -> datetime:
    return T0 + timedelta(**delta)


# A tiny fake unit of work (cosmicpython): repositories over lists ------------------------------------------
class FakeIncidents:
    def __init__(self, incidents, steps):
        self._incidents, self._steps = {i.id: i for i in incidents}, steps

    def find(self, incident_id):
        return self._incidents.get(incident_id)

    def steps(self, incident_id, phase=None):
        return [s for s in self._steps if s.incident_id == incident_id and (phase is None or s.phase == phase)]


class FakePlans:
    def snapshot(self, version_id):
        assert version_id == 7
        return PLAN

    def content_hash(self, version_id):
        assert version_id == 7
        return VERSION


class FakeLog:
    def __init__(self, entries):
        self._entries = entries

    def entries(self, incident_id):
        return [e for e in self._entries if e.incident_id == incident_id]


class FakeDecisions:
    def __init__(self, decisions):
        self._decisions = decisions

    def list(self, incident_id):
        return [d for d in self._decisions if d.incident_id == incident_id]


class FakeNames:
    """What people were called: the lead, renamed during the incident; U0TEAM never named."""

    def history(self, user_ids):
        from bot.domain.people import Names

        known = {"U0LEAD": ((T0 - timedelta(days=30), "Lee Lead"), (at(hours=3), "Lee Lead-Smith")),
                 "U0REQ": ((T0, "Rita Requester"),), "U0BAKER": ((T0, "Bea Baker"),)}
        return Names({k: v for k, v in known.items() if k in user_ids})


class FakeRollCalls:
    def of_incident(self, incident_id):
        return None  # these incidents ran no roll call (tests/e2e/test_rollcall_report.py has one)


class FakeRoles:
    def of_incident(self, incident_id):
        return []  # a plan without roles (tests/e2e/test_roles.py reports hand-overs)


class FakeActions:
    def of_incident(self, incident_id):
        return []  # no actions came from these incidents (tests/e2e/test_actions.py has some)


class FakeRecovery:
    def of_incident(self, incident_id, removed=False):
        return []  # no services with clocks (tests/e2e/test_recovery.py reports some)


class FakeUnitOfWork:
    def __init__(self, *, incidents=(), steps=(), entries=(), decisions=()):
        self.names = FakeNames()
        self.rollcalls = FakeRollCalls()
        self.roles = FakeRoles()
        self.actions = FakeActions()
        self.recovery = FakeRecovery()
        self.incidents = FakeIncidents(list(incidents), list(steps))
        self.plans = FakePlans()
        self.log = FakeLog(list(entries))
        self.decisions = FakeDecisions(list(decisions))
        self.committed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def commit(self):  # a report only reads
        raise AssertionError("the report must not write")


# The incident --------------------------------------------------------------------------------------------
def make_incident(**kw) -> Incident:
    values = dict(id=12, plan_key=PLAN.id, plan_version_id=7, is_exercise=False, circumstance="Loss of critical systems",
                  summary="The file server died at 09:00.\nNobody can open project files.",
                  services=("Finance and payroll", "Project management and delivery"), lead_user_id="U0LEAD",
                  activated_by="U0REQ", approved_by="U0TEAM", state=IncidentState.STOOD_DOWN, channel_id="C0INC",
                  channel_name="bc-2026-11-22-loss-of-critical-systems", header_ts="1.1", announce_ts="2.2",
                  activated_at=T0, phase_started_at=at(hours=2), stood_down_at=at(hours=5, minutes=12),
                  closing_summary="Restored from backup | no data lost")
    return Incident(**(values | kw))


def steps() -> list[Step]:
    out, sid = [], 100
    for phase in PLAN.phases:
        for position, step in enumerate(phase.steps, start=1):
            sid += 1
            out.append(Step(id=sid, incident_id=12, phase=phase.key.value, position=position, title=step.title,
                            owner_role=step.owner_role, due_within_minutes=step.due_within_minutes,
                            status=StepStatus.OPEN, changed_by=None, changed_at=None))
    im = [s for s in out if s.phase == "incident_management"]
    done = Step(**{**im[0].__dict__, "status": StepStatus.DONE, "changed_by": "U0BAKER", "changed_at": at(minutes=10)})
    na = Step(**{**im[3].__dict__, "status": StepStatus.NOT_APPLICABLE, "changed_by": "U0LEAD",
                 "changed_at": at(minutes=12), "na_reason": "Everyone | works\nfrom home"})
    assigned = Step(**{**im[2].__dict__, "assignee": "U0BAKER", "note": "Backups checked at 09:20"})
    return [done if s.id == done.id else na if s.id == na.id else assigned if s.id == assigned.id else s for s in out]


def entry(n: int, when: datetime, actor, kind: str, what: str, **data) -> LogEntry:
    return LogEntry(id=n, incident_id=12, at=when, actor=actor, kind=kind, summary=what, data=data)


def entries() -> list[LogEntry]:
    return [
        entry(1, T0, "U0TEAM", "activated", "Plan activated: Loss of critical systems", requested_by="U0REQ",
              approved_by="U0TEAM", summary="The file server died", services=[], lead="U0LEAD", plan_version=VERSION),
        entry(2, at(minutes=1), None, "channel_created", "Channel #bc-2026-11-22 created", channel="C0INC"),
        entry(3, at(minutes=10), "U0BAKER", "step_done", "Step 1 (incident_management) done: Confirm everyone is safe",
              step_id=101, phase="incident_management", position=1),
        entry(4, at(minutes=11), "U0LEAD", "step_assigned", "Step 3 assigned to U0BAKER", step_id=103,
              phase="incident_management", position=3, assignee="U0BAKER"),
        entry(5, at(minutes=12), "U0LEAD", "step_na", "Step 4 marked not applicable | home", step_id=104,
              phase="incident_management", position=4, reason="Everyone | works\nfrom home"),
        entry(6, at(minutes=13), "U0BAKER", "step_note", "Note on step 3", step_id=103, phase="incident_management",
              position=3, note="Backups checked at 09:20"),
        entry(7, at(minutes=20), "U0LEAD", "decision", "D1: Work from the fallback", number=1, decided_by="U0TEAM",
              corrects=None),
        entry(8, at(minutes=30), "U0LEAD", "status_update", "Status update: Fallback up\nfiles restored",
              situation="Fallback up\nfiles restored", actions="Ordering a disk",
              next_update_due=at(hours=1).isoformat()),
        entry(9, at(hours=1), None, "update_nudged", "Lead reminded that a status update is due",
              due=at(hours=1).isoformat()),
        entry(10, at(hours=2), "U0LEAD", "phase_changed", "Moved from Incident management to Business continuity",
              **{"from": "incident_management", "to": "business_continuity", "carried_over": [2, 3, 5, 6, 7]}),
        entry(11, at(hours=2, minutes=5), "U0LEAD", "decision", "D2: Use the Leeds office (corrects D1)", number=2,
              decided_by="U0LEAD", corrects=1),
        entry(12, at(hours=5, minutes=12), "U0LEAD", "stood_down", "Stood down: Restored from backup | no data lost",
              closing_summary="Restored from backup | no data lost", exercise_report=None),
    ]


def decisions() -> list[Decision]:
    return [
        Decision(id=2, incident_id=12, number=2, decision="Use the Leeds office instead", rationale=None, options=None,
                 decided_by="U0LEAD", logged_by="U0LEAD", corrects=1, source_link=None, at=at(hours=2, minutes=5)),
        Decision(id=1, incident_id=12, number=1, decision="Work from the fallback | today",
                 rationale="The disk arrives tomorrow", options="Wait; fallback; Leeds office", decided_by="U0TEAM",
                 logged_by="U0LEAD", corrects=None, source_link="https://example.slack.com/archives/C0INC/p1",
                 at=at(minutes=20)),
        Decision(id=9, incident_id=99, number=1, decision="Another incident's", rationale=None, options=None,
                 decided_by="U0X", logged_by="U0X", corrects=None, source_link=None, at=T0),
    ]


def uow_factory(**kw):
    values = dict(incidents=[make_incident()], steps=steps(), entries=entries(), decisions=decisions()) | kw
    return lambda: FakeUnitOfWork(**values)


@pytest.fixture
def built() -> dict:
    return report.build_report(uow_factory(), "BC-12", tz=PARIS)


def t(when: datetime) -> dict:
    return {"utc": when.isoformat(), "local": when.astimezone(PARIS).isoformat()}


# Content, field by field ---------------------------------------------------------------------------------
def test_header_fields(built):
    assert built["format_version"] == report.FORMAT_VERSION == 1 and built["timezone"] == "Europe/Paris"
    assert built["incident"] == {
        "reference": "BC-12", "id": 12, "exercise": False, "circumstance": "Loss of critical systems",
        "summary": "The file server died at 09:00.\nNobody can open project files.",
        "services": ["Finance and payroll", "Project management and delivery"], "lead": "U0LEAD",
        "activated_by": "U0REQ", "approved_by": "U0TEAM", "state": "stood_down", "state_label": "Stood down",
        # Names as they were at the activation (the lead was renamed later); U0TEAM was never named.
        "lead_name": "Lee Lead", "activated_by_name": "Rita Requester", "approved_by_name": None,
        "open": False, "channel": {"id": "C0INC", "name": "bc-2026-11-22-loss-of-critical-systems"},
        "activated_at": {"utc": "2026-11-22T09:30:00+00:00", "local": "2026-11-22T10:30:00+01:00"},
        # An incident from before the form asked when the disruption began: its activation.
        "disrupted_at": {"utc": "2026-11-22T09:30:00+00:00", "local": "2026-11-22T10:30:00+01:00"},
        "stood_down_at": t(at(hours=5, minutes=12)), "closing_summary": "Restored from backup | no data lost",
    }
    assert built["plan"] == {"id": PLAN.id, "title": PLAN.title, "organisation": PLAN.organisation, "version": VERSION}


def test_time_from_activation_to_each_phase_and_stand_down(built):
    assert built["durations_seconds"] == {"to_incident_management": 0, "to_business_continuity": 7200,
                                          "to_resumption_recovery": None, "to_stand_down": 5 * 3600 + 12 * 60}
    im, bc, rr = built["phases"]
    assert (im["reached"], im["started_at"], im["ended_at"], im["duration_seconds"]) == (True, t(T0), t(at(hours=2)), 7200)
    assert (bc["reached"], bc["started_at"], bc["ended_at"], bc["duration_seconds"]) == \
        (True, t(at(hours=2)), t(at(hours=5, minutes=12)), 3 * 3600 + 12 * 60)
    assert (bc["from_activation_seconds"], rr["reached"], rr["started_at"], rr["ended_at"], rr["duration_seconds"]) == \
        (7200, False, None, None, None)


def test_steps_per_phase_with_who_when_assignee_note_and_reason(built):
    im = built["phases"][0]
    assert im["key"] == "incident_management" and im["title"] == PLAN.phases[0].title
    assert im["progress"] == {"done": 1, "not_applicable": 1, "open": 5, "total": 7}
    assert im["carried_over"] == [2, 3, 5, 6, 7] and built["phases"][1]["carried_over"] == []
    first, _, third, fourth = im["steps"][:4]
    assert first == {
        "position": 1, "title": PLAN.phases[0].steps[0].title, "owner_role": PLAN.phases[0].steps[0].owner_role,
        "status": "done", "changed_by": "U0BAKER", "changed_by_name": "Bea Baker", "changed_at": t(at(minutes=10)),
        "due_at": t(T0 + timedelta(minutes=PLAN.phases[0].steps[0].due_within_minutes)), "assignee": None,
        "assignee_name": None, "note": None, "na_reason": None,
        "history": [{"at": t(at(minutes=10)), "who": "U0BAKER", "who_name": "Bea Baker", "kind": "step_done"}],
    }
    assert (third["status"], third["assignee"], third["note"]) == ("open", "U0BAKER", "Backups checked at 09:20")
    assert third["history"] == [
        {"at": t(at(minutes=11)), "who": "U0LEAD", "who_name": "Lee Lead", "kind": "step_assigned", "assignee": "U0BAKER"},
        {"at": t(at(minutes=13)), "who": "U0BAKER", "who_name": "Bea Baker", "kind": "step_note",
         "note": "Backups checked at 09:20"}]
    assert (fourth["status"], fourth["changed_by"], fourth["na_reason"]) == ("na", "U0LEAD", "Everyone | works\nfrom home")
    unreached = built["phases"][2]["steps"][0]
    assert unreached["due_at"] is None and unreached["status"] == "open"
    assert [len(p["steps"]) for p in built["phases"]] == [len(p.steps) for p in PLAN.phases]


def test_decision_register_comes_from_the_decisions_table(built):
    d1, d2 = built["decisions"]
    assert d1 == {"number": 1, "label": "D1", "at": t(at(minutes=20)), "decision": "Work from the fallback | today",
                  "rationale": "The disk arrives tomorrow", "options": "Wait; fallback; Leeds office",
                  "decided_by": "U0TEAM", "logged_by": "U0LEAD", "decided_by_name": None, "logged_by_name": "Lee Lead",
                  "corrects": None, "corrected_by": [2],
                  "source_link": "https://example.slack.com/archives/C0INC/p1"}
    assert (d2["label"], d2["corrects"], d2["corrected_by"], d2["decided_by"]) == ("D2", 1, [], "U0LEAD")


def test_status_updates_and_stand_down(built):
    assert built["status_updates"] == [{"at": t(at(minutes=30)), "who": "U0LEAD", "who_name": "Lee Lead",
                                        "situation": "Fallback up\nfiles restored",
                                        "actions": "Ordering a disk", "next_update_due": t(at(hours=1))}]
    assert built["stand_down"] == {"at": t(at(hours=5, minutes=12)), "by": "U0LEAD", "by_name": "Lee Lead-Smith",
                                   "closing_summary": "Restored from backup | no data lost", "exercise_report": None}


def test_timeline_has_every_log_entry_with_utc_and_local_time(built):
    assert [e["id"] for e in built["timeline"]] == list(range(1, 13))
    first = built["timeline"][0]
    assert first == {"id": 1, "at": {"utc": "2026-11-22T09:30:00+00:00", "local": "2026-11-22T10:30:00+01:00"},
                     "who": "U0TEAM", "who_name": None, "kind": "activated", "what": "Plan activated: Loss of critical systems",
                     "data": entries()[0].data}
    assert built["timeline"][1]["who"] is None and built["timeline"][8]["kind"] == "update_nudged"


def test_json_is_stable_and_round_trips(built):
    text = report.render_json(built)
    assert json.loads(text) == built
    assert report.render_json(report.build_report(uow_factory(), "bc12", tz=PARIS)) == text  # same bytes
    assert list(json.loads(text)) == sorted(built)


def test_an_open_incident_reports_its_current_phase():
    incident = make_incident(state=IncidentState.BUSINESS_CONTINUITY, stood_down_at=None, closing_summary=None)
    built = report.build_report(uow_factory(incidents=[incident], entries=entries()[:-1]), 12, tz=PARIS)
    assert built["incident"]["open"] and built["stand_down"] is None
    assert built["durations_seconds"]["to_stand_down"] is None
    bc = built["phases"][1]
    assert bc["reached"] and bc["ended_at"] is None and bc["duration_seconds"] is None
    md = report.render_markdown(built)
    assert "**Status:** open, in business continuity" in md and "still current" in md and "| Stand-down | not yet | — |" in md


def test_unknown_or_malformed_references_are_not_found():
    with pytest.raises(NotFound, match="no incident BC-13"):
        report.build_report(uow_factory(), "BC-13", tz=PARIS)
    with pytest.raises(NotFound, match="not an incident reference"):
        report.build_report(uow_factory(), "twelve", tz=PARIS)


def test_people_are_named_as_they_were_at_each_records_time_and_their_ids_stay_beside(built):
    md = report.render_markdown(built)
    assert "- **Incident lead:** Lee Lead" in md  # the name at the activation
    timeline = md.split("## Timeline")[1]
    assert "| Lee Lead-Smith | Stood down" in timeline  # renamed before the stand-down
    assert "assigned to Bea Baker" in timeline and "U0BAKER" not in md  # IDs in log lines too
    assert "U0TEAM" in md  # never named: the ID is all there is
    assert built["timeline"][-1]["who"] == "U0LEAD" and built["incident"]["lead"] == "U0LEAD"  # the JSON keeps IDs


# Markdown -------------------------------------------------------------------------------------------------
def test_markdown_reads_on_its_own(built):
    md = report.render_markdown(built)
    assert md.startswith(f"# Incident report: BC-12 — {PLAN.title}\n")
    assert "exercise" not in md.split("\n## ")[0].lower()
    for expected in (
        f"- **Plan:** {PLAN.title} (`{PLAN.id}`), version `{VERSION[:12]}`",
        "- **Activated:** 2026-11-22 09:30 UTC (10:30 Europe/Paris) by Rita Requester, approved by U0TEAM",
        "- **Incident lead:** Lee Lead",
        "- **Stood down:** 2026-11-22 14:42 UTC (15:42 Europe/Paris), 5h 12m after activation",
        "> The file server died at 09:00.  \n> Nobody can open project files.",
        "| Business continuity | 2026-11-22 11:30 UTC (12:30 Europe/Paris) | 2h 00m |",
        "| Resumption and recovery | not reached | — |",
        "### D1 — 2026-11-22 09:50 UTC (10:50 Europe/Paris)",
        "- **Options considered:** Wait; fallback; Leeds office",
        "- **Corrected by:** D2",
        "- **Source:** <https://example.slack.com/archives/C0INC/p1>",
        "### D2 (corrects D1) — ",
        "- **Next update due:** 2026-11-22 10:30 UTC (11:30 Europe/Paris)",
        "### Incident management — 1/7 done, 1 not applicable, 5 open",
        "Carried over to the next phase, still open: steps 2, 3, 5, 6, 7.",
        "- [x] 1. Confirm everyone is safe",
        "done by Bea Baker, 2026-11-22 09:40 UTC (10:40 Europe/Paris)",
        "  - Note: Backups checked at 09:20",
        "| UTC | Local (Europe/Paris) | Who | What |",
        "| 2026-11-22 09:31:00 | 2026-11-22 10:31:00 | bcbot | Channel #bc-2026-11-22 created |",
    ):
        assert expected in md, expected
    assert "Not reached." in md.split("### Resumption and recovery")[1]
    assert "- [ ] 2. " in md and "not done, due 2026-11-22 10:00 UTC (11:00 Europe/Paris)" in md  # left open at stand-down
    assert "- **Times:** UTC, with local time in Europe/Paris" in md


def test_markdown_escapes_pipes_and_newlines_in_table_cells_and_text(built):
    md = report.render_markdown(built)
    timeline = md.split("## Timeline")[1]
    assert "| Step 4 marked not applicable \\| home |" in timeline
    assert "| Status update: Fallback up files restored |" in timeline  # a newline never breaks a row
    assert all(len(re.findall(r"(?<!\\)\|", line)) == 5 for line in timeline.strip().splitlines())  # 4 cells a row
    assert "**Decision:** Work from the fallback \\| today" in md
    assert "[-] 4. Secure equipment" in md and "not applicable, marked by Lee Lead, 2026-11-22 09:42 UTC" in md and "  - Reason: Everyone \\| works  \n    from home" in md
    assert "> Restored from backup \\| no data lost" in md


def test_markdown_neutralises_markup_in_user_text():
    incident = make_incident(summary="# Not a heading\n<script>x</script> [link](javascript:y)\n3. not a list",
                             circumstance="`code` <b>bold</b>")
    md = report.render_markdown(report.build_report(uow_factory(incidents=[incident]), "BC-12", tz=PARIS))
    assert "> \\# Not a heading  \n> \\<script\\>x\\</script\\> \\[link\\](javascript:y)  \n> 3\\. not a list" in md
    assert "- **Circumstance:** \\`code\\` \\<b\\>bold\\</b\\>" in md
    assert "<script>" not in md and "<b>" not in md


def test_exercise_reports_say_so_and_include_the_post_exercise_report():
    incident = make_incident(is_exercise=True)
    logged = entries()[:-1] + [entry(12, at(hours=5, minutes=12), "U0LEAD", "stood_down", "Stood down: done",
                                     closing_summary="done", exercise_report={
                                         "objectives_met": "Yes", "what_worked": "Checklists", "gaps": "Phone tree\nout of date",
                                         "actions": None})]
    built = report.build_report(uow_factory(incidents=[incident], entries=logged), "BC-12", tz=PARIS)
    assert built["incident"]["exercise"] and built["stand_down"]["exercise_report"]["gaps"] == "Phone tree\nout of date"
    md = report.render_markdown(built)
    assert md.startswith(f"# Exercise report: BC-12 — {PLAN.title}\n\n_This was an exercise, not a real incident._")
    assert "## Post-exercise report" in md and "- **Gaps found:** Phone tree  \n  out of date" in md
    assert "- **Follow-up actions:** —" in md


def test_utc_reports_do_not_repeat_the_time():
    built = report.build_report(uow_factory(), "BC-12", tz=ZoneInfo("UTC"))
    md = report.render_markdown(built)
    assert "- **Activated:** 2026-11-22 09:30 UTC by Rita Requester" in md and "(09:30 UTC)" not in md


def test_durations_read_naturally():
    assert report.duration(None) == "—"
    assert report.duration(59) == "0h 00m"
    assert report.duration(5 * 3600 + 12 * 60) == "5h 12m"
    assert report.duration(26 * 3600 + 4 * 60) == "1d 2h 04m"
