"""Requests shaped and signed the way Slack sends them (the sender lives with the fake Slack)."""
from __future__ import annotations

from bot.tools.fakeslack import TEAM_ID, Reply, SlackSender, sign  # noqa: F401  (re-exported for the tests)


def filled_view(view: dict, *, circumstance: str | None, summary: str | None, lead: str | None,
                services: list[str] = (), other: str | None = None, view_id: str | None = None,
                roll_call: str | None = None, confidential: bool | None = None, disrupted_at: int | None = None) -> dict:
    """The modal bcbot opened, as Slack sends it back on submit, with the fields filled in (Confidential
    as the form showed it unless `confidential` says)."""
    values = {
        "circumstance": {"value": {"type": "static_select",
                                   "selected_option": {"value": circumstance} if circumstance else None}},
        "other": {"value": {"type": "plain_text_input", "value": other}},
        "summary": {"value": {"type": "plain_text_input", "value": summary}},
        "services": {"value": {"type": "multi_static_select", "selected_options": [{"value": s} for s in services]}},
        "lead": {"value": {"type": "users_select", "selected_user": lead}},
    }
    if roll_call is not None:  # "yes", "no" or "plan"; left out, as a form opened before the choice existed
        values["roll_call"] = {"value": {"type": "radio_buttons", "selected_option": {"value": roll_call}}}
    box = next((b for b in view.get("blocks", []) if b.get("block_id") == "confidential"), None)
    if box is not None:
        options = box["element"]["options"] if confidential else [] if confidential is False \
            else box["element"].get("initial_options", [])
        values["confidential"] = {"value": {"type": "checkboxes", "selected_options": options}}
    picker = next((b for b in view.get("blocks", []) if b.get("block_id") == "disrupted_at"), None)
    if picker is not None:  # as the form showed it (now, when it opened) unless `disrupted_at` says
        picked = disrupted_at or picker["element"].get("initial_date_time")
        values["disrupted_at"] = {"value": {"type": "datetimepicker", "selected_date_time": picked}}
    return {**view, "id": view_id or view.get("id", "V0VIEW"), "state": {"values": values}}
