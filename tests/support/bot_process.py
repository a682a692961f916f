"""A bcbot process for the multi-process tests: `python -m tests.support.bot_process CONFIG_JSON`.

It builds the app against the given database and fake Slack with a fixed clock, waits for a line on
stdin (so the test can start several at the same moment, no sleeps), then starts the bot the way
`bcbot serve` does (migrations, plan versions, the start-up reminder sweep) and prints, as JSON,
how many DMs it sent.
"""
from __future__ import annotations

import json
import sys
import threading
from datetime import datetime


def main(config: dict) -> int:
    from bot.worker import reminders as governance
    from bot.runtime.app import create_app
    from config.settings import load_settings

    if not config.get("advisory_lock", True):
        governance.sweep.__kwdefaults__["advisory_lock"] = False
    settings = load_settings(_env_file=None, slack_bot_token=config["token"], slack_signing_secret="x",
                             slack_api_url=config["slack_url"], database_url=config["database_url"],
                             bcbot_plans=config["plans"], bcbot_timezone=config.get("timezone", "UTC"),
                             bcbot_reminder_hour=config.get("hour", 9), bcbot_worker="threads")
    now = datetime.fromisoformat(config["now"])
    app = create_app(settings, clock=lambda: now)
    sent = []
    lock = threading.Lock()
    post = app.bot.slack.post

    def counting_post(channel, **kw):
        ts = post(channel, **kw)
        with lock:
            sent.append(channel)
        return ts

    app.bot.slack.post = counting_post
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.readline()  # the starting gun
    app.start(scheduler=False)
    idle = app.bot.background.wait_idle(120)
    app.stop()
    print(json.dumps({"sent": len(sent), "idle": idle}))
    return 0


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
