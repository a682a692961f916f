"""Block Kit for corrective actions: the rows of action inputs the forms share, the owner's DM (given and
reminded) with Done / New date / Drop, the action's card in an incident channel (with Edit), the action forms,
and the outcome a DM shows once acted on. Pure functions; person text is escaped (mrkdwn) or plain_text."""
from __future__ import annotations

import json
from datetime import date

from bot.domain.actions import NOTE_MAX, ROWS_MAX, TITLE_MAX, Action, ActionStatus, SourceKind, describe_due
from bot.slack.blocks import _plain, button, context, section
from bot.slack.ids import INPUT_ACTION, Callback, Input
from bot.slack.ids import Action as Act
from bot.slack.mrkdwn import safe, user_mention

SOURCE_WORDS = {SourceKind.INCIDENT: "incident", SourceKind.EXERCISE: "exercise", SourceKind.REVIEW: "management review"}
STATUS_ICONS = {ActionStatus.OPEN: "📌", ActionStatus.DONE: "✅", ActionStatus.DROPPED: "🚫"}


def day(d: date) -> str:
    return f"{d:%a %d %b %Y}"


def source_words(action: Action) -> str:
    """'exercise BC-3', 'incident BC-4', 'management review MR-1'."""
    ref = action.source.ref
    return f"{SOURCE_WORDS[action.source.kind]} {ref}" if ref else SOURCE_WORDS[action.source.kind]


def action_line(action: Action, today: date, *, owner: bool = True) -> str:
    """One line of an action in mrkdwn: `📌 *A-3* Call the insurer · @owner · due Fri 14 Mar 2027 (in 5 days)`."""
    parts = [f"{STATUS_ICONS[action.status]} *{action.ref}* {safe(action.title, 300)}"]
    if owner:
        parts.append(user_mention(action.owner))
    if action.status is ActionStatus.OPEN:
        flag = "⚠️ " if action.overdue(today) else ""
        parts.append(f"{flag}due {day(action.due_on)} ({describe_due(action.due_on, today)})")
    else:
        parts.append(f"{action.status.value} {day(action.closed_at.date()) if action.closed_at else ''}".strip())
    return " · ".join(parts)


# Rows of action inputs, shared by the exercise stand-down, post-incident review and management review forms --
def row_blocks(rows: int, *, today: date, form: str, about: int | None) -> list[dict]:
    """`rows` rows of (what, owner, due date), then **Add action** (while there is room). Block IDs stay the
    same when a row is added, so Slack keeps what was typed (views.update)."""
    out: list[dict] = [section("*Actions*: each becomes an action with a reference (A-n), its owner is told by "
                               "DM and reminded until it is done. Leave a row empty to skip it.")]
    for n in range(rows):
        out += [
            {"type": "input", "block_id": f"{Input.ACTION_TITLE}:{n}", "optional": True,
             "label": _plain(f"Action {n + 1}"),
             "element": {"type": "plain_text_input", "action_id": INPUT_ACTION, "max_length": TITLE_MAX,
                         "placeholder": _plain("What is to be done")}},
            {"type": "input", "block_id": f"{Input.ACTION_OWNER}:{n}", "optional": True, "label": _plain("Owner"),
             "element": {"type": "users_select", "action_id": INPUT_ACTION}},
            {"type": "input", "block_id": f"{Input.ACTION_DUE}:{n}", "optional": True, "label": _plain("Due"),
             "element": {"type": "datepicker", "action_id": INPUT_ACTION,
                         "initial_date": today.isoformat()}},
        ]
    if rows < ROWS_MAX:
        out.append({"type": "actions", "block_id": "add_action", "elements": [
            button("➕ Add action", Act.ADD_ACTION_ROW, {"f": form, "n": rows + 1, "i": about})]})
    return out


def _modal(callback: str, title: str, submit: str, blocks: list[dict], meta: dict) -> dict:
    return {"type": "modal", "callback_id": callback, "title": _plain(title, 24), "submit": _plain(submit, 24),
            "close": _plain("Cancel", 24), "private_metadata": json.dumps(meta), "blocks": blocks}


