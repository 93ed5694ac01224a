"""Shared pieces of the AI-SOC tests: real reports parsed into finding documents, and the LLM stand-in."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from bson import ObjectId

from cspm.scanners.parsers import get_parser


def finding_documents(report: Path, tool: str, team_id: str = "team-a") -> list[dict[str, Any]]:
    """The canonical findings of a real report, as the findings collection stores them (open, with ids)."""
    now = datetime.now(UTC)
    with report.open("rb") as handle:
        return [{**finding.model_dump(mode="json"), "_id": ObjectId(), "team_id": team_id, "status": "open",
                 "first_seen": now, "last_seen": now} for finding in get_parser(tool).parse(handle)]


Answer = Callable[[dict[str, Any]], tuple[int, dict[str, Any]] | None]


class OpenAiStandIn:
    """STAND-IN for an LLM and an embedding model, which cannot run on this machine: a local HTTP server
    speaking the OpenAI ``/v1/chat/completions`` and ``/v1/embeddings`` shapes. ``answer`` decides each chat
    reply from the request; embeddings are deterministic bag-of-words vectors (hashing trick)."""

    def __init__(self, answer: Answer, *, delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.chat_requests: list[dict[str, Any]] = []
        self.embedding_inputs: list[str] = []
        self.headers: list[dict[str, str]] = []

    def url(self, server: ThreadingHTTPServer) -> str:
        return f"http://127.0.0.1:{server.server_address[1]}/v1"


def embed(text: str, dimensions: int = 64) -> list[float]:
    import hashlib

    vector = [0.0] * dimensions
    for word in text.lower().split():
        vector[int(hashlib.md5(word.encode(), usedforsecurity=False).hexdigest(), 16) % dimensions] += 1.0
    return vector


@contextmanager
def serve(stand_in: OpenAiStandIn, port: int) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return None

        def do_POST(self) -> None:  # the http.server hook name
            import time

            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            stand_in.headers.append(dict(self.headers))
            if self.path == "/v1/embeddings":
                inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
                stand_in.embedding_inputs.extend(inputs)
                reply: dict[str, Any] = {"object": "list", "model": body["model"],
                                         "data": [{"object": "embedding", "index": i, "embedding": embed(text)}
                                                  for i, text in enumerate(inputs)],
                                         "usage": {"prompt_tokens": 1, "total_tokens": 1}}
                status = 200
            elif self.path == "/v1/chat/completions":
                stand_in.chat_requests.append(body)
                time.sleep(stand_in.delay)
                status, reply = stand_in.answer(body) or (500, {"error": {"message": "no answer"}})
            else:
                status, reply = 404, {"error": {"message": "not found"}}
            raw = json.dumps(reply).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)
            except (BrokenPipeError, ConnectionResetError):  # the client timed out and left
                return

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in.url(server)
    finally:
        server.shutdown()
        server.server_close()


def chat_reply(content: str, tokens: int = 120) -> tuple[int, dict[str, Any]]:
    return 200, {"id": "chatcmpl-standin", "object": "chat.completion", "model": "stand-in",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                              "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": tokens - 20, "completion_tokens": 20, "total_tokens": tokens}}


def passages_in(prompt: str) -> list[str]:
    """The passage ids the prompt offered ("[scf:XYZ-01#0] ...")."""
    import re

    return re.findall(r"^\[([a-z]+:[^\]]+#\d+|case:[0-9a-f]+|kev:CVE-[0-9-]+)\]", prompt, re.MULTILINE)
