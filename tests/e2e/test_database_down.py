"""PostgreSQL goes away mid-incident (the server dies, the network drops): requests still answer
within Slack's 3 s with "try again", nothing is half-written, /healthz turns 503; when the database is
back, the same form goes through. Needs PostgreSQL (skipped with the reason where none answers)."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from storage import models
from tests.e2e.helpers import open_modal, rows, submit
from tests.support import people
from tests.support.postgres import postgres_schema_url
from tests.support.tcp_proxy import TcpProxy


@pytest.fixture
def behind_proxy():
    """A fresh schema on the test PostgreSQL, reached through a proxy whose plug the test can pull."""
    generator = postgres_schema_url()
    url = next(generator)
    parts = urlsplit(url)
    proxy = TcpProxy((parts.hostname, parts.port or 5432))
    proxied = url.replace(f"@{parts.hostname}:{parts.port or 5432}/", f"@127.0.0.1:{proxy.port}/")
    try:
        yield proxy, proxied
    finally:
        proxy.cut()
        next(generator, None)


def healthz(running) -> int:
    try:
        with urllib.request.urlopen(running.url + "/healthz", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code


def test_a_database_that_goes_away_gets_try_again_and_nothing_half_written(start_app, behind_proxy):
    proxy, url = behind_proxy
    running = start_app(database_url=url)
    view = open_modal(running, people.PARKS)
    assert healthz(running) == 200

    proxy.cut()
    reply = submit(running, people.PARKS, view)
    assert reply.status == 200 and reply.elapsed < 3.0
    assert "try again" in json.dumps(reply.json())
    status = running.slack.command(people.PARKS, "status")
    assert status.status == 200 and status.elapsed < 3.0
    assert healthz(running) == 503

    proxy.restore()
    assert healthz(running) == 200
    assert rows(running, models.ActivationRequest) == []  # the refused submit left nothing behind
    reply = submit(running, people.PARKS, view)  # the same form, once the database is back
    assert reply.status == 200 and reply.body in ("", "{}")
    running.settle()
    [incident] = rows(running, models.Incident)
    assert incident.channel_id and incident.header_ts
