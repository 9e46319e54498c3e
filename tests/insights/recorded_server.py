"""A recorded-response server: a local HTTP server that speaks the OpenAI chat-completions
protocol and replays responses recorded under ``tests/insights/recorded/``.

No LLM is reachable from the test machines; this stands in for one. Each recording is
``{"request_contains": "...", "response": <chat.completion body>}``; a request is answered
with the first recording whose ``request_contains`` occurs in its last user message.
``mode`` makes it misbehave on purpose: ``slow`` answers after ``delay_s``, ``garbage`` sends
a body that is not JSON.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self

RECORDINGS = Path(__file__).parent / "recorded"

Mode = Literal["replay", "slow", "garbage"]


class ChatServer:
    """A local HTTP server on loopback that answers each POST with ``answer(path, request)``;
    subclasses say what the answer is."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True  # a slow answer must not hold up shutdown
        # A short poll interval so that shutting down takes milliseconds, not half a second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", 0))
                request = json.loads(self.rfile.read(length) or b"{}")
                status, body = server.answer(self.path, request)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def log_message(self, format: str, *args: object) -> None:
                pass  # keep test output clean

        return Handler


class RecordedChatServer(ChatServer):
    def __init__(self, mode: Mode = "replay", delay_s: float = 2.0) -> None:
        super().__init__()
        self.mode = mode
        self.delay_s = delay_s
        self.recordings = [
            json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(RECORDINGS.glob("*.json"))
        ]

    def answer(self, path: str, request: dict[str, Any]) -> tuple[int, bytes]:
        self.requests.append(request)
        if self.mode == "garbage":
            return 200, b"<html>502 upstream went away</html>"
        if self.mode == "slow":
            time.sleep(self.delay_s)
        user = next(
            (m["content"] for m in reversed(request.get("messages", [])) if m["role"] == "user"),
            "",
        )
        for recording in self.recordings:
            if recording["request_contains"] in user:
                return 200, json.dumps(recording["response"], ensure_ascii=False).encode()
        error = {"error": {"message": "no recording matches this request", "type": "not_found"}}
        return 404, json.dumps(error).encode()
