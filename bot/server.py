"""HTTP mode: Bolt's WSGI adapter behind waitress (a production WSGI server, thread per request).

A synchronous Bolt App fits a threaded WSGI server; it never runs inside an event loop.
"""
from __future__ import annotations

import json

from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.app import BcbotApp

SLACK_PATH = "/slack/events"


def wsgi_app(app: BcbotApp):
    slack = SlackRequestHandler(app.bolt, path=SLACK_PATH)

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            healthy = app.bot.healthy()
            body = json.dumps({"status": "ok" if healthy else "unavailable",
                               "database": "ok" if healthy else "unreachable"}).encode()
            start_response("200 OK" if healthy else "503 Service Unavailable",
                           [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        return slack(environ, start_response)

    return application


def make_server(app: BcbotApp, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 16):
    """A waitress server (call .run(); .effective_port tells the port when 0 was asked)."""
    return create_server(wsgi_app(app), host=host, port=port, threads=threads, ident="bcbot",
                         max_request_body_size=1_048_576)
