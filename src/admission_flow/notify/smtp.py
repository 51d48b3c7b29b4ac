"""SMTP delivery with the standard library. One connection per delivery batch is not worth the
complexity at these volumes (a reminder ladder sends a few thousand mails a day nationally)."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.policy import default as DEFAULT_POLICY
from email.utils import formatdate

from admission_flow.notify import DeliveryError, OutgoingMail


class SmtpNotifier:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "none",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if security not in ("none", "starttls", "tls"):
            raise ValueError(f"smtp security must be none, starttls or tls, not {security!r}")
        self.host, self.port, self.security = host, port, security
        self.username, self.password, self.timeout = username, password, timeout

    def send(self, mail: OutgoingMail) -> dict[str, str]:
        """Send; returns the recipients the server refused (address → reply) when it accepted the others."""
        # Long headers are not folded: CPython's folding of encoded words can drop a space (gh-144156), and
        # RFC 5322 allows lines up to 998 characters, far more than any subject here.
        message = EmailMessage(policy=DEFAULT_POLICY.clone(max_line_length=998))
        message["Message-ID"] = mail.message_id
        message["Date"] = formatdate(localtime=False)
        message["From"] = mail.sender
        message["To"] = ", ".join(mail.recipients)
        message["Subject"] = mail.subject
        message.set_content(mail.body, charset="utf-8", cte="base64")  # any server, any line length
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(message)
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
        return {address: f"{code} {reply.decode(errors='replace')}" for address, (code, reply) in refused.items()}

    def _connect(self) -> smtplib.SMTP:
        if self.security == "tls":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp
