"""App Home: pure functions from plain values to the home view.

The home stays within Slack's limits however much history there is: at most `OPEN_MAX` open incidents,
`RECENT_MAX` stood-down ones per page and `PLANS_MAX` plans, one block each, far below the 100 blocks
of a home view; every text goes through `text.safe` with a length limit. Older stood-down incidents
are paged with a button whose value carries the page (no state in memory, so paging survives a restart).
"""
from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot.domain.actions import Action as CorrectiveAction
from bot.domain.incident import STATE_LABELS
from bot.domain.parts import Coverage, PersonPart
from bot.domain.plan import Plan
from bot.domain.records import HomePage, Incident, Progress
from bot.domain.rollcall import RollCallLine
from bot.slack import action_blocks
from bot.slack.blocks import HEADER_MAX, SECTION_MAX, _plain, button, confidential_line, context, section, slack_date
from bot.slack.ids import Action
from bot.slack.mrkdwn import channel_link, safe, user_mention
from bot.slack.part_blocks import home_part_text

HOME_BLOCKS_MAX = 100
OPEN_MAX = 20
RECENT_MAX = 10
PLANS_MAX = 20
MY_PARTS_MAX = 3  # plans whose part the reader is shown; more are counted
WAITING_NAMES_MAX = 10  # names of those who have not acknowledged their part, on a plan's card
ACTIVATE_VALUE = "activate"


# What the home shows ------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenItem:
    incident: Incident
    plan_title: str
    progress: Progress  # of the current phase
    hidden: bool = False  # confidential, and the reader is not one of its people: the reference only
    roll_call: RollCallLine | None = None


@dataclass(frozen=True)
class ClosedItem:
    incident: Incident
    plan_title: str
    hidden: bool = False


@dataclass(frozen=True)
class PlanCard:
    plan_id: str
    title: str
    owners: tuple[str, ...]
    next_review: date
    next_test: date
    parts: Coverage | None = None  # who acknowledged their part (None: the part cards were never sent)

    def overdue(self, today: date) -> bool:
        return self.next_review < today or self.next_test < today


@dataclass(frozen=True)
class MyPart:
    """The reader's part in one plan; `acknowledged` None: their card was never sent."""

    plan: Plan
    part: PersonPart
    acknowledged: bool | None


@dataclass(frozen=True)
class HomeData:
    open: list[OpenItem]
    open_total: int
    recent: list[ClosedItem]  # this page, at most RECENT_MAX
    has_older: bool
    page: HomePage
    plans: list[PlanCard]  # the plans to show, at most PLANS_MAX (see `plans_to_show`)
    plans_total: int
    plans_overdue: int
    now: datetime
    today: date  # in BCBOT_TIMEZONE: a date before it is overdue
    actions: list[CorrectiveAction] = field(default_factory=list)  # the reader's open actions and those closed lately
    my_parts: list[MyPart] = field(default_factory=list)  # at most MY_PARTS_MAX
    my_parts_total: int = 0
    steward: bool = False  # the reader owns a plan or is on a team: offered the management review form


def plans_to_show(dates: dict[str, tuple[date, date]], today: date, limit: int = PLANS_MAX) -> tuple[list[str], int]:
    """Which plans the home lists, from each plan's (next review, next test): all of them in their own order
    when they fit, else the overdue and then the soonest due first. Returns their IDs and how many plans
    are overdue. One pass and a bounded heap, so 10,000 plans cost a few milliseconds."""
    overdue = sum(min(review, test) < today for review, test in dates.values())
    if len(dates) <= limit:
        return list(dates), overdue
    # An overdue plan's soonest date is before today and any other's is not: soonest first puts them first.
    chosen = heapq.nsmallest(limit, dates.items(), key=lambda item: (min(item[1]), item[0]))
    return [plan_id for plan_id, _ in chosen], overdue


