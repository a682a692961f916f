"""Parse the action forms' state (rows of what / owner / due date, dates, people) into typed values. Bad input
raises InvalidInput with field errors keyed on the block IDs, so the modal stays open and nothing is lost."""
from __future__ import annotations

from datetime import date

from bot.domain.actions import NOTE_MAX, ROWS_MAX, TITLE_MAX, ActionInput, ReviewInput
from bot.domain.errors import InvalidInput
from bot.domain.text import TEXT_MAX, clean, too_long
from bot.slack.ids import INPUT_ACTION, Input
from bot.slack.parse import USER_ID, json_object

_BAD_FORM = "This form's data is not valid; please open it again."


def _values(view: dict) -> dict:
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _element(values: dict, block: str) -> dict:
    found = values.get(block)
    element = found.get(INPUT_ACTION) if isinstance(found, dict) else None
    return element if isinstance(element, dict) else {}


def _text(values: dict, block: str) -> str:
    value = _element(values, block).get("value")
    return clean(value).strip() if isinstance(value, str) else ""


def _date(values: dict, block: str) -> date | None:
    raw = _element(values, block).get("selected_date")
    try:
        return date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        return None


def _user(values: dict, block: str) -> str | None:
    user = _element(values, block).get("selected_user")
    return user if isinstance(user, str) and USER_ID.match(user) else None


def meta(view: dict) -> dict:
    return json_object(view.get("private_metadata") if isinstance(view, dict) else None)


def rows_in(view: dict) -> int:
    rows = meta(view).get("rows")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) and 0 <= rows <= ROWS_MAX else 0


def action_rows(view: dict, *, today: date, errors: dict[str, str] | None = None) -> tuple[ActionInput, ...]:
    """Each row with a title, as an action; a titled row without an owner or with a past or missing date is a
    field error (gathered into `errors` when given, else raised)."""
    values = _values(view)
    found: dict[str, str] = {} if errors is None else errors
    rows = []
    for n in range(rows_in(view)):
        title_block, owner_block, due_block = (f"{Input.ACTION_TITLE}:{n}", f"{Input.ACTION_OWNER}:{n}",
                                               f"{Input.ACTION_DUE}:{n}")
        title = _text(values, title_block)
        if not title:
            continue
        owner, due = _user(values, owner_block), _date(values, due_block)
        if len(title) > TITLE_MAX:
            found[title_block] = too_long(TITLE_MAX)
        if owner is None:
            found[owner_block] = "Choose who owns this action."
        if due is None:
            found[due_block] = "Choose the day it is due."
        elif due < today:
            found[due_block] = "Choose today or a later day."
        if owner is not None and due is not None:
            rows.append(ActionInput(title=title, owner=owner, due_on=due))
    if found and errors is None:
        raise InvalidInput("Please correct the highlighted fields.", found)
    return tuple(rows)


def note(view: dict, *, required: str) -> str:
    text = _text(_values(view), Input.TEXT)
    if not text:
        raise InvalidInput(required, {Input.TEXT: required})
    if len(text) > NOTE_MAX:
        raise InvalidInput("Please shorten it.", {Input.TEXT: too_long(NOTE_MAX)})
    return text


def due_date(view: dict, *, today: date) -> date:
    due = _date(_values(view), Input.DUE)
    if due is None:
        raise InvalidInput("Choose the day it is due.", {Input.DUE: "Choose the day it is due."})
    if due < today:
        raise InvalidInput("Choose today or a later day.", {Input.DUE: "Choose today or a later day."})
    return due


def owner(view: dict) -> str:
    user = _user(_values(view), Input.OWNER)
    if user is None:
        raise InvalidInput("Choose who owns the action.", {Input.OWNER: "Choose who owns the action."})
    return user


def review_parts(view: dict) -> tuple[str, str]:
    """The post-incident review's (what worked, gaps)."""
    values = _values(view)
    over = {str(b): too_long(TEXT_MAX) for b in (Input.WHAT_WORKED, Input.GAPS) if len(_text(values, b)) > TEXT_MAX}
    if over:
        raise InvalidInput("Please shorten the highlighted fields.", over)
    return _text(values, Input.WHAT_WORKED), _text(values, Input.GAPS)


def management_review(view: dict, *, today: date) -> ReviewInput:
    values = _values(view)
    errors: dict[str, str] = {}
    held_on = _date(values, Input.HELD_ON)
    if held_on is None:
        errors[Input.HELD_ON] = "Choose the day the review was held."
    elif held_on > today:
        errors[Input.HELD_ON] = "Record a review once it has been held: choose today or a past day."
    raw = _element(values, Input.ATTENDEES).get("selected_users")
    attendees = tuple(u for u in raw if isinstance(u, str) and USER_ID.match(u))[:50] if isinstance(raw, list) else ()
    if not attendees:
        errors[Input.ATTENDEES] = "Choose who attended."
    text = _text(values, Input.DECISIONS)
    decisions = tuple(line.strip(" -•*\t") for line in text.splitlines() if line.strip(" -•*\t"))
    if not decisions:
        errors[Input.DECISIONS] = "Write what was decided, one decision per line."
    elif len(text) > TEXT_MAX:
        errors[Input.DECISIONS] = too_long(TEXT_MAX)
    plan = _element(values, Input.PLAN).get("selected_option")
    plan_id = plan.get("value") if isinstance(plan, dict) else meta(view).get("plan")
    actions = action_rows(view, today=today, errors=errors)
    if errors:
        raise InvalidInput("Please correct the highlighted fields.", errors)
    if not isinstance(plan_id, str) or not 0 < len(plan_id) <= 64:
        raise InvalidInput(_BAD_FORM)
    assert held_on is not None
    return ReviewInput(held_on=held_on, attendees=attendees, decisions=decisions, actions=actions, plan_id=plan_id)
