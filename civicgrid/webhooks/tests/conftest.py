"""A real HTTP receiver on 127.0.0.1 for the webhook tests: records every request and answers
with the statuses it is told (then its default)."""

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Received] = field(default_factory=list)
    # (status, extra headers, body) answered in turn; then `default`.
    answers: deque[tuple[int, dict[str, str], bytes]] = field(default_factory=deque)
    default: int = 200

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hook"

    def answer(self, *statuses: int, headers: dict[str, str] | None = None, body: bytes = b"") -> None:
        for status in statuses:
            self.answers.append((status, headers or {}, body or f"answer {status}".encode()))

    def reset(self) -> None:
        self.requests.clear()
        self.answers.clear()
        self.default = 200


def _handler(receiver_ref: list[Receiver]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver = receiver_ref[0]
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.answers:
                status, headers, text = receiver.answers.popleft()
            else:
                status, headers, text = receiver.default, {}, b"ok"
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture(scope="session")
def _receiver_server():
    ref: list[Receiver] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ref))
    ref.append(Receiver(server))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield ref[0]
    server.shutdown()
    server.server_close()


@pytest.fixture
def receiver(_receiver_server):
    _receiver_server.reset()
    yield _receiver_server
    _receiver_server.reset()
