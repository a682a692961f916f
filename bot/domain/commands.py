"""What a person asks bcbot to do, as typed values: one dataclass per kind.

Two sorts travel from a listener to the worker:
- a **recorded command** (`Command`) changes what bcbot records: it is stored as an intent (its kind
  and its JSON) before the ack and run once by its use case (`bot.usecases.registry`);
- a **view request** (`ViewRequest`) opens, turns or publishes a view: bound to a trigger ID that
  lives 3 s (or to a view), it is not recorded and is run by the worker at once (`bot.worker.calls`).

Both are encoded to JSON the same way (`encode`/`decode`, by pydantic from the dataclass's types),
so what crosses the pipe or the database is plain data, never a function reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any, Mapping

from pydantic import TypeAdapter

from bot.domain.action_commands import ACTION_COMMANDS, ACTION_VIEWS
from bot.domain.actions import ActionInput
from bot.domain.command_base import Command, ReplyTo, ViewRequest  # noqa: F401  (ReplyTo: re-exported)
from bot.domain.records import ActivationForm, DecisionInput, HomePage, StepStatus, UpdateInput
from bot.domain.recovery_commands import RECOVERY_COMMANDS, RECOVERY_VIEWS
from bot.domain.reminders import MessageRef, RecordTestForm, ReminderRef
from bot.domain.rollcall import Answer


# Incidents -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SubmitActivation(Command):
    kind = "submit_activation"
    form: ActivationForm
    view_id: str | None = None


@dataclass(frozen=True)
class DecideRequest(Command):
    kind = "decide_request"
    request_id: int
    approve: bool


@dataclass(frozen=True)
class SetStep(Command):
    kind = "set_step"
    step_id: int
    status: StepStatus
    reason: str | None = None


@dataclass(frozen=True)
class SetStepDetail(Command):
    kind = "set_step_detail"
    step_id: int
    assignee: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class AdvancePhase(Command):
    kind = "advance_phase"
    incident_id: int
    from_phase: str | None = None


@dataclass(frozen=True)
class LogDecision(Command):
    kind = "log_decision"
    incident_id: int
    entry: DecisionInput


@dataclass(frozen=True)
class DecisionInChannel(Command):
    kind = "decision_in_channel"
    channel_id: str | None
    text: str


@dataclass(frozen=True)
class QuotedMessage:
    text: str | None = None
    ts: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class DecisionFromMessage(Command):
    kind = "decision_from_message"
    channel_id: str | None
    message: QuotedMessage


@dataclass(frozen=True)
class PostUpdate(Command):
    kind = "post_update"
    incident_id: int
    update: UpdateInput


@dataclass(frozen=True)
class SnoozeNudge(Command):
    kind = "snooze_nudge"
    incident_id: int
    minutes: int | None = None


@dataclass(frozen=True)
class StandDown(Command):
    kind = "stand_down"
    incident_id: int
    closing_summary: str
    exercise_report: dict[str, str | None] | None = None
    actions: tuple[ActionInput, ...] = ()  # an exercise's action rows: each becomes an action (A-n)
    recovered: tuple[tuple[int, datetime], ...] = ()  # (affected service ID, when it was back) from the form


@dataclass(frozen=True)
class NewChannel(Command):
    """The lead's **Create a new channel** for an incident whose channel (`channel_id`) was deleted."""

    kind = "new_channel"
    incident_id: int
    channel_id: str


# Roll call -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AnswerRollCall(Command):
    """A person's own answer, from the buttons of their roll-call DM (they may change it)."""

    kind = "answer_roll_call"
    roll_call_id: int
    answer: Answer
    response_url: str | None = None  # to show the answer in their DM in place


@dataclass(frozen=True)
class RecordAnswerFor(Command):
    """The lead or a team member records someone's answer for them (reached by phone): `/activate answer`."""

    kind = "record_answer_for"
    channel_id: str | None
    user_id: str
    answer: Answer


@dataclass(frozen=True)
class StartDrill(Command):
    """`/activate drill [PLAN]`: a roll call on its own, recorded as a call-tree test of the plan."""

    kind = "start_drill"
    plan_id: str | None = None


# Roles and cover -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DeclineRole(Command):
    """A role's holder says, from their DM, that they cannot take it on: cover is sought."""

    kind = "decline_role"
    role_id: int
    response_url: str | None = None


@dataclass(frozen=True)
class AnswerCover(Command):
    """An alternate's Accept or Can't, from the DM asking them to cover a role."""

    kind = "answer_cover"
    role_id: int
    accept: bool
    response_url: str | None = None


@dataclass(frozen=True)
class HandRole(Command):
    """`/activate role @person ROLE`: the lead or a team member hands a role to anyone."""

    kind = "hand_role"
    channel_id: str | None
    user_id: str
    role: str


