"""The `bcbot` command: serve, db upgrade, plan check, roles send, report, demo."""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from pathlib import Path

from bot.domain.plan import PlanError, inspect_plans
from bot.runtime import logs
from bot.tools.cli_db import existing_database as _existing_database
from config.settings import SettingsError, load_settings

log = logging.getLogger("bcbot")


def _fail(message: str, code: int = 2) -> int:
    print(f"bcbot: {message}", file=sys.stderr)
    return code


def _using(settings) -> None:
    """Which settings, database and plans this command uses, on one line (stderr: stdout stays the output)."""
    print(f"bcbot: {settings.origin()}", file=sys.stderr)


def _plans_path(args):
    """The plans `plan check` and `plan show` read, said on stderr: a path given, else BCBOT_PLANS, never
    the bundled example without saying so."""
    given = getattr(args, "path", None)
    if given:
        print(f"bcbot: reading plans from {given}", file=sys.stderr)
        return Path(given)
    settings = load_settings()
    _using(settings)
    from config import BUNDLED_PLANS

    if settings.bcbot_plans == BUNDLED_PLANS:
        print("bcbot: BCBOT_PLANS is not set (in the environment or a .env), so this is the bundled example plan: "
              "run `bcbot init` for a plan of your own, or run bcbot from the folder holding your .env",
              file=sys.stderr)
    return settings.bcbot_plans


def cmd_serve(args) -> int:
    from bot.runtime.app import create_app

    settings = load_settings()
    http = args.http or settings.slack_app_token is None
    settings.require_for_serving(http=http)
    # What start-up needs (plans, a database it can open), checked first: a clear line, not a traceback.
    from bot.tools.doctor import preflight

    checks = list(preflight(settings))
    problems = [check for check in checks if not check.ok]
    if problems and all(check.name == "plans" for check in problems) and _plans_on_record(settings):
        # Broken plan files, but their plans have valid versions on record: serve those, and say so.
        for check in problems:
            log.warning("setup problem: %s; serving the last valid version of each plan whose file is broken",
                        check.line())
        problems = []
    for check in problems:
        print(f"bcbot: {check.line()}", file=sys.stderr)
    if problems:
        return 2
    if not http and (unreachable := _socket_mode_problem(settings)):
        return _fail(unreachable)
    _using(settings)
    _forget_secrets_in_environment()
    for check in checks:
        if check.status == "warn":  # it runs, but probably not as meant: said at start, loudly
            log.warning("setup warning: %s", check.line())
    app = create_app(settings)
    app.start()
    from bot.worker.runner import freeze_startup_objects

    freeze_startup_objects()
    app.bot.background.submit(lambda: _log_setup_problems(settings))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    if hasattr(signal, "SIGHUP"):  # `kill -HUP`: look at the plan files now
        signal.signal(signal.SIGHUP, lambda *_: app.check_plans_now())
    try:
        if http:
            from bot.runtime.http import make_server

            server = make_server(app, host=args.host, port=args.port)
            log.info("bcbot serving HTTP on %s:%s (POST /slack/events, GET /healthz)", args.host, server.effective_port)
            server.run()
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            log.info("bcbot connecting to Slack in Socket Mode")
            assert settings.slack_app_token is not None  # without one, `http` is chosen above
            try:
                SocketModeHandler(app.bolt, settings.slack_app_token.get_secret_value()).start()
            except Exception as err:  # Slack went away between the check above and the connection
                log.error("Socket Mode could not connect to Slack (%s: %s): check that this host reaches "
                          "slack.com (wss:// included), then `bcbot doctor`; or serve HTTP with --http",
                          type(err).__name__, str(err).splitlines()[0][:200] if str(err) else "")
                return 2
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        app.stop()
    return 0


def _socket_mode_problem(settings) -> str | None:
    """The doctor's Socket Mode line when SLACK_APP_TOKEN cannot open a connection (Slack unreachable, the
    token refused): one line with the fix, instead of retries and a traceback."""
    from bot.tools.doctor import mode_check, quiet_logging

    with quiet_logging():
        check = mode_check(settings)
    return None if check.ok else check.line()


