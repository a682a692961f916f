"""`bcbot roles send [PLAN]`: owe each person the plan names a card with their part in it (bot.usecases.part_cards).

It writes to the bot's database only: the cards are outbox tasks, which the running bot's worker sends (paced,
each once across restarts and replicas). The plan is the version the bot serves, so a card says what the bot runs."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Callable

from bot.domain.plan import Person
from bot.usecases.part_cards import owe_cards


def send_cards(uow_factory, plan_id: str | None, *, now: datetime, out: Callable[[str], None]) -> int:
    """Owe the cards of `plan_id` (or the only plan), saying what was owed; 0, or 1 with the reason."""
    with uow_factory() as uow:
        served = uow.plans.served()
        if not served:
            out("bcbot has not served any plan with this database yet: start it (`bcbot serve`) first, then "
                "run `bcbot roles send` again")
            return 1
        if plan_id is None and len(served) > 1:
            out("there are several plans; name one: " + ", ".join(sorted(served)))
            return 1
        key = plan_id or next(iter(served))
        if key not in served:
            out(f"bcbot serves no plan {key!r}; the plans are: " + ", ".join(sorted(served)))
            return 1
        version_id = served[key].version_id
        plan = uow.plans.snapshot(version_id)
        resolved = uow.slack_people.all()

        def user_id(person: Person) -> str | None:
            # People named by email, as the bot's users.list sweep resolved them (never looked up from here).
            return person.slack or resolved.get((person.email or "").lower(), (None, now))[0]

        done = owe_cards(uow, plan, version_id=version_id, user_id=user_id, now=now)
        uow.commit()
    total = len(done.owed) + len(done.unchanged) + len(done.not_in_slack)
    out(f"{plan.id} — {plan.title}: {total} people")
    out(f"  cards to send: {len(done.owed)}" + (" (the running bot DMs them, paced): " + ", ".join(done.owed)
                                               if done.owed else ""))
    if done.unchanged:
        out(f"  {len(done.unchanged)} already have the card of their part as it stands")
    if done.not_in_slack:
        out("  not in Slack (named by an email the bot has not resolved; no card): " + ", ".join(done.not_in_slack))
    out("`bcbot plan status` shows who has acknowledged their part.")
    return 0


def cmd_roles_send(args) -> int:
    from bot.tools.cli_db import existing_database
    from config.settings import load_settings
    from storage.db import make_session_factory
    from storage.migrate import current_revision, head_revision
    from storage.uow import uow_factory

    settings = load_settings()
    engine, problem = existing_database(settings.database_url)
    if engine is None:
        print(f"bcbot: {problem or 'no database'}", file=sys.stderr)
        return 1
    print(f"bcbot: {settings.origin()}", file=sys.stderr)
    try:
        if current_revision(engine) != head_revision():
            print("bcbot: the database is not up to date: run `bcbot db upgrade` (or start the bot) first",
                  file=sys.stderr)
            return 1
        return send_cards(uow_factory(make_session_factory(engine)), args.plan, now=datetime.now(timezone.utc),
                          out=print)
    finally:
        engine.dispose()


def add_parser(sub) -> None:
    roles = sub.add_parser("roles", help="people's parts in the plans").add_subparsers(dest="roles_command",
                                                                                      required=True)
    send = roles.add_parser("send", help="DM each person the plan names a card with their part (roles, steps per "
                            "phase, who covers them) and Got it")
    send.add_argument("plan", nargs="?", help="the plan's id (default: the only plan)")
    send.set_defaults(func=cmd_roles_send)
