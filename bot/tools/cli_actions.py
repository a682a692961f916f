"""`bcbot actions`: the corrective-action register, read from the bot's database (nothing is changed)."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timezone


def cmd_actions(args, *, existing_database, fail, using) -> int:
    """(`existing_database`, `fail`, `using`: the CLI's own ways of opening a database only to read it, and of
    saying what went wrong and which settings are used.)"""
    from bot.domain.action_register import build, render_text
    from bot.domain.reminders import local_today
    from config.settings import load_settings
    from storage.db import make_session_factory
    from storage.migrate import current_revision, head_revision
    from storage.uow import uow_factory

    settings = load_settings()
    engine, problem = existing_database(settings.database_url)
    if engine is None:
        return fail(problem or "no database", 1)
    using(settings)
    try:
        if current_revision(engine) != head_revision():
            return fail("the database is not up to date: run `bcbot db upgrade` (or start the bot) first", 1)
        today = local_today(datetime.now(timezone.utc), settings.timezone)
        register = build(uow_factory(make_session_factory(engine)), today=today, plan=args.plan, status=args.status)
    finally:
        engine.dispose()
    if args.format == "json":
        print(json.dumps(register, indent=2, sort_keys=True, ensure_ascii=False))
    else:
        sys.stdout.write(render_text(register))
    return 0


def add_parsers(sub, **helpers) -> None:
    actions = sub.add_parser("actions", help="the corrective-action register: every action, its owner, due date, "
                                             "source and status")
    actions.add_argument("--plan", metavar="ID", help="only this plan's actions")
    actions.add_argument("--status", choices=["open", "done", "dropped", "overdue"])
    actions.add_argument("--format", choices=["text", "json"], default="text")
    actions.set_defaults(func=lambda args: cmd_actions(args, **helpers))
