"""The composition root: `create_app(settings)` builds the Bolt app and everything it needs.

Nothing here runs on import; nothing connects until `BcbotApp.start()`.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.middleware import Middleware
from sqlalchemy import Engine

from bot.bcbot import Bcbot
from bot.domain.commands import Tell
from bot.domain.errors import InvalidInput, NotAllowed, NotReady, explain
from bot.runtime.container import build_bot
from bot.runtime.identity import Identity, ask, keep_asking
from bot.slack.api import make_client
from bot.slack.ids import Field
from bot.usecases.ports import utcnow
from bot.worker.jobs import start_background_jobs
from bot.worker.plan_watch import adopt, sync_plans, watch
from bot.worker.process import WorkerProcess
from config.settings import Settings
from storage.migrate import upgrade

log = logging.getLogger("bcbot")


@dataclass
class BcbotApp:
    bolt: App
    bot: Bcbot
    engine: Engine
    scheduler: BackgroundScheduler | None = None
    _stopping: threading.Event = field(default_factory=threading.Event)

    def start(self, *, scheduler: bool = True) -> None:
        """Migrate, record the plan versions, learn who the bot is, then start background jobs (in the
        worker process, when the settings ask for one)."""
        upgrade(self.engine)
        # The worker records each plan's trouble and tells its owners; here only what to serve (PlanError
        # when no plan can be served at all).
        sync_plans(self.bot, owe_messages=False)
        identity = ask(self.bot)
        if identity is not None:
            self._serve_as(identity, scheduler)
        else:  # refuse every request (and say so on /healthz) until Slack answers; start the worker then
            keep_asking(self.bot, lambda found: self._serve_as(found, scheduler), self._stopping)

    def _serve_as(self, identity: Identity, scheduler: bool) -> None:
        """Start the work after the ack, then let requests in: the workspace checks now have a workspace."""
        bot = self.bot
        if bot.settings.bcbot_worker == "process":
            bot.effects = None  # the worker process runs the outbox; this one only records and acks
            bot.worker = worker = WorkerProcess(
                bot.settings, identity=(identity.user_id, identity.team_id), version_ids=bot.plans.version_ids,
                scheduler=scheduler, on_incidents_changed=bot.incidents_changed,
                # the worker found the plan files changed: serve the versions it recorded (off its reader thread)
                on_plans_changed=lambda ids: bot.background.submit(lambda: adopt(bot, ids)))
            bot.send = lambda request, reply_to, urgent: worker.submit(request, reply_to, urgent=urgent)
            bot.bot_user_id, bot.enterprise_id = identity.user_id, identity.enterprise_id
        else:
            bot.bot_user_id, bot.enterprise_id = identity.user_id, identity.enterprise_id
            self.scheduler = start_background_jobs(bot, scheduler=scheduler)
        bot.team_id = identity.team_id  # last: the requests' gate (inject_bot) opens here

    def check_plans_now(self) -> None:
        """Look at the plan files at once (SIGHUP), where they are watched: the worker, or these threads."""
        process = getattr(self.bot.worker, "process", None)
        if process is not None:
            os.kill(process.pid, signal.SIGHUP)
        else:
            self.bot.background.submit(lambda: watch(self.bot, force=True))

    def stop(self) -> None:
        self._stopping.set()
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.bot.worker is not None:
            self.bot.worker.stop()
        self.bot.background.shutdown()
        self.engine.dispose()
        if self.bot.intake is not None:
            self.bot.intake.dispose()


class WorkspaceGate(Middleware):
    """Lets in requests from bcbot's own workspace only, and hands the listeners the bot (`context["bcbot"]`).
    A Middleware class, not a function: Bolt calls it directly instead of building every argument it
    could inject, on each request's ack path."""

    def __init__(self, bot: Bcbot):
        self.bot = bot

    def process(self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]) -> BoltResponse | None:
        bot, context, body = self.bot, req.context, req.body
        if bot.team_id is None:  # auth.test has not answered yet: no workspace to check against
            log.warning("refused a request: bcbot's own Slack workspace is not known yet (auth.test)")
            if body.get("type") == "event_callback":
                return BoltResponse(status=503, body="")  # Slack sends the event again later
            return error_response(bot, NotReady(), body)
        # The workspace of the request, and of the person acting: in a Slack Connect channel someone
        # from another organisation can click bcbot's buttons while the request's team is our own.
        user = body.get("user")
        teams = [context.team_id, context.get("actor_team_id"), user.get("team_id") if isinstance(user, dict) else None]
        foreign = [str(t) for t in teams if t and t != bot.team_id]
        enterprises = [context.enterprise_id, context.get("actor_enterprise_id")]
        foreign += [str(e) for e in enterprises if e and e != bot.enterprise_id]
        if foreign:
            log.warning("refused a request from another workspace (%s)", foreign[0][:32])
            # Answered like any refusal, in the shape the surface shows (a modal's field error, an ephemeral).
            return error_response(bot, NotAllowed("This bcbot belongs to another Slack workspace."), body)
        context["bcbot"] = bot
        return next()


