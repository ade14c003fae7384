"""PayPal IPN rules, pure: parsing a message, its money, the signed ``custom`` field, and
which messages move money (and why the others do not).

An IPN body is ``application/x-www-form-urlencoded`` bytes whose values are encoded in the
charset the message names in its own ``charset`` field (PayPal's default: windows-1252).
The bytes are kept verbatim elsewhere (the postback must repeat them); this module only
reads them.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import hmac
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import unquote_to_bytes

from api.domain.errors import InvalidInput

DEFAULT_CHARSET = "windows-1252"
MAX_OFFERED_AMOUNTS = 10
MAX_OFFERED_AMOUNT = 1_000_000  # whole units of the currency
MAX_EMAIL = 254
MICROS = 1_000_000
MAX_GROSS = 10**9  # whole units; more is not a PayPal payment we credit
ZERO_DECIMAL_CURRENCIES = frozenset({"HUF", "JPY", "TWD"})  # PayPal: no decimals allowed
LIVE_VERIFY_URL = "https://ipnpb.paypal.com/cgi-bin/webscr"
SANDBOX_VERIFY_URL = "https://ipnpb.sandbox.paypal.com/cgi-bin/webscr"
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+$")


class MalformedIpn(ValueError):
    """A body that is not a readable IPN message (the reason is safe to show)."""


class Action(StrEnum):
    """What a verified message asks for, by its ``payment_status``."""

    CREDIT = "credit"  # Completed
    REVERSE = "reverse"  # Refunded, Reversed (``parent_txn_id`` names the payment)
    RESTORE = "restore"  # Canceled_Reversal
    WAIT = "wait"  # Pending: a later Completed message credits it
    IGNORE = "ignore"  # anything else (Denied, Failed, Expired, …)


class Status(StrEnum):
    """Where a stored IPN message stands."""

    PENDING = "pending"  # stored, not yet verified (or PayPal unreachable: retried)
    CREDITED = "credited"
    REVERSED = "reversed"
    RESTORED = "restored"
    REFUSED = "refused"
    IGNORED = "ignored"


class Refusal(StrEnum):
    """Why a message moved no money; kept on the message for the reseller."""

    INVALID = "invalid"  # PayPal answered INVALID: not a message PayPal sent
    WRONG_RECEIVER = "wrong receiver"
    WRONG_CURRENCY = "wrong currency"
    AMOUNT_NOT_OFFERED = "amount not offered"
    UNKNOWN_CLIENT = "unknown client"
    DUPLICATE = "duplicate"
    UNKNOWN_PAYMENT = "unknown payment"  # a refund or reversal of nothing we credited
    MALFORMED = "malformed"  # unreadable body, a missing field or an unreadable amount
    PAYPAL_OFF = "paypal off"  # the reseller has PayPal switched off (or never set it up)


ACTION_OF_STATUS = {
    "Completed": Action.CREDIT,
    "Refunded": Action.REVERSE,
    "Reversed": Action.REVERSE,
    "Canceled_Reversal": Action.RESTORE,
    "Pending": Action.WAIT,
}


@dataclass(frozen=True, slots=True)
class Ipn:
    """The decoded variables of one message (the first value of a repeated name wins)."""

    fields: dict[str, str]
    charset: str

    def get(self, name: str) -> str:
        return self.fields.get(name, "")

    @property
    def action(self) -> Action:
        return ACTION_OF_STATUS.get(self.get("payment_status"), Action.IGNORE)


def parse_ipn(body: bytes) -> Ipn:
    """Decode an IPN body; the ``charset`` field says how its values are encoded."""
    raw: list[tuple[bytes, bytes]] = []
    for part in body.split(b"&"):
        if not part:
            continue
        name, _, value = part.partition(b"=")
        raw.append((_unquote(name), _unquote(value)))
    charset = DEFAULT_CHARSET
    for name, value in raw:
        if name == b"charset" and value:
            charset = value.decode("ascii", "replace")
            break
    try:
        codecs.lookup(charset)
    except LookupError:
        raise MalformedIpn(f"unknown charset {charset[:40]!r}") from None
    fields: dict[str, str] = {}
    try:
        for name, value in raw:
            fields.setdefault(name.decode(charset), value.decode(charset))
    except UnicodeDecodeError:
        raise MalformedIpn(f"a value is not {charset} text") from None
    return Ipn(fields, charset)


def _unquote(value: bytes) -> bytes:
    return unquote_to_bytes(value.replace(b"+", b" "))


def currency_decimals(currency: str) -> int:
    return 0 if currency in ZERO_DECIMAL_CURRENCIES else 2


def parse_money(text: str, currency: str, *, field: str = "mc_gross") -> int:
    """``"10.00"`` → 10_000_000 micro-units; signed; no floats, no more decimals than the
    currency has (``MalformedIpn`` otherwise)."""
    decimals = currency_decimals(currency)
    pattern = r"-?[0-9]{1,10}" + (rf"(\.[0-9]{{1,{decimals}}})?" if decimals else "")
    if not re.fullmatch(pattern, text):
        raise MalformedIpn(f"{field} is not an amount in {currency or 'the currency'}: {text!r}")
    negative = text.startswith("-")
    whole, _, fraction = text.lstrip("-").partition(".")
    micros = int(whole) * MICROS + int(fraction.ljust(6, "0") or "0")
    if int(whole) > MAX_GROSS:
        raise MalformedIpn(f"{field} is too large")
    return -micros if negative else micros


def payment_refusal(
    ipn: Ipn, *, receiver_email: str, currency: str, offered: tuple[int, ...]
) -> Refusal | None:
    """Why a verified ``Completed`` message must not be credited (``None``: it may, if its
    client checks out and its ``txn_id`` is new). Checked in the order of the reasons."""
    if not _to_receiver(ipn, receiver_email):
        return Refusal.WRONG_RECEIVER
    if ipn.get("mc_currency") != currency:
        return Refusal.WRONG_CURRENCY
    gross = parse_money(ipn.get("mc_gross"), currency)
    if gross not in {amount * MICROS for amount in offered}:
        return Refusal.AMOUNT_NOT_OFFERED
    return None


def movement_refusal(ipn: Ipn, *, receiver_email: str, currency: str) -> Refusal | None:
    """Why a verified refund, reversal or cancelled reversal must not be posted."""
    if not _to_receiver(ipn, receiver_email):
        return Refusal.WRONG_RECEIVER
    if ipn.get("mc_currency") != currency:
        return Refusal.WRONG_CURRENCY
    if not ipn.get("parent_txn_id"):
        return Refusal.MALFORMED
    return None


def _to_receiver(ipn: Ipn, receiver_email: str) -> bool:
    wanted = normalize_email(receiver_email)
    sent = {normalize_email(ipn.get("receiver_email")), normalize_email(ipn.get("business"))}
    return bool(wanted) and wanted in sent


def normalize_email(email: str) -> str:
    return email.strip().casefold()


# --- settings ---------------------------------------------------------------------------


def check_receiver_email(email: str) -> str:
    """The PayPal receiver e-mail, trimmed; ``InvalidInput`` unless it looks like one."""
    email = email.strip()
    if email and (len(email) > MAX_EMAIL or not _EMAIL.match(email)):
        raise InvalidInput("email", "not an e-mail address")
    return email


def check_offered_amounts(amounts: list[int]) -> tuple[int, ...]:
    """Offered amounts: positive whole numbers, at most ten, no repeats; sorted."""
    if len(amounts) > MAX_OFFERED_AMOUNTS:
        raise InvalidInput("amounts", f"at most {MAX_OFFERED_AMOUNTS} amounts")
    for amount in amounts:
        if isinstance(amount, bool) or not isinstance(amount, int):
            raise InvalidInput("amounts", "whole numbers only")
        if not 0 < amount <= MAX_OFFERED_AMOUNT:
            raise InvalidInput("amounts", f"each between 1 and {MAX_OFFERED_AMOUNT}")
    if len(set(amounts)) != len(amounts):
        raise InvalidInput("amounts", "an amount is repeated")
    return tuple(sorted(amounts))


def parse_offered_amounts(stored: str) -> tuple[int, ...]:
    """The stored form (``"10,20,50"``) back to amounts."""
    return tuple(int(part) for part in stored.split(",") if part)


def format_offered_amounts(amounts: tuple[int, ...]) -> str:
    return ",".join(str(amount) for amount in amounts)


def verify_url(*, sandbox: bool, override: str = "") -> str:
    """Where a postback goes: PayPal's live or sandbox URL, or ``override`` (tests)."""
    if override:
        return override
    return SANDBOX_VERIFY_URL if sandbox else LIVE_VERIFY_URL


