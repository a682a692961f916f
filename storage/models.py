"""SQLAlchemy 2 typed models. Every schema change goes through an Alembic migration."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

# Re-exported: released migrations import UtcDateTime from here.
from storage.base import NAMING_CONVENTION, Base, UtcDateTime  # noqa: F401


class PlanVersion(Base):
    """One exact version of a plan file; an incident keeps the version it ran."""

    __tablename__ = "plan_versions"
    __table_args__ = (UniqueConstraint("plan_key", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    snapshot: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]


class PlanServed(Base):
    """The version of each plan the bot serves, and its file's trouble: a plan whose file breaks or goes keeps
    its last valid version, after restarts too (bot.worker.plan_watch)."""

    __tablename__ = "plan_served"

    plan_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    file: Mapped[str] = mapped_column(Text)
    broken_hash: Mapped[str | None] = mapped_column(String(64))  # the broken file content's sha256 ("removed")
    broken_problem: Mapped[str | None] = mapped_column(Text)  # its first problem, as `bcbot plan check` says it
    broken_since: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class PersonName(Base):
    """What each person was called, and from when: the plan's name for them, else Slack's real name (the
    worker asks Slack about anyone a record names that it does not know). A record's name is the one its
    person had at its time (bot.domain.people.Names), so a report names people as they were."""

    __tablename__ = "person_names"
    __table_args__ = (Index("ix_person_names_user_id_seen_at", "user_id", "seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(8))  # "plan" or "slack"
    seen_at: Mapped[datetime]


class ActivationRequest(Base):
    """A submitted activation form; activated at once (team) or after a team member approves."""

    __tablename__ = "activation_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Slack's view ID makes a double submit of the same modal one request.
    view_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    requested_by: Mapped[str] = mapped_column(String(32))
    circumstance: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    services: Mapped[list] = mapped_column(default=list)
    lead_user_id: Mapped[str] = mapped_column(String(32))
    is_exercise: Mapped[bool] = mapped_column(default=False)
    roll_call: Mapped[bool] = mapped_column(default=False, server_default="0")  # "Run a roll call" was ticked
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())
    disrupted_at: Mapped[datetime | None]  # when the form says the disruption started (None: when submitted)
    status: Mapped[str] = mapped_column(String(16), default="received")
    decided_by: Mapped[str | None] = mapped_column(String(32))
    decided_at: Mapped[datetime | None]
    approval_messages: Mapped[list] = mapped_column(default=list)
    created_at: Mapped[datetime]


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (
        Index("ix_incidents_state_activated_at", "state", "activated_at"),
        # App Home pages through stood-down incidents by (stood_down_at, id), newest first.
        Index("ix_incidents_state_stood_down_at", "state", "stood_down_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_version_id: Mapped[int] = mapped_column(ForeignKey("plan_versions.id"))
    activation_request_id: Mapped[int] = mapped_column(ForeignKey("activation_requests.id"), unique=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    is_exercise: Mapped[bool] = mapped_column(default=False)
    # A private channel; outside it, the team and the plan's owners, only "BC-n activated" is shown.
    confidential: Mapped[bool] = mapped_column(default=False, server_default=false())
    circumstance: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    services: Mapped[list] = mapped_column(default=list)
    lead_user_id: Mapped[str] = mapped_column(String(32))
    activated_by: Mapped[str] = mapped_column(String(32))
    approved_by: Mapped[str | None] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(32))
    channel_name: Mapped[str | None] = mapped_column(String(80))
    header_ts: Mapped[str | None] = mapped_column(String(32))
    announce_ts: Mapped[str | None] = mapped_column(String(32))
    activated_at: Mapped[datetime]
    phase_started_at: Mapped[datetime]
    stood_down_at: Mapped[datetime | None]
    closing_summary: Mapped[str | None] = mapped_column(Text)
    # Status update cadence: when the next update is due, and which due time the lead was nudged for.
    next_update_due: Mapped[datetime | None]
    nudged_for: Mapped[datetime | None]
    # Decisions are numbered from this counter, taken under the incident row's lock: no gaps, nobody refused.
    decisions_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # When the disruption started, as the activation form said (None: an incident from before it asked).
    disrupted_at: Mapped[datetime | None]


class Intent(Base):
    """What a person asked for, recorded before the ack: the worker runs it once (see docs/durable-road.md)."""

    __tablename__ = "intents"
    __table_args__ = (Index("ix_intents_status_created_at", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))
    actor: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict] = mapped_column(default=dict)
    # A view ID, action timestamp, trigger ID or event ID: a double submit or a replay records once.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    tell: Mapped[dict] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]


class OutboxTask(Base):
    """The outbox: one Slack effect of a subject, written in the same transaction as the change.

    Only the worker runs these: claimed with a lease it renews while running, retried, taken over
    when a lease runs out. `armed` counts re-arms ("render from the current state" tasks): a task
    is done only when the version its run read is still the latest. `held` (Slack's error code, or
    "error") stops a task that retrying cannot help: a `held_channel` one is let go when that channel is
    usable again; `intent_id` and `actor` name the person's action it serves, who is told.
    """

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("subject", "name"), Index("ix_outbox_done_at_not_before", "done_at", "not_before"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(48))
    args: Mapped[dict] = mapped_column(default=dict)
    depends_on: Mapped[str | None] = mapped_column(String(160))
    attempts: Mapped[int] = mapped_column(default=0)
    armed: Mapped[int] = mapped_column(default=1)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_version: Mapped[int | None]
    claimed_until: Mapped[datetime | None]
    not_before: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict] = mapped_column(default=dict)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None]
    intent_id: Mapped[int | None]
    actor: Mapped[str | None] = mapped_column(String(32))
    held: Mapped[str | None] = mapped_column(String(48))
    held_channel: Mapped[str | None] = mapped_column(String(32))
    held_since: Mapped[datetime | None]


class ChecklistStep(Base):
    __tablename__ = "checklist_steps"
    __table_args__ = (UniqueConstraint("incident_id", "phase", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(32))
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    owner_role: Mapped[str | None] = mapped_column(String(80))
    due_within_minutes: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(16), default="open")
    changed_by: Mapped[str | None] = mapped_column(String(32))
    changed_at: Mapped[datetime | None]
    assignee: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    na_reason: Mapped[str | None] = mapped_column(Text)


class Decision(Base):
    """The decision register. Never edited: a correction is a new row pointing at the one it corrects."""

    __tablename__ = "decisions"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    number: Mapped[int]
    decision: Mapped[str] = mapped_column(Text)
    rationale: Mapped[str | None] = mapped_column(Text)
    options: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(32))
    logged_by: Mapped[str] = mapped_column(String(32))
    corrects: Mapped[int | None]
    source_link: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]


class ChecklistMessage(Base):
    """Where each page of a phase's checklist is posted, so clicks update it in place."""

    __tablename__ = "checklist_messages"
    __table_args__ = (UniqueConstraint("incident_id", "phase", "page"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(32))
    page: Mapped[int]
    channel_id: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str] = mapped_column(String(32))


