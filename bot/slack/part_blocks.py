"""Block Kit of a person's part in a plan: the card DM'd to them (with Got it), the same card once acknowledged,
and the lines App Home shows them. Names are plain text (escaped), never mentions. A plan may have 500 steps: a
card lists at most STEPS_MAX of them and says how many more."""
from __future__ import annotations

from datetime import datetime

from bot.domain.parts import PersonPart, due_words
from bot.domain.plan import Plan
from bot.slack.blocks import button, context, section, slack_date
from bot.slack.ids import Action
from bot.slack.mrkdwn import safe

SECTION_MAX = 2900  # Slack's section text limit is 3000
STEPS_MAX = 30  # steps listed on one card; the rest are counted ("and 12 more")
STEP_MAX = 200  # characters of one step's title on a card
WHOLE_PLAN = "`/activate plan` shows the whole plan."


def ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(n, f"{n}th")


def _joined(lines: list[str], limit: int = SECTION_MAX) -> str:
    """Lines joined while they fit `limit`, then how many were left out."""
    out: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        if used + len(line) + 1 > limit - 40:
            out.append(f"…and {len(lines) - i} more")
            break
        out.append(line)
        used += len(line) + 1
    return "\n".join(out)


def roles_line(part: PersonPart) -> str:
    if not part.holds:
        return ("*Your roles:* none: no step of the plan is given to you by role. You are asked in roll calls "
                "whether you are safe.")
    return "*Your roles:* " + safe(", ".join(part.holds), SECTION_MAX - 40)


def covers_line(part: PersonPart) -> str | None:
    if not part.covers:
        return None
    return _joined(["*You cover:*"] + [f"• {safe(c.role, 80)}: {ordinal(c.place)} of {c.of} to be asked if "
                                       f"{safe(c.holder, 80)} cannot act" for c in part.covers])


def covered_by_line(part: PersonPart) -> str | None:
    if not part.covered_by:
        return None
    lines = ["*Who covers you:*"]
    for c in part.covered_by:
        who = safe(", then ".join(c.alternates), 500) if c.alternates else (
            "nobody is named: if you cannot act, the incident lead is told")
        lines.append(f"• {safe(c.role, 80)}: {who}")
    return _joined(lines)


def step_sections(plan: Plan, part: PersonPart, *, steps_max: int = STEPS_MAX) -> list[str]:
    """One text per phase with steps of theirs (at most `steps_max` steps in all), then how many more."""
    titles = {p.key.value: p.title for p in plan.phases}
    several = len(part.holds) > 1
    out: list[str] = []
    shown = 0
    for phase, steps in part.steps:
        if shown >= steps_max:
            break
        lines = [f"*{safe(titles.get(phase, phase), 150)}*"]
        for step in steps[:steps_max - shown]:
            extra = [due_words(step.due_minutes)] if step.due_minutes else []
            if several:
                extra.append(safe(step.role, 80))
            lines.append(f"• {safe(step.title, STEP_MAX)}" + (f" · _{' · '.join(extra)}_" if extra else ""))
        shown += len(lines) - 1
        out.append(_joined(lines))
    if part.step_count > shown:
        out.append(f"…and {part.step_count - shown} more of your steps. {WHOLE_PLAN}")
    return out


def card_text(plan: Plan, part: PersonPart) -> str:
    roles = f"{len(part.holds)} role{'s' * (len(part.holds) != 1)}"
    return (f"Your part in {safe(plan.title, 150)}: {roles}, {part.step_count} step"
            f"{'s' * (part.step_count != 1)}. Read it, then press Got it.")


def card_blocks(plan: Plan, part: PersonPart, *, acknowledged_at: datetime | None = None) -> list[dict]:
    """The card: their roles, what they cover, their steps per phase, who covers them, and Got it (or, once
    acknowledged, when)."""
    blocks = [section(f"📋 *Your part in {safe(plan.title, 150)}*\nRead it once, then press *Got it*. If your part "
                      "changes, you get a new card."),
              section(roles_line(part))]
    blocks += [section(text) for text in (covers_line(part),) if text]
    blocks += [section(text) for text in step_sections(plan, part)]
    blocks += [section(text) for text in (covered_by_line(part),) if text]
    if acknowledged_at is None:
        blocks.append({"type": "actions", "elements": [
            button("👍 Got it", Action.PART_ACKNOWLEDGE, {"p": plan.id, "h": part.digest}, "primary")]})
        blocks.append(context(f"Questions about your part? Ask the plan's owners. {WHOLE_PLAN}"))
    else:
        blocks.append(context(f"✅ You acknowledged your part {slack_date(acknowledged_at)}. If it changes, you get "
                              "a new card."))
    return blocks


def home_part_text(plan: Plan, part: PersonPart, *, acknowledged: bool | None) -> str:
    """One App Home section: their part in one plan, short (roles, cover, steps per phase counted, who covers)."""
    titles = {p.key.value: p.title for p in plan.phases}
    lines = [f"*{safe(plan.title, 150)}*"
             + {True: " · ✅ acknowledged", False: " · ⏳ not acknowledged yet: press Got it on your card",
                None: ""}[acknowledged],
             roles_line(part)]
    if part.covers:
        lines.append("*You cover:* " + safe(", ".join(f"{c.role} ({ordinal(c.place)} of {c.of})"
                                                      for c in part.covers), 600))
    for phase, steps in part.steps:
        first = "; ".join(s.title for s in steps[:3])
        more = f" and {len(steps) - 3} more" if len(steps) > 3 else ""
        lines.append(f"*{safe(titles.get(phase, phase), 150)}:* {safe(first, 600)}{more}")
    if part.covered_by:
        lines.append("*Who covers you:* " + safe("; ".join(
            f"{c.role}: {', then '.join(c.alternates) or 'nobody named'}" for c in part.covered_by), 600))
    return _joined(lines)
