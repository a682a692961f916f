"""Roll calls: who was asked, their answers (every one, in order) and each DM's delivery; and the plan people
named by email, as resolved to Slack user IDs."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.errors import NotFound
from bot.domain.rollcall import Answer, AnswerRecord, Asked, Delivery, RollCall
from storage import models as m
from storage.repositories._common import dialect_insert, rowcount


def _roll_call(row: m.RollCall) -> RollCall:
    return RollCall(id=row.id, incident_id=row.incident_id, plan_key=row.plan_key, plan_version_id=row.plan_version_id,
                    is_drill=row.is_drill, started_by=row.started_by, lead_user_id=row.lead_user_id,
                    started_at=row.started_at, remind_at=row.remind_at, escalate_at=row.escalate_at,
                    tally_channel=row.tally_channel, tally_ts=row.tally_ts, rendered_at=row.rendered_at,
                    reminded_at=row.reminded_at, escalated_at=row.escalated_at)


def _asked(row: m.RollCallPerson) -> Asked:
    return Asked(user_id=row.user_id, name=row.name, answer=Answer(row.answer) if row.answer else None,
                 answered_at=row.answered_at, recorded_by=row.recorded_by, delivery=Delivery(row.delivery),
                 delivery_code=row.delivery_code, sent_at=row.sent_at, dm_channel=row.dm_channel, dm_ts=row.dm_ts,
                 reminded_at=row.reminded_at)


class RollCallRepository:
    def __init__(self, session: Session):
        self.s = session

    def start(self, *, incident_id: int | None, plan_key: str, plan_version_id: int, is_drill: bool, started_by: str,
              lead_user_id: str, now: datetime, remind_at: datetime, escalate_at: datetime,
              people: list[tuple[str, str]]) -> int | None:
        """Record a roll call of `people` ((user ID, name), each once). None if the incident has one already."""
        row = m.RollCall(incident_id=incident_id, plan_key=plan_key, plan_version_id=plan_version_id,
                         is_drill=is_drill, started_by=started_by, lead_user_id=lead_user_id, started_at=now,
                         remind_at=remind_at, escalate_at=escalate_at)
        try:
            with self.s.begin_nested():
                self.s.add(row)
                self.s.flush()
        except IntegrityError:
            return None
        if people:
            self.s.execute(dialect_insert(self.s, m.RollCallPerson).on_conflict_do_nothing(), [
                {"roll_call_id": row.id, "user_id": user, "name": name[:80], "delivery": Delivery.PENDING.value}
                for user, name in people])
        return row.id

    def get(self, roll_call_id: int) -> RollCall:
        row = self.s.get(m.RollCall, roll_call_id)
        if row is None:
            raise NotFound("That roll call no longer exists; the message may be from another bcbot.")
        return _roll_call(row)

    def of_incident(self, incident_id: int) -> RollCall | None:
        row = self.s.scalar(select(m.RollCall).where(m.RollCall.incident_id == incident_id))
        return _roll_call(row) if row else None

    def of_incidents(self, incident_ids: list[int]) -> dict[int, RollCall]:
        if not incident_ids:
            return {}
        rows = self.s.scalars(select(m.RollCall).where(m.RollCall.incident_id.in_(incident_ids)))
        return {r.incident_id: _roll_call(r) for r in rows if r.incident_id is not None}

    def by_tally_channel(self, channel_id: str) -> RollCall | None:
        """The latest roll call whose tally is in this channel (a drill's, in its runner's DM)."""
        row = self.s.scalar(select(m.RollCall).where(m.RollCall.tally_channel == channel_id)
                            .order_by(m.RollCall.id.desc()).limit(1))
        return _roll_call(row) if row else None

    def people(self, roll_call_id: int) -> list[Asked]:
        p = m.RollCallPerson
        return [_asked(r) for r in self.s.scalars(select(p).where(p.roll_call_id == roll_call_id).order_by(p.id))]

    def person(self, roll_call_id: int, user_id: str) -> Asked | None:
        p = m.RollCallPerson
        row = self.s.scalar(select(p).where(p.roll_call_id == roll_call_id, p.user_id == user_id))
        return _asked(row) if row else None

    def answers(self, roll_call_id: int) -> list[AnswerRecord]:
        a = m.RollCallAnswer
        rows = self.s.scalars(select(a).where(a.roll_call_id == roll_call_id).order_by(a.at, a.id))
        return [AnswerRecord(r.user_id, Answer(r.answer), r.at, r.recorded_by) for r in rows]

    def answer(self, roll_call_id: int, user_id: str, answer: Answer, *, now: datetime,
               recorded_by: str | None) -> bool:
        """Record an answer (a changed one too); False if the person was not asked in this roll call."""
        p = m.RollCallPerson
        changed = self.s.execute(update(p).where(p.roll_call_id == roll_call_id, p.user_id == user_id).values(
            answer=answer.value, answered_at=now, recorded_by=recorded_by))
        if not rowcount(changed):
            return False
        self.s.add(m.RollCallAnswer(roll_call_id=roll_call_id, user_id=user_id, answer=answer.value, at=now,
                                    recorded_by=recorded_by))
        return True

    def sent(self, roll_call_id: int, user_id: str, *, channel: str, ts: str, now: datetime) -> None:
        p = m.RollCallPerson
        self.s.execute(update(p).where(p.roll_call_id == roll_call_id, p.user_id == user_id).values(
            delivery=Delivery.SENT.value, delivery_code=None, sent_at=now, dm_channel=channel, dm_ts=ts))

    def failed(self, roll_call_id: int, user_id: str, *, code: str) -> None:
        p = m.RollCallPerson
        self.s.execute(update(p).where(p.roll_call_id == roll_call_id, p.user_id == user_id).values(
            delivery=Delivery.FAILED.value, delivery_code=code[:48]))

    def reminded(self, roll_call_id: int, user_ids: list[str], now: datetime) -> None:
        p = m.RollCallPerson
        if user_ids:
            self.s.execute(update(p).where(p.roll_call_id == roll_call_id, p.user_id.in_(user_ids))
                           .values(reminded_at=now))

    def mark(self, roll_call_id: int, field: str, now: datetime) -> bool:
        """Set `reminded_at` or `escalated_at` once: True for the caller that set it."""
        column = getattr(m.RollCall, field)
        done = self.s.execute(update(m.RollCall).where(m.RollCall.id == roll_call_id, column.is_(None))
                              .values({field: now}))
        return bool(rowcount(done))

    def set_tally(self, roll_call_id: int, *, channel: str, ts: str) -> None:
        self.s.execute(update(m.RollCall).where(m.RollCall.id == roll_call_id).values(tally_channel=channel,
                                                                                      tally_ts=ts))

    def rendered(self, roll_call_id: int, now: datetime) -> None:
        self.s.execute(update(m.RollCall).where(m.RollCall.id == roll_call_id).values(rendered_at=now))

    def dm_channel_of(self, user_id: str) -> str | None:
        """The DM channel a post to this user's ID went to before (chat.postMessage's answer), if any."""
        p = m.RollCallPerson
        return self.s.scalar(select(p.dm_channel).where(p.user_id == user_id, p.dm_channel.is_not(None))
                             .order_by(p.id.desc()).limit(1))

    def counts(self, roll_call_id: int) -> dict[str, int]:
        p = m.RollCallPerson
        rows = self.s.execute(select(p.answer, func.count()).where(p.roll_call_id == roll_call_id).group_by(p.answer))
        return {answer or "none": n for answer, n in rows}


class SlackPeopleRepository:
    """Emails of plan people -> Slack user IDs, as the last users.list sweep found them."""

    def __init__(self, session: Session):
        self.s = session

    def all(self) -> dict[str, tuple[str | None, datetime]]:
        return {r.email: (r.user_id, r.resolved_at) for r in self.s.scalars(select(m.SlackPerson))}

    def store(self, found: dict[str, str | None], now: datetime) -> None:
        if not found:
            return
        insert = dialect_insert(self.s, m.SlackPerson)
        rows = [{"email": email.lower()[:254], "user_id": user, "resolved_at": now} for email, user in found.items()]
        self.s.execute(insert.on_conflict_do_update(index_elements=[m.SlackPerson.email], set_={
            "user_id": insert.excluded.user_id, "resolved_at": insert.excluded.resolved_at}), rows)
