"""A fake PayPal: IPN bodies built from PayPal's documented variables, and a verification
server (Starlette under uvicorn on 127.0.0.1) that answers ``VERIFIED`` only for a
postback of ``cmd=_notify-validate&`` followed by a body it issued, byte for byte."""

from __future__ import annotations

import socket
import threading
import time
from urllib.parse import urlencode

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

RECEIVER = "sales@acme.example"
PREFIX = b"cmd=_notify-validate&"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def web_accept(
    txn_id: str,
    custom: str,
    *,
    gross: str = "10.00",
    fee: str = "0.59",
    currency: str = "USD",
    status: str = "Completed",
    receiver: str = RECEIVER,
    charset: str = "windows-1252",
    **extra: str,
) -> list[tuple[str, str]]:
    """The variables of a ``web_accept`` IPN (Buy Now button), as PayPal documents them,
    with a payer whose name is not ASCII."""
    fields = [
        ("mc_gross", gross),
        ("protection_eligibility", "Eligible"),
        ("address_status", "confirmed"),
        ("payer_id", "LPLWNMTBWMFAY"),
        ("tax", "0.00"),
        ("address_street", "1 Rue de l'Église"),
        ("payment_date", "20:12:59 Jan 13, 2026 PST"),
        ("payment_status", status),
        ("charset", charset),
        ("address_zip", "95131"),
        ("first_name", "José"),
        ("mc_fee", fee),
        ("address_country_code", "US"),
        ("address_name", "José Müller"),
        ("notify_version", "3.9"),
        ("custom", custom),
        ("payer_status", "verified"),
        ("business", receiver),
        ("address_country", "United States"),
        ("address_city", "San Jose"),
        ("quantity", "1"),
        ("verify_sign", "AtkOfCXbDm2hu0ZELryHFjY-Vb7PAUvS6nMXgysbElEn9v-1XcmSoGtf"),
        ("payer_email", "jose@buyer.example"),
        ("txn_id", txn_id),
        ("payment_type", "instant"),
        ("last_name", "Müller"),
        ("address_state", "CA"),
        ("receiver_email", receiver),
        ("payment_fee", ""),
        ("receiver_id", "S8XGHLYDW9T3S"),
        ("txn_type", "web_accept"),
        ("item_name", "Top-up"),
        ("mc_currency", currency),
        ("item_number", ""),
        ("residence_country", "US"),
        ("test_ipn", "1"),
        ("transaction_subject", ""),
        ("payment_gross", gross),
        ("ipn_track_id", "545ee24c4f29e"),
    ]
    fields.extend(extra.items())
    return fields


def reversal(
    txn_id: str, parent: str, custom: str, *, status: str, gross: str, fee: str = "0.00"
) -> list[tuple[str, str]]:
    """A Refunded, Reversed or Canceled_Reversal message of payment ``parent``."""
    fields = web_accept(txn_id, custom, gross=gross, fee=fee, status=status)
    fields.append(("parent_txn_id", parent))
    if status != "Refunded":
        fields.append(("reason_code", "chargeback"))
    return fields


def encode(fields: list[tuple[str, str]]) -> bytes:
    """The form body in the message's own ``charset`` (PayPal's way)."""
    charset = dict(fields).get("charset", "windows-1252")
    return urlencode(fields, encoding=charset).encode("ascii")


class FakePaypal:
    """The verification server; ``issue`` registers a body it will vouch for."""

    def __init__(self) -> None:
        self.issued: set[bytes] = set()
        self.postbacks: list[bytes] = []
        self.content_types: list[str] = []
        self.answer: tuple[int, bytes] | None = None  # overrides the verdict (odd answers)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/cgi-bin/webscr"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def issue(self, fields: list[tuple[str, str]]) -> bytes:
        body = encode(fields)
        self.issued.add(body)
        return body

    async def _webscr(self, request: Request) -> PlainTextResponse:
        posted = await request.body()
        self.postbacks.append(posted)
        self.content_types.append(request.headers.get("content-type", ""))
        if self.answer is not None:
            status, content = self.answer
            return PlainTextResponse(content.decode(), status_code=status)
        if posted.startswith(PREFIX) and posted[len(PREFIX) :] in self.issued:
            return PlainTextResponse("VERIFIED")
        return PlainTextResponse("INVALID")

    def start(self) -> None:
        app = Starlette(routes=[Route("/cgi-bin/webscr", self._webscr, methods=["POST"])])
        config = uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the fake PayPal did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None
