"""Modal submissions."""
from __future__ import annotations

from bot import activation
from bot.ids import Callback
from bot.payloads import activation_form, actor
from handlers import teller


def register(app) -> None:
    app.view(Callback.ACTIVATION.value)(activation_submitted)


def activation_submitted(ack, body, view, context):
    bot = context["bcbot"]
    person = actor(body)
    form = activation_form(view, bot.plans.plans)  # InvalidInput -> field errors (app.error)
    request_id = activation.record_request(bot, view_id=view.get("id"), requested_by=person.user_id, form=form)
    ack()
    if request_id is not None:  # None: Slack delivered the same submission twice
        bot.background.submit(lambda: activation.process_request(bot, request_id=request_id), tell=teller(bot, body))
