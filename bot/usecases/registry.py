"""Every recorded command's use case, found by the command's type: the one table the worker runs
intents from. A use case is `(parts, uow, command, *, actor)`; it never commits and never calls Slack."""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Callable, Mapping

from bot.domain.action_commands import (
    ActionInChannel,
    CloseAction,
    EditAction,
    RecordManagementReview,
    RecordPostIncidentReview,
    RescheduleAction,
)
from bot.domain.commands import (
    AcknowledgePart,
    AdvancePhase,
    AnswerCover,
    AnswerRollCall,
    Command,
    DecideRequest,
    DecisionFromMessage,
    DecisionInChannel,
    DeclineRole,
    HandRole,
    LogDecision,
    MarkReviewed,
    NewChannel,
    PostUpdate,
    RecordAnswerFor,
    RecordTest,
    SetStep,
    SetStepDetail,
    SnoozeNudge,
    SnoozeReminder,
    StandDown,
    StartDrill,
    SubmitActivation,
)
from bot.domain.recovery_commands import ChangeServices, RecoverService
from bot.usecases import (
    actions,
    activation,
    checklist,
    governance,
    incident,
    new_channel,
    part_cards,
    phases,
    recovery,
    reviews,
    roles,
    rollcall,
    stand_down,
)

UseCase = Callable[..., Any]  # (parts, uow, command, *, actor): each typed with its own command

USE_CASES: Mapping[type[Command], UseCase] = MappingProxyType({
    SubmitActivation: activation.submit_activation,
    DecideRequest: activation.decide_request,
    SetStep: checklist.set_step,
    SetStepDetail: checklist.set_step_detail,
    AdvancePhase: phases.advance_phase,
    LogDecision: incident.log_decision,
    DecisionInChannel: incident.decision_in_channel,
    DecisionFromMessage: incident.decision_from_message,
    PostUpdate: incident.post_update,
    SnoozeNudge: incident.snooze_nudge,
    StandDown: stand_down.stand_down,
    NewChannel: new_channel.new_channel,
    MarkReviewed: governance.mark_reviewed,
    SnoozeReminder: governance.snooze,
    RecordTest: governance.record_test,
    AnswerRollCall: rollcall.answer,
    RecordAnswerFor: rollcall.record_for,
    StartDrill: rollcall.start_drill,
    DeclineRole: roles.decline_role,
    AnswerCover: roles.answer_cover,
    HandRole: roles.hand_role,
    ActionInChannel: actions.action_in_channel,
    EditAction: actions.edit_action,
    CloseAction: actions.close_action,
    RescheduleAction: actions.reschedule_action,
    RecordPostIncidentReview: reviews.record_post_incident_review,
    RecordManagementReview: reviews.record_management_review,
    AcknowledgePart: part_cards.acknowledge,
    RecoverService: recovery.recover_service,
    ChangeServices: recovery.change_services,
})
