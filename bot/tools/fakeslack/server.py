"""The fake Slack's HTTP plumbing: a threaded server on loopback that reads requests as Slack does and hands them to the fake."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from bot.tools.fakeslack.fake import FakeSlack

JSON_KEYS = ("blocks", "view", "metadata", "attachments")
# Read methods take their arguments as query parameters or a form, never as a JSON body.
FORM_ONLY_METHODS = {"users.info", "conversations.info", "users.lookupByEmail", "conversations.history", "chat.getPermalink",
                     "conversations.list", "auth.test", "users.list"}


class _Server(ThreadingHTTPServer):
    # Slack takes a burst of connections; the standard library's default backlog (5) drops the rest
    # of a burst, and their clients try again only after a second.
    request_queue_size = 512


def serve(fake: FakeSlack, port: int = 0) -> ThreadingHTTPServer:
    """Start answering for `fake` on 127.0.0.1 (a free port by default), on a daemon thread; the caller shuts the
    server down."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output quiet
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length)
            if fake._silent():  # the request was taken and never answered: the caller times out
                return
            if self.path.startswith("/upload/"):  # step 2 of files_upload_v2: the file's bytes
                status = fake._receive_upload(self.path.removeprefix("/upload/"), data)
                return self._send(status, {"ok": status == 200})
            raw = data.decode()
            is_json = self.headers.get("Content-Type", "").startswith("application/json")
            params = json.loads(raw or "{}") if is_json else dict(parse_qsl(raw))
            method = self.path.removeprefix("/api/").split("?")[0]
            params |= dict(parse_qsl(self.path.partition("?")[2]))
            if is_json and method in FORM_ONLY_METHODS:
                # Slack reads these methods' arguments from the query string or a form body only:
                # a JSON body arrives as no arguments at all.
                params = dict(parse_qsl(self.path.partition("?")[2]))
            for key in JSON_KEYS:
                if isinstance(params.get(key), str) and params[key][:1] in "[{":
                    params[key] = json.loads(params[key])
            if self.path.startswith("/response/"):
                with fake._lock:
                    fake.responses.append(params | {"_path": self.path})
                fake.look("response_url", params)
                return self._send(200, {"ok": True})
            status, body, headers = fake._handle(method, params, self.headers.get("Authorization", ""))
            self._send(status, body, headers)

        def do_GET(self):
            if fake._silent():
                return
            method, _, query = self.path.removeprefix("/api/").partition("?")
            status, body, headers = fake._handle(method, dict(parse_qsl(query)), self.headers.get("Authorization", ""))
            self._send(status, body, headers)

        def _send(self, status, body, headers=None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    server = _Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="fake-slack", daemon=True).start()
    return server