class IncidentLogEntry(Base):
    """Append-only: no code path updates or deletes a row."""

    __tablename__ = "incident_log"
    __table_args__ = (Index("ix_incident_log_incident_id_id", "incident_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict] = mapped_column(default=dict)


class ProcessedEvent(Base):
    """Events API event IDs already handled: Slack's retries do their work once."""

    __tablename__ = "processed_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime]


class PlanGovernance(Base):
    """A plan's review and test record and its next dates, one row per plan.

    The plan file stays the source of the plan's content; the dates live here. `file_*_next` keep
    the file's values last seen, so a changed `review.next`/`testing.next` in the file resets the date.
    """

    __tablename__ = "plan_governance"

    plan_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Indexed: the reminder sweep reads only the plans whose next date is close.
    next_review: Mapped[date] = mapped_column(index=True)
    next_test: Mapped[date] = mapped_column(index=True)
    file_review_next: Mapped[date]
    file_test_next: Mapped[date]
    last_review_at: Mapped[datetime | None]
    last_review_by: Mapped[str | None] = mapped_column(String(32))
    last_test_on: Mapped[date | None]
    last_test_by: Mapped[str | None] = mapped_column(String(32))
    last_test_type: Mapped[str | None] = mapped_column(String(16))
    last_test_notes: Mapped[str | None] = mapped_column(Text)
    last_test_incident_id: Mapped[int | None]
    review_snoozed_until: Mapped[datetime | None]
    test_snoozed_until: Mapped[datetime | None]
    # The incident whose stand-down made the review due (ISO 22301: review after any activation).
    review_flagged_after_incident: Mapped[int | None]
    # The sweep's high-water mark per reminder: every recipient of stages up to `*_reminded_stage` of
    # the due date `*_reminded_for` has been dealt with, so the sweep need not read their claims again.
    review_reminded_for: Mapped[date | None]
    review_reminded_stage: Mapped[int | None]
    test_reminded_for: Mapped[date | None]
    test_reminded_stage: Mapped[int | None]
    # Owners given by email that Slack could not find, as of `unresolved_checked_at`.
    unresolved_owners: Mapped[list] = mapped_column(default=list)
    unresolved_checked_at: Mapped[datetime | None]
    updated_at: Mapped[datetime]


class ReminderClaim(Base):
    """One reminder to one person, claimed (inserted and committed) before it is sent.

    The unique key makes any second claim fail, so no restart, crash or second process sends it twice.
    """

    __tablename__ = "reminder_claims"
    __table_args__ = (UniqueConstraint("plan_key", "kind", "due_on", "stage", "recipient"),
                      Index("ix_reminder_claims_status_kind", "status", "kind"))

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(8))
    due_on: Mapped[date]
    # Days after the due date (negative before it); the incident ID for a post-incident review request.
    stage: Mapped[int]
    recipient: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8))
    attempts: Mapped[int] = mapped_column(default=1)
    claimed_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    channel_id: Mapped[str | None] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)


class PlanReview(Base):
    """Every "Mark reviewed": who, when, and how it moved the next review date."""

    __tablename__ = "plan_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    reviewed_at: Mapped[datetime]
    reviewed_by: Mapped[str] = mapped_column(String(32))
    was_due_on: Mapped[date]
    next_review: Mapped[date]
    after_incident: Mapped[int | None]


class PlanTest(Base):
    """Every test of a plan: held outside Slack and recorded, or an exercise stood down in Slack."""

    __tablename__ = "plan_tests"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_key: Mapped[str] = mapped_column(String(64), index=True)
    test_type: Mapped[str] = mapped_column(String(16))
    held_on: Mapped[date]
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime]
    notes: Mapped[str] = mapped_column(Text, default="")
    # An exercise records one test, however often its stand-down is reported.
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), unique=True)
    report: Mapped[dict] = mapped_column(default=dict)



# Registered on the same metadata (kept apart for the module's length): roll calls and plan people by email.
# The corrective-action register and management reviews.
from storage.action_models import ActionEvent, CorrectiveAction, ManagementReview  # noqa: E402,F401
from storage.part_models import PlanPart  # noqa: E402,F401
from storage.recovery_models import IncidentService  # noqa: E402,F401
from storage.role_models import IncidentRole  # noqa: E402,F401
from storage.rollcall_models import RollCall, RollCallAnswer, RollCallPerson, SlackPerson  # noqa: E402,F401
