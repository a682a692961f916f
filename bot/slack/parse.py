"""Parse Slack payloads (plain dicts) into typed values. Bad shapes raise InvalidInput."""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone

from bot.domain.errors import InvalidInput
from bot.domain.plan import Plan
from bot.domain.records import ActivationForm, DecisionInput, UpdateInput
from bot.domain.text import OTHER_MAX, TEXT_MAX, clean, too_long
from bot.slack.home_blocks import HomePage
from bot.slack.ids import INPUT_ACTION, OTHER_VALUE, Field

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}\Z")  # Slack user IDs; \Z: no trailing newline
_OBJECTS = ("view", "container", "message", "event")  # objects when present
_NAMED = ("team", "enterprise", "user", "channel")  # an object or an ID


def envelope_problem(body) -> str | None:
    """What in a request's envelope Bolt (or bcbot) could not read, or None when its shape is fine.

    Bolt indexes into these before any listener runs: a payload that is not an object, an `event`
    or `view` that is not one, an empty `actions` list. Checked before Bolt sees the request."""
    if not isinstance(body, dict):
        return f"the payload is a {type(body).__name__}, not an object"
    for key in _OBJECTS:
        if body.get(key) is not None and not isinstance(body[key], dict):
            return f"`{key}` is a {type(body[key]).__name__}, not an object"
    for key in ("view", "event"):  # Bolt reads a null view (its unhandled-request log) and a null event (self-events)
        if key in body and not isinstance(body[key], dict):
            return f"`{key}` is null, not an object"
    for key in _NAMED:
        if body.get(key) is not None and not isinstance(body[key], (dict, str)):
            return f"`{key}` is a {type(body[key]).__name__}"
    event = body.get("event") or {}
    for key in _NAMED:
        if event.get(key) is not None and not isinstance(event[key], (dict, str)):
            return f"`event.{key}` is a {type(event[key]).__name__}"
    if "actions" in body:
        actions = body["actions"]
        if not isinstance(actions, list) or not actions or not all(isinstance(a, dict) for a in actions):
            return "`actions` is not a list of objects"
        if not all(isinstance(a.get("action_id"), str) for a in actions):
            return "an action has no action_id"
    if "authorizations" in body:
        found = body["authorizations"]
        if not isinstance(found, list) or not all(isinstance(a, dict) for a in found):
            return "`authorizations` is not a list of objects"
    return None


@dataclass(frozen=True)
class ModalMeta:
    plan_id: str | None
    exercise: bool


def json_object(raw) -> dict:
    """A JSON object from a string Slack hands back (a button value, private_metadata), or {}."""
    if not isinstance(raw, str) or not raw:
        return {}
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: "[[[[…" nested past Python's limit
        return {}
    return value if isinstance(value, dict) else {}


def view_id(view: dict) -> str | None:
    """The modal's Slack view ID (it keys a submission, so a double submit records once)."""
    found = view.get("id") if isinstance(view, dict) else None
    return found if isinstance(found, str) and 0 < len(found) <= 64 else None


def modal_meta(view: dict) -> ModalMeta:
    meta = json_object(view.get("private_metadata"))
    plan = meta.get("plan")
    return ModalMeta(plan_id=plan if isinstance(plan, str) else None, exercise=meta.get("exercise") is True)


def _state(view: dict) -> dict:
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def _str(value) -> str:
    return value if isinstance(value, str) else ""


def _option_value(element: dict) -> str:
    """The value of a select's chosen option ("" when none, or when the shape is wrong)."""
    option = element.get("selected_option")
    return _str(option.get("value")) if isinstance(option, dict) else ""


def _element(values: dict, block: str) -> dict:
    element = (values.get(block) or {})
    if not isinstance(element, dict):
        return {}
    found: object = element.get(INPUT_ACTION) or next(iter(element.values()), {}) if element else {}
    return found if isinstance(found, dict) else {}


