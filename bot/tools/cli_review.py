"""`bcbot review-pack` (the management review pack of a period, read from the bot's database) and
`bcbot review record` (a management review held outside Slack: its date, who attended, what was decided)."""
from __future__ import annotations

import json
import sys
from datetime import date, datetime, timezone


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a date like 2026-01-31") from None


def _open(existing_database, fail, using):
    """The settings and an engine on an up-to-date database, or (None, exit code) having said why."""
    from config.settings import load_settings
    from storage.migrate import current_revision, head_revision

    settings = load_settings()
    engine, problem = existing_database(settings.database_url)
    if engine is None:
        return settings, None, fail(problem or "no database", 1)
    using(settings)
    if current_revision(engine) != head_revision():
        engine.dispose()
        return settings, None, fail("the database is not up to date: run `bcbot db upgrade` (or start the bot) first", 1)
    return settings, engine, 0


def cmd_review_pack(args, *, existing_database, fail, using) -> int:
    from bot.domain.reminders import local_today
    from bot.domain.review_pack import build_pack
    from bot.tools.review_pack_render import render_html, render_markdown
    from storage.db import make_session_factory
    from storage.uow import uow_factory

    try:
        since = _date(args.since)
        until = _date(args.until) if args.until else None
    except ValueError as err:
        return fail(str(err))
    settings, engine, code = _open(existing_database, fail, using)
    if engine is None:
        return code
    until = until or local_today(datetime.now(timezone.utc), settings.timezone)
    if until < since:
        engine.dispose()
        return fail(f"--until ({until}) is before --since ({since})")
    try:
        pack = build_pack(uow_factory(make_session_factory(engine)), since=since, until=until, tz=settings.timezone,
                          plan=args.plan)
    finally:
        engine.dispose()
    if args.plan and not pack["plans"]:
        return fail(f"no plan {args.plan!r} on record")
    if args.format == "json":
        out = json.dumps(pack, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    elif args.format == "html":
        out = render_html(pack)
    else:
        out = render_markdown(pack)
    sys.stdout.write(out)
    return 0


def cmd_review_record(args, *, existing_database, fail, using) -> int:
    from storage.db import make_session_factory
    from storage.uow import uow_factory

    try:
        held_on = _date(args.date)
    except ValueError as err:
        return fail(str(err))
    decisions = [d.strip()[:1000] for d in args.decision if d.strip()][:50]
    if not decisions:
        return fail("say what was decided: --decision TEXT (once per decision)")
    _, engine, code = _open(existing_database, fail, using)
    if engine is None:
        return code
    try:
        with uow_factory(make_session_factory(engine))() as uow:
            review = uow.reviews.add(held_on=held_on, attendees=list(dict.fromkeys(args.attendee)),
                                     decisions=decisions, by=args.by, now=datetime.now(timezone.utc),
                                     plan_key=args.plan)
            uow.commit()
    finally:
        engine.dispose()
    print(f"recorded management review {review.ref} of {held_on}: {len(decisions)} decisions")
    return 0


def add_parsers(sub, **helpers) -> None:
    pack = sub.add_parser("review-pack", help="the management review pack of a period: incidents, exercises, "
                                              "reviews and tests, actions, roll calls (md, json or html)")
    pack.add_argument("--since", required=True, metavar="DATE", help="first day of the period (YYYY-MM-DD)")
    pack.add_argument("--until", metavar="DATE", help="last day of the period (default: today)")
    pack.add_argument("--plan", metavar="ID", help="only this plan")
    pack.add_argument("--format", choices=["md", "json", "html"], default="md")
    pack.set_defaults(func=lambda args: cmd_review_pack(args, **helpers))
    review = sub.add_parser("review", help="management reviews").add_subparsers(dest="review_command", required=True)
    record = review.add_parser("record", help="record a management review held outside Slack")
    record.add_argument("--date", required=True, metavar="DATE", help="when it was held (YYYY-MM-DD)")
    record.add_argument("--attendee", action="append", default=[], metavar="MEMBER",
                        help="a Slack member ID of someone who attended (repeat)")
    record.add_argument("--decision", action="append", default=[], metavar="TEXT", help="one decision (repeat)")
    record.add_argument("--plan", metavar="ID", help="the plan it reviewed (default: the whole programme)")
    record.add_argument("--by", default="cli", metavar="MEMBER", help="who records it (default: cli)")
    record.set_defaults(func=lambda args: cmd_review_record(args, **helpers))