# Rendering -----------------------------------------------------------------------------------------
def age(delta: timedelta) -> str:
    """A short duration: '12m', '3h 05m', '2d 4h'."""
    minutes = max(0, int(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def day(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def _title_line(incident: Incident, plan_title: str) -> str:
    exercise = "🧪 Exercise · " if incident.is_exercise else ""
    return f"*{incident.ref}* · {exercise}{safe(plan_title, 150)} · {safe(incident.circumstance, 200)}"


def open_incident_block(item: OpenItem, now: datetime) -> dict:
    incident = item.incident
    if item.hidden:
        return section(confidential_line(incident))
    status = [
        STATE_LABELS[incident.state],
        f"*{item.progress}*" if item.progress.total else "no steps",
        f"lead {user_mention(incident.lead_user_id)}",
        f"open {age(now - incident.activated_at)}",
        channel_link(incident.channel_id),
    ]
    text = _title_line(incident, item.plan_title) + "\n" + " · ".join(status)
    if item.roll_call is not None:
        text += "\n" + roll_call_text(item.roll_call)
    return section(text[:SECTION_MAX])


def roll_call_text(line: RollCallLine) -> str:
    """'Roll call: 12 of 20 answered (10 safe, 1 can't work, 1 need help; 2 not reached) · 50% in 4m, 90% —'."""
    t = line.tally
    not_reached = f"; {t.not_reached} not reached" if t.not_reached else ""
    shares = ", ".join(f"{share}% " + (f"in {age(took)}" if took is not None else "—")
                       for share, took in line.to_share.items())
    drill = "🧪 drill " if line.drill else ""
    return (f"{drill}Roll call: *{t.answered} of {t.total}* answered ({t.safe} safe, {t.cant_work} can't work, "
            f"{t.need_help} need help{not_reached}) · {shares}")


def stood_down_block(item: ClosedItem) -> dict:
    incident = item.incident
    if item.hidden:
        return section(confidential_line(incident))
    when = "Stood down"
    if incident.stood_down_at:
        when += f" {slack_date(incident.stood_down_at, '{date_short_pretty}')} after " \
                f"{age(incident.stood_down_at - incident.activated_at)}"
    line = f"{when} · lead {user_mention(incident.lead_user_id)} · {channel_link(incident.channel_id)}"
    return section((_title_line(incident, item.plan_title) + "\n" + line)[:SECTION_MAX])


def plan_block(card: PlanCard, today: date) -> dict:
    def dated(label: str, on: date) -> str:
        return f"{label} {day(on)}" + (" ⚠️ *overdue*" if on < today else "")

    owners = safe(", ".join(card.owners), 500) or "none named"
    return section(f"{'⚠️ ' if card.overdue(today) else ''}*{safe(card.title, 150)}*\nOwners: {owners}\n"
                   f"{dated('Next review', card.next_review)} · {dated('Next test', card.next_test)}"
                   + _parts_line(card.parts),
                   accessory=button("📖 View plan", Action.VIEW_PLAN, {"p": card.plan_id}))


def _parts_line(parts: Coverage | None) -> str:
    if parts is None:
        return ""
    line = f"\n📋 {parts.line}"
    if parts.waiting:
        names = ", ".join(parts.waiting[:WAITING_NAMES_MAX])
        more = len(parts.waiting) - WAITING_NAMES_MAX
        line += f" · not yet: {safe(names, 1200)}" + (f" and {more} more" if more > 0 else "")
    return line


def _my_parts_section(data: HomeData) -> list[dict]:
    if not data.my_parts:
        return []
    blocks = [section("*Your part*")]
    blocks += [section(home_part_text(p.plan, p.part, acknowledged=p.acknowledged))
               for p in data.my_parts[:MY_PARTS_MAX]]
    if data.my_parts_total > MY_PARTS_MAX:
        blocks.append(context(f"…and your part in {data.my_parts_total - MY_PARTS_MAX} more plans."))
    return [*blocks, {"type": "divider"}]


def _open_section(data: HomeData) -> list[dict]:
    if not data.open:
        return [section("*Open incidents*\nNo open incidents. 🌤️")]
    blocks = [section(f"*Open incidents ({data.open_total:,})*")]
    blocks += [open_incident_block(item, data.now) for item in data.open[:OPEN_MAX]]
    hidden = data.open_total - min(len(data.open), OPEN_MAX)
    if hidden > 0:
        blocks.append(context(f"…and {hidden:,} more open, activated earlier: `/activate status` lists them."))
    return blocks


def _recent_section(data: HomeData) -> list[dict]:
    first = data.page.number == 1
    heading = "*Recently stood down*" if first else f"*Stood down earlier* · page {data.page.number}"
    items = data.recent[:RECENT_MAX]
    if not items:
        return [section(heading + ("\nNothing stood down yet." if first else "\nNo older incidents."))]
    blocks = [section(heading)] + [stood_down_block(item) for item in items]
    buttons = []
    if not first:
        buttons.append(button("← Most recent", Action.HOME_LATEST, HomePage().value()))
    if data.has_older:
        buttons.append(button("Older incidents →", Action.HOME_OLDER, data.page.next(items[-1].incident).value()))
    if buttons:
        blocks.append({"type": "actions", "block_id": "home-pages", "elements": buttons})
    return blocks


def _plans_section(data: HomeData) -> list[dict]:
    shown = data.plans[:PLANS_MAX]
    heading = f"*Plans ({data.plans_total:,})*"
    if data.plans_overdue:
        heading += f" · ⚠️ {data.plans_overdue:,} overdue for review or test"
    blocks = [section(heading)] + [plan_block(card, data.today) for card in shown]
    if data.plans_total > len(shown):
        blocks.append(context(f"Showing {len(shown)} of {data.plans_total:,} plans: the overdue and soonest due first."))
    return blocks


def home_view(data: HomeData) -> dict:
    blocks = [
        {"type": "header", "text": _plain("Business continuity", HEADER_MAX)},
        {"type": "actions", "block_id": "home-activate", "elements": [
            button("🚨 Activate a plan", Action.OPEN_ACTIVATION, ACTIVATE_VALUE, style="danger")]},
        context(f"Updated {slack_date(data.now)}"),
        *_open_section(data),
        {"type": "divider"},
        *action_blocks.home_section(data.actions, data.today, review_form=data.steward),
        {"type": "divider"},
        *_recent_section(data),
        {"type": "divider"},
        *_my_parts_section(data),
        *_plans_section(data),
    ]
    assert len(blocks) <= HOME_BLOCKS_MAX  # by construction: at most 3 + 22 + 1 + 14 + 1 + 12 + 1 + 6 + 22 = 82
    return {"type": "home", "blocks": blocks}
