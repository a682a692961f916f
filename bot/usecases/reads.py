"""Read-only views for the ack path: fast database reads, no Slack calls."""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, timedelta

from bot.domain.parts import PartRecord, coverage, parts_of
from bot.domain.plan import Plan
from bot.domain.records import Incident, Progress
from bot.slack import blocks
from bot.slack import home_blocks as render_home
from bot.slack.home_blocks import MY_PARTS_MAX, ClosedItem, HomeData, HomePage, MyPart, OpenItem, PlanCard
from bot.usecases.access import may_see
from bot.usecases.ports import Reader

# Another replica's changes reach `/activate status` within this; this process's and its worker's at once.
STATUS_MAX_AGE_S = 2.0


def open_incident_lines(bot: Reader, user_id: str | None) -> list[str]:
    """The open incidents, one line each, as `user_id` may see them (a confidential one only as "BC-n
    activated" to others than its people). A burst of `/activate status` (everyone asking at once on the
    worst day) reads the database once: the list is kept until an incident changes or it is 2 s old."""
    return [blocks.incident_line(i, title) if may_see(bot, i, user_id) else blocks.confidential_line(i)
            for i, title in _open_incidents(bot)]


def _open_incidents(bot: Reader) -> list[tuple[Incident, str]]:
    def fresh():
        cached = bot.status_cache
        if cached and cached[0] == bot.incidents_version and time.monotonic() - cached[1] < STATUS_MAX_AGE_S:
            return cached[2]
        return None

    found = fresh()
    if found is not None:
        return found
    # A burst after a change: one reads, the others use what it read. The wait is short, so a read
    # stuck on an unreachable database never holds a queue of acks past Slack's 3 s.
    locked = bot.status_lock.acquire(timeout=0.2)
    try:
        found = fresh()
        if found is not None:
            return found
        version = bot.incidents_version  # before the read: a change committed after it makes this stale
        with bot.uow(read_only=True) as uow:
            incidents = uow.incidents.open_incidents(50)
        found = [(i, bot.plans.title(i.plan_key)) for i in incidents]
        bot.status_cache = (version, time.monotonic(), found)
        return found
    finally:
        if locked:
            bot.status_lock.release()


def plan_cards(bot: Reader, today: date, recorded: dict[str, tuple[date, date]] | None = None
               ) -> tuple[list[PlanCard], int, int]:
    """The plans App Home lists (overdue and soonest due first), how many plans there are, how many overdue.

    `recorded` holds the review and test dates plan governance keeps in the database (one query); a plan
    bcbot has not recorded yet shows its file's dates.
    """
    recorded = recorded or {}
    dates = {p.id: recorded.get(p.id) or (p.review.next, p.testing.next) for p in bot.plans.all()}
    chosen, overdue = render_home.plans_to_show(dates, today)
    cards = []
    for plan_id in chosen:
        plan = bot.plans.plans[plan_id]
        cards.append(PlanCard(plan_id=plan.id, title=plan.title, owners=tuple(o.name for o in plan.owners),
                              next_review=dates[plan_id][0], next_test=dates[plan_id][1]))
    return cards, len(dates), overdue


def my_parts(bot: Reader, user_id: str, mine: dict[str, PartRecord]) -> tuple[list[MyPart], int]:
    """The reader's part in each plan that names them (at most MY_PARTS_MAX), and in how many plans in all.
    Looked for in the plans whose cards they were sent, and in every plan when there are few."""
    plans = bot.plans.plans
    keys = list(dict.fromkeys([*mine, *(plans if len(plans) <= render_home.PLANS_MAX else ())]))
    found: list[MyPart] = []
    for key in keys:
        plan = plans.get(key)
        part = next((p for p in parts_of(plan) if bot.directory.known_id(p.person) == user_id), None) if plan else None
        if plan is not None and part is not None:
            record = mine.get(key)
            found.append(MyPart(plan, part, record.acknowledged(part.digest) if record else None))
    return found[:MY_PARTS_MAX], len(found)


def home_data(bot: Reader, page: HomePage | None = None, user_id: str | None = None) -> HomeData:
    """Everything App Home shows `user_id` (a confidential incident only as "BC-n activated" to others than
    its people), in a fixed number of SQL statements (one per kind of thing shown) whatever the size of the
    history or the number of plans."""
    page = page or HomePage()
    now = bot.clock()
    today = now.astimezone(bot.settings.timezone).date()
    with bot.uow(read_only=True) as uow:  # a read: on SQLite it takes no write lock
        open_total = uow.home.count_open()
        opened = uow.home.open_incidents(render_home.OPEN_MAX)
        progress = uow.home.phase_progress([i.id for i in opened])
        roll_calls = uow.home.roll_calls([i.id for i in opened])
        recent = uow.home.stood_down(render_home.RECENT_MAX + 1, before=page.before)
        actions = (uow.actions.of_owner(user_id, closed_since=now - timedelta(days=7), limit=20)
                   if user_id else [])
        plans, plans_total, plans_overdue = plan_cards(bot, today, uow.governance.next_dates())
        cards, mine = uow.plan_parts.for_home([c.plan_id for c in plans], user_id)
    title = bot.plans.title

    def seen(incident: Incident) -> bool:  # App Home is published by the worker: it may ask Slack who people are
        return may_see(bot, incident, user_id, ask_slack=True)

    plans = [replace(c, parts=coverage(bot.plans.plans[c.plan_id], cards[c.plan_id], bot.directory.known_id))
             if c.plan_id in cards else c for c in plans]
    parts, parts_total = my_parts(bot, user_id, mine) if user_id else ([], 0)
    return HomeData(
        open=[OpenItem(i, title(i.plan_key), progress.get(i.id, Progress(0, 0)), hidden=not seen(i),
                       roll_call=roll_calls.get(i.id)) for i in opened],
        open_total=open_total,
        recent=[ClosedItem(i, title(i.plan_key), hidden=not seen(i)) for i in recent[:render_home.RECENT_MAX]],
        has_older=len(recent) > render_home.RECENT_MAX,
        page=page,
        plans=plans,
        plans_total=plans_total,
        plans_overdue=plans_overdue,
        my_parts=parts,
        my_parts_total=parts_total,
        now=now,
        today=today,
        actions=actions,
        steward=bool(user_id) and any(user_id in bot.directory.known_ids([*p.owners, *p.activation.team])
                                      for p in _stewarded(bot, plans)),
    )


def _stewarded(bot: Reader, cards: list[PlanCard]) -> list[Plan]:
    """The plans whose owners and team App Home offers the management review form: every plan when they fit
    on the home, else the ones it lists (10,000 plans are not walked on each render)."""
    if len(bot.plans.plans) <= render_home.PLANS_MAX:
        return list(bot.plans.all())
    return [bot.plans.plans[c.plan_id] for c in cards if c.plan_id in bot.plans.plans]


def home(bot: Reader, page: HomePage | None = None, user_id: str | None = None) -> dict:
    return render_home.home_view(home_data(bot, page, user_id))
