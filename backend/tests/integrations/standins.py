"""Local stand-ins for the SaaS services the integrations talk to, which cannot be reached from here.

Each is a real HTTP server on 127.0.0.1 (a port of this suite's range, 18400-18499) implementing the
service's documented request and response shapes, and recording what it received:
- ``SlackStandIn``: an incoming webhook (https://api.slack.com/messaging/webhooks): JSON with ``text``
  and/or ``blocks`` → 200 ``ok``; no text → 400 ``no_text``; malformed JSON → 400 ``invalid_payload``.
- ``TeamsStandIn``: a Workflows webhook: a ``message`` with an Adaptive Card attachment → 202.
- ``JiraStandIn``: Jira Cloud REST v3 / Data Center v2: ``POST /rest/api/N/issue`` → 201 ``{id,key,self}``,
  ``GET /rest/api/N/issue/KEY?fields=status``, ``GET /rest/api/N/project/KEY``; 401 without the credentials.
- ``SignedWebhookReceiver``: a receiver a customer would write, verifying the HMAC-SHA256 signature
  with its own code (not the platform's), and the timestamp window.
``fail_next`` makes any of them answer an error status a number of times first (retry tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar
from urllib.parse import urlsplit

PORTS = range(18400, 18500)


def bind_server(handler: type[BaseHTTPRequestHandler], port: int | None = None) -> ThreadingHTTPServer:
    """A server on ``port``, or on the first free port of the suite's range."""
    for candidate in PORTS if port is None else [port]:
        try:
            return ThreadingHTTPServer(("127.0.0.1", candidate), handler)
        except OSError:
            continue
    raise RuntimeError("no free port in 18400-18499")


class StandIn:
    """A recording HTTP server; subclasses answer in ``respond``."""

    def __init__(self, port: int | None = None) -> None:
        self.received: list[dict[str, Any]] = []
        self.fail_next = 0
        self.fail_status = 503
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = {"method": self.command, "path": self.path, "headers": dict(self.headers.items()),
                           "body": body}
                with owner.lock:
                    failing = owner.fail_next > 0
                    if failing:
                        owner.fail_next -= 1
                    owner.received.append(request)
                status, answer, headers = ((owner.fail_status, b"temporarily unavailable", {}) if failing
                                           else owner.respond(request))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_POST = do_GET = do_PUT = _handle

            def log_message(self, *args: Any) -> None:
                return None

        self.server = bind_server(Handler, port)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def respond(self, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError

    def posts(self) -> list[dict[str, Any]]:
        return [r for r in self.received if r["method"] == "POST"]

    def wait_for(self, count: int, timeout: float = 60.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.posts()) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.posts()

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class SlackStandIn(StandIn):
    """Stand-in for a Slack incoming webhook (Slack cannot be reached here)."""

    def respond(self, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        try:
            message = json.loads(request["body"])
        except ValueError:
            return 400, b"invalid_payload", {}
        if not isinstance(message, dict) or not (message.get("text") or message.get("blocks")):
            return 400, b"no_text", {}
        blocks = message.get("blocks") or []
        if not all(isinstance(block, dict) and block.get("type") in {"header", "section", "context", "divider",
                                                                    "actions", "image"} for block in blocks):
            return 400, b"invalid_blocks", {}
        return 200, b"ok", {"Content-Type": "text/html"}


class TeamsStandIn(StandIn):
    """Stand-in for a Microsoft Teams Workflows webhook (Teams cannot be reached here)."""

    def respond(self, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        if request["method"] == "GET":
            return 405, b"", {}
        try:
            message = json.loads(request["body"])
            card = message["attachments"][0]
            valid = (message["type"] == "message" and card["contentType"] == "application/vnd.microsoft.card.adaptive"
                     and card["content"]["type"] == "AdaptiveCard")
        except (ValueError, KeyError, IndexError, TypeError):
            valid = False
        return (202, b"", {}) if valid else (400, b'{"error":{"code":"InvalidRequestContent"}}', {})


class SignedWebhookReceiver(StandIn):
    """A customer's receiver: verifies X-CSPM-Signature with its own HMAC code and a 5-minute window."""

    def __init__(self, secret: str, port: int | None = None) -> None:
        super().__init__(port)
        self.secret = secret.encode()
        self.verified: list[dict[str, Any]] = []

    def respond(self, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        headers = {name.lower(): value for name, value in request["headers"].items()}
        timestamp, provided = headers.get("x-cspm-timestamp", ""), headers.get("x-cspm-signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return 401, b"stale or missing timestamp", {}
        message = "\n".join(["POST", urlsplit(request["path"]).path, timestamp,
                             hashlib.sha256(request["body"]).hexdigest()]).encode()
        expected = hmac.new(self.secret, message, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, provided):
            return 401, b"bad signature", {}
        self.verified.append(json.loads(request["body"]))
        return 204, b"", {}


class JiraStandIn(StandIn):
    """Stand-in for Jira Cloud (REST v3, basic e-mail:token) or Data Center (REST v2, bearer PAT)."""

    STATUSES: ClassVar[dict[str, tuple[str, str]]] = {
        "todo": ("To Do", "new"), "doing": ("In Progress", "indeterminate"), "done": ("Done", "done")}

    def __init__(self, *, version: str = "3", email: str = "bot@example.com", token: str = "jira-token",
                 project: str = "SEC") -> None:
        super().__init__()
        self.version, self.email, self.token, self.project = version, email, token, project
        self.issues: dict[str, dict[str, Any]] = {}

    def authorised(self, headers: dict[str, str]) -> bool:
        value = {name.lower(): v for name, v in headers.items()}.get("authorization", "")
        if self.version == "3":
            return value == "Basic " + base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        return value == f"Bearer {self.token}"

    def set_status(self, key: str, status: str) -> None:
        self.issues[key]["status"] = status

    def respond(self, request: dict[str, Any]) -> tuple[int, bytes, dict[str, str]]:
        json_type = {"Content-Type": "application/json"}
        if not self.authorised(request["headers"]):
            return 401, b'{"errorMessages":["You are not authenticated."]}', json_type
        path = urlsplit(request["path"]).path
        root = f"/rest/api/{self.version}"
        if request["method"] == "GET" and path == f"{root}/project/{self.project}":
            return 200, json.dumps({"key": self.project, "name": "Security"}).encode(), json_type
        if request["method"] == "POST" and path == f"{root}/issue":
            fields = json.loads(request["body"])["fields"]
            description_ok = (isinstance(fields["description"], dict) and fields["description"]["type"] == "doc"
                              if self.version == "3" else isinstance(fields["description"], str))
            if fields["project"]["key"] != self.project or not fields.get("summary") or not description_ok:
                return 400, b'{"errors":{"project":"invalid"}}', json_type
            key = f"{self.project}-{len(self.issues) + 1}"
            self.issues[key] = {"fields": fields, "status": "todo"}
            return 201, json.dumps({"id": str(10000 + len(self.issues)), "key": key,
                                    "self": f"{self.base_url}{root}/issue/{key}"}).encode(), json_type
        if request["method"] == "GET" and path.startswith(f"{root}/issue/"):
            key = path.rsplit("/", 1)[1]
            if key not in self.issues:
                return 404, b'{"errorMessages":["Issue does not exist"]}', json_type
            name, category = self.STATUSES[self.issues[key]["status"]]
            return 200, json.dumps({"key": key, "fields": {"status": {"name": name, "statusCategory": {
                "key": category}}}}).encode(), json_type
        return 404, b"{}", json_type
