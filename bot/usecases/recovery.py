"""Use cases of affected services' recovery: their clocks start with the incident (from the disruption's
start), **Service recovered** stops one, **Change services** puts services on or takes them off, and the sweep
tells the lead once at 75% of an RTO and once at its breach (and the plan owners too at an MTPD breach).

Each mark is told once across restarts and replicas: the sweep claims it on the service's row (compare and
set) and owes its post as an outbox task named for the service and the mark."""
from __future__ import annotations

from datetime import datetime

from bot.domain.errors import InvalidInput
from bot.domain.outbox import Task, incident_subject
from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.recovery import Mark, passed
from bot.domain.recovery_commands import ChangeServices, RecoverService
from bot.slack.mrkdwn import safe
from bot.usecases import effects
from bot.usecases.access import load, plan_of, require_responder
from bot.usecases.ports import Parts, UnitOfWork


def start(uow: UnitOfWork, incident: Incident, plan: Plan, services: tuple[str, ...], *, by: str | None,
          now: datetime) -> None:
    """The incident's affected services, each with its objectives as the plan says, clocks from the disruption."""
    chosen = set(services)
    uow.recovery.affect(incident.id, [s for s in plan.services if s.name in chosen],
                        disrupted_at=incident.disruption_start, now=now, by=by)


def recover_service(bot: Parts, uow: UnitOfWork, command: RecoverService, *, actor: str) -> None:
    incident, plan = load(bot, uow, command.incident_id)
    require_responder(bot, incident, plan, actor, "record a service's recovery")
    service = uow.recovery.get(command.service_id)
    if service.incident_id != incident.id:
        raise InvalidInput("That service is not one this incident affects.")
    now = bot.clock()
    if not uow.recovery.recover(service.id, at=now, by=actor):
        return  # recovered already: a double click records once
    outcome = service.rto_outcome(now)
    said = f" (RTO {outcome.value})" if outcome else ""
    uow.log.append(incident_id=incident.id, at=now, actor=actor, kind="service_recovered",
                   summary=f"Service recovered: {service.name}{said}",
                   data={"service": service.name, "rto": outcome.value if outcome else None})
    effects.rerender(uow, incident.id, now)


def change_services(bot: Parts, uow: UnitOfWork, command: ChangeServices, *, actor: str) -> None:
    """The services the incident affects now: new ones start their clocks from the disruption's start (the
    business's clock, however late the service is named); ones taken off stop counting (their row stays)."""
    incident, plan = load(bot, uow, command.incident_id)
    require_responder(bot, incident, plan, actor, "change the services affected")
    known = set(plan.service_names)
    unknown = [s for s in command.services if s not in known]
    if unknown:
        raise InvalidInput("Choose services from the plan's remit.", {"services": "Choose services from the plan's remit."})
    now = bot.clock()
    wanted = set(command.services)
    before = [s.name for s in uow.recovery.of_incident(incident.id)]
    removed = [name for name in before if name not in wanted]
    uow.recovery.take_off(incident.id, removed, now)
    added = uow.recovery.affect(incident.id, [s for s in plan.services if s.name in wanted],
                                disrupted_at=incident.disruption_start, now=now, by=actor)
    if not added and not removed:
        return
    ordered = [s for s in plan.service_names if s in wanted]
    uow.incidents.set_services(incident.id, ordered)
    said = "; ".join(part for part in (f"added {', '.join(added)}" if added else "",
                                       f"removed {', '.join(removed)}" if removed else "") if part)
    uow.log.append(incident_id=incident.id, at=now, actor=actor, kind="services_changed",
                   summary=f"Services affected changed: {said}",
                   data={"added": added, "removed": removed, "services": ordered})
    effects.rerender(uow, incident.id, now)


def record_recovered(uow: UnitOfWork, incident_id: int, given: tuple[tuple[int, datetime], ...], *, by: str,
                     now: datetime) -> None:
    """At stand-down: the form's "recovered at" of each service still down (kept between its disruption's start
    and now); a service recorded as recovered before keeps its time."""
    services = {s.id: s for s in uow.recovery.of_incident(incident_id)}
    for service_id, at in given:
        service = services.get(service_id)
        if service is None or service.recovered_at is not None:
            continue
        at = min(max(at, service.disrupted_at), now)
        if uow.recovery.recover(service.id, at=at, by=by):
            uow.log.append(incident_id=incident_id, at=now, actor=by, kind="service_recovered",
                           summary=f"{service.name} recovered at {at.isoformat(timespec='minutes')} (said at stand-down)",
                           data={"services": [service.name], "recovered_at": at.isoformat(), "at_stand_down": True})


def stop_clocks(uow: UnitOfWork, incident_id: int, *, at: datetime, by: str) -> None:
    """At stand-down: the services still running count as recovered when the incident ends."""
    if names := uow.recovery.recover_all(incident_id, at=at, by=by):
        uow.log.append(incident_id=incident_id, at=at, actor=by, kind="service_recovered",
                       summary=f"Services recovered at stand-down: {', '.join(names)}",
                       data={"services": names, "at_stand_down": True})


def tell_passed_marks(bot: Parts, uow: UnitOfWork) -> int:
    """Scheduler job: for each running clock past a mark nobody was told of, tell the lead in the incident
    channel (once each; at an MTPD breach the plan owners by DM too) and re-render the header at a breach."""
    now = bot.clock()
    told = 0
    for service in uow.recovery.running_past(now):
        incident = uow.incidents.get(service.incident_id)
        for mark in passed(service, now):
            if not uow.recovery.claim(service.id, mark, now):
                continue  # another sweep (a replica) took it
            if mark is Mark.RTO and service.warned_at is None:
                uow.recovery.claim(service.id, Mark.WARN, now)  # past the RTO, 75% is no longer news
            subject = incident_subject(incident.id)
            uow.outbox.add(subject, [Task("post_recovery_mark", name=f"recovery:{service.id}:{mark.value}",
                                          args={"service_id": service.id, "mark": mark.value},
                                          depends_on="post_header")], now)
            if mark is Mark.MTPD:
                plan = plan_of(bot, uow, incident.plan_version_id)
                uow.outbox.add(subject, [Task("tell_plan_owners", name=f"recovery:{service.id}:mtpd:owners", args={
                    "version_id": incident.plan_version_id,
                    "text": mtpd_owner_text(incident, service.name, plan)})], now)
            uow.log.append(incident_id=incident.id, at=now, actor=None, kind="recovery_mark",
                           summary=MARK_LOG[mark].format(service=service.name),
                           data={"service": service.name, "mark": mark.value})
            if mark is not Mark.WARN:
                effects.rerender(uow, incident.id, now)
            told += 1
    return told


MARK_LOG = {Mark.WARN: "Lead reminded: 75% of the RTO of {service} has passed",
            Mark.RTO: "RTO of {service} breached: lead told",
            Mark.MTPD: "MTPD of {service} breached: lead and plan owners told"}


def mtpd_owner_text(incident: Incident, service: str, plan: Plan) -> str:
    if incident.confidential:
        return f"🛑 {incident.ref}: a service's maximum tolerable period of disruption has passed."
    return (f"🛑 {incident.ref} ({safe(plan.title, 150)}): *{safe(service, 75)}* has been disrupted longer than "
            "its maximum tolerable period of disruption (MTPD).")
