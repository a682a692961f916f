"""Plan governance (review and test dates and records) and the reminder claims that make each reminder go once."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import case, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.domain.reminders import Claim, ClaimStatus, DueRow, Governance, Kind, PlanTest, PlanTestType, ReminderKey
from storage import models as m
from storage.repositories._common import dialect_insert, rowcount

# Plan governance ---------------------------------------------------------------------------------
_GOVERNANCE_COLUMNS = (
    m.PlanGovernance.plan_key, m.PlanGovernance.next_review, m.PlanGovernance.next_test,
    m.PlanGovernance.file_review_next, m.PlanGovernance.file_test_next, m.PlanGovernance.last_review_at,
    m.PlanGovernance.last_review_by, m.PlanGovernance.last_test_on, m.PlanGovernance.last_test_by,
    m.PlanGovernance.last_test_type, m.PlanGovernance.last_test_notes, m.PlanGovernance.last_test_incident_id,
    m.PlanGovernance.review_snoozed_until, m.PlanGovernance.test_snoozed_until,
    m.PlanGovernance.review_flagged_after_incident, m.PlanGovernance.unresolved_owners,
    m.PlanGovernance.unresolved_checked_at,
)
# Any fixed 32-bit number: with the schema's hash, the key of PostgreSQL's advisory lock that lets one replica
# sweep at a time. Advisory locks are per database: bots in other schemas of it (tests in parallel, another
# deployment) must not take each other's turn.
PG_SWEEP_LOCK = 0x62637277


# Reminders by the thousand as one JSON parameter: a statement about them stays one statement and
# one round trip (an IN list is chunked, an executemany runs row by row). Plans whose reminders are
# at the same stage share one entry with a list of plan keys, so after a mass send it is a few
# entries, which SQLite reads fast; each entry's fields are read once (MATERIALIZED).
def _json_cte(session: Session, name: str, fields: tuple[tuple[str, str], ...]) -> str:
    """`name AS MATERIALIZED (...)`, a common table expression of the rows of the JSON array of
    objects in the bind parameter `name`. Fields are (key, PostgreSQL type); a `jsonb` field is a
    JSON array (see _elements). SQLite reads dates as the ISO text it stores them as."""
    if session.get_bind().dialect.name == "postgresql":
        types = ", ".join(f"{key} {type_}" for key, type_ in fields)
        rows = f"SELECT * FROM jsonb_to_recordset(CAST(:{name} AS jsonb)) AS x({types})"
    else:
        rows = "SELECT " + ", ".join(f"json_extract(value, '$.{key}') AS {key}" for key, _ in fields) + \
            f" FROM json_each(:{name})"
    return f"{name} AS MATERIALIZED ({rows})"


def _elements(session: Session, array: str, alias: str) -> str:
    """The text elements of a JSON array, as a FROM item with one column, `value`."""
    if session.get_bind().dialect.name == "postgresql":
        return f"jsonb_array_elements_text({array}) AS {alias}(value)"
    return f"json_each({array}) AS {alias}"


def _governance(row) -> Governance:
    values = dict(row._mapping)
    values["unresolved_owners"] = tuple(values["unresolved_owners"] or ())
    return Governance(**values)


def _insert_ignoring_duplicates(session: Session, model, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: rows another process inserted first are left as they are."""
    if rows:
        session.execute(dialect_insert(session, model).on_conflict_do_nothing(), rows)


