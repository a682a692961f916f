"""The management review pack (ISO 22301 9.3): per plan, over a period, the incidents and exercises (durations,
roll-call response), the reviews and tests done against their due dates, the corrective actions opened, closed,
dropped and overdue, and the management reviews held. Plain data, the same bytes for the same database and
period whatever day it is made (nothing says when it was generated; "overdue" is as of the period's end).
Rendered by bot.tools.review_pack_render (Markdown, HTML) or as JSON (docs/review-pack-format.md)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.actions import Action, ActionStatus, ManagementReview
from bot.domain.people import Names
from bot.domain.records import Incident
from bot.domain.recovery import AffectedService, in_recovery_order, outcome
from bot.domain.rollcall import AnswerRecord, Asked, times_to_share

SHARES = (50, 90, 100)


@dataclass(frozen=True)
class ReviewDone:
    plan_key: str
    reviewed_at: datetime
    reviewed_by: str
    was_due_on: date


@dataclass(frozen=True)
class TestDone:
    plan_key: str
    test_type: str
    held_on: date
    recorded_by: str | None
    incident_id: int | None


@dataclass(frozen=True)
class RollCallFigures:
    incident_id: int | None
    plan_key: str
    is_drill: bool
    started_at: datetime
    people: list[Asked]
    answers: list[AnswerRecord]


def period_bounds(since: date, until: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`) in the given time zone."""
    return (datetime.combine(since, time(), tzinfo=tz), datetime.combine(until + timedelta(days=1), time(), tzinfo=tz))


def build_pack(uow_factory, *, since: date, until: date, tz: ZoneInfo, plan: str | None = None) -> dict:
    start, end = period_bounds(since, until, tz)
    with uow_factory() as uow:
        incidents = uow.programme.incidents(start, end)
        services = {i.id: uow.recovery.of_incident(i.id, removed=True) for i in incidents}
        reviews = uow.programme.reviews(start, end)
        tests = uow.programme.tests(since, until)
        roll_calls = uow.programme.roll_calls(start, end)
        actions = uow.actions.find_all()
        meetings = uow.reviews.find_all(since=since, until=until)
        titles = uow.programme.plan_titles()
        dates = uow.governance.next_dates()
        people = {r.reviewed_by for r in reviews} | {a.owner for a in actions} | {
            u for mr in meetings for u in (*mr.attendees, mr.recorded_by)}
        names = uow.names.history({p for p in people if p})
    keys = sorted(set(titles) | {i.plan_key for i in incidents} | {a.plan_key for a in actions} | set(dates))
    if plan is not None:
        keys = [k for k in keys if k == plan]
    return {
        "period": {"since": since.isoformat(), "until": until.isoformat(), "timezone": str(tz)},
        "plans": [_plan(key, titles.get(key, key), dates.get(key), since=since, until=until, start=start, end=end,
                        tz=tz, names=names, incidents=[i for i in incidents if i.plan_key == key], services=services,
                        reviews=[r for r in reviews if r.plan_key == key], tests=[t for t in tests if t.plan_key == key],
                        roll_calls=[r for r in roll_calls if r.plan_key == key],
                        actions=[a for a in actions if a.plan_key == key],
                        meetings=[mr for mr in meetings if mr.plan_key in (key, None)])
                  for key in keys],
    }


def _local(at: datetime | None, tz: ZoneInfo) -> str | None:
    return at.astimezone(tz).isoformat(timespec="minutes") if at else None


def _plan(key: str, title: str, next_dates: tuple[date, date] | None, *, since: date, until: date, start: datetime,
          end: datetime, tz: ZoneInfo, names: Names, incidents: list[Incident],
          services: dict[int, list[AffectedService]], reviews: list[ReviewDone],
          tests: list[TestDone], roll_calls: list[RollCallFigures], actions: list[Action],
          meetings: list[ManagementReview]) -> dict:
    by_incident = {r.incident_id: r for r in roll_calls if r.incident_id is not None}
    refs = {i.id: i.ref for i in incidents}
    next_review, next_test = next_dates or (None, None)
    shown = [_incident(i, by_incident.get(i.id), services.get(i.id, []), tz, end) for i in incidents]
    return {
        "id": key, "title": title,
        "counts": {"incidents": sum(not i.is_exercise for i in incidents),
                   "exercises": sum(i.is_exercise for i in incidents)},
        "objectives": {kind: {outcome: sum(1 for i in shown for s in i["services"] if s[kind] == outcome)
                              for outcome in ("met", "missed", "running")} for kind in ("rto", "mtpd")},
        "incidents": shown,
        "roll_calls": [_roll_call(r, refs, tz) for r in roll_calls],
        "reviews": [{"on": r.reviewed_at.astimezone(tz).date().isoformat(), "by": r.reviewed_by,
                     "by_name": names.at(r.reviewed_by, r.reviewed_at), "was_due_on": r.was_due_on.isoformat(),
                     "on_time": r.reviewed_at.astimezone(tz).date() <= r.was_due_on} for r in reviews],
        "tests": [{"held_on": t.held_on.isoformat(), "type": t.test_type,
                   "incident": refs.get(t.incident_id) if t.incident_id else None} for t in tests],
        "next_review": next_review.isoformat() if next_review else None,
        "next_test": next_test.isoformat() if next_test else None,
        # As of the period's end, so that the pack of a past period does not change from day to day.
        "review_overdue_at_end": bool(next_review and next_review < until),
        "test_overdue_at_end": bool(next_test and next_test < until),
        "actions": _actions(actions, start, end, until, names, tz),
        "management_reviews": [{"ref": mr.ref, "held_on": mr.held_on.isoformat(), "attendees": [
            names.at(u, mr.recorded_at) or u for u in mr.attendees], "decisions": list(mr.decisions),
            "actions": sum(a.source.review_id == mr.id for a in actions)} for mr in meetings],
    }


