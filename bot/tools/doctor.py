"""`bcbot doctor`: check the set-up in order and say how to fix each failure.

One line per check, always in this order (CHECKS): a check that cannot run says SKIP and why. A bad
setting fails the settings check; the checks that do not depend on it still run. Nothing is created
or changed: the database is only read, and a missing SQLite file is reported, not made.

`bcbot serve` runs `preflight` (plans, database reachable) before it starts, and the whole list after,
logging the problems.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Iterable, Iterator

from bot.domain.plan import Plan, check_plans
from config.settings import FIXES, SettingProblem, Settings, diagnose_settings

CHECKS = ("settings", "plans", "database", "slack token", "mode", "people")
SLACK_TIMEOUT_S = 10
SHOWN_PLAN_PROBLEMS = 3


@dataclass(frozen=True)
class Check:
    name: str
    status: str  # "ok", "warn" (works, but probably not meant), "fail" or "skip" (could not run; `detail` says why)
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "warn")

    def line(self) -> str:
        mark = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL", "skip": "SKIP"}[self.status]
        return f"{mark} {self.name}: {self.detail}" + (f" — fix: {self.fix}" if self.status != "ok" and self.fix else "")


def passed(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def failed(name: str, detail: str, fix: str) -> Check:
    return Check(name, "fail", detail, fix)


def skipped(name: str, why: str) -> Check:
    return Check(name, "skip", why)


def warned(name: str, detail: str, fix: str = "") -> Check:
    return Check(name, "warn", detail, fix)


def run_checks(settings: Settings | None = None, **overrides) -> Iterator[Check]:
    """Yield every check's line(s) in CHECKS order. Without `settings` they are read from the
    environment and .env (`overrides` as for load_settings), and every bad one is reported."""
    problems: list[SettingProblem] = []
    if settings is None:
        settings, problems = diagnose_settings(**overrides)
    if settings is None:  # not even the defaults in place of the bad ones make valid settings
        for problem in problems:
            yield failed("settings", f"{problem.name} is invalid: {problem.message}", problem.fix)
        for name in CHECKS[1:]:
            yield skipped(name, "the settings could not be read (see settings)")
        return
    broken = {p.field for p in problems}

    def bad(field: str) -> str | None:
        return f"{field.upper()} is invalid (see settings)" if field in broken else None

    # settings
    for problem in problems:
        yield failed("settings", f"{problem.name} is invalid: {problem.message}", problem.fix)
    if settings.slack_bot_token is None and "slack_bot_token" not in broken:
        yield failed("settings", "SLACK_BOT_TOKEN is missing", FIXES["SLACK_BOT_TOKEN"])
    elif not problems:
        yield passed("settings", "present and well-formed")

    # plans
    plans: list[Plan] = []
    if why := bad("bcbot_plans"):
        yield skipped("plans", why)
    else:
        check, plans = _plans(settings)
        yield check
        if not check.ok and not bad("database_url"):  # a broken file's plan may be served at its last version
            from bot.tools.doctor_plans import served_lines
            yield from (Check("plans", *line) for line in served_lines(settings.database_url))

    # database (and, when it is readable, what the outbox holds)
    if why := bad("database_url"):
        yield skipped("database", why)
    elif (check := database(settings)).ok:
        yield check
        from bot.tools.doctor_outbox import outbox_lines

        yield from (Check("database", *line) for line in outbox_lines(settings.database_url))
    else:
        yield check

    # slack token
    token = _Token.NOT_CHECKED
    if why := bad("slack_bot_token") or bad("slack_api_url"):
        yield skipped("slack token", why)
    elif settings.slack_bot_token is None:
        yield skipped("slack token", "SLACK_BOT_TOKEN is not set (see settings)")
    else:
        check, token = _token(settings)
        yield check

    # mode
    if why := bad("slack_app_token") or (bad("slack_api_url") if settings.slack_app_token is not None else None):
        yield skipped("mode", why)
    elif settings.slack_app_token is not None and token is _Token.UNREACHABLE:
        yield skipped("mode", "Slack could not be reached (see slack token), so SLACK_APP_TOKEN was not checked")
    else:
        yield mode_check(settings)

    # people
    if not plans:
        yield skipped("people", "no valid plan to take owners and team members from (see plans)")
    elif token is not _Token.ACCEPTED:
        yield skipped("people", "needs a bot token Slack accepts (see slack token)")
    else:
        yield _people(settings, plans)


def preflight(settings: Settings) -> Iterator[Check]:
    """What `bcbot serve` needs before it starts: valid plans and a database it can open. A missing
    SQLite file or a missing migration is fine: serve creates and migrates."""
    yield _plans(settings)[0]
    yield database(settings, serving=True)


def report(checks: Iterable[Check], emit: Callable[[str], None]) -> bool:
    """Emit each line; True if every check passed (a SKIP only follows a failure, and counts as one)."""
    ok = True
    for check in checks:
        emit(check.line())
        ok = ok and check.ok
    return ok


@contextmanager
def quiet_logging() -> Iterator[None]:
    """Keep other loggers (slack_sdk's connection errors, alembic's INFO lines) out of the doctor's lines."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