def _text_input(block_id: str, label: str, *, optional: bool = False, max_length: int = NOTE_MAX,
                 placeholder: str | None = None) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True,
                     "max_length": max_length}
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label), "element": element}


# The owner's DM ----------------------------------------------------------------------------------------
def _value(action: Action) -> dict:
    return {"a": action.id}


def owner_buttons(action: Action) -> dict:
    return {"type": "actions", "block_id": f"action:{action.id}", "elements": [
        button("✅ Done", Act.ACTION_DONE, _value(action), style="primary"),
        button("📅 New date", Act.ACTION_NEW_DATE, _value(action)),
        button("Drop", Act.ACTION_DROP, _value(action)),
    ]}


def given_text(action: Action, today: date) -> str:
    return f"Action {action.ref} is yours: {safe(action.title, 200)} ({describe_due(action.due_on, today)})"


def given_blocks(action: Action, *, plan_title: str, by: str, today: date) -> list[dict]:
    lines = [f"📌 {user_mention(by)} gave you a corrective action, from the {source_words(action)} under "
             f"*{safe(plan_title, 150)}*:",
             f"*{action.ref}* {safe(action.title, 1500)}",
             f"Due *{day(action.due_on)}* ({describe_due(action.due_on, today)})."]
    if action.source.note:
        lines.append(f"_{safe(action.source.note, 500)}_")
    return [section("\n".join(lines)[:3000]), owner_buttons(action),
            context("You will be reminded 3 days before, on the day, and every few days while it is overdue. "
                    "*Done* asks what was done; *Drop* asks why.")]


def reminder_text(action: Action, today: date) -> str:
    return f"Action {action.ref} is {describe_due(action.due_on, today)}: {safe(action.title, 200)}"


def reminder_blocks(action: Action, *, plan_title: str, today: date) -> list[dict]:
    icon = "⚠️" if action.overdue(today) else "⏰"
    lines = [f"{icon} Your action *{action.ref}* is *{describe_due(action.due_on, today)}* ({day(action.due_on)}):",
             safe(action.title, 1500),
             f"From the {source_words(action)} under *{safe(plan_title, 150)}*."]
    return [section("\n".join(lines)[:3000]), owner_buttons(action)]


def late_text(action: Action, today: date) -> str:
    return f"Action {action.ref} is {describe_due(action.due_on, today)}"


def late_blocks(action: Action, *, plan_title: str, today: date) -> list[dict]:
    """To the plan's owners, once, when an action is a week late."""
    return [section(f"⚠️ *{action.ref}* of *{safe(plan_title, 150)}* is {describe_due(action.due_on, today)} "
                    f"(due {day(action.due_on)}): {safe(action.title, 1500)}\nOwner: {user_mention(action.owner)}, "
                    f"from the {source_words(action)}."[:3000]),
            context("Its owner is reminded every few days. `bcbot actions --status overdue` lists every late action.")]


def outcome_text(action: Action) -> str:
    return f"Action {action.ref}: {action.status.value if action.status is not ActionStatus.OPEN else 'open'}"


def outcome_blocks(action: Action, *, by: str, today: date) -> list[dict]:
    """What a DM whose button was pressed says afterwards (no buttons once closed)."""
    if action.status is ActionStatus.OPEN:
        line = f"📅 {user_mention(by)} moved *{action.ref}* to {day(action.due_on)}: {safe(action.title, 1500)}"
        return [section(line[:3000]), owner_buttons(action)]
    verb = "done" if action.status is ActionStatus.DONE else "dropped"
    label = "What was done" if action.status is ActionStatus.DONE else "Why"
    return [section(f"{STATUS_ICONS[action.status]} *{action.ref}* {safe(action.title, 1000)}\nMarked {verb} by "
                    f"{user_mention(action.closed_by or by)}.\n*{label}:* {safe(action.closing_note or '', 1500)}"[:3000])]


