"""Block Kit for the reviews that give actions: the post-incident review form (from the owners' DM after a
stand-down) and the management review form (from App Home). Both end with rows of actions (action_blocks)."""
from __future__ import annotations

import json
from datetime import date

from bot.domain.plan import Plan
from bot.domain.records import Incident
from bot.domain.text import TEXT_MAX
from bot.slack.action_blocks import row_blocks
from bot.slack.blocks import _option, _plain, section
from bot.slack.ids import INPUT_ACTION, Callback, Input
from bot.slack.mrkdwn import safe

PIR_FORM = "pir"
REVIEW_FORM = "review"
STAND_DOWN_FORM = "stand_down"


def _modal(callback: str, title: str, submit: str, blocks: list[dict], meta: dict) -> dict:
    return {"type": "modal", "callback_id": callback, "title": _plain(title, 24), "submit": _plain(submit, 24),
            "close": _plain("Cancel", 24), "private_metadata": json.dumps(meta), "blocks": blocks}


def _text_input(block_id: str, label: str, *, optional: bool = True, placeholder: str | None = None) -> dict:
    element: dict = {"type": "plain_text_input", "action_id": INPUT_ACTION, "multiline": True, "max_length": TEXT_MAX}
    if placeholder:
        element["placeholder"] = _plain(placeholder, 150)
    return {"type": "input", "block_id": block_id, "optional": optional, "label": _plain(label), "element": element}


def post_incident_review_modal(incident: Incident, plan: Plan, *, rows: int, today: date) -> dict:
    what = "exercise" if incident.is_exercise else "incident"
    blocks = [section(f"Post-incident review of *{safe(incident.ref, 20)}*, an {what} under "
                      f"*{safe(plan.title, 150)}*: what worked, what fell short, and what will be done about it."),
              _text_input(Input.WHAT_WORKED, "What worked"),
              _text_input(Input.GAPS, "Gaps found"),
              *row_blocks(rows, today=today, form=PIR_FORM, about=incident.id)]
    return _modal(Callback.POST_INCIDENT_REVIEW, "Post-incident review", "Record review", blocks,
                  {"i": incident.id, "rows": rows})


def management_review_modal(plans: list[Plan], *, rows: int, today: date) -> dict:
    blocks: list[dict] = [
        section("A management review (ISO 22301 9.3): when it was held, who attended, what was decided. "
                "A decision that needs doing becomes an action below."),
        {"type": "input", "block_id": Input.HELD_ON, "label": _plain("Held on"),
         "element": {"type": "datepicker", "action_id": INPUT_ACTION, "initial_date": today.isoformat()}},
        {"type": "input", "block_id": Input.ATTENDEES, "label": _plain("Attendees"),
         "element": {"type": "multi_users_select", "action_id": INPUT_ACTION}},
        _text_input(Input.DECISIONS, "Decisions (one per line)", optional=False,
                    placeholder="Fund a second site; test the call tree every quarter"),
    ]
    if len(plans) > 1:
        options = [_option(p.title[:75], p.id) for p in plans[:100]]
        blocks.append({"type": "input", "block_id": Input.PLAN, "label": _plain("Actions belong to the plan"),
                       "element": {"type": "static_select", "action_id": INPUT_ACTION, "options": options,
                                   "initial_option": options[0]}})
    blocks += row_blocks(rows, today=today, form=REVIEW_FORM, about=None)
    return _modal(Callback.MANAGEMENT_REVIEW, "Management review", "Record review", blocks,
                  {"rows": rows, "plan": plans[0].id if plans else None})
