"""View requests of affected services (bot.worker.views lists them in VIEWS): the **Change services** form."""
from __future__ import annotations

from typing import Any, Callable

from bot.bcbot import Bcbot
from bot.domain.recovery_commands import OpenServicesForm
from bot.slack.recovery_blocks import services_modal
from bot.usecases.access import load, require_responder
from bot.worker.forms import open_form


def open_services_form(bot: Bcbot, request: OpenServicesForm) -> None:
    with bot.uow(read_only=True) as uow:
        incident, plan = load(bot, uow, request.incident_id)
        require_responder(bot, incident, plan, request.user_id, "change the services affected")
        services = uow.recovery.of_incident(incident.id)
    open_form(bot, request.trigger_id, services_modal(incident, plan, services), again="press Change services")


VIEWS: dict[type, Callable[[Bcbot, Any], None]] = {OpenServicesForm: open_services_form}