# --- the signed ``custom`` field ---------------------------------------------------------


class CustomSigner:
    """Signs the ``custom`` field of a button (``c<client id>.<signature>``) with a key
    derived from the platform secret, so that a payer cannot redirect a payment to
    another client; the key never appears in a repr."""

    __slots__ = ("_key",)

    def __init__(self, secret_key: str) -> None:
        if not secret_key:
            raise ValueError("a secret key is required to sign PayPal buttons")
        self._key = hmac.new(
            secret_key.encode(), b"pulsebill paypal custom v1", hashlib.sha256
        ).digest()

    def sign(self, reseller_id: int, client_id: int) -> str:
        """The ``custom`` value of a button for ``client_id`` of ``reseller_id``."""
        return f"c{client_id}.{self._signature(reseller_id, client_id)}"

    def client_id(self, reseller_id: int, custom: str) -> int | None:
        """The client a ``custom`` value names, or ``None`` unless we signed it for
        ``reseller_id``."""
        match = re.fullmatch(r"c([1-9][0-9]{0,17})\.([A-Za-z0-9_-]{22})", custom.strip())
        if match is None:
            return None
        client_id = int(match.group(1))
        expected = self._signature(reseller_id, client_id)
        return client_id if hmac.compare_digest(expected, match.group(2)) else None

    def _signature(self, reseller_id: int, client_id: int) -> str:
        message = f"{reseller_id}:{client_id}".encode()
        digest = hmac.new(self._key, message, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def __repr__(self) -> str:
        return "CustomSigner(<secret>)"


# --- retries -----------------------------------------------------------------------------

FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600


def retry_delay(attempts: int) -> int:
    """Seconds before the next verification after ``attempts`` failed ones (doubling from
    30 s, at most an hour)."""
    return int(min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * 2 ** max(0, attempts - 1)))