# Know your part --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AcknowledgePart(Command):
    """Got it, on the card of a person's part in a plan: acknowledges that exact part (its hash)."""

    kind = "acknowledge_part"
    plan_id: str
    part_hash: str
    response_url: str | None = None  # to show the card acknowledged, in place


# Plan governance -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MarkReviewed(Command):
    kind = "mark_reviewed"
    ref: ReminderRef
    message: MessageRef | None = None


@dataclass(frozen=True)
class SnoozeReminder(Command):
    kind = "snooze_reminder"
    ref: ReminderRef
    message: MessageRef | None = None


@dataclass(frozen=True)
class RecordTest(Command):
    kind = "record_test"
    form: RecordTestForm


# Views: opened or turned at once, never recorded -----------------------------------------------------
@dataclass(frozen=True)
class RunIntent(ViewRequest):
    """Run a recorded intent now (the fast path; the sweep is the slow one)."""

    kind = "run_intent"
    intent_id: int
    from_intake: bool = False  # an intake row's ID (storage/intake.py), not an `intents` row's


@dataclass(frozen=True)
class OpenActivation(ViewRequest):
    kind = "open_activation"
    trigger_id: str
    user_id: str
    exercise: bool = False


@dataclass(frozen=True)
class SwitchPlan(ViewRequest):
    """The activation form's plan picker: the form again for the chosen plan."""

    kind = "switch_plan"
    view_id: str
    view_hash: str | None
    plan_id: str
    user_id: str
    exercise: bool = False


@dataclass(frozen=True)
class OpenPlan(ViewRequest):
    kind = "open_plan"
    trigger_id: str
    plan_id: str
    user_id: str


@dataclass(frozen=True)
class OpenStepForm(ViewRequest):
    """A step's note or not-applicable form (`op`: "note" or "na")."""

    kind = "open_step_form"
    trigger_id: str
    step_id: int
    op: str


@dataclass(frozen=True)
class OpenIncidentForm(ViewRequest):
    """One of the incident header's forms: "decision", "update" or "stand_down"."""

    kind = "open_incident_form"
    trigger_id: str
    incident_id: int
    user_id: str
    form: str


@dataclass(frozen=True)
class OpenDecisionInChannel(ViewRequest):
    """`/activate decision` with no text: the decision form of the channel's incident."""

    kind = "open_decision_in_channel"
    trigger_id: str
    channel_id: str | None
    user_id: str


@dataclass(frozen=True)
class OpenRecordTest(ViewRequest):
    kind = "open_record_test"
    trigger_id: str
    plan_id: str
    user_id: str


@dataclass(frozen=True)
class StartExercise(ViewRequest):
    """The record-test form turned into the exercise form."""

    kind = "start_exercise"
    view_id: str
    view_hash: str | None
    plan_id: str
    user_id: str


@dataclass(frozen=True)
class PublishHome(ViewRequest):
    kind = "publish_home"
    user_id: str
    page: HomePage = field(default_factory=HomePage)


@dataclass(frozen=True)
class Tell(ViewRequest):
    """Words for the person who acted, when their action was refused after Slack was answered."""

    kind = "tell"
    text: str


RECORDED: tuple[type[Command], ...] = (
    SubmitActivation, DecideRequest, SetStep, SetStepDetail, AdvancePhase, LogDecision, DecisionInChannel,
    DecisionFromMessage, PostUpdate, SnoozeNudge, StandDown, NewChannel, MarkReviewed, SnoozeReminder, RecordTest,
    AnswerRollCall, RecordAnswerFor, StartDrill, DeclineRole, AnswerCover, HandRole, AcknowledgePart,
    *ACTION_COMMANDS, *RECOVERY_COMMANDS)
VIEWS: tuple[type[ViewRequest], ...] = (
    RunIntent, OpenActivation, SwitchPlan, OpenPlan, OpenStepForm, OpenIncidentForm, OpenDecisionInChannel,
    OpenRecordTest, StartExercise, PublishHome, Tell, *ACTION_VIEWS, *RECOVERY_VIEWS)
KINDS: Mapping[str, type[Command] | type[ViewRequest]] = MappingProxyType(
    {**{cls.kind: cls for cls in RECORDED}, **{cls.kind: cls for cls in VIEWS}})
# Built once at import: a dataclass's schema is compiled by pydantic, then each encode/decode takes microseconds.
_ADAPTERS: Mapping[type, TypeAdapter] = MappingProxyType({cls: TypeAdapter(cls) for cls in KINDS.values()})


def encode(command: Command | ViewRequest) -> dict[str, Any]:
    """The command's JSON form (dates as ISO strings, enums as their values)."""
    return _ADAPTERS[type(command)].dump_python(command, mode="json")


def decode(kind: str, data: Mapping[str, Any]) -> Command | ViewRequest:
    """The command of `kind` from its JSON form; KeyError for an unknown kind, ValueError for bad data."""
    return _ADAPTERS[KINDS[kind]].validate_python(data)
