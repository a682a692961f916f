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


def steps_of(message: dict) -> list[tuple[str, dict | None]]:
    """A checklist message's steps: (text, actions row) pairs."""
    out, blocks = [], message["blocks"][1:]
    for i, block in enumerate(blocks):
        if block["type"] == "section":
            nxt = blocks[i + 1] if i + 1 < len(blocks) and blocks[i + 1]["type"] == "actions" else None
            out.append((block["text"]["text"], nxt))
    return out


def button(actions: dict, action_id: str) -> dict:
    return next(e for e in actions["elements"] if e["action_id"] == action_id)


def find_message(running, channel_id: str, needle: str) -> dict:
    return next(m for m in channel_messages(running, channel_id) if needle in str(m.get("blocks")) + m.get("text", ""))


def outbox_tasks(running) -> list:
    from storage import models

    return rows(running, models.OutboxTask)


def take_over(running, *, pauses_over: bool = True) -> None:
    """What the worker's periodic sweep does, now: run every intent and outbox task nobody holds (with
    `pauses_over`, as if their retry pauses had run out), then wait for it to finish."""
    from sqlalchemy import update

    from bot.worker.jobs import take_over as sweep
    from storage import models

    if pauses_over:
        with running.bot.uow() as uow:
            uow.session.execute(update(models.OutboxTask).where(models.OutboxTask.done_at.is_(None))
                                .values(not_before=None))
            uow.commit()
    sweep(running.bot)
    running.settle()


def run_intent(running, command, actor: str) -> None:
    """A person's command, recorded and run the way the worker runs it (as if the listener had taken it)."""
    import uuid

    from bot.domain.commands import encode
    from bot.usecases.ports import utcnow
    from bot.worker.intents import process_intent

    intent_id, _ = running.bot.record_intent(kind=command.kind, actor=actor, payload=encode(command),
                                             dedupe_key=f"test:{uuid.uuid4().hex}", tell={"user_id": actor}, now=utcnow())
    process_intent(running.bot, intent_id=intent_id, from_intake=running.bot.record_intent.intake)
    running.settle()
