"""PayPal settings and IPN messages as GraphQL objects."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from api.domain.paypal import Status
from api.graphql.types.common import utc
from api.services.paypal_ipn import IpnMessageView
from api.services.paypal_settings import PaypalSettingsView


@strawberry.type
class PaypalSettings:
    """A reseller's PayPal integration; ``ipnUrl`` is what to paste into PayPal."""

    enabled: bool
    email: str
    amounts: list[int] = strawberry.field(
        description="Offered amounts, whole units of the currency."
    )
    currency: str
    sandbox: bool
    ipn_url: str

    @classmethod
    def from_domain(cls, view: PaypalSettingsView, base_url: str) -> PaypalSettings:
        return cls(
            enabled=view.enabled,
            email=view.email,
            amounts=list(view.amounts),
            currency=view.currency,
            sandbox=view.sandbox,
            ipn_url=base_url.rstrip("/") + view.ipn_path,
        )


@strawberry.input
class PaypalSettingsInput:
    enabled: bool
    email: str = ""
    amounts: list[int] = strawberry.field(default_factory=list)
    sandbox: bool = False


@strawberry.enum
class IpnStatus(Enum):
    """Where an IPN message stands (the values of :class:`api.domain.paypal.Status`)."""

    PENDING = Status.PENDING.value
    CREDITED = Status.CREDITED.value
    REVERSED = Status.REVERSED.value
    RESTORED = Status.RESTORED.value
    REFUSED = Status.REFUSED.value
    IGNORED = Status.IGNORED.value


@strawberry.type
class PaypalIpnMessage:
    """One IPN message as received and what became of it (``reason``: why it was
    refused; see docs/paypal.md)."""

    id: int
    received_at: datetime
    status: IpnStatus
    reason: str
    detail: str
    txn_id: str
    payment_status: str
    client_id: int | None
    attempts: int
    processed_at: datetime | None
    body: str = strawberry.field(description="The raw body as received (URL-encoded).")

    @classmethod
    def from_domain(cls, view: IpnMessageView) -> PaypalIpnMessage:
        return cls(
            id=view.id,
            received_at=utc(view.received_at),
            status=IpnStatus(view.status),
            reason=view.reason,
            detail=view.detail,
            txn_id=view.txn_id,
            payment_status=view.payment_status,
            client_id=view.client_id,
            attempts=view.attempts,
            processed_at=None if view.processed_at is None else utc(view.processed_at),
            body=view.body.decode("ascii", "backslashreplace"),
        )
