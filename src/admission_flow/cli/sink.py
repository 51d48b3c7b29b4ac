"""``admission-flow smtp-sink``: a local SMTP server that prints each mail decoded (for trials and demos)."""

from __future__ import annotations

import email
import email.policy
import threading
from typing import Annotated, Any

import typer

from admission_flow.cli import render
from admission_flow.cli.app import app


class _Printer:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        render.out.rule(str(message["Subject"]))
        render.out.print(
            f"From: {message['From']}\nTo: {message['To']}\nMessage-ID: {message['Message-ID']}\n", markup=False
        )
        render.out.print(body.get_content() if body is not None else "", markup=False)
        return "250 Message accepted for delivery"


@app.command("smtp-sink")
def smtp_sink(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8025,
) -> None:
    """Receive mail locally and print it decoded; point smtp_host/smtp_port here (Ctrl-C to stop)."""
    try:
        from aiosmtpd.controller import Controller
    except ImportError:
        render.err.print("smtp-sink needs aiosmtpd: pip install aiosmtpd (make installs it)")
        raise typer.Exit(1) from None
    controller = Controller(_Printer(), hostname=host, port=port)
    try:
        controller.start()
    except OSError as exc:  # the port is taken, or the address is not this machine's
        render.err.print(f"smtp-sink: cannot listen on {host}:{port}: {exc.strerror or exc}; try --port")
        raise typer.Exit(1) from None
    render.err.print(
        f"smtp-sink: listening on {host}:{port} — set ADMISSION_FLOW_SMTP_HOST={host} "
        f"ADMISSION_FLOW_SMTP_PORT={port} (Ctrl-C to stop)"
    )
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()