def create_app(settings: Settings, *, clock: Callable[[], datetime] = utcnow) -> BcbotApp:
    bot, engine = build_bot(settings, clock=clock)

    def authorize(enterprise_id, team_id, logger) -> AuthorizeResult:
        # No auth.test on the request path: the identity was learned once at start.
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=bot.team_id or team_id,
                               bot_token=settings.bot_token, bot_user_id=bot.bot_user_id)

    signing_secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else ""
    bolt = App(
        signing_secret=signing_secret,
        # Bolt gives each request a client with the token from `authorize`; this one only carries
        # the API URL and the retry policy.
        client=make_client(token=None, base_url=settings.slack_api_url),
        authorize=authorize,
        # Listeners ack on the request thread and hand slow work to bot.background, so an ack
        # never waits for a busy thread pool or a slow Slack API.
        process_before_response=True,
        request_verification_enabled=True,
        logger=logging.getLogger("bcbot.bolt"),
    )

    bolt.use(WorkspaceGate(bot))

    @bolt.error
    def on_error(error, body, response):
        return error_response(bot, error, body if isinstance(body, dict) else {})

    from handlers import (
        actions,
        commands,
        corrective_actions,
        events,
        governance,
        home,
        parts,
        recovery,
        roles,
        rollcall,
        shortcuts,
        views,
    )

    for module in (commands, actions, views, events, shortcuts, home, governance, rollcall, roles, corrective_actions,
                   parts, recovery):
        module.register(bolt)
    return BcbotApp(bolt=bolt, bot=bot, engine=engine)


def error_response(bot: Bcbot, error: Exception, body: dict) -> BoltResponse:
    """Turn any listener error into something the person sees, in the shape the surface expects."""
    message = explain(error, log)
    kind = body.get("type")
    if kind == "view_submission":
        fields = error.fields if isinstance(error, InvalidInput) and error.fields else {_error_block(body): message[:200]}
        return BoltResponse(status=200, body=json.dumps({"response_action": "errors", "errors": fields}),
                            headers={"content-type": "application/json"})
    if "command" in body:
        return BoltResponse(status=200, body=json.dumps({"response_type": "ephemeral", "text": message}),
                            headers={"content-type": "application/json"})
    if kind in ("block_actions", "shortcut", "message_action"):
        from handlers import reply_to

        # the response_url, or a DM when there is none (a button in a modal)
        bot.send(Tell(message), reply_to(bot, body), False)
    return BoltResponse(status=200, body="")


def _error_block(body: dict) -> str:
    """An input block of the submitted modal to show a general error on (Slack ignores unknown ones)."""
    view = body.get("view")
    state = view.get("state") if isinstance(view, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    blocks = list(values) if isinstance(values, dict) else []
    return Field.SUMMARY.value if Field.SUMMARY.value in blocks or not blocks else str(blocks[0])