class GovernanceRepository:
    """Plans' review and test dates and records."""

    def __init__(self, session: Session):
        self.s = session

    def sync(self, file_dates: dict[str, tuple[date, date]], now: datetime) -> dict[str, list[str]]:
        """Make the database follow the plan files: a row for each new plan, and a plan whose file's
        `review.next` (or `testing.next`) changed takes the new date, dropping snoozes and flags.

        Safe when several processes start at once (insert-or-ignore, compare-and-set updates).
        """
        g = m.PlanGovernance
        known = {key: (review, test) for key, review, test in
                 self.s.execute(select(g.plan_key, g.file_review_next, g.file_test_next))}
        added = [key for key in file_dates if key not in known]
        _insert_ignoring_duplicates(self.s, g, [
            {"plan_key": key, "next_review": file_dates[key][0], "next_test": file_dates[key][1],
             "file_review_next": file_dates[key][0], "file_test_next": file_dates[key][1],
             "unresolved_owners": [], "updated_at": now}
            for key in added
        ])
        review_reset, test_reset = [], []
        for key, (review, test) in file_dates.items():
            if key not in known:
                continue
            old_review, old_test = known[key]
            if review != old_review:
                self.s.execute(update(g).where(g.plan_key == key, g.file_review_next == old_review).values(
                    next_review=review, file_review_next=review, review_snoozed_until=None,
                    review_flagged_after_incident=None, updated_at=now))
                review_reset.append(key)
            if test != old_test:
                self.s.execute(update(g).where(g.plan_key == key, g.file_test_next == old_test).values(
                    next_test=test, file_test_next=test, test_snoozed_until=None, updated_at=now))
                test_reset.append(key)
        return {"added": added, "review_reset": review_reset, "test_reset": test_reset}

    def due_by(self, horizon: date) -> list[DueRow]:
        """The plans with a review or test due on or before `horizon`: the sweep's one read of this
        table (both dates are indexed; few columns, plain rows, so 10,000 plans read in milliseconds)."""
        g = m.PlanGovernance
        rows = self.s.connection().execute(select(
            g.plan_key, g.next_review, g.next_test, g.review_snoozed_until, g.test_snoozed_until, g.review_reminded_for,
            g.review_reminded_stage, g.test_reminded_for, g.test_reminded_stage,
        ).where(or_(g.next_review <= horizon, g.next_test <= horizon))).all()
        return [DueRow(*r) for r in rows]

    def reminded(self, done: list[tuple[str, Kind, date, int]]) -> None:
        """(plan, kind, due date, stage): every recipient of the reminder's stages up to `stage` is
        dealt with, if that due date is still current. One statement, each plan's row written once,
        however many plans (row by row, 20,000 took 0.2 s on SQLite and 0.6 s on PostgreSQL)."""
        stages: dict[tuple[Kind, date, int], list[str]] = {}
        for plan, kind, due, stage in done:
            stages.setdefault((kind, due, stage), []).append(plan)
        if not stages:
            return
        g = "plan_governance"
        mark = ", ".join(f"max(CASE WHEN s.k = '{kind}' THEN s.{field} END) AS {kind[0]}{field}"
                         for kind in (Kind.REVIEW, Kind.TEST) for field in ("d", "s"))
        sets = ", ".join(
            f"{kind}_reminded_for = CASE WHEN {g}.next_{kind} = j.{kind[0]}d THEN j.{kind[0]}d "
            f"ELSE {g}.{kind}_reminded_for END, "
            f"{kind}_reminded_stage = CASE WHEN {g}.next_{kind} = j.{kind[0]}d THEN j.{kind[0]}s "
            f"ELSE {g}.{kind}_reminded_stage END" for kind in (Kind.REVIEW, Kind.TEST))
        # j, a row per plan, materialized: each plan's row is found by its key (not, per plan, every
        # row due that day)
        self.s.connection().execute(text(
            f"WITH {_json_cte(self.s, 'stages', (('k', 'text'), ('d', 'date'), ('s', 'integer'), ('ps', 'jsonb')))}, "
            f"j AS MATERIALIZED (SELECT p.value AS plan_key, {mark} FROM stages AS s "
            f"CROSS JOIN {_elements(self.s, 's.ps', 'p')} GROUP BY p.value) "
            f"UPDATE {g} SET {sets} FROM j "
            f"WHERE {g}.plan_key = j.plan_key AND ({g}.next_review = j.rd OR {g}.next_test = j.td)"),
            {"stages": json.dumps([{"k": str(kind), "d": due.isoformat(), "s": stage, "ps": plans}
                                   for (kind, due, stage), plans in stages.items()])})

    def next_dates(self) -> dict[str, tuple[date, date]]:
        """Every plan's (next review, next test) as recorded: one query, whatever the number of plans."""
        g = m.PlanGovernance
        return {key: (review, test) for key, review, test in
                self.s.connection().execute(select(g.plan_key, g.next_review, g.next_test)).all()}

    def get(self, plan_key: str) -> Governance | None:
        row = self.s.execute(select(*_GOVERNANCE_COLUMNS).where(m.PlanGovernance.plan_key == plan_key)).first()
        return _governance(row) if row else None

    def all(self) -> list[Governance]:
        return [_governance(r) for r in self.s.execute(select(*_GOVERNANCE_COLUMNS).order_by(m.PlanGovernance.plan_key))]

    def mark_reviewed(self, plan_key: str, *, was_due: date, next_review: date, by: str, at: datetime) -> bool:
        """Record a review of the review that was due on `was_due`; False if the date had already
        moved (someone else marked it reviewed first, or the plan file changed it)."""
        g = m.PlanGovernance
        flagged = self.s.scalar(select(g.review_flagged_after_incident).where(g.plan_key == plan_key))
        result = self.s.execute(update(g).where(g.plan_key == plan_key, g.next_review == was_due).values(
            next_review=next_review, last_review_at=at, last_review_by=by, review_snoozed_until=None,
            review_flagged_after_incident=None, updated_at=at))
        if rowcount(result) != 1:
            return False
        self.s.add(m.PlanReview(plan_key=plan_key, reviewed_at=at, reviewed_by=by, was_due_on=was_due,
                                next_review=next_review, after_incident=flagged))
        return True

    def snooze(self, plan_key: str, kind: Kind, *, due: date, until: datetime, now: datetime) -> bool:
        """Silence the reminder due on `due` until `until`; False if that date is no longer current."""
        g = m.PlanGovernance
        date_column, snooze_column = ((g.next_review, "review_snoozed_until") if kind == Kind.REVIEW
                                      else (g.next_test, "test_snoozed_until"))
        result = self.s.execute(update(g).where(g.plan_key == plan_key, date_column == due)
                                .values({snooze_column: until, "updated_at": now}))
        return rowcount(result) == 1

    def record_test(self, test: PlanTest, *, next_test: date, now: datetime) -> bool:
        """Add a test to the plan's record. It becomes the plan's last test (and sets the next test
        date) unless a later test is already recorded. False if this incident's test was recorded."""
        try:
            with self.s.begin_nested():
                self.s.add(m.PlanTest(plan_key=test.plan_key, test_type=test.test_type.value, held_on=test.held_on,
                                      recorded_by=test.recorded_by, recorded_at=now, notes=test.notes,
                                      incident_id=test.incident_id, report=dict(test.report)))
        except IntegrityError:
            return False
        g = m.PlanGovernance
        self.s.execute(update(g).where(g.plan_key == test.plan_key,
                                       or_(g.last_test_on.is_(None), g.last_test_on <= test.held_on)).values(
            last_test_on=test.held_on, last_test_by=test.recorded_by, last_test_type=test.test_type.value,
            last_test_notes=test.notes, last_test_incident_id=test.incident_id, next_test=next_test,
            test_snoozed_until=None, updated_at=now))
        return True

    def tests(self, plan_key: str) -> list[PlanTest]:
        rows = self.s.scalars(select(m.PlanTest).where(m.PlanTest.plan_key == plan_key).order_by(m.PlanTest.id))
        return [PlanTest(plan_key=r.plan_key, test_type=PlanTestType(r.test_type), held_on=r.held_on,
                         recorded_by=r.recorded_by, notes=r.notes, incident_id=r.incident_id, report=r.report or {})
                for r in rows]

    def flag_review(self, plan_key: str, *, today: date, incident_id: int, now: datetime) -> date | None:
        """Make the plan's review due today (or keep an earlier date) after an incident; the new date."""
        g = m.PlanGovernance
        self.s.execute(update(g).where(g.plan_key == plan_key).values(
            next_review=case((g.next_review > today, today), else_=g.next_review),
            review_flagged_after_incident=incident_id, review_snoozed_until=None, updated_at=now))
        return self.s.scalar(select(g.next_review).where(g.plan_key == plan_key))

    def set_unresolved(self, plan_key: str, emails: list[str], now: datetime) -> list[str]:
        """Store the owners Slack could not find; returns those not already stored (to log once)."""
        g = m.PlanGovernance
        before = self.s.scalar(select(g.unresolved_owners).where(g.plan_key == plan_key))
        if before is None:
            return []
        emails = sorted(set(emails))
        self.s.execute(update(g).where(g.plan_key == plan_key).values(unresolved_owners=emails,
                                                                        unresolved_checked_at=now))
        return [e for e in emails if e not in before]

    def try_sweep_lock(self) -> bool:
        """PostgreSQL: take a transaction-scoped advisory lock, False if another replica holds it.
        SQLite: always True, and no transaction is started (it would block every writer)."""
        if self.s.get_bind().dialect.name != "postgresql":
            return True
        return bool(self.s.scalar(text("SELECT pg_try_advisory_xact_lock(:key, hashtext(current_schema()))"),
                                  {"key": PG_SWEEP_LOCK}))


