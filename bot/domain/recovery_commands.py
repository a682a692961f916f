"""The commands of affected services' recovery (listed in bot.domain.commands' RECORDED and VIEWS)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.domain.command_base import Command, ViewRequest


@dataclass(frozen=True)
class RecoverService(Command):
    """The header's **Service recovered**: that service's clock stops now."""

    kind = "recover_service"
    incident_id: int
    service_id: int


@dataclass(frozen=True)
class ChangeServices(Command):
    """The header's **Change services** form: the services the incident affects now (from the plan's remit)."""

    kind = "change_services"
    incident_id: int
    services: tuple[str, ...]


@dataclass(frozen=True)
class OpenServicesForm(ViewRequest):
    kind = "open_services_form"
    trigger_id: str
    incident_id: int
    user_id: str


RECOVERY_COMMANDS: tuple[type[Command], ...] = (RecoverService, ChangeServices)
RECOVERY_VIEWS: tuple[type[ViewRequest], ...] = (OpenServicesForm,)
