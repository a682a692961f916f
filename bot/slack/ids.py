"""Every action ID, callback ID and input block ID bcbot uses, in one place."""
from enum import StrEnum


class Action(StrEnum):
    OPEN_ACTIVATION = "bcbot.activation.open"
    PLAN_SELECTED = "bcbot.activation.plan"
    STEP_DONE = "bcbot.step.done"
    STEP_REOPEN = "bcbot.step.reopen"
    APPROVE_REQUEST = "bcbot.request.approve"
    DECLINE_REQUEST = "bcbot.request.decline"
    OPEN_CHANNEL = "bcbot.channel.open"
    STEP_ASSIGN = "bcbot.step.assign"
    STEP_MORE = "bcbot.step.more"
    ADVANCE_PHASE = "bcbot.incident.advance"
    LOG_DECISION = "bcbot.incident.decision"
    POST_UPDATE = "bcbot.incident.update"
    STAND_DOWN = "bcbot.incident.stand_down"
    SNOOZE_NUDGE = "bcbot.incident.snooze"
    NEW_CHANNEL = "bcbot.incident.new_channel"  # in the lead's DM when the incident channel was deleted
    # Plan governance: review and test reminders
    MARK_REVIEWED = "bcbot.plan.reviewed"
    RECORD_TEST = "bcbot.plan.record_test"
    SNOOZE_REMINDER = "bcbot.plan.snooze"
    START_EXERCISE = "bcbot.plan.start_exercise"
    # App Home: page through older stood-down incidents (the page rides in the button value)
    HOME_OLDER = "bcbot.home.older"
    HOME_LATEST = "bcbot.home.latest"
    # The plan, for anyone to read (App Home, review reminders)
    VIEW_PLAN = "bcbot.plan.view"
    # Roll call: a person's answer from their DM (the answer is in the value)
    ROLL_CALL_ANSWER = "bcbot.rollcall.answer"
    # Roles: a holder declines from their DM; an alternate accepts or declines to cover (the role in the value)
    ROLE_DECLINE = "bcbot.role.decline"
    COVER_ACCEPT = "bcbot.role.cover.accept"
    COVER_DECLINE = "bcbot.role.cover.decline"
    # Corrective actions: the owner's DM, the card in an incident channel, the forms' rows
    ACTION_DONE = "bcbot.action.done"
    ACTION_NEW_DATE = "bcbot.action.new_date"
    ACTION_DROP = "bcbot.action.drop"
    ACTION_EDIT = "bcbot.action.edit"
    ADD_ACTION_ROW = "bcbot.action.add_row"
    OPEN_POST_INCIDENT_REVIEW = "bcbot.review.post_incident"
    OPEN_MANAGEMENT_REVIEW = "bcbot.review.management"
    # Know your part: Got it on the card of a person's part in a plan (the plan and the part's hash in the value)
    PART_ACKNOWLEDGE = "bcbot.part.acknowledge"
    # Recovery objectives: the header's Service recovered (the service in the value) and Change services
    SERVICE_RECOVERED = "bcbot.service.recovered"
    CHANGE_SERVICES = "bcbot.service.change"


class Callback(StrEnum):
    ACTIVATION = "bcbot.activation"
    STEP_NOTE = "bcbot.step.note"
    STEP_NA = "bcbot.step.na"
    DECISION = "bcbot.decision"
    STATUS_UPDATE = "bcbot.status_update"
    STAND_DOWN = "bcbot.stand_down"
    # Shortcuts (callback IDs in the app manifest)
    SHORTCUT_ACTIVATE = "bcbot.shortcut.activate"
    SHORTCUT_LOG_DECISION = "bcbot.shortcut.log_decision"
    RECORD_TEST = "bcbot.plan.test_recorded"
    ACTION_DONE = "bcbot.action.done_form"
    ACTION_DROP = "bcbot.action.drop_form"
    ACTION_NEW_DATE = "bcbot.action.new_date_form"
    ACTION_EDIT = "bcbot.action.edit_form"
    POST_INCIDENT_REVIEW = "bcbot.review.post_incident_form"
    MANAGEMENT_REVIEW = "bcbot.review.management_form"
    CHANGE_SERVICES = "bcbot.service.change_form"


class Field(StrEnum):
    """Input block IDs of the activation modal (field errors are keyed on these)."""

    PLAN = "plan"
    CIRCUMSTANCE = "circumstance"
    OTHER = "other"
    SUMMARY = "summary"
    SERVICES = "services"
    LEAD = "lead"
    ROLL_CALL = "roll_call"
    CONFIDENTIAL = "confidential"
    DISRUPTED_AT = "disrupted_at"


class Input(StrEnum):
    """Input block IDs of the incident modals."""

    TEXT = "text"  # a note, a reason, a closing summary
    DECISION = "decision"
    RATIONALE = "rationale"
    OPTIONS = "options"
    DECIDED_BY = "decided_by"
    CORRECTS = "corrects"
    SITUATION = "situation"
    ACTIONS = "actions"
    NEXT_UPDATE = "next_update"
    OBJECTIVES_MET = "objectives_met"
    WHAT_WORKED = "what_worked"
    GAPS = "gaps"
    FOLLOW_UPS = "follow_ups"
    # The record-test modal (plan governance)
    TEST_TYPE = "test_type"
    TEST_DATE = "test_date"
    TEST_NOTES = "test_notes"
    # Corrective actions: a form's rows are `action_title:0`, `action_owner:0`, `action_due:0`, ...
    ACTION_TITLE = "action_title"
    ACTION_OWNER = "action_owner"
    ACTION_DUE = "action_due"
    OWNER = "owner"
    DUE = "due"
    # The management review form
    HELD_ON = "held_on"
    ATTENDEES = "attendees"
    DECISIONS = "decisions"
    PLAN = "plan"


INPUT_ACTION = "value"  # the action ID of the single element in each input block
OTHER_VALUE = "__other__"
