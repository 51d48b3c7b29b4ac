"""A webhook receiver to try admission_flow's webhooks with: standard library only.

    python examples/webhook_receiver.py SECRET [PORT]

It checks each call's signature (the same check as ``admission_flow.services.webhooks.verify``, see
docs/webhooks.md), answers 401 to a call it cannot verify, prints each new event once, and answers 204.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def verify(secret: str, header: str, timestamp: str, body: bytes, tolerance: float = 300) -> bool:
    """``header`` (Webhook-Signature) signs ``timestamp`` and the raw ``body`` with ``secret``, recently."""
    if not timestamp.isascii() or not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    expected = f"v1={digest}".encode()
    return any(hmac.compare_digest(expected, part.encode()) for part in header.replace(",", " ").split())


def main() -> None:
    secret = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 8080
    seen: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            signed = verify(
                secret, self.headers.get("Webhook-Signature", ""), self.headers.get("Webhook-Timestamp", ""), body
            )
            if not signed:
                self.send_response(401)
            else:
                if self.headers["Webhook-Id"] not in seen:
                    seen.add(self.headers["Webhook-Id"])
                    event = json.loads(body)
                    data = event["data"]
                    print(f"{event['type']}: {data['candidate_id']} {data['trigger']} → {data['to_state']}", flush=True)
                self.send_response(204)
            self.end_headers()

        def log_message(self, *_: object) -> None:  # the events are the output
            pass

    print(f"listening on http://127.0.0.1:{port}/", flush=True)
    HTTPServer(("127.0.0.1", port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
