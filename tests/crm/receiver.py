"""A real HTTP receiver standing in for a CRM: verifies, dedupes on webhook-id, records.

It is what the README asks integrators to build, run on 127.0.0.1 in a thread. Tests
script its answers (a status code, or a slow reply) and read what it saw.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from copilot.crm.errors import WebhookVerificationError
from copilot.crm.signing import verify


@dataclass
class Slow:
    """Process the webhook (the effect happens), then answer only after ``seconds``."""

    seconds: float


Behaviour = int | Slow  # an int: answer with that status without processing


@dataclass
class Received:
    msg_id: str | None
    headers: dict[str, str]
    body: bytes
    verified: bool
    error: str | None


@dataclass
class ReceiverState:
    secrets: list[str]
    now: Callable[[], float]
    script: deque[Behaviour] = field(default_factory=deque)
    requests: list[Received] = field(default_factory=list)
    # The CRM's side effect: one entry per *distinct* webhook-id, as a deduping CRM does.
    effects: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: int = 0
    # (method, path) of every verified request, in arrival order.
    methods: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(state: ReceiverState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server dispatches to
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                payload = verify(state.secrets, headers, body, now=state.now())
            except WebhookVerificationError as exc:
                with state.lock:
                    state.requests.append(
                        Received(headers.get("webhook-id"), headers, body, False, str(exc))
                    )
                self._answer(401, str(exc))
                return
            # A mapped delivery's requests share the webhook-id; each has its own key.
            msg_id = headers.get("idempotency-key") or headers["webhook-id"]
            with state.lock:
                state.methods.append((self.command, self.path))
                state.requests.append(Received(msg_id, headers, body, True, None))
                behaviour: Behaviour = state.script.popleft() if state.script else 200
            if isinstance(behaviour, int) and not 200 <= behaviour < 300:
                self._answer(behaviour, "scripted failure")
                return
            with state.lock:
                if msg_id in state.effects:
                    state.duplicates += 1  # seen before: acknowledge, do nothing again
                else:
                    state.effects[msg_id] = payload
            if isinstance(behaviour, Slow):
                time.sleep(behaviour.seconds)
                behaviour = 200
            self._answer(behaviour, "")

        do_PATCH = do_POST
        do_PUT = do_POST

        def _answer(self, status: int, text: str) -> None:
            data = text.encode()
            try:
                self.send_response(status)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the sender gave up waiting (a timeout test): nobody to answer

        def log_message(self, format: str, *args: Any) -> None:  # the base class signature
            pass

    return Handler


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Receiver:
    """Start/stop on a fixed port, so "CRM down" is a really closed port."""

    def __init__(self, secrets: list[str], now: Callable[[], float]) -> None:
        self.state = ReceiverState(secrets=secrets, now=now)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hooks/copilot"
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler(self.state))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None

    def answer_next(self, *behaviours: Behaviour) -> None:
        with self.state.lock:
            self.state.script.extend(behaviours)

    @property
    def requests(self) -> list[Received]:
        with self.state.lock:
            return list(self.state.requests)

    @property
    def effects(self) -> dict[str, dict[str, Any]]:
        with self.state.lock:
            return dict(self.state.effects)
