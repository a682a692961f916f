"""HTTP mode: Bolt's WSGI adapter behind waitress (a production WSGI server, thread per request).

A synchronous Bolt App fits a threaded WSGI server; it never runs inside an event loop.
"""
from __future__ import annotations

import json
import logging

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.signature import SignatureVerifier
from waitress.server import create_server

from bot.runtime.app import BcbotApp
from bot.slack.parse import envelope_problem
from storage.schema import SchemaCheck

SLACK_PATH = "/slack/events"
log = logging.getLogger("bcbot.http")


class SlackHandler(SlackRequestHandler):
    """Bolt's WSGI adapter, except that a body Bolt cannot read (not UTF-8, not JSON, the wrong shape)
    is refused with a 400 (401 if it is not signed) and one log line, never a 500 with a traceback."""

    def __init__(self, app: BcbotApp, path: str):
        super().__init__(app.bolt, path=path)
        secret = app.bot.settings.slack_signing_secret
        self._verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        environ = request.environ
        try:
            raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        except (KeyError, ValueError, OSError):
            raw = b""
        headers = request.get_headers()
        if not self._signed(raw, headers):
            # First of all: before Bolt parses the body, before any middleware or the error handler, so an
            # unsigned request (a malformed, missing, stale or forged signature) gets no answer, no Slack
            # call and no DM.
            log.warning("refused an unsigned request (%s bytes)", len(raw))
            return BoltResponse(status=401, body="")
        try:
            body = BoltRequest(body=raw.decode("utf-8"), query=request.query_string, headers=headers)
        except Exception as err:  # Bolt parses before it verifies: not UTF-8, or a payload that is not JSON
            return self._refuse(raw, headers, f"{type(err).__name__}: {str(err)[:200]}")
        problem = envelope_problem(body.body)
        if problem:
            return self._refuse(raw, headers, problem)
        try:
            return self.app.dispatch(body)
        except Exception as err:  # Bolt's own middleware tripped over a body of an unexpected shape
            return self._refuse(raw, headers, f"{type(err).__name__}: {str(err)[:200]}")

    def _refuse(self, raw: bytes, headers: dict, problem: str) -> BoltResponse:
        log.warning("refused a malformed request from Slack: %s", problem)
        return BoltResponse(status=400, body="bcbot could not read this request.")

    def _signed(self, raw: bytes, headers: dict) -> bool:
        if self._verifier is None:
            return True  # verification is off (Socket Mode settings): nothing to tell apart
        timestamp, signature = _one(headers.get("x-slack-request-timestamp")), _one(headers.get("x-slack-signature"))
        if timestamp is None or signature is None or not timestamp.isascii() or not timestamp.isdigit():
            return False  # missing, repeated, or not a number of seconds
        try:
            return self._verifier.is_valid(raw, timestamp, signature)
        except (TypeError, ValueError, OverflowError):
            return False


def _one(value) -> str | None:
    """A header's one value: Bolt's adapter gives a list; two values of one header are no signature."""
    if isinstance(value, (list, tuple)):
        return value[0] if len(value) == 1 and isinstance(value[0], str) else None
    return value if isinstance(value, str) else None


def wsgi_app(app: BcbotApp):
    slack = SlackHandler(app, path=SLACK_PATH)
    schema = SchemaCheck(app.engine)  # one per server: its cache lives as long as the process serves

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            database = app.bot.healthy()
            # Tables or columns the code needs and the database lacks: every request touching them would fail.
            lacking = schema.problem() if database else None
            worker = app.bot.worker is None or app.bot.worker.alive()  # a dead worker is being replaced
            identity = app.bot.team_id is not None  # until auth.test answers, every request is refused
            healthy = database and lacking is None and worker and identity
            body = json.dumps({"status": "ok" if healthy else "unavailable",
                               "database": lacking or ("ok" if database else "unreachable"),
                               "slack": "ok" if identity else "workspace not known yet: auth.test is failing, retried",
                               **({} if app.bot.worker is None else {"worker": "ok" if worker else "restarting"}),
                               **({"outbox": _outbox(app)} if database else {})}
                              ).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        acks = getattr(app.bot.worker, "acks", None)  # a worker process: it waits while this answers
        if acks is None:
            return slack(environ, start_response)
        acks.enter()
        try:
            return slack(environ, start_response)
        finally:
            acks.leave()

    return application


def _outbox(app: BcbotApp) -> dict:
    """How much Slack work waits and since when, and how much is held (not retried): an outage says so here,
    without failing the check (nothing is lost, and restarting bcbot would not help)."""
    try:
        with app.bot.uow(read_only=True) as uow:
            waiting, since, held = uow.outbox.backlog()
    except Exception:  # the database check above already answers for the database
        return {"status": "unknown"}
    return {"waiting": waiting, "since": since.isoformat() if since else None, "held": held}


def make_server(app: BcbotApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16):
    """A waitress server (call .run(); .effective_port tells the port when 0 was asked)."""
    return create_server(wsgi_app(app), host=host, port=port, threads=threads, ident="bcbot",
                         max_request_body_size=1_048_576)