def _claim(row) -> Claim:
    return Claim(id=row.id, key=ReminderKey(row.plan_key, row.kind, row.due_on, row.stage, row.recipient),
                 status=ClaimStatus(row.status), attempts=row.attempts)


_CLAIM_COLUMNS = (m.ReminderClaim.id, m.ReminderClaim.plan_key, m.ReminderClaim.kind, m.ReminderClaim.due_on,
                  m.ReminderClaim.stage, m.ReminderClaim.recipient, m.ReminderClaim.status, m.ReminderClaim.attempts)


class ReminderClaimRepository:
    """Reminders claimed before they are sent: the unique key is the exactly-once guard."""

    def __init__(self, session: Session):
        self.s = session

    def unfinished(self, stages: list[tuple[str, date, int, list[str], list[str]]]
                   ) -> dict[tuple[str, str, int], dict[str, tuple[int, str, int] | None]]:
        """Of these reminder stages — (kind, due date, stage, recipients, plan keys): that stage of
        each plan's reminder to each recipient — the sends not finished: (plan, kind, stage) ->
        {recipient: None if nobody has claimed it, else (claim ID, status, attempts) of a claim still
        `sending` or `failed`}. A recipient not listed has been dealt with (sent, covered, or maybe
        sent). One statement, however many stages, each send looked up on the claims' unique key;
        after a mass send that went well it returns nothing, not every claim."""
        if not stages:
            return {}
        fields = (("k", "text"), ("d", "date"), ("s", "integer"), ("rs", "jsonb"), ("ps", "jsonb"))
        query = text(
            f"WITH {_json_cte(self.s, 'stages', fields)} "
            f"SELECT p.value, g.k, g.s, r.value, c.id, c.status, c.attempts FROM stages AS g "
            f"CROSS JOIN {_elements(self.s, 'g.rs', 'r')} CROSS JOIN {_elements(self.s, 'g.ps', 'p')} "
            f"LEFT JOIN reminder_claims AS c ON c.plan_key = p.value AND c.kind = g.k AND c.due_on = g.d "
            f"AND c.stage = g.s AND c.recipient = r.value WHERE c.id IS NULL OR c.status IN (:sending, :failed)")
        rows = json.dumps([{"k": str(kind), "d": due.isoformat(), "s": stage, "rs": list(recipients), "ps": list(plans)}
                           for kind, due, stage, recipients, plans in stages])
        found: dict[tuple[str, str, int], dict[str, tuple[int, str, int] | None]] = {}
        for plan, kind, stage, recipient, claim_id, status, attempts in self.s.connection().execute(query, {
                "stages": rows, "sending": ClaimStatus.SENDING.value,
                "failed": ClaimStatus.FAILED.value}):
            found.setdefault((plan, kind, stage), {})[recipient] = None if claim_id is None else (
                claim_id, status, attempts)
        return found

    def find(self, key: ReminderKey) -> Claim | None:
        c = m.ReminderClaim
        row = self.s.execute(select(*_CLAIM_COLUMNS).where(
            c.plan_key == key.plan_key, c.kind == str(key.kind), c.due_on == key.due_on, c.stage == key.stage,
            c.recipient == key.recipient)).first()
        return _claim(row) if row else None

    def claim(self, key: ReminderKey, now: datetime) -> int | None:
        """Insert the claim; None if it exists already (sent, or being sent, by anyone)."""
        try:
            with self.s.begin_nested():
                row = m.ReminderClaim(plan_key=key.plan_key, kind=str(key.kind), due_on=key.due_on, stage=key.stage,
                                      recipient=key.recipient, status=ClaimStatus.SENDING.value, attempts=1,
                                      claimed_at=now)
                self.s.add(row)
        except IntegrityError:
            return None
        return row.id

    def reclaim(self, claim_id: int, *, attempts: int, now: datetime) -> bool:
        """Take a failed claim for another attempt; exactly one concurrent caller wins."""
        c = m.ReminderClaim
        result = self.s.execute(update(c).where(c.id == claim_id, c.status == ClaimStatus.FAILED.value,
                                                c.attempts == attempts)
                                .values(status=ClaimStatus.SENDING.value, attempts=attempts + 1, claimed_at=now))
        return rowcount(result) == 1

    def sent(self, claim_id: int, *, now: datetime, channel_id: str | None, ts: str | None) -> None:
        c = m.ReminderClaim
        self.s.execute(update(c).where(c.id == claim_id).values(status=ClaimStatus.SENT.value, sent_at=now,
                                                                channel_id=channel_id, ts=ts, last_error=None))

    def failed(self, claim_id: int, *, error: str, delivered_maybe: bool) -> None:
        c = m.ReminderClaim
        status = ClaimStatus.UNKNOWN if delivered_maybe else ClaimStatus.FAILED
        self.s.execute(update(c).where(c.id == claim_id).values(status=status.value, last_error=error[:2000]))

    def cover(self, keys: list[ReminderKey], now: datetime) -> None:
        """Mark these reminders as done by another message (insert-or-ignore)."""
        _insert_ignoring_duplicates(self.s, m.ReminderClaim, [
            {"plan_key": k.plan_key, "kind": str(k.kind), "due_on": k.due_on, "stage": k.stage, "recipient": k.recipient,
             "status": ClaimStatus.COVERED.value, "attempts": 0, "claimed_at": now} for k in keys
        ])

    def messages(self, plan_key: str, kind: str, due_on: date) -> list[tuple[str, str]]:
        """Where the reminders about this due date were sent (channel, ts), to update them in place."""
        c = m.ReminderClaim
        rows = self.s.execute(select(c.channel_id, c.ts).where(
            c.plan_key == plan_key, c.kind == str(kind), c.due_on == due_on, c.status == ClaimStatus.SENT.value,
            c.ts.is_not(None)).order_by(c.id))
        return [(channel, ts) for channel, ts in rows if channel is not None and ts is not None]

    def retryable(self, kind: str, max_attempts: int) -> list[Claim]:
        c = m.ReminderClaim
        rows = self.s.execute(select(*_CLAIM_COLUMNS).where(c.status == ClaimStatus.FAILED.value, c.kind == kind,
                                                            c.attempts < max_attempts))
        return [_claim(r) for r in rows]
