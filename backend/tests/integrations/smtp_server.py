"""A real SMTP server for the e-mail tests: aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH.

Its certificate is self-signed, made here for 127.0.0.1 and ``localhost``; the integration trusts it
through its ``ca_certificate_pem`` (as a team with a private relay would), never by turning
verification off.
"""

from __future__ import annotations

import ssl
import tempfile
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.integrations.standins import PORTS
from tests.tls_helpers import self_signed

USER, PASSWORD = "cspm-mailer", "smtp-secret-Passw0rd"


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.envelopes: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                               "tls": session.ssl is not None, "login": getattr(session, "login_data", None)})
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER
          and auth_data.password.decode() == PASSWORD)
    return AuthResult(success=ok, handled=False)


class SmtpRelay:
    """``with SmtpRelay() as relay:`` a STARTTLS-only relay; ``relay.port``, ``relay.ca_pem``, ``relay.mailbox``."""

    def __init__(self, *, starttls: bool = True) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="cspm-smtp-"))
        cert, key, self.ca_pem = self_signed(self.directory, "cspm test relay")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.mailbox = Mailbox()
        self.controller: Controller | None = None
        for port in PORTS:
            controller = Controller(self.mailbox, hostname="127.0.0.1", port=port,
                                    tls_context=context if starttls else None, require_starttls=starttls,
                                    authenticator=_authenticate, auth_require_tls=starttls, auth_required=starttls)
            try:
                controller.start()
            except (OSError, RuntimeError):
                continue
            self.controller, self.port = controller, port
            break
        if self.controller is None:
            raise RuntimeError("no free port for the SMTP relay in 18400-18499")

    def __enter__(self) -> SmtpRelay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.controller is not None:
            self.controller.stop()
