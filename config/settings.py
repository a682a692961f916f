"""Settings from the environment and `.env` files (pydantic-settings).

Every command finds them the same way, first found wins: the environment, then `$BCBOT_HOME/.env`, then the
nearest `.env` from the current folder upwards. A relative path in a `.env` (BCBOT_PLANS, a SQLite
DATABASE_URL) is relative to that file's folder, so one `.env` works from any folder and inside the container.
The environment variable names are a public interface: see README and .env.example.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config import BUNDLED_PLANS


class SettingsError(Exception):
    """A setting is missing or malformed; str() is one line naming it."""


class Settings(BaseSettings):
    # The .env files are found and read by load_settings (env_files), not by pydantic: see the module's docstring.
    model_config = SettingsConfigDict(env_file=None, extra="ignore")

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
    # Which .env files the values came from, nearest last (for the line every command prints).
    _env_files: tuple[Path, ...] = PrivateAttr(default=())

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
        if v is not None and is_placeholder(v.get_secret_value()):
            raise ValueError("is still the placeholder from .env.example, not the app's token")
        return v

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and not v.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        if v is not None and is_placeholder(v.get_secret_value()):
            raise ValueError("is still the placeholder from .env.example, not the app-level token")
        return v

    @field_validator("slack_signing_secret")
    @classmethod
    def _secret_shape(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and is_placeholder(v.get_secret_value()):
            raise ValueError("is still a placeholder, not the app's signing secret")
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

    @field_validator("bcbot_plans", mode="before")
    @classmethod
    def _empty_plans_is_unset(cls, v):
        # `BCBOT_PLANS=` (left empty, as a compose file may pass it on) means the default, not this folder.
        return BUNDLED_PLANS if isinstance(v, str) and not v.strip() else v

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
    def env_files(self) -> tuple[Path, ...]:
        return self._env_files

    def origin(self) -> str:
        """One line: where the settings came from, and the database and plans they name."""
        from sqlalchemy.engine import make_url

        files = ", ".join(str(f) for f in reversed(self._env_files)) or "the environment only (no .env found)"
        try:
            database = make_url(self.database_url).render_as_string(hide_password=True)
        except Exception:
            database = "(DATABASE_URL unreadable)"
        plans = f"{self.bcbot_plans} (the bundled example)" if self.bcbot_plans == BUNDLED_PLANS else str(self.bcbot_plans)
        return f"settings from {files}; database {database}; plans {plans}"

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
    "BCBOT_LEASE_SECONDS": "use a whole number of seconds from 1 to 3600 (or unset it: 6)",
    "BCBOT_SWEEP_SECONDS": "use a number of seconds above 0, at most 3600 (or unset it: 2)",
    "BCBOT_PLANS_POLL_SECONDS": "use a number of seconds above 0, at most 3600 (or unset it: 5)",
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


# Placeholders people leave in a .env copied from .env.example: refused, with the fix, not sent to Slack.
_PLACEHOLDER_WORDS = {"your", "placeholder", "changeme", "replace", "example"}


def is_placeholder(value: str) -> bool:
    """`xoxb-your-bot-token`, `xapp-…`, `xoxb-...`, `<token>`: words a real token never has."""
    body = value.lower().removeprefix("xoxb-").removeprefix("xapp-")
    if not body.strip("-.…") or any(c in body for c in "…<> "):
        return True
    return bool(_PLACEHOLDER_WORDS & set(body.replace("_", "-").split("-")))


_DISCOVER = object()  # load_settings' default for `_env_file`: find the .env files as every command does


def env_files(cwd: Path | None = None, environ: dict[str, str] | None = None) -> list[Path]:
    """The .env files to read, the weakest first: the nearest `.env` from `cwd` upwards, then
    `$BCBOT_HOME/.env`. The environment beats both."""
    environ = dict(os.environ) if environ is None else environ
    found: list[Path] = []
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".env").is_file():
            found.append(folder / ".env")
            break
    if home := environ.get("BCBOT_HOME"):
        home_env = (Path(home).expanduser() / ".env").resolve()
        if home_env.is_file() and home_env not in found:
            found.append(home_env)
    return found


def _relative_to(folder: Path, name: str, value: str) -> str:
    """A relative path in a .env is relative to that file's folder, wherever bcbot runs."""
    if name == "bcbot_plans" and value and not Path(value).expanduser().is_absolute():
        return str(folder / value)
    if name == "database_url" and value.startswith("sqlite") and ":///" in value:
        prefix, _, rest = value.partition(":///")
        path, sep, query = rest.partition("?")
        if path and path != ":memory:" and not Path(path).is_absolute() and not path.startswith("file:"):
            return f"{prefix}:///{(folder / path).as_posix()}{sep}{query}"
    return value


def _file_values(files: list[Path], environ: dict[str, str]) -> dict[str, str]:
    """What the .env files say, each relative path resolved, minus what the environment sets."""
    from dotenv import dotenv_values

    fields = set(Settings.model_fields)
    in_environment = {k.lower() for k in environ}
    values: dict[str, str] = {}
    for path in files:  # weakest first: a later file overrides
        for key, value in dotenv_values(path, encoding="utf-8").items():
            name = key.lower()
            if name in fields and name not in in_environment and value is not None:
                values[name] = _relative_to(path.parent, name, value)
    return values


def _build(overrides: dict) -> Settings:
    env_file = overrides.pop("_env_file", _DISCOVER)
    if env_file is None:
        files: list[Path] = []
    elif env_file is _DISCOVER:
        files = env_files()
    else:
        files = [Path(env_file)]
    values = _file_values(files, dict(os.environ)) | overrides
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]  # pydantic-settings' init argument
    settings._env_files = tuple(files)
    return settings


def load_settings(**overrides) -> Settings:
    """Build settings, turning validation errors into one clear line."""
    try:
        return _build(dict(overrides))
    except ValidationError as err:
        raise SettingsError(_describe(err)) from None


def diagnose_settings(**overrides) -> tuple[Settings | None, list[SettingProblem]]:
    """Every bad setting, and settings in which each bad one is replaced by its default, so the checks
    that do not depend on them can still run (None if even that fails)."""
    try:
        return _build(dict(overrides)), []
    except ValidationError as err:
        problems = _problems(err)
    defaults = {p.field: Settings.model_fields[p.field].default for p in problems if p.field in Settings.model_fields}
    try:
        return _build(dict(overrides) | defaults), problems
    except ValidationError:
        return None, problems


@lru_cache
def get_settings() -> Settings:
    return load_settings()