def activation_form(view: dict, plans: dict[str, Plan]) -> ActivationForm:
    """The activation modal's state, validated against the chosen plan; field errors on failure."""
    meta = modal_meta(view)
    values = _state(view)
    errors: dict[str, str] = {}
    plan_id = _option_value(_element(values, Field.PLAN)) or meta.plan_id
    plan = plans.get(plan_id or "")
    if plan is None:
        raise InvalidInput("Choose a plan.", {Field.PLAN if len(plans) > 1 else Field.CIRCUMSTANCE: "Choose one of the plans."})

    circumstance = _option_value(_element(values, Field.CIRCUMSTANCE))
    other = clean(_str(_element(values, Field.OTHER).get("value"))).strip()
    if circumstance == OTHER_VALUE:
        if not other:
            errors[Field.OTHER] = "You chose Other: say what kind of disruption this is."
        circumstance = other
    elif circumstance not in plan.activation.circumstance_names:
        errors[Field.CIRCUMSTANCE] = "Choose a circumstance from the list (or Other)."

    if len(other) > OTHER_MAX:
        errors[Field.OTHER] = too_long(OTHER_MAX)

    summary = clean(_str(_element(values, Field.SUMMARY).get("value"))).strip()
    if len(summary) < 3:
        errors[Field.SUMMARY] = "Say briefly what happened (a sentence is enough)."
    elif len(summary) > TEXT_MAX:
        errors[Field.SUMMARY] = too_long(TEXT_MAX)

    selected = _element(values, Field.SERVICES).get("selected_options")
    services = tuple(_str(o.get("value")) for o in selected if isinstance(o, dict)) if isinstance(selected, list) else ()
    unknown = [s for s in services if s not in plan.service_names]
    if unknown:
        errors[Field.SERVICES] = "Choose services from the plan's remit."

    lead = _element(values, Field.LEAD).get("selected_user")
    if not isinstance(lead, str) or not USER_ID.match(lead):
        errors[Field.LEAD] = "Choose the incident lead."

    # Unset or from a form without the field: when submitted. A start in the future counts as then too.
    disrupted_at = picked_time(_element(values, Field.DISRUPTED_AT).get("selected_date_time"))

    ticked = _element(values, Field.CONFIDENTIAL).get("selected_options")
    confidential = isinstance(ticked, list) and any(isinstance(o, dict) and o.get("value") for o in ticked)

    if errors:
        raise InvalidInput("Please correct the highlighted fields.", errors)
    # A form opened before the roll-call choice existed has no such block: no roll call (nobody asked for one).
    chosen = _option_value(_element(values, Field.ROLL_CALL))
    roll_call = chosen == "yes" or (chosen == "plan" and plan.roll_call_by_default(circumstance or ""))
    return ActivationForm(plan_id=plan.id, circumstance=circumstance or "", summary=summary, services=services,
                          lead_user_id=lead or "", is_exercise=meta.exercise, roll_call=roll_call,
                          confidential=confidential or plan.activation.must_be_confidential(circumstance),
                          disrupted_at=disrupted_at)


def _first_action(body: dict) -> dict:
    actions = body.get("actions") if isinstance(body, dict) else None
    return actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}


def selected_value(body: dict) -> str:
    """The value of the option chosen in a select or overflow menu, or "" for anything unexpected."""
    option = _first_action(body).get("selected_option")
    value = option.get("value") if isinstance(option, dict) else None
    return value if isinstance(value, str) else ""


def action_value(body: dict) -> dict:
    """The JSON value of the clicked button, or {} for anything unexpected."""
    return json_object(_first_action(body).get("value") or selected_value(body))


def int_field(value: dict, key: str) -> int:
    number = value.get(key)
    if not isinstance(number, int) or isinstance(number, bool) or not 0 < number < 2 ** 31:  # an ID column
        raise InvalidInput("This button's data is not valid; it may be from an old message.")
    return number


@dataclass(frozen=True)
class Actor:
    user_id: str
    team_id: str | None


def actor(body: dict) -> Actor:
    user = body.get("user") if isinstance(body, dict) else None
    if isinstance(user, dict):
        team_object = body.get("team")
        user_id = user.get("id")
        team = user.get("team_id") or (team_object.get("id") if isinstance(team_object, dict) else None)
    else:
        user_id, team = body.get("user_id"), body.get("team_id")
    if not isinstance(user_id, str) or not USER_ID.match(user_id):
        raise InvalidInput("Slack did not say who you are; please try again.")
    return Actor(user_id=user_id, team_id=team if isinstance(team, str) else None)


def subcommand(text: str | None) -> tuple[str, str]:
    """'/activate status' -> ('status', ''); '/activate decision We go' -> ('decision', 'We go')."""
    parts = (text or "").strip().split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1] if len(parts) > 1 else ""


def modal_values(view: dict) -> dict[str, object]:
    """Each input block's value: text, a selected option's value, or a selected user."""
    out: dict[str, object] = {}
    for block_id, elements in _state(view).items():
        element = _element({block_id: elements}, block_id)
        if "selected_option" in element:
            out[block_id] = _option_value(element) or None
        elif "selected_user" in element:
            out[block_id] = element.get("selected_user")
        else:
            out[block_id] = element.get("value")
    return out


def picked_time(value: object) -> datetime | None:
    """A datetimepicker's value (seconds since the epoch) as a time; None unless it is a plausible one."""
    return datetime.fromtimestamp(value, timezone.utc) if type(value) is int and 0 < value < 2**33 else None


def selected_services(view: dict) -> tuple[str, ...]:
    """A form's "Services affected": the chosen options (the use case checks them against the plan's remit)."""
    selected = _element(_state(view), Field.SERVICES).get("selected_options")
    return tuple(_str(o.get("value"))[:75] for o in selected[:100] if isinstance(o, dict)) if isinstance(selected, list) else ()


def private_int(view: dict, key: str) -> int:
    return int_field(json_object(view.get("private_metadata")), key)


def _text(values: dict, key: str) -> str:
    value = values.get(key)
    return clean(value).strip() if isinstance(value, str) else ""


def _within(values: dict, keys: tuple[str, ...], limit: int = TEXT_MAX) -> None:
    """Every free-text field is capped here, whatever the form's max_length let through: a field error names
    the limit and nothing is recorded."""
    over = {key: too_long(limit) for key in keys if len(_text(values, key)) > limit}
    if over:
        raise InvalidInput("Please shorten the highlighted fields.", over)


