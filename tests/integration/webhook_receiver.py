"""A webhook receiver for the tests: a real HTTP server on 127.0.0.1 in a thread of the test process.

It checks each call's signature with ``services.webhooks.verify`` (the helper docs/webhooks.md tells receivers to
copy), answers 401 to a call that does not verify, and otherwise the status scripted for the path (200 once the
script is used up). Every request is kept, raw body included, for the test to compare.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from admission_flow.services.webhooks import verify


@dataclass(frozen=True)
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool
    answered: int


@dataclass
class Receiver:
    """Secrets by path (set them once the subscription is made); ``now`` is the receiver's clock in Unix seconds."""

    now: Callable[[], float]
    port: int = 0
    secrets: dict[str, str] = field(default_factory=dict)
    script: dict[str, list[int]] = field(default_factory=dict)
    always: dict[str, int] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer_next(self, path: str, *statuses: int) -> None:
        """Answer the next calls to ``path`` with these statuses, in order."""
        self.script.setdefault(path, []).extend(statuses)

    def to(self, path: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.path == path]

    def status_for(self, path: str) -> int:
        queued = self.script.get(path)
        if queued:
            return queued.pop(0)
        return self.always.get(path, 200)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = receiver.secrets.get(self.path, "")
            verified = verify(
                secret,
                self.headers.get("Webhook-Signature", ""),
                self.headers.get("Webhook-Timestamp", ""),
                body,
                now=receiver.now(),
            )
            with receiver.lock:
                status = receiver.status_for(self.path) if verified else 401
                receiver.calls.append(Call(self.path, dict(self.headers.items()), body, verified, status))
            reply = b"nope" if status >= 300 else b""
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def serve(now: Callable[[], float]) -> Iterator[Receiver]:
    """Run a receiver until the generator is closed (use it as a fixture body)."""
    receiver = Receiver(now)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
