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


class Callback(StrEnum):
    ACTIVATION = "bcbot.activation"


class Field(StrEnum):
    """Input block IDs of the activation modal (field errors are keyed on these)."""

    PLAN = "plan"
    CIRCUMSTANCE = "circumstance"
    OTHER = "other"
    SUMMARY = "summary"
    SERVICES = "services"
    LEAD = "lead"


INPUT_ACTION = "value"  # the action ID of the single element in each input block
OTHER_VALUE = "__other__"
