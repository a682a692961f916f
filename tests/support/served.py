"""A bcbot served over real HTTP (waitress) against a fake Slack, outside pytest's function fixtures.

The `running` fixture in tests/conftest.py starts one app per test; property tests that send hundreds
of requests share one per module instead (`served(tmp_dir)`), with the same interface.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from bot.tools.fakeslack import FakeSlack, SlackSender
from tests.support import people
from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET


class Served:
    """An app served over real HTTP by waitress, as in production."""

    def __init__(self, app, server, fake: FakeSlack):
        self.app, self.server, self.fake = app, server, fake
        self.url = f"http://127.0.0.1:{server.effective_port}"
        self.slack = SlackSender(self.url, SIGNING_SECRET, fake.response_url)

    @property
    def bot(self):
        return self.app.bot

    def settle(self, timeout: float = 15) -> None:
        assert self.bot.wait_idle(timeout), "background work did not finish"


def _serve_quietly(server) -> None:
    try:
        server.run()
    except OSError:  # the loop sees its socket closed at teardown
        pass


def serve_in_thread(server) -> None:
    threading.Thread(target=_serve_quietly, args=(server,), daemon=True).start()


@contextmanager
def served(tmp_dir: Path, *, clock=None, **overrides) -> Iterator[Served]:
    from bot.runtime.app import create_app
    from bot.runtime.http import make_server
    from config.settings import load_settings

    fake = FakeSlack(token=BOT_TOKEN).start()
    people.populate(fake)
    values = dict(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                  slack_api_url=fake.url, database_url=f"sqlite:///{tmp_dir}/bcbot.db",
                  bcbot_announce_channel=people.ANNOUNCE, bcbot_worker="threads")
    app = create_app(load_settings(**(values | overrides)), **({"clock": clock} if clock else {}))
    app.start(scheduler=False)
    server = make_server(app, host="127.0.0.1", port=0, threads=8)
    serve_in_thread(server)
    running = Served(app, server, fake)
    running.settle()
    try:
        yield running
    finally:
        running.bot.wait_idle(15)
        server.close()
        app.stop()
        fake.stop()