def _forget_secrets_in_environment() -> None:
    """From here on the tokens live in the settings alone: Bolt reads SLACK_BOT_TOKEN from the environment
    and warns at every start that it is unused (bcbot hands each request its token), and no child
    process needs them there (the worker gets its settings over its pipe)."""
    import os

    for name in ("SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"):
        os.environ.pop(name, None)


def _plans_on_record(settings) -> bool:
    from bot.tools.doctor_plans import served_rows

    return bool(served_rows(settings.database_url))


def _log_setup_problems(settings) -> None:
    """The doctor's checks, logged at start so a broken set-up is loud, not silent."""
    from bot.tools.doctor import run_checks

    for check in run_checks(settings):
        if check.status == "fail":
            log.warning("setup problem: %s", check.line())
        elif check.status == "skip":
            log.info("setup check skipped: %s", check.line())


def cmd_db_upgrade(args) -> int:
    from storage.db import make_engine
    from storage.migrate import current_revision, upgrade

    settings = load_settings()
    _using(settings)
    engine = make_engine(settings.database_url)
    upgrade(engine)
    print(f"database at revision {current_revision(engine)}")
    return 0


def cmd_plan_check(args) -> int:
    from datetime import datetime, timezone

    path = _plans_path(args)
    found = inspect_plans(path, today=datetime.now(timezone.utc).date())
    for problem in found.problems:
        print(problem)
    for warning in found.warnings:
        print(f"{warning} (warning)")
    if found.problems:
        print(f"{len(found.problems)} problem(s) found", file=sys.stderr)
        return 1
    for plan in found.plans:
        steps = sum(len(p.steps) for p in plan.phases)
        print(f"ok: {plan.id} — {plan.title} ({len(plan.owners)} owners, {len(plan.activation.team)} on the team, {steps} steps)")
    return 0


def cmd_plan_schema(args) -> int:
    import json

    from bot.domain.plan import Plan

    schema = Plan.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "bcbot plan file"
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0


def cmd_plan_show(args) -> int:
    from bot.domain import plan_page
    from bot.domain.plan import load_plans

    path = _plans_path(args)
    plans = {p.id: p for p in load_plans(path)}
    if args.id is None and len(plans) > 1:
        return _fail("there are several plans; name one: " + ", ".join(plans), 1)
    plan = plans.get(args.id) if args.id else next(iter(plans.values()))
    if plan is None:
        return _fail(f"there is no plan {args.id!r}; the plans are: " + ", ".join(plans), 1)
    print(plan_page.markdown(plan) if args.format == "md" else plan_page.text(plan), end="")
    return 0


def cmd_init(args) -> int:
    from bot.tools.setup_files import init

    return init(Path(args.folder), print)


def cmd_plan_status(args) -> int:
    import json
    from datetime import datetime, timezone

    from bot.domain.plan import load_plans
    from bot.slack.plan_blocks import status_json, status_text
    from bot.usecases.governance import plan_status
    from storage.db import make_session_factory
    from storage.migrate import current_revision, head_revision
    from storage.uow import uow_factory

    settings = load_settings()
    plans = load_plans(settings.bcbot_plans)
    engine, problem = _existing_database(settings.database_url)
    if engine is None:
        return _fail(problem or "no database", 1)
    _using(settings)
    try:
        if current_revision(engine) != head_revision():
            return _fail("the database is not up to date: run `bcbot db upgrade` (or start the bot) first", 1)
        statuses = plan_status(uow_factory(make_session_factory(engine)), plans, now=datetime.now(timezone.utc),
                               tz=settings.timezone)
    finally:
        engine.dispose()
    if args.format == "json":
        print(json.dumps(status_json(statuses), indent=2, ensure_ascii=False))
    else:
        print(status_text(statuses, tz=settings.timezone))
    return 0


def cmd_report(args) -> int:
    from bot.domain.report import build_report, render_json, render_markdown
    from storage.db import make_session_factory
    from storage.uow import SqlUnitOfWork

    settings = load_settings()
    engine, problem = _existing_database(settings.database_url)
    if engine is None:
        return _fail(problem or "no database", 1)
    _using(settings)
    try:
        report = build_report(lambda: SqlUnitOfWork(make_session_factory(engine)), args.incident, tz=settings.timezone)
    finally:
        engine.dispose()
    print(render_json(report) if args.format == "json" else render_markdown(report))
    return 0