# The card in an incident channel (`/activate action`) --------------------------------------------------
def card_text(action: Action) -> str:
    return f"Action {action.ref}: {safe(action.title, 200)}"


def card_blocks(action: Action, today: date) -> list[dict]:
    blocks = [section(action_line(action, today)[:3000])]
    if action.status is ActionStatus.OPEN:
        blocks.append({"type": "actions", "block_id": f"action_card:{action.id}", "elements": [
            button("✏️ Edit", Act.ACTION_EDIT, _value(action)),
            button("✅ Done", Act.ACTION_DONE, _value(action))]})
    elif action.closing_note:
        blocks.append(context(safe(action.closing_note, 1500)))
    return blocks


# An action's forms --------------------------------------------------------------------------------------
def done_modal(action: Action, meta: dict) -> dict:
    return _modal(Callback.ACTION_DONE, f"Done: {action.ref}", "Mark done", [
        section(f"*{action.ref}* {safe(action.title, 1500)}"),
        _text_input(Input.TEXT, "What was done?", placeholder="What changed, and where the evidence is"),
    ], meta)


def drop_modal(action: Action, meta: dict) -> dict:
    return _modal(Callback.ACTION_DROP, f"Drop {action.ref}", "Drop it", [
        section(f"*{action.ref}* {safe(action.title, 1500)}"),
        _text_input(Input.TEXT, "Why is it dropped?", placeholder="Why it will not be done"),
    ], meta)


def new_date_modal(action: Action, meta: dict, *, today: date) -> dict:
    return _modal(Callback.ACTION_NEW_DATE, f"New date: {action.ref}", "Save", [
        section(f"*{action.ref}* {safe(action.title, 1500)}\nDue {day(action.due_on)} "
                f"({describe_due(action.due_on, today)})."),
        {"type": "input", "block_id": Input.DUE, "label": _plain("New due date"),
         "element": {"type": "datepicker", "action_id": INPUT_ACTION,
                     "initial_date": max(action.due_on, today).isoformat()}},
    ], meta)


def edit_modal(action: Action, meta: dict, *, today: date) -> dict:
    return _modal(Callback.ACTION_EDIT, f"Edit {action.ref}", "Save", [
        section(f"*{action.ref}* {safe(action.title, 1500)}"),
        {"type": "input", "block_id": Input.OWNER, "label": _plain("Owner"),
         "element": {"type": "users_select", "action_id": INPUT_ACTION, "initial_user": action.owner}},
        {"type": "input", "block_id": Input.DUE, "label": _plain("Due"),
         "element": {"type": "datepicker", "action_id": INPUT_ACTION,
                     "initial_date": max(action.due_on, today).isoformat()}},
    ], meta)


# App Home ----------------------------------------------------------------------------------------------
HOME_ACTIONS_MAX = 10


def home_section(actions: list[Action], today: date, *, review_form: bool = False) -> list[dict]:
    """The reader's open actions (each with Done), those closed lately in one line, and (for plan owners and
    team members) the management review form's button: at most HOME_ACTIONS_MAX + 3 blocks."""
    open_ = [a for a in actions if a.status is ActionStatus.OPEN]
    closed = [a for a in actions if a.status is not ActionStatus.OPEN]
    overdue = sum(a.overdue(today) for a in open_)
    heading = f"*Your actions ({len(open_)} open" + (f", ⚠️ {overdue} overdue" if overdue else "") + ")*"
    blocks = [section(heading if open_ else "*Your actions*\nNothing open. 🎉")]
    for action in open_[:HOME_ACTIONS_MAX]:
        blocks.append(section(action_line(action, today, owner=False)[:3000],
                              accessory=button("✅ Done", Act.ACTION_DONE, _value(action))))
    if closed:
        blocks.append(context("Lately: " + " · ".join(action_line(a, today, owner=False) for a in closed[:5])[:2900]))
    if review_form:
        blocks.append({"type": "actions", "block_id": "home-review", "elements": [
            button("Record a management review", Act.OPEN_MANAGEMENT_REVIEW, "review")]})
    return blocks
