"""`bcbot doctor`: check the set-up in order and say how to fix each failure.

`bcbot serve` runs the same checks at start and logs the problems.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

from bot.errors import SlackUnavailable
from bot.plan import Plan, check_plans
from config.settings import Settings, SettingsError, load_settings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.name}: {self.detail}" + ("" if self.ok or not self.fix else f" — fix: {self.fix}")


def run_checks(settings: Settings | None = None, *, slack=None) -> Iterator[Check]:
    """Yield one Check per line; stops early where later checks cannot run."""
    if settings is None:
        try:
            settings = load_settings()
        except SettingsError as err:
            yield Check("settings", False, str(err), "correct it in the environment or .env (see .env.example)")
            return
    if settings.slack_bot_token is None:
        yield Check("settings", False, "SLACK_BOT_TOKEN is missing", "set it to the app's xoxb- Bot User OAuth Token")
    else:
        yield Check("settings", True, "present and well-formed")

    plans, problems = check_plans(settings.bcbot_plans)
    if problems:
        yield Check("plans", False, f"{len(problems)} problem(s), first: {problems[0]}",
                    f"run `bcbot plan check {settings.bcbot_plans}` and correct the file")
    else:
        yield Check("plans", True, f"{len(plans)} valid plan(s) in {settings.bcbot_plans}")

    yield _database(settings)
    yield _mode(settings)

    if settings.slack_bot_token is None:
        return
    if slack is None:
        from bot.slack_api import SlackApi, make_client

        slack = SlackApi(make_client(token=settings.bot_token, base_url=settings.slack_api_url, timeout=10))
    token_ok = yield from _token(slack)
    if token_ok and plans:
        yield from _people(slack, plans)


def _database(settings: Settings) -> Check:
    from storage.db import make_engine
    from storage.migrate import current_revision, head_revision

    engine = make_engine(settings.database_url)
    try:
        current = current_revision(engine)
    except Exception as err:
        return Check("database", False, f"cannot reach {engine.url.render_as_string(hide_password=True)}: "
                     f"{type(err).__name__}", "check DATABASE_URL and that the database server is up")
    finally:
        engine.dispose()
    head = head_revision()
    if current != head:
        return Check("database", False, f"at migration {current or 'none'}, latest is {head}",
                     "run `bcbot db upgrade` (bcbot serve also does it at start)")
    return Check("database", True, f"reachable, at the latest migration ({head})")


def _mode(settings: Settings) -> Check:
    if settings.slack_app_token is not None:
        return Check("mode", True, "Socket Mode (SLACK_APP_TOKEN is set); no public URL needed")
    if settings.slack_signing_secret is None:
        return Check("mode", False, "HTTP mode but SLACK_SIGNING_SECRET is missing",
                     "set SLACK_SIGNING_SECRET (Basic Information > Signing Secret), or SLACK_APP_TOKEN for Socket Mode")
    return Check("mode", True, "HTTP mode: Slack must reach POST /slack/events on this host")


def _token(slack) -> Iterator[Check]:
    from bot.slack_api import REQUIRED_SCOPES

    try:
        identity = slack.auth_test()
        granted = slack.granted_scopes()
    except SlackUnavailable as err:
        yield Check("slack token", False, str(err), "copy the Bot User OAuth Token (xoxb-) again, and check SLACK_API_URL")
        return False
    missing = sorted(set(REQUIRED_SCOPES) - granted)
    if missing:
        yield Check("slack token", False, f"valid for {identity.get('team', 'the workspace')}, but missing scopes: "
                    + ", ".join(missing), "add them under OAuth & Permissions (or re-create the app from "
                    "slack-app-manifest.yml) and reinstall the app")
        return True
    yield Check("slack token", True, f"valid for {identity.get('team', 'the workspace')} with every scope the manifest asks for")
    return True


def _people(slack, plans: list[Plan]) -> Iterator[Check]:
    problems: list[str] = []
    checked: set[str] = set()
    for plan in plans:
        for person in [*plan.owners, *plan.activation.team]:
            key = person.slack or person.email or ""
            if key in checked:
                continue
            checked.add(key)
            try:
                found = slack.user_exists(person.slack) if person.slack else slack.lookup_email(person.email) is not None
            except SlackUnavailable as err:
                found, key = False, f"{key} ({err})"
            if not found:
                problems.append(f"{person.name} ({key}) in {plan.id}")
    if problems:
        yield Check("people", False, "not found in Slack: " + "; ".join(problems),
                    "correct their `slack` user ID or `email` in the plan file")
    else:
        yield Check("people", True, f"all {len(checked)} owners and team members found in Slack")


def report(checks: Iterator[Check], emit: Callable[[str], None]) -> bool:
    ok = True
    for check in checks:
        emit(check.line())
        ok = ok and check.ok
    return ok