# Plans ---------------------------------------------------------------------------------------

def _plans(settings: Settings) -> tuple[Check, list[Plan]]:
    plans, problems = check_plans(settings.bcbot_plans)
    if not problems:
        valid = f"{len(plans)} valid plan(s) in {settings.bcbot_plans}"
        if warnings := plan_warnings(settings, plans):
            return warned("plans", f"{valid}, but " + "; ".join(warnings),
                          "`bcbot init` writes a plan file of your own; `bcbot plan check` lists every warning"), plans
        return passed("plans", valid), plans
    shown = "; ".join(str(p) for p in problems[:SHOWN_PLAN_PROBLEMS])
    more = f"; and {len(problems) - SHOWN_PLAN_PROBLEMS} more" if len(problems) > SHOWN_PLAN_PROBLEMS else ""
    return failed("plans", f"{len(problems)} problem(s): {shown}{more}",
                  f"correct the plan file; `bcbot plan check {settings.bcbot_plans}` lists every problem"), plans


def plan_warnings(settings: Settings, plans: list[Plan]) -> list[str]:
    """The plan works, but is not yet the organisation's own, or its dates are in the past."""
    from datetime import datetime

    from bot.domain.plan import inspect_plans
    from bot.tools.setup_files import example_warnings

    today = datetime.now(settings.timezone).date()
    return [*example_warnings(settings.bcbot_plans, plans),
            *(str(w) for w in inspect_plans(settings.bcbot_plans, today=today).warnings)]


# Database ------------------------------------------------------------------------------------

def database(settings: Settings, *, serving: bool = False) -> Check:
    """Reachable and at the latest migration, only read; never creates a SQLite file."""
    from sqlalchemy.engine import make_url

    try:
        url = make_url(settings.database_url)
    except Exception:
        return failed("database", "DATABASE_URL is not a SQLAlchemy URL", FIXES["DATABASE_URL"])
    shown = url.render_as_string(hide_password=True)
    try:
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not url.query.get("uri"):
            path = Path(url.database)
            if not path.parent.is_dir():
                return failed("database", f"the folder of the database file {path} does not exist",
                              f"create {path.parent} (or correct DATABASE_URL)")
            if not path.exists():
                if serving:
                    return passed("database", f"database file {path} does not exist yet; it will be created")
                return failed("database", f"database file {path} does not exist yet",
                              "`bcbot db upgrade` or `bcbot serve` creates it")
            engine = _existing_sqlite(path)
        else:
            from storage.db import make_engine

            engine = make_engine(settings.database_url)
    except ImportError as err:
        return failed("database", f"no driver for {url.drivername}: {err}",
                      "for PostgreSQL: pip install '.[postgres]'; or correct DATABASE_URL")
    except Exception as err:
        return failed("database", f"cannot use {shown}: {_reason(err, url.password)}", FIXES["DATABASE_URL"])
    from storage.migrate import current_revision
    from storage.schema import missing

    try:
        current = current_revision(engine)
        gaps = missing(engine)
    except Exception as err:
        if engine.dialect.name == "sqlite":
            return failed("database", f"cannot read {shown}: {_reason(err, url.password)}",
                          "point DATABASE_URL at bcbot's SQLite file, or move this file away so that "
                          "`bcbot db upgrade` creates a new one")
        return failed("database", f"cannot reach {shown}: {_reason(err, url.password)}",
                      "check DATABASE_URL, that the database server is up, and that it accepts this user")
    finally:
        engine.dispose()
    return _migration(current, gaps, serving=serving)


