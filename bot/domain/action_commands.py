"""The commands of corrective actions and management reviews (listed in bot.domain.commands' RECORDED and VIEWS)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.domain.actions import ActionInput, ReviewInput
from bot.domain.command_base import Command, ViewRequest
from bot.domain.reminders import MessageRef


# Recorded ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ActionInChannel(Command):
    """`/activate action TEXT` in an incident channel: an action owned by its author, due in 14 days."""

    kind = "action_in_channel"
    channel_id: str | None
    text: str


@dataclass(frozen=True)
class EditAction(Command):
    """The action's Edit form: a new owner and/or due date."""

    kind = "edit_action"
    action_id: int
    owner: str
    due_on: date


@dataclass(frozen=True)
class CloseAction(Command):
    """Done (`done`, with what was done) or Drop (`dropped`, with why), from a reminder, a DM or App Home."""

    kind = "close_action"
    action_id: int
    status: str
    note: str
    message: MessageRef | None = None  # the DM whose button opened the form: it says the outcome


@dataclass(frozen=True)
class RescheduleAction(Command):
    """New date: the action is due on another day (its reminders start again for that day)."""

    kind = "reschedule_action"
    action_id: int
    due_on: date
    message: MessageRef | None = None


@dataclass(frozen=True)
class RecordPostIncidentReview(Command):
    """The post-incident review form (from the owners' DM after a stand-down): what worked, gaps, actions."""

    kind = "record_post_incident_review"
    incident_id: int
    what_worked: str
    gaps: str
    actions: tuple[ActionInput, ...] = ()


@dataclass(frozen=True)
class RecordManagementReview(Command):
    kind = "record_management_review"
    form: ReviewInput


# Views -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenActionForm(ViewRequest):
    """One of an action's forms: "done", "new_date", "drop" or "edit"."""

    kind = "open_action_form"
    trigger_id: str
    action_id: int
    user_id: str
    form: str
    message: MessageRef | None = None


@dataclass(frozen=True)
class AddActionRow(ViewRequest):
    """**Add action** in a form with action rows: the same form with one row more (views.update keeps what
    was typed: the blocks keep their IDs). `form`: "stand_down", "pir" or "review"; `about`: its incident."""

    kind = "add_action_row"
    view_id: str
    view_hash: str | None
    user_id: str
    form: str
    rows: int
    about: int | None = None


@dataclass(frozen=True)
class OpenPostIncidentReview(ViewRequest):
    kind = "open_post_incident_review"
    trigger_id: str
    incident_id: int
    user_id: str


@dataclass(frozen=True)
class OpenManagementReview(ViewRequest):
    kind = "open_management_review"
    trigger_id: str
    user_id: str


ACTION_COMMANDS: tuple[type[Command], ...] = (
    ActionInChannel, EditAction, CloseAction, RescheduleAction, RecordPostIncidentReview, RecordManagementReview)
ACTION_VIEWS: tuple[type[ViewRequest], ...] = (OpenActionForm, AddActionRow, OpenPostIncidentReview,
                                               OpenManagementReview)