def decision_text(text: str | None) -> str:
    """`/activate decision TEXT`: the text, within the decision's limit."""
    text = clean(text).strip()
    if len(text) > TEXT_MAX:
        raise InvalidInput(f"That decision is {len(text):,} characters long. {too_long(TEXT_MAX)}")
    return text


def decision_input(view: dict) -> DecisionInput:
    values = modal_values(view)
    text = _text(values, "decision")
    if not text:
        raise InvalidInput("Say what was decided.", {"decision": "Say what was decided."})
    _within(values, ("decision", "rationale", "options"))
    corrects = values.get("corrects")
    decided_by = values.get("decided_by")
    meta = json_object(view.get("private_metadata"))
    link = meta.get("link") if isinstance(meta.get("link"), str) else None
    return DecisionInput(
        decision=text, rationale=_text(values, "rationale") or None, options=_text(values, "options") or None,
        decided_by=decided_by if isinstance(decided_by, str) and USER_ID.match(decided_by) else None,
        corrects=int(corrects) if isinstance(corrects, str) and corrects.isdigit() else None, source_link=link)


def update_input(view: dict) -> UpdateInput:
    values = modal_values(view)
    situation = _text(values, "situation")
    if not situation:
        raise InvalidInput("Say where things stand.", {"situation": "Say where things stand."})
    _within(values, ("situation", "actions"))
    interval = values.get("next_update")
    minutes = int(interval) if isinstance(interval, str) and interval.isdigit() else None
    return UpdateInput(situation=situation, actions=_text(values, "actions") or None, next_update_minutes=minutes)


def modal_text(view: dict, field: str = "text", *, required_message: str | None = None, limit: int = TEXT_MAX) -> str:
    values = modal_values(view)
    text = _text(values, field)
    if required_message and not text:
        raise InvalidInput(required_message, {field: required_message})
    _within(values, (field,), limit)
    return text


def exercise_report(view: dict) -> dict | None:
    values = modal_values(view)
    keys = ("objectives_met", "what_worked", "gaps", "follow_ups")
    if not any(k in values for k in keys):
        return None
    _within(values, keys)
    return {("actions" if k == "follow_ups" else k): _text(values, k) or None for k in keys}


def step_from_block(body: dict) -> int:
    """The step ID carried in the block ID of a step's actions row (`step:123`)."""
    actions = body.get("actions") if isinstance(body, dict) else None
    block_id = actions[0].get("block_id", "") if isinstance(actions, list) and actions and isinstance(actions[0], dict) else ""
    prefix, _, number = str(block_id).partition(":")
    if prefix != "step" or not number.isdigit():
        raise InvalidInput("This button's data is not valid; it may be from an old message.")
    return int(number)


def selected_user(body: dict) -> str:
    actions = body.get("actions") if isinstance(body, dict) else None
    user = actions[0].get("selected_user") if isinstance(actions, list) and actions and isinstance(actions[0], dict) else None
    if not isinstance(user, str) or not USER_ID.match(user):
        raise InvalidInput("Choose a person to assign the step to.")
    return user


def dedupe_key(body: dict) -> str:
    """What makes one person's action one action, whatever Slack or a replay delivers twice: the view
    of a submitted modal, the click's own timestamp, the trigger of a command or shortcut, the event's ID."""
    kind = body.get("type") if isinstance(body, dict) else None
    if kind == "view_submission":
        view = body.get("view")
        view_id = view.get("id") if isinstance(view, dict) else None
        if isinstance(view_id, str) and view_id:
            return f"view:{view_id[:80]}"
    if kind == "block_actions":
        action = _first_action(body)
        stamp = action.get("action_ts")
        if isinstance(stamp, str) and stamp:
            return f"action:{stamp[:40]}:{actor(body).user_id}:{str(action.get('action_id'))[:60]}"
    if isinstance(body.get("event_id"), str) and body["event_id"]:
        return f"event:{body['event_id'][:80]}"
    trigger = body.get("trigger_id")
    if isinstance(trigger, str) and trigger:
        return f"trigger:{trigger[:100]}"
    raise InvalidInput("Slack did not say which action this is; please try again.")


def home_page(body: dict) -> HomePage:
    """The App Home page a paging button asks for (it lives only in the button: restart-safe)."""
    return HomePage.from_value(action_value(body))


def recovered_times(view: dict) -> tuple[tuple[int, datetime], ...]:
    """The stand-down form's "recovered at" of each affected service: (service ID, when)."""
    from bot.slack.recovery_blocks import RECOVERED_PREFIX

    found = []
    for block_id, elements in _state(view).items():
        if not (isinstance(block_id, str) and block_id.startswith(RECOVERED_PREFIX)) or not isinstance(elements, dict):
            continue
        service = block_id[len(RECOVERED_PREFIX):]
        element = elements.get(INPUT_ACTION)
        picked = picked_time(element.get("selected_date_time") if isinstance(element, dict) else None)
        if service.isdigit() and len(service) < 12 and picked is not None:
            found.append((int(service), picked))
    return tuple(found[:50])