def _existing_sqlite(path: Path):
    """An engine on the SQLite file that never creates it (mode=rw) and sets nothing on connect (bcbot's
    engines switch the file to WAL). Read-write, not read-only: a read-only connection to a WAL file
    leaves its -wal and -shm files behind."""
    import sqlite3
    from urllib.parse import quote

    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    uri = f"file:{quote(str(path.resolve()))}?mode=rw"
    return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True), poolclass=NullPool)


def _migration(current: str | None, gaps: list[str], *, serving: bool) -> Check:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config
    from storage.schema import describe

    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if current == head:
        if gaps:  # the revision says latest, the tables say otherwise
            return failed("database", *describe(gaps, current=current, head=head))
        return passed("database", f"reachable, at the latest migration ({head}), with every table and column")
    if current is not None:
        try:
            script.get_revision(current)
        except Exception:
            return failed("database", f"at migration {current}, which this version of bcbot does not know "
                          "(a newer bcbot migrated it)", "run the bcbot version that migrated it, or a newer one")
    if serving:
        return passed("database", f"reachable, at migration {current or 'none'}; bcbot serve brings it to {head}")
    return failed("database", f"reachable, at migration {current or 'none (empty)'}, latest is {head}",
                  "run `bcbot db upgrade` (bcbot serve also does it at start)")


def _reason(err: BaseException, password: str | None) -> str:
    """The driver's own first line (e.g. "Connection refused"), without the password."""
    cause = getattr(err, "orig", None) or err
    lines = str(cause).strip().splitlines()
    text = lines[0][:200] if lines else ""
    if password:
        text = text.replace(password, "***")
    return f"{type(cause).__name__}: {text}" if text else type(cause).__name__


# Slack ---------------------------------------------------------------------------------------

def _client(settings: Settings, token: str | None):
    """A client that fails fast: no reconnect attempts (the doctor reports an unreachable Slack at once)."""
    from slack_sdk import WebClient
    from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

    return WebClient(token=token, base_url=settings.slack_api_url, timeout=SLACK_TIMEOUT_S,
                     retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=2)])


BAD_TOKEN = {"invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired"}


def _slack_failure(name: str, err: Exception, settings: Settings, *, what: str, token_fix: str) -> Check:
    """Say whether Slack could not be reached, answered oddly, or refused the token."""
    from slack_sdk.errors import SlackApiError

    url = settings.slack_api_url
    if not isinstance(err, SlackApiError):
        reason = getattr(err, "reason", None) or err
        return failed(name, f"could not reach Slack at {url} ({type(err).__name__}: {str(reason)[:120]})",
                      "check SLACK_API_URL (normally https://slack.com/api/) and that this host can reach it "
                      "(network, proxy, firewall)")
    response = err.response
    status = getattr(response, "status_code", 200) or 200
    code = response.get("error") if response is not None and isinstance(response.data, dict) else None
    if code and " " in code:  # slack_sdk's words for an answer that was not Slack's JSON, not an error code
        code = None
    if code in BAD_TOKEN:
        return failed(name, f"Slack refused {what}: {code}", token_fix)
    if code is None or status != 200:  # Slack answers its errors with HTTP 200 (429s are retried)
        return failed(name, f"{url} answered HTTP {status}" + (f" ({code})" if code else ", not as Slack's Web API"),
                      "check SLACK_API_URL (normally https://slack.com/api/); if it is Slack's, try again later")
    return failed(name, f"Slack refused {what}: {code}", token_fix)


