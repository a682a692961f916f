"""Fixtures every test package uses: a fake Slack, settings, a running app."""
from __future__ import annotations

import compileall
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.tools.fakeslack import FakeSlack
from tests.support import people
from tests.support.served import Served as Running
from tests.support.served import serve_in_thread
# Recognisable secrets, and the session-wide check that none reaches log output (tests/support/secrets.py).
from tests.support.secrets import BOT_TOKEN, SIGNING_SECRET  # noqa: F401  (re-exported for the tests)
from tests.support import secrets
from tests.support.secrets import pytest_runtest_setup, pytest_sessionfinish  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]


def pytest_configure(config):
    secrets.pytest_configure(config)
    if not hasattr(config, "workerinput"):
        # The tests start a few hundred `bcbot serve` and worker processes from this checkout. Where
        # PYTHONDONTWRITEBYTECODE is set (CI's machine) each would compile every module of the bot again:
        # about 0.3 s of CPU per process. Compiled once here, they only read the bytecode.
        for package in ("bot", "handlers", "storage", "config"):
            compileall.compile_dir(ROOT / package, quiet=1)


@pytest.fixture
def fake_slack():
    fake = FakeSlack(token=BOT_TOKEN).start()
    people.populate(fake)
    yield fake
    fake.stop()


@pytest.fixture
def db_url(tmp_path):
    return f"sqlite:///{tmp_path}/bcbot.db"


@pytest.fixture
def make_settings(fake_slack, db_url):
    from config.settings import load_settings

    def make(**overrides):
        # Work after the ack on threads of the test process: tests fake the clock and watch calls in-process.
        values = dict(_env_file=None, slack_bot_token=BOT_TOKEN, slack_signing_secret=SIGNING_SECRET,
                      slack_api_url=fake_slack.url, database_url=db_url, bcbot_announce_channel=people.ANNOUNCE,
                      bcbot_worker="threads")
        return load_settings(**(values | overrides))

    return make


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite file at the newest migration, made once per test process."""
    from storage.db import make_engine
    from storage.migrate import upgrade

    path = tmp_path_factory.mktemp("migrated") / "bcbot.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    with closing(sqlite3.connect(path)) as conn:  # everything in the one file that is copied
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


@pytest.fixture
def start_app(make_settings, fake_slack, migrated_sqlite):
    from sqlalchemy.engine import make_url

    from bot.runtime.app import create_app
    from bot.runtime.http import make_server

    started: list[Running] = []

    def start(*, clock=None, **overrides) -> Running:
        settings = make_settings(**overrides)
        url = make_url(settings.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
                and not Path(url.database).exists():
            # What the app's own migration would make of a new file, copied: a few hundred tests start
            # an app on one, and migrating each took 0.1-0.2 s of CPU.
            shutil.copyfile(migrated_sqlite, url.database)
        app = create_app(settings, **({"clock": clock} if clock else {}))
        app.start(scheduler=False)
        server = make_server(app, host="127.0.0.1", port=0, threads=8)
        serve_in_thread(server)
        running = Running(app, server, fake_slack)
        started.append(running)
        return running

    yield start
    for running in started:
        running.settle()
        running.server.close()
        running.app.stop()


@pytest.fixture
def running(start_app):
    r = start_app()
    r.settle()
    return r
