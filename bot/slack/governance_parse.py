"""Plan governance in Slack's language: what a reminder's buttons, the message they sit in and the
record-test modal say, validated (InvalidInput otherwise). Pure: no Slack calls, no database.

The parsed values are the domain's (bot.domain.reminders); they travel inside typed commands.
"""
from __future__ import annotations

import json
from datetime import date

from bot.domain.errors import InvalidInput
from bot.domain.reminders import OUTSIDE_TEST_TYPES, Kind, MessageRef, RecordTestForm, ReminderRef
from bot.domain.text import clean, too_long
from bot.slack.ids import INPUT_ACTION, Input
from bot.slack.plan_blocks import NOTES_MAX

PLAN_ID_MAX = 64
_BAD_BUTTON = "This button's data is not valid; it may be from an old message."


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _plan_id(value) -> bool:
    return isinstance(value, str) and 0 < len(value) <= PLAN_ID_MAX


def reminder_ref(value: dict) -> ReminderRef:
    """Parse a reminder button's value ({"p": plan, "k": kind, "d": due date})."""
    try:
        plan_id, kind, due = value["p"], value["k"], value["d"]
        if not _plan_id(plan_id) or kind not in (Kind.REVIEW, Kind.TEST):
            raise ValueError(plan_id)
        return ReminderRef(plan_id=plan_id, kind=Kind(kind), due_on=date.fromisoformat(due))
    except (KeyError, ValueError, TypeError):
        raise InvalidInput(_BAD_BUTTON) from None


def plan_id_of(value: dict) -> str:
    """The plan of a "Start an exercise" button ({"p": plan})."""
    plan_id = value.get("p") if isinstance(value, dict) else None
    if not _plan_id(plan_id):
        raise InvalidInput(_BAD_BUTTON)
    assert isinstance(plan_id, str)
    return plan_id


def message_ref(body: dict) -> MessageRef | None:
    """The message a button was pressed in (to update it), if Slack said."""
    body = _dict(body)
    container = _dict(body.get("container"))
    channel = container.get("channel_id") or _dict(body.get("channel")).get("id")
    ts = container.get("message_ts") or _dict(body.get("message")).get("ts")
    if isinstance(channel, str) and isinstance(ts, str) and 0 < len(channel) <= 32 and 0 < len(ts) <= 32:
        return MessageRef(channel, ts)
    return None


def view_ref(body: dict) -> tuple[str, str | None]:
    """(view ID, hash) of the modal a button was pressed in."""
    view = _dict(_dict(body).get("view"))
    view_id, view_hash = view.get("id"), view.get("hash")
    if not isinstance(view_id, str) or not 0 < len(view_id) <= 64:
        raise InvalidInput("Slack did not say which form this was; please open it again.")
    return view_id, view_hash if isinstance(view_hash, str) and len(view_hash) <= 200 else None


def trigger_of(body: dict) -> str:
    """The trigger ID of a click (to open a modal), or "" if Slack sent none that fits."""
    trigger_id = _dict(body).get("trigger_id")
    return trigger_id if isinstance(trigger_id, str) and len(trigger_id) <= 200 else ""


def record_test_form(view: dict, *, today: date) -> RecordTestForm:
    """The record-test modal's state, validated; InvalidInput with field errors otherwise."""
    view = _dict(view)
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        meta = {}
    plan_id = _dict(meta).get("plan")
    values = _dict(_dict(view.get("state")).get("values"))

    def element(block: str) -> dict:
        return _dict(_dict(values.get(block)).get(INPUT_ACTION))

    def text(value) -> str:
        return value if isinstance(value, str) else ""

    errors: dict[str, str] = {}
    raw_type = _dict(element(Input.TEST_TYPE).get("selected_option")).get("value")
    test_type = next((t for t in OUTSIDE_TEST_TYPES if t.value == raw_type), None)
    if test_type is None:
        errors[Input.TEST_TYPE] = "Choose what kind of test it was."
    held_on = None
    try:
        held_on = date.fromisoformat(text(element(Input.TEST_DATE).get("selected_date"))[:10])
    except ValueError:
        errors[Input.TEST_DATE] = "Choose the day the test was held."
    if held_on and held_on > today:
        errors[Input.TEST_DATE] = "A test is recorded once it has been held: choose today or a past day."
    notes = clean(text(element(Input.TEST_NOTES).get("value"))).strip()
    if len(notes) > NOTES_MAX:
        errors[Input.TEST_NOTES] = too_long(NOTES_MAX)
    if not _plan_id(plan_id):
        message = "This form is missing its plan; open it again from the reminder."
        raise InvalidInput(message, {Input.TEST_TYPE: message})
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", errors)
    assert isinstance(plan_id, str) and test_type is not None and held_on is not None
    return RecordTestForm(plan_id=plan_id, test_type=test_type, held_on=held_on, notes=notes)