def _outcome(due: datetime | None, recovered_at: datetime | None, end: datetime) -> str | None:
    """As the service stood at the period's end: a recovery after it does not count yet."""
    found = outcome(due, recovered_at if recovered_at is not None and recovered_at < end else None,
                    passed=due is not None and end > due)
    return found.value if found else None


def _incident(incident: Incident, roll_call: RollCallFigures | None, services: list[AffectedService], tz: ZoneInfo,
              end: datetime) -> dict:
    ended = incident.stood_down_at if incident.stood_down_at and incident.stood_down_at < end else None
    return {
        "ref": incident.ref, "exercise": incident.is_exercise, "confidential": incident.confidential,
        # A confidential incident's pack names only its reference.
        "circumstance": None if incident.confidential else incident.circumstance,
        "activated_at": _local(incident.activated_at, tz), "stood_down_at": _local(ended, tz),
        "duration_seconds": int((ended - incident.activated_at).total_seconds()) if ended else None,
        "roll_call": bool(roll_call),
        "services": [{"name": s.name, "priority": s.priority, "rto_minutes": s.rto_minutes,
                      "mtpd_minutes": s.mtpd_minutes,
                      "recovered_at": _local(s.recovered_at if s.recovered_at and s.recovered_at < end else None, tz),
                      "rto": _outcome(s.rto_due_at, s.recovered_at, end),
                      "mtpd": _outcome(s.mtpd_due_at, s.recovered_at, end)}
                     for s in in_recovery_order(services) if s.removed_at is None or s.removed_at >= end],
    }


def _roll_call(r: RollCallFigures, refs: dict[int, str], tz: ZoneInfo) -> dict:
    answered = sum(1 for p in r.people if p.answer is not None)
    shares = times_to_share(r.started_at, r.answers, len(r.people), SHARES)
    return {"incident": refs.get(r.incident_id) if r.incident_id else None, "drill": r.is_drill,
            "started_at": _local(r.started_at, tz), "asked": len(r.people), "answered": answered,
            "not_reached": sum(1 for p in r.people if p.not_reached),
            "seconds_to_answered": {f"{s}%": int(d.total_seconds()) if d is not None else None
                                    for s, d in shares.items()}}


def _actions(actions: list[Action], start: datetime, end: datetime, until: date, names: Names, tz: ZoneInfo) -> dict:
    opened = [a for a in actions if start <= a.created_at < end]
    closed = [a for a in actions if a.closed_at and start <= a.closed_at < end]
    open_at_end = [a for a in actions if a.created_at < end and (a.closed_at is None or a.closed_at >= end)]
    still_open = {a.id for a in open_at_end}
    shown = {a.id: a for a in (*opened, *closed, *open_at_end)}
    return {
        "opened": len(opened),
        "done": sum(a.status is ActionStatus.DONE for a in closed),
        "dropped": sum(a.status is ActionStatus.DROPPED for a in closed),
        "open_at_end": len(open_at_end),
        "overdue_at_end": sum(a.due_on < until for a in open_at_end),
        "items": [{"ref": a.ref, "title": a.title, "owner": a.owner, "owner_name": names.at(a.owner, a.created_at),
                   "due_on": a.due_on.isoformat(), "opened_on": a.created_at.astimezone(tz).date().isoformat(),
                   "status_at_end": "open" if a.id in still_open else a.status.value,
                   "overdue_at_end": a.id in still_open and a.due_on < until}
                  for _, a in sorted(shown.items())],
    }
