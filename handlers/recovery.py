"""Affected services: the header's **Service recovered** and **Change services** (a small form)."""
from __future__ import annotations

from bot.domain.recovery_commands import ChangeServices, OpenServicesForm, RecoverService
from bot.slack.governance_parse import trigger_of
from bot.slack.ids import Action, Callback
from bot.slack.parse import action_value, actor, int_field, private_int, selected_services
from handlers import hand_over, submit


def register(app) -> None:
    app.action(Action.SERVICE_RECOVERED.value)(service_recovered)
    app.action(Action.CHANGE_SERVICES.value)(change_services)
    app.view(Callback.CHANGE_SERVICES.value)(services_submitted)


def service_recovered(ack, body, context):
    value = action_value(body)
    submit(ack, context["bcbot"], body, RecoverService(int_field(value, "i"), int_field(value, "s")))


def change_services(ack, body, context):
    person = actor(body)
    hand_over(ack, context["bcbot"], body, OpenServicesForm(trigger_id=trigger_of(body),
                                                            incident_id=int_field(action_value(body), "i"),
                                                            user_id=person.user_id))


def services_submitted(ack, body, view, context):
    submit(ack, context["bcbot"], body, ChangeServices(private_int(view, "i"), selected_services(view)))