class _Token(Enum):
    NOT_CHECKED = "not checked"
    ACCEPTED = "accepted"  # perhaps with scopes missing: Slack can still be asked who people are
    REFUSED = "refused"
    UNREACHABLE = "unreachable"


def _token(settings: Settings) -> tuple[Check, _Token]:
    from slack_sdk.errors import SlackApiError

    from bot.slack.api import REQUIRED_SCOPES

    token_fix = ("copy OAuth & Permissions > Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN again "
                 "(reinstall the app if the token was revoked)")
    try:
        response = _client(settings, settings.bot_token).auth_test()
    except Exception as err:
        state = _Token.REFUSED if isinstance(err, SlackApiError) else _Token.UNREACHABLE
        return _slack_failure("slack token", err, settings, what="SLACK_BOT_TOKEN", token_fix=token_fix), state
    team = response.get("team") or "the workspace"
    header = next((v for k, v in response.headers.items() if k.lower() == "x-oauth-scopes"), "")
    missing = sorted(set(REQUIRED_SCOPES) - {s.strip() for s in header.split(",") if s.strip()})
    if missing:
        return failed("slack token", f"valid for {team}, but missing scopes: " + ", ".join(missing),
                      "add them under OAuth & Permissions (or re-create the app from slack-app-manifest.yml) "
                      "and reinstall the app"), _Token.ACCEPTED
    return passed("slack token", f"valid for {team} with every scope the manifest asks for"), _Token.ACCEPTED


def mode_check(settings: Settings) -> Check:
    if settings.slack_app_token is None:
        if settings.slack_signing_secret is None:
            return failed("mode", "HTTP mode (no SLACK_APP_TOKEN) but SLACK_SIGNING_SECRET is missing",
                          "set SLACK_SIGNING_SECRET (Basic Information > App Credentials > Signing Secret), "
                          "or SLACK_APP_TOKEN for Socket Mode")
        return passed("mode", "HTTP mode: Slack must reach POST /slack/events on this host")
    try:
        _client(settings, None).apps_connections_open(app_token=settings.slack_app_token.get_secret_value())
    except Exception as err:
        return _slack_failure("mode", err, settings, what="SLACK_APP_TOKEN (apps.connections.open)",
                              token_fix=FIXES["SLACK_APP_TOKEN"] + "; and turn Socket Mode on in the app")
    return passed("mode", "Socket Mode: SLACK_APP_TOKEN opens a connection; no public URL needed")


def _people(settings: Settings, plans: list[Plan]) -> Check:
    from bot.domain.errors import SlackUnavailable
    from bot.slack.api import SlackApi

    slack = SlackApi(_client(settings, settings.bot_token))
    missing: list[str] = []
    errors: list[str] = []
    checked: set[str] = set()
    for plan in plans:
        for person in [*plan.owners, *plan.activation.team]:
            key = person.slack or person.email or ""
            if key in checked:
                continue
            checked.add(key)
            try:
                if person.slack:
                    found = slack.user_exists(person.slack)
                else:
                    assert person.email  # a person has a Slack ID or an email (Person._reachable)
                    found = slack.lookup_email(person.email) is not None
            except SlackUnavailable as err:
                errors.append(f"{person.name} ({key}): {err}")
                continue
            if not found:
                missing.append(f"{person.name} ({key}) in {plan.id}")
    if errors:
        return failed("people", f"could not look up {len(errors)} of {len(checked)}: " + "; ".join(errors[:3]),
                      "check the token has users:read and users:read.email (see slack token) and that Slack is reachable")
    if missing:
        return failed("people", "not found in Slack: " + "; ".join(missing),
                      "correct their `slack` user ID or `email` in the plan file")
    return passed("people", f"all {len(checked)} owners and team members found in Slack")
