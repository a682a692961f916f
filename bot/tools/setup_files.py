"""`bcbot init [FOLDER]`: an editable plan file and a `.env` pointing at it (and at one database file),
and what to edit next. Also how to tell that the bundled example plan, or its made-up people, is in use.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Callable

from bot.domain.plan import Plan, load_plans
from config import BUNDLED_PLANS

EXAMPLE_FILE = BUNDLED_PLANS / "wunderroot.yaml"
MARK = "# REPLACE with one of your people"
_PERSON_LINE = re.compile(r"^(\s+(?:-\s+)?(?:slack|email):\s*\S+)\s*$")

ENV_TEMPLATE = """\
# bcbot settings, written by `bcbot init`. Never commit this file: it holds secrets.
# bcbot reads the nearest .env from the folder you run it in upwards (or $BCBOT_HOME/.env); the environment
# beats both. Relative paths below are relative to this file's folder, so they name the same plan and
# database from any folder below it, and inside the container when this folder is mounted at /data.

# The app's bot token (OAuth & Permissions > Bot User OAuth Token).
SLACK_BOT_TOKEN=
# HTTP mode: the app's signing secret (Basic Information > App Credentials).
SLACK_SIGNING_SECRET=
# Socket Mode: an app-level token with connections:write. When set, `bcbot serve` uses Socket Mode.
SLACK_APP_TOKEN=
# Your plan file(s): a YAML file or a folder of them.
BCBOT_PLANS={plans}
# One database file, beside this .env. For several replicas use PostgreSQL:
# DATABASE_URL=postgresql+psycopg://bcbot:secret@db.internal:5432/bcbot
DATABASE_URL=sqlite:///{database}
# IANA time zone for dates, channel names and reminders.
BCBOT_TIMEZONE=UTC
# Optional channel ID (not #name) where activations and status updates are announced.
BCBOT_ANNOUNCE_CHANNEL=
"""


def example_plan_text() -> str:
    """The bundled example with every person's Slack ID or email marked to replace."""
    lines = []
    for line in EXAMPLE_FILE.read_text(encoding="utf-8").splitlines():
        match = _PERSON_LINE.match(line)
        lines.append(f"{match.group(1)}  {MARK}" if match else line)
    header = ("# Your business continuity plan, started from bcbot's example. Replace every line marked REPLACE,\n"
              "# then `bcbot plan check`. Every field: docs/plan-format.md (or `bcbot plan schema` for editors).\n")
    return header + "\n".join(lines) + "\n"


def init(folder: Path, emit: Callable[[str], None]) -> int:
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    plans = folder / "plans"
    plan_file = plans / "plan.yaml"
    env_file = folder / ".env"
    database = folder / "bcbot.db"
    written = []
    for path, text in ((plan_file, example_plan_text),
                       (env_file, lambda: ENV_TEMPLATE.format(plans=plans.relative_to(folder).as_posix(),
                                                                 database=database.relative_to(folder).as_posix()))):
        if path.exists():
            emit(f"kept    {path} (it exists; delete it to have bcbot init write it again)")
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text(), encoding="utf-8")
        written.append(path)
        emit(f"wrote   {path}")
    emit("")
    emit("Next:")
    emit(f"  1. Edit {plan_file}: your organisation, owners, team, circumstances and steps. Replace every")
    emit("     line marked REPLACE with a real person (a Slack member ID, or an email Slack knows).")
    emit(f"  2. Check it: cd {folder} && bcbot plan check   (every problem at once, with its line)")
    emit("  3. Create the Slack app from slack-app-manifest.yml and put its tokens in .env (README:")
    emit("     \"Create the Slack app\").")
    emit("  4. bcbot doctor   then   bcbot serve   (from this folder or one below it: bcbot reads the nearest .env")
    emit(f"     upwards; elsewhere set BCBOT_HOME={folder})")
    return 0


def example_warnings(plans_path: Path, plans: list[Plan]) -> list[str]:
    """Why the plan in use is not yet the organisation's own (empty when it is)."""
    try:
        bundled = plans_path.resolve() == BUNDLED_PLANS.resolve() or \
            plans_path.resolve().is_relative_to(BUNDLED_PLANS.resolve())
    except OSError:
        bundled = False
    if bundled:
        return [f"the bundled example plan is in use ({plans_path}), with made-up people: run `bcbot init` "
                "for a plan file of your own and point BCBOT_PLANS at it"]
    example = load_plans(EXAMPLE_FILE)[0]
    made_up = {p.slack or p.email for p in [*example.owners, *example.activation.team]}
    found = []
    for plan in plans:
        names = sorted({p.name for p in [*plan.owners, *plan.activation.team] if (p.slack or p.email) in made_up})
        if names:
            found.append(f"plan {plan.id} still has the example's made-up people ({', '.join(names)}): "
                         "replace the lines marked REPLACE")
    return found