def cmd_doctor(args) -> int:
    from contextlib import nullcontext

    from bot.tools.doctor import quiet_logging, report, run_checks
    from config.settings import diagnose_settings

    settings, _ = diagnose_settings()
    if settings is not None:  # the doctor's header: which settings, database and plans it checks
        print(settings.origin(), flush=True)
    # Only the doctor's own lines, unless asked for the details (-v).
    with nullcontext() if args.verbose else quiet_logging():
        return 0 if report(run_checks(), lambda line: print(line, flush=True)) else 1


def cmd_demo(args) -> int:
    from bot.tools.demo import run_demo

    return run_demo(out=sys.stdout, keep=Path(args.keep) if args.keep else None)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("bcbot")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bcbot", description="Run your business continuity plan in Slack.")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging (secrets are still redacted)")
    parser.add_argument("--version", action="version", version=f"bcbot {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    init = sub.add_parser("init", help="write an editable plan file and a .env pointing at it, and say what next")
    init.add_argument("folder", nargs="?", default=".", help="where to write them (default: this folder)")
    init.set_defaults(func=cmd_init)

    serve = sub.add_parser("serve", help="run the bot (Socket Mode if SLACK_APP_TOKEN is set, else HTTP)")
    serve.add_argument("--http", action="store_true", help="HTTP mode even if SLACK_APP_TOKEN is set")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=3000)
    serve.set_defaults(func=cmd_serve)

    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations up to the latest").set_defaults(func=cmd_db_upgrade)

    plan = sub.add_parser("plan", help="plan commands").add_subparsers(dest="plan_command", required=True)
    check = plan.add_parser("check", help="validate plan files; every problem with file and field")
    check.add_argument("path", nargs="?", help="a plan YAML file or folder (default: BCBOT_PLANS)")
    check.set_defaults(func=cmd_plan_check)
    show = plan.add_parser("show", help="print a plan as a handbook page (phases, steps, roles, team, contacts)")
    show.add_argument("id", nargs="?", help="the plan's id (default: the only plan)")
    show.add_argument("--format", choices=["text", "md"], default="text")
    show.add_argument("--path", help="a plan YAML file or folder (default: BCBOT_PLANS)")
    show.set_defaults(func=cmd_plan_show)
    plan.add_parser("schema", help="print the plan file's JSON Schema (for editors that check YAML)"
                    ).set_defaults(func=cmd_plan_schema)
    status = plan.add_parser("status", help="every plan's owners, last and next review and test, what is overdue")
    status.add_argument("--format", choices=["text", "json"], default="text")
    status.set_defaults(func=cmd_plan_status)

    from bot.tools.cli_roles import add_parser as add_roles

    add_roles(sub)

    report = sub.add_parser("report", help="print an incident's report")
    report.add_argument("incident", help="the incident reference, e.g. BC-12")
    report.add_argument("--format", choices=["md", "json"], default="md")
    report.set_defaults(func=cmd_report)
    from bot.tools import cli_actions, cli_review

    for module in (cli_actions, cli_review):
        module.add_parsers(sub, existing_database=_existing_database, fail=_fail, using=_using)

    sub.add_parser("doctor", help="check settings, plans, database, Slack token and people; a fix for each failure"
                   ).set_defaults(func=cmd_doctor)
    demo = sub.add_parser("demo", help="a complete scripted incident with no Slack workspace needed")
    demo.add_argument("--keep", metavar="DIR", help="keep its database, plan and a .env in DIR (for bcbot report BC-1)")
    demo.set_defaults(func=cmd_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logs.configure(logging.DEBUG if args.verbose else logging.INFO)
    from bot.domain.errors import BcbotError

    try:
        return args.func(args)
    except SettingsError as err:
        return _fail(str(err))
    except PlanError as err:
        return _fail("invalid plan: " + "; ".join(str(p) for p in err.problems))
    except BcbotError as err:
        return _fail(str(err), 1)


if __name__ == "__main__":
    sys.exit(main())
