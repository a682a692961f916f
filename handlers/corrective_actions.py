"""Corrective actions: the buttons of an owner's DM and of an action's card (Done, New date, Drop, Edit), the
forms they open, **Add action** in forms with action rows, the post-incident and management review forms, and
`/activate action TEXT`. Opening or turning a form is handed over; a submitted form is a recorded command."""
from __future__ import annotations

from bot.domain.action_commands import (
    ActionInChannel,
    AddActionRow,
    CloseAction,
    EditAction,
    OpenActionForm,
    OpenManagementReview,
    OpenPostIncidentReview,
    RecordManagementReview,
    RecordPostIncidentReview,
    RescheduleAction,
)
from bot.domain.actions import ROWS_MAX, TITLE_MAX
from bot.domain.errors import InvalidInput
from bot.domain.reminders import MessageRef, local_today
from bot.domain.text import clean, too_long
from bot.slack import action_parse
from bot.slack.governance_parse import message_ref, trigger_of, view_ref
from bot.slack.ids import Action, Callback
from bot.slack.parse import action_value, actor, int_field
from handlers import hand_over, submit

FORMS = {Action.ACTION_DONE: "done", Action.ACTION_NEW_DATE: "new_date", Action.ACTION_DROP: "drop",
         Action.ACTION_EDIT: "edit"}
ROW_FORMS = ("stand_down", "pir", "review")
USAGE = "Usage: `/activate action TEXT` in an incident channel, e.g. `/activate action Call the insurer`."


def register(app) -> None:
    for action_id in FORMS:
        app.action(action_id.value)(open_form)
    app.action(Action.ADD_ACTION_ROW.value)(add_row)
    app.action(Action.OPEN_POST_INCIDENT_REVIEW.value)(open_post_incident_review)
    app.action(Action.OPEN_MANAGEMENT_REVIEW.value)(open_management_review)
    app.view(Callback.ACTION_DONE.value)(done_submitted)
    app.view(Callback.ACTION_DROP.value)(drop_submitted)
    app.view(Callback.ACTION_NEW_DATE.value)(new_date_submitted)
    app.view(Callback.ACTION_EDIT.value)(edit_submitted)
    app.view(Callback.POST_INCIDENT_REVIEW.value)(post_incident_review_submitted)
    app.view(Callback.MANAGEMENT_REVIEW.value)(management_review_submitted)


def _today(bot):
    return local_today(bot.clock(), bot.settings.timezone)


def open_form(ack, body, context):
    action_id = body["actions"][0]["action_id"]
    hand_over(ack, context["bcbot"], body, OpenActionForm(
        trigger_id=trigger_of(body), action_id=int_field(action_value(body), "a"), user_id=actor(body).user_id,
        form=FORMS[Action(action_id)], message=message_ref(body)))


def add_row(ack, body, context):
    value = action_value(body)
    form, rows, about = value.get("f"), value.get("n"), value.get("i")
    if form not in ROW_FORMS or not isinstance(rows, int) or isinstance(rows, bool) or not 0 < rows <= ROWS_MAX:
        raise InvalidInput("This button's data is not valid; please open the form again.")
    view_id, view_hash = view_ref(body)
    hand_over(ack, context["bcbot"], body, AddActionRow(
        view_id=view_id, view_hash=view_hash, user_id=actor(body).user_id, form=form, rows=rows,
        about=int_field(value, "i") if about is not None else None), urgent=False)


def open_post_incident_review(ack, body, context):
    hand_over(ack, context["bcbot"], body, OpenPostIncidentReview(
        trigger_id=trigger_of(body), incident_id=int_field(action_value(body), "i"), user_id=actor(body).user_id))


def open_management_review(ack, body, context):
    hand_over(ack, context["bcbot"], body, OpenManagementReview(trigger_id=trigger_of(body),
                                                                user_id=actor(body).user_id))


def _message(view: dict) -> MessageRef | None:
    found = action_parse.meta(view).get("m")
    if isinstance(found, dict) and isinstance(found.get("channel"), str) and isinstance(found.get("ts"), str):
        return MessageRef(found["channel"][:32], found["ts"][:32])
    return None


def _action_id(view: dict) -> int:
    return int_field(action_parse.meta(view), "a")


def done_submitted(ack, body, view, context):
    note = action_parse.note(view, required="Say what was done.")
    submit(ack, context["bcbot"], body, CloseAction(_action_id(view), "done", note, _message(view)))


def drop_submitted(ack, body, view, context):
    note = action_parse.note(view, required="Say why it is dropped.")
    submit(ack, context["bcbot"], body, CloseAction(_action_id(view), "dropped", note, _message(view)))


def new_date_submitted(ack, body, view, context):
    bot = context["bcbot"]
    due = action_parse.due_date(view, today=_today(bot))
    submit(ack, bot, body, RescheduleAction(_action_id(view), due, _message(view)))


def edit_submitted(ack, body, view, context):
    bot = context["bcbot"]
    owner = action_parse.owner(view)
    due = action_parse.due_date(view, today=_today(bot))
    submit(ack, bot, body, EditAction(_action_id(view), owner, due))


def post_incident_review_submitted(ack, body, view, context):
    bot = context["bcbot"]
    what_worked, gaps = action_parse.review_parts(view)
    rows = action_parse.action_rows(view, today=_today(bot))
    submit(ack, bot, body, RecordPostIncidentReview(int_field(action_parse.meta(view), "i"), what_worked, gaps, rows))


def management_review_submitted(ack, body, view, context):
    bot = context["bcbot"]
    submit(ack, bot, body, RecordManagementReview(action_parse.management_review(view, today=_today(bot))))


def action_command(ack, bot, command: dict, rest: str, channel_id: str | None) -> None:
    """`/activate action TEXT`."""
    text = clean(rest).strip()
    if not text:
        ack(text=USAGE, response_type="ephemeral")
        return
    if len(text) > TITLE_MAX:
        ack(text=f"That action is {len(text):,} characters long. {too_long(TITLE_MAX)}", response_type="ephemeral")
        return
    submit(ack, bot, command, ActionInChannel(channel_id=channel_id, text=text),
           text="Recording the action: it is yours, due in 14 days; its card here has *Edit*.",
           response_type="ephemeral")
