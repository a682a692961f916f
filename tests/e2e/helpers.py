"""Small steps the end-to-end tests share."""
from __future__ import annotations

from sqlalchemy import select

from tests.support.slack_requests import filled_view


def open_modal(running, user: str, text: str = "") -> dict:
    before = len(running.fake.calls_to("views.open"))
    reply = running.slack.command(user, text)
    assert reply.status == 200, reply.body
    running.settle()
    opened = running.fake.calls_to("views.open")
    assert len(opened) == before + 1, "the activation modal was not opened"
    return running.fake.views[max(v for v in running.fake.views if v.startswith("V"))]


def submit(running, user: str, view: dict, *, circumstance="Loss of critical systems",
           summary="The file server died at 09:00", lead=None, services=("Project management and delivery",), **kw):
    filled = filled_view(view, circumstance=circumstance, summary=summary, lead=lead or user, services=list(services), **kw)
    reply = running.slack.view_submission(user, filled)
    running.settle()
    return reply


def activate(running, user: str, **kw):
    view = open_modal(running, user)
    reply = submit(running, user, view, **kw)
    assert reply.status == 200 and reply.body in ("", "{}"), reply.body
    return reply


def rows(running, model):
    with running.bot.uow() as uow:
        found = list(uow.session.scalars(select(model)))
        uow.session.expunge_all()  # keep them readable after the session closes
        return found


def channel_messages(running, channel_id: str) -> list[dict]:
    return running.fake.messages.get(channel_id, [])
