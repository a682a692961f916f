"""The plan, readable in Slack by anyone: `/activate plan` (an ephemeral message) and the View plan modal
(App Home, review reminders). Phases, steps with their roles, the activation team and contacts.

Plan text is escaped (mrkdwn.safe); steps are packed into sections of at most 3,000 characters, and the
blocks stop within Slack's limit (50 in a message, 100 in a modal) with a note saying where the rest is.
"""
from __future__ import annotations

from bot.domain.plan import Person, Plan
from bot.domain.plan_page import person_line, purpose_points, step_detail, step_lines
from bot.slack.blocks import MODAL_TITLE_MAX, SECTION_MAX, _plain, button, contacts_mrkdwn, context, section
from bot.slack.ids import Action
from bot.slack.mrkdwn import safe, user_mention

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100


def view_plan_button(plan_id: str, label: str = "📖 View plan") -> dict:
    return button(label, Action.VIEW_PLAN, {"p": plan_id})


def _person(person: Person) -> str:
    who = user_mention(person.slack) if person.slack else safe(person.name, 80)
    extra = safe(person_line(person), 170) if person.slack else safe(person.role or "", 80)
    return f"{who} — {extra}" if extra else who


def _packed(heading: str, lines: list[str]) -> list[str]:
    """The heading and lines as few section texts as fit in 3,000 characters each."""
    texts, current = [], heading
    for line in lines:
        if len(current) + 1 + len(line) > SECTION_MAX:
            texts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    texts.append(current)
    return texts


def plan_blocks(plan: Plan, *, limit: int) -> list[dict]:
    texts: list[str] = []
    overview = [f"*Organisation:* {safe(plan.organisation, 150)}",
                "*Owners:* " + safe("; ".join(person_line(p) for p in plan.owners), 1000),
                "*Covers:* " + safe("; ".join(plan.service_names), 1500)]
    texts += _packed("", overview)
    activation = ["_Activated for circumstances such as:_"] + [f"• {safe(c, 75)}" for c in plan.activation.circumstance_names]
    activation += ["_The Business Continuity Team activates it (anyone can ask with `/activate`):_"]
    activation += [f"• {_person(p)}" for p in plan.activation.team]
    if contacts := contacts_mrkdwn(plan):
        activation.append(f"📇 {contacts}")
    texts += _packed("*Plan activation*", activation)
    for number, phase in enumerate(plan.phases, start=1):
        lines = [f"_{safe(p, 1000)}_" for p in purpose_points(phase)]
        lines += [f"{s.number}. {safe(s.title, 500)}{safe(step_detail(s), 120)}" for s in step_lines(phase)]
        texts += _packed(f"*Phase {number}: {safe(phase.title, 150)}*", lines)
    blocks: list[dict] = [{"type": "header", "text": _plain(plan.title, 150)}]
    room = limit - len(blocks) - 1  # one left for the closing note
    shown = texts[:room]
    blocks += [section(t) for t in shown]
    if len(shown) < len(texts):
        blocks.append(context(f"The plan is too long to show whole here; `bcbot plan show {plan.id}` prints all of it."))
    else:
        blocks.append(context(f"Plan `{safe(plan.id, 63)}` · version `{plan.content_hash()[:10]}`"))
    return blocks


def plan_message(plan: Plan) -> dict:
    """The ephemeral answer to `/activate plan`."""
    return {"text": f"{safe(plan.title, 150)}: the plan", "blocks": plan_blocks(plan, limit=MESSAGE_BLOCKS)}


def plan_modal(plan: Plan) -> dict:
    return {"type": "modal", "title": _plain("The plan", MODAL_TITLE_MAX), "close": _plain("Close", 24),
            "blocks": plan_blocks(plan, limit=MODAL_BLOCKS)}


def plan_reply(plans: list[Plan], asked: str) -> dict:
    """`/activate plan [ID]`: the plan asked for, the only one, or which plans there are."""
    by_id = {p.id: p for p in plans}
    if asked.strip() in by_id:
        return plan_message(by_id[asked.strip()])
    if not asked.strip() and len(plans) == 1:
        return plan_message(plans[0])
    return {"text": choose_plan_text(plans, asked.strip() or None)}


def choose_plan_text(plans: list[Plan], asked: str | None = None) -> str:
    listed = "\n".join(f"• `/activate plan {p.id}` — {safe(p.title, 150)}" for p in plans[:40])
    first = f"There is no plan `{safe(asked, 63)}`. " if asked else ""
    return f"{first}Which plan?\n{listed}"
