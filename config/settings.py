"""Settings from the environment and `.env` (pydantic-settings).

The environment variable names are a public interface: see README and .env.example.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import BUNDLED_PLANS


class SettingsError(Exception):
    """A setting is missing or malformed; str() is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    database_url: str = "sqlite:///bcbot.db"
    bcbot_plans: Path = BUNDLED_PLANS
    bcbot_timezone: str = "UTC"
    bcbot_reminder_hour: int = Field(default=9, ge=0, le=23)
    bcbot_announce_channel: str | None = None
    # Advanced: how long a worker holds a Slack set-up task before another may take it over.
    # How long a worker holds an outbox task without renewing it: a dead worker's work is taken over after this.
    bcbot_lease_seconds: int = Field(default=6, ge=1, le=3600)
    # How often the worker looks for intents and outbox tasks nobody holds (left by a dead worker or server).
    bcbot_sweep_seconds: float = Field(default=2, gt=0, le=3600)
    # How often the worker looks at the plan files for a change (SIGHUP makes it look at once).
    bcbot_plans_poll_seconds: float = Field(default=5, gt=0, le=3600)
    # Where work after the ack runs: a worker process of its own (acks never compete with it for the
    # GIL), or threads of the serving process (one process; tests that fake the clock need this).
    bcbot_worker: Literal["process", "threads"] = "process"

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token", mode="before")
    @classmethod
    def _empty_is_unset(cls, v):
        # .env.example leaves the ones you do not use empty: `SLACK_APP_TOKEN=` means HTTP mode.
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("slack_bot_token")
    @classmethod
    def _bot_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return v if v.endswith("/") else v + "/"

    @field_validator("database_url")
    @classmethod
    def _db_url(cls, v: str) -> str:
        from urllib.parse import urlsplit

        scheme = urlsplit(v).scheme
        if not scheme or "://" not in v:
            raise ValueError("must be a SQLAlchemy URL such as sqlite:///bcbot.db or postgresql+psycopg://host/db")
        # Hosted PostgreSQL often hands out postgres:// URLs; use the psycopg 3 driver for them.
        for prefix in ("postgres://", "postgresql://"):
            if v.startswith(prefix):
                return "postgresql+psycopg://" + v[len(prefix):]
        return v

    @field_validator("bcbot_plans")
    @classmethod
    def _plans_exist(cls, v: Path) -> Path:
        if not v.exists():
            raise ValueError(f"no such file or folder: {v}")
        return v

    @field_validator("bcbot_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {v!r} (e.g. Europe/London)") from None
        return v

    @field_validator("bcbot_announce_channel")
    @classmethod
    def _channel(cls, v: str | None) -> str | None:
        if v in (None, ""):
            return None
        if v[:1] not in ("C", "G") or not v.isalnum() or not v.isupper():
            raise ValueError("must be a channel ID such as C0123ABCD (not a #name)")
        return v

    @property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.bcbot_timezone)

    @property
    def bot_token(self) -> str:
        return self.slack_bot_token.get_secret_value() if self.slack_bot_token else ""

    def require_for_serving(self, *, http: bool) -> None:
        """The bot cannot talk to Slack without these; say which one is missing."""
        if self.slack_bot_token is None:
            raise SettingsError("Setting SLACK_BOT_TOKEN is missing: set it to the app's xoxb- bot token")
        if http and self.slack_signing_secret is None:
            raise SettingsError(
                "Setting SLACK_SIGNING_SECRET is missing: HTTP mode needs the app's signing secret"
            )


# How to correct each setting: the doctor prints it beside the problem.
FIXES = {
    "SLACK_BOT_TOKEN": "set it to the app's Bot User OAuth Token (xoxb-…, OAuth & Permissions)",
    "SLACK_SIGNING_SECRET": "copy Basic Information > App Credentials > Signing Secret",
    "SLACK_APP_TOKEN": "generate an app-level token (xapp-…) with connections:write under Basic Information > "
                       "App-Level Tokens, or leave it empty for HTTP mode",
    "SLACK_API_URL": "leave it unset (https://slack.com/api/) unless you use a stand-in for Slack",
    "DATABASE_URL": "use a SQLAlchemy URL such as sqlite:///bcbot.db or postgresql+psycopg://user@host/db",
    "BCBOT_PLANS": "point it at a plan YAML file or a folder of them (or unset it for the bundled example)",
    "BCBOT_TIMEZONE": "use an IANA zone name such as Europe/London or UTC",
    "BCBOT_REMINDER_HOUR": "use a whole hour from 0 to 23",
    "BCBOT_ANNOUNCE_CHANNEL": "use the channel's ID (channel details > About, e.g. C0123ABCD), or leave it empty",
    "BCBOT_SETUP_LEASE_SECONDS": "use a whole number of seconds from 1 to 3600 (or unset it: 60)",
    "BCBOT_WORKER": "use process or threads (or unset it: process)",
}
GENERIC_FIX = "correct it in the environment or .env (see .env.example)"


@dataclass(frozen=True)
class SettingProblem:
    """One bad setting: `field` is the Settings attribute (None when pydantic names none)."""

    field: str | None
    message: str

    @property
    def name(self) -> str:
        return self.field.upper() if self.field else "settings"

    @property
    def fix(self) -> str:
        return FIXES.get(self.name, GENERIC_FIX)

    def __str__(self) -> str:
        return f"Setting {self.name} is invalid: {self.message}"


def _problems(err: ValidationError) -> list[SettingProblem]:
    found = []
    for error in err.errors():
        field = str(error["loc"][0]) if error["loc"] else None
        found.append(SettingProblem(field, error["msg"].removeprefix("Value error, ")))
    return found


def _describe(err: ValidationError) -> str:
    """Every bad setting, on one line."""
    return "; ".join(str(p) for p in _problems(err))


def load_settings(**overrides) -> Settings:
    """Build settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise SettingsError(_describe(err)) from None


def diagnose_settings(**overrides) -> tuple[Settings | None, list[SettingProblem]]:
    """Every bad setting, and settings in which each bad one is replaced by its default, so the checks
    that do not depend on them can still run (None if even that fails)."""
    try:
        return Settings(**overrides), []
    except ValidationError as err:
        problems = _problems(err)
    defaults = {p.field: Settings.model_fields[p.field].default for p in problems if p.field in Settings.model_fields}
    try:
        return Settings(**(overrides | defaults)), problems
    except ValidationError:
        return None, problems


@lru_cache
def get_settings() -> Settings:
    return load_settings()
